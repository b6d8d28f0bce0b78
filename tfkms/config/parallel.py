"""Parse many files fast: a content-hash cache, then a small process pool with a timeout per
file (a pathological file is killed with its worker and reported; it never stalls the run).

concurrent.futures cannot stop one running task, so the pool is hand-rolled: each worker gets
one file at a time over a pipe, and the parent knows exactly how long each file has run.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from tfkms.config.cache_store import ParseCache
from tfkms.config.discover import is_tfvars_file
from tfkms.config.files import decode, parse_source
from tfkms.config.syntax import SourceFile
from tfkms.errors import InputFileError, InputProblem

PARSE_TIMEOUT_S = 10.0
MIN_FILES_FOR_POOL = 24  # below this, starting processes costs more than it saves
LARGE_FILE_BYTES = 256 * 1024  # a file this big goes to a worker anyway: only a worker can be timed out


@dataclass
class ParseJob:
    path: Path
    display: str
    data: bytes
    mtime_ns: int


def _parse_job(path: Path, display: str, data: bytes) -> SourceFile | InputProblem:
    try:
        source = parse_source(path, display, decode(data, display))
    except InputFileError as exc:
        return exc.problem
    except RecursionError:
        return InputProblem(display, None, None, "nesting too deep to parse")
    source.text = ""  # the parent has the bytes; do not ship them back
    return source


def _bind_to_parent(parent_pid: int, inherited: list[Connection]) -> None:
    """A worker dies with its parent, however the parent ends (SIGTERM, SIGHUP, SIGKILL, a crash),
    and never holds the parent's stdout/stderr: a caller reading them through a pipe gets EOF
    when tfkms ends, not when the last worker does."""
    import signal
    import sys
    import threading

    # A forked worker inherits tfkms's handlers. Ctrl-C, a hangup or a SIGTERM sent to the whole process
    # group reaches the workers too: the parent alone decides (it stops them, or they die with it).
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    for conn in inherited:  # parent ends copied by fork (its own, earlier workers'): they would hide EOF
        with contextlib.suppress(OSError):
            conn.close()
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (1, 2):
            os.dup2(devnull, fd)
        os.close(devnull)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):  # PR_SET_PDEATHSIG: the kernel kills us when the parent goes
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent went before prctl took effect
        os._exit(1)

    def watchdog() -> None:  # everywhere else (and as a second line): notice being orphaned
        while True:
            time.sleep(WATCHDOG_INTERVAL_S)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watchdog, name="tfkms-parse-watchdog", daemon=True).start()


WATCHDOG_INTERVAL_S = 0.25


def _worker(conn: Connection, parent_pid: int | None = None, inherited: list[Connection] | None = None) -> None:
    if parent_pid is not None:
        _bind_to_parent(parent_pid, inherited or [])
    from hcl2.parser import parser

    parser()  # import and build the grammar now, while the parent is still reading files
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        path, display, data = job
        outcome = _parse_job(path, display, data)
        try:
            conn.send(outcome)
        except (RecursionError, pickle.PicklingError):  # a tree too deep to ship back
            conn.send(InputProblem(display, None, None, "nesting too deep to process"))


class ParsePool:
    """Worker processes, started early (see `build_project`) so their start-up overlaps the
    parent's walk and reads; closed by the caller."""

    def __init__(self, size: int) -> None:
        self.ctx: Any = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
        self.used = False
        self.workers: list[tuple[BaseProcess, Connection]] = []
        for _ in range(size):
            self.workers.append(self._start())

    def _start(self) -> tuple[BaseProcess, Connection]:
        parent, child = self.ctx.Pipe()
        # forked, the worker closes its copies of the parent ends (its own and the other workers'), or it
        # would never read EOF when the parent goes; spawned, it has none
        forked = self.ctx.get_start_method() == "fork"
        inherited = [parent, *(conn for _, conn in self.workers if not conn.closed)] if forked else []
        proc = self.ctx.Process(target=_worker, args=(child, os.getpid(), inherited), daemon=True)
        proc.start()
        child.close()
        return proc, parent

    def run(self, jobs: list[ParseJob], timeout: float) -> dict[Path, SourceFile | InputProblem]:
        self.used = True
        results: dict[Path, SourceFile | InputProblem] = {}
        pending = list(reversed(jobs))
        busy: dict[int, tuple[ParseJob, float]] = {}  # worker index -> job, start time
        while pending or busy:
            for i in range(len(self.workers)):
                if i not in busy and pending:
                    job = pending.pop()
                    try:
                        self.workers[i][1].send((job.path, job.display, job.data))
                    except OSError:  # the worker is gone (killed from outside): a new one gets the file
                        self._replace(i)
                        self.workers[i][1].send((job.path, job.display, job.data))
                    busy[i] = (job, time.monotonic())
            ready = wait([self.workers[i][1] for i in busy], timeout=0.2)
            for i in list(busy):
                proc, conn = self.workers[i]
                job, started = busy[i]
                if conn in ready:
                    try:
                        results[job.path] = conn.recv()
                    except (EOFError, OSError):
                        results[job.path] = InputProblem(job.display, None, None, "parser crashed on this file")
                        self._replace(i)
                    del busy[i]
                elif time.monotonic() - started > timeout:
                    results[job.path] = InputProblem(job.display, None, None,
                                                     f"parsing took longer than {timeout:.0f} s; skipped")
                    self._replace(i)
                    del busy[i]
        return results

    def _replace(self, i: int) -> None:
        proc, conn = self.workers[i]
        proc.kill()
        proc.join()
        conn.close()
        self.workers[i] = self._start()

    def close(self) -> None:
        if not self.used:  # nothing to finish: do not wait for warm-up to end
            for proc, conn in self.workers:
                proc.kill()
                conn.close()
            for proc, _ in self.workers:
                proc.join()
            return
        for _, conn in self.workers:
            with contextlib.suppress(OSError):  # a worker already gone (BrokenPipeError is an OSError)
                conn.send(None)
            conn.close()
        deadline = time.monotonic() + 1  # one second for all of them, not each: then they are killed
        for proc, _ in self.workers:
            proc.join(timeout=max(0.0, deadline - time.monotonic()))
        for proc, _ in self.workers:
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=1)


def default_workers() -> int:
    return min(os.cpu_count() or 1, 8)


def parse_files(jobs: list[ParseJob], cache: ParseCache | None, workers: int | None = None,
                timeout: float = PARSE_TIMEOUT_S, store: bool = True,
                pool: ParsePool | None = None) -> dict[Path, SourceFile | InputProblem]:
    """Parsed files (text attached) or the problem each one has, keyed by path. With
    store=False the caller caches later (`store_parsed`), after module-wide redaction."""
    results: dict[Path, SourceFile | InputProblem] = {}
    misses: list[ParseJob] = []
    for job in jobs:
        hit = cache.get(job.data) if cache else None
        if hit is not None:
            hit.path, hit.display = job.path, job.display
            results[job.path] = hit
        else:
            misses.append(job)
    size = workers if workers is not None else default_workers()
    use_pool = (len(misses) >= MIN_FILES_FOR_POOL and size > 1) or any(len(j.data) >= LARGE_FILE_BYTES for j in misses)
    from tfkms import logs

    logs.get("parse").info("parse cache: %d hit(s), %d file(s) to parse%s", len(jobs) - len(misses), len(misses),
                           f" in {size} worker process(es)" if use_pool else "")
    if use_pool:
        own = pool is None
        pool = pool or ParsePool(max(1, min(size, len(misses))))
        try:
            parsed = pool.run(misses, timeout)
        finally:
            if own:
                pool.close()
    else:
        parsed = {job.path: _parse_job(job.path, job.display, job.data) for job in misses}
    for job in misses:
        results[job.path] = parsed[job.path]
    if store:
        store_parsed(cache, misses, results)
    for job in jobs:
        outcome = results[job.path]
        if isinstance(outcome, SourceFile):
            outcome.text = job.data.decode("utf-8")
            outcome.mtime_ns, outcome.size = job.mtime_ns, len(job.data)
    return results


def store_parsed(cache: ParseCache | None, jobs: list[ParseJob], results: dict[Path, SourceFile | InputProblem],
                 ) -> None:
    if cache is None:
        return
    for job in jobs:
        outcome = results.get(job.path)
        if isinstance(outcome, SourceFile) and not is_tfvars_file(job.path.name):
            cache.put(job.data, outcome)  # tfvars hold environment values, often secrets: never cached

