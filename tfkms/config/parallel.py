"""Parse many files fast: a content-hash cache, then a small process pool with a timeout per
file (a pathological file is killed with its worker and reported; it never stalls the run).

concurrent.futures cannot stop one running task, so the pool is hand-rolled: each worker gets
one file at a time over a pipe, and the parent knows exactly how long each file has run: a worker
says when it is ready (a fresh one builds the grammar first), and the file it was handed before
that is timed from then, never charged for the start-up. A ready worker waits in recv, so it
begins every later file the moment it is sent: one message per worker, not one per file.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import sys
import threading
import time
from collections.abc import Callable
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
# A worker that never gets ready to begin its file (stuck starting up) must not stall the run: past
# this, generous next to a start-up of about a second even on a loaded machine, the file is skipped.
WORKER_READY_TIMEOUT_S = 60.0
READY = "ready"  # a worker's word, once, that it takes files from now on (results are never a str)
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

    # A forked worker inherits tfkms's handlers, a spawned one Python's. Ctrl-C, a hangup or a SIGTERM sent
    # to the whole process group reaches the workers too: the parent alone decides (it stops them, or they
    # die with it). Spawned, the parent is tfkms all the same (parent_pid), so the rest holds unchanged.
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


def warm_up_grammar() -> None:
    """Import and build the grammar in a worker, while the parent is still reading files."""
    from hcl2.parser import parser

    parser()


def _worker(conn: Connection, parent_pid: int | None = None, inherited: list[Connection] | None = None,
            warm_up: Callable[[], object] = warm_up_grammar) -> None:
    """A worker's life; module-level with picklable arguments, so that a spawned worker can run it."""
    if parent_pid is not None:
        _bind_to_parent(parent_pid, inherited or [])
    warm_up()
    try:
        conn.send(READY)  # a file already sent starts its clock now
    except OSError:
        return
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


def _thread_count() -> int:
    """Threads alive in this process, native ones too where the OS tells (as Python 3.12's fork warning counts)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def choose_start_method(platform: str | None = None, threads: int | None = None) -> str:
    """fork only where it is safe: Linux (and other Unixes) with no other thread alive. macOS has
    system libraries that break after fork, Windows has no fork, and forking a process with threads
    may deadlock the child on a lock some thread held (Python 3.12 warns, 3.14 no longer forks by
    default). Otherwise spawn, not forkserver: a spawned worker's parent is tfkms itself, which
    `_bind_to_parent` relies on (a forkserver's child would be bound to the server)."""
    platform = sys.platform if platform is None else platform
    if platform == "darwin" or platform.startswith(("win", "cygwin")):
        return "spawn"
    if "fork" not in multiprocessing.get_all_start_methods():
        return "spawn"
    return "fork" if (_thread_count() if threads is None else threads) <= 1 else "spawn"


@dataclass
class _Busy:
    job: ParseJob
    sent: float  # when the job went to the worker (which may still be starting up)
    started: float | None = None  # when the worker began it (sent, or its READY): the file's own clock


class ParsePool:
    """Worker processes, started early (see `build_project`) so their start-up overlaps the
    parent's walk and reads; closed by the caller.

    `start_method` forces one (tests); by default each worker's is chosen when it starts, since a
    thread may have been started in between (`choose_start_method`). `warm_up` runs in each worker
    before it takes files: a module-level function (a spawned worker imports it)."""

    def __init__(self, size: int, start_method: str | None = None,
                 warm_up: Callable[[], object] = warm_up_grammar,
                 ready_timeout: float = WORKER_READY_TIMEOUT_S) -> None:
        self.start_method = start_method
        self.warm_up = warm_up
        self.ready_timeout = ready_timeout
        self.used = False
        self.started_with: list[str] = []  # the start method of every worker started, in order
        self.workers: list[tuple[BaseProcess, Connection]] = []
        self.ready: list[bool] = []  # per worker: its READY was read
        # Each worker builds its own grammar, while the parent reads the files: built here before
        # forking, it would be inherited, but on the parent's path (0.1 s), and the parent rarely
        # needs it (the values it evaluates are mostly simple: simple_values.simple_tree).
        for _ in range(size):
            self.workers.append(self._start())
            self.ready.append(False)

    def _start(self) -> tuple[BaseProcess, Connection]:
        method = self.start_method or choose_start_method()
        ctx: Any = multiprocessing.get_context(method)
        parent, child = ctx.Pipe()
        # forked, the worker closes its copies of the parent ends (its own and the other workers'), or it
        # would never read EOF when the parent goes; spawned, it has none
        inherited = [parent, *(conn for _, conn in self.workers if not conn.closed)] if method == "fork" else []
        proc = ctx.Process(target=_worker, args=(child, os.getpid(), inherited, self.warm_up), daemon=True)
        proc.start()
        child.close()
        self.started_with.append(method)
        return proc, parent

    def run(self, jobs: list[ParseJob], timeout: float) -> dict[Path, SourceFile | InputProblem]:
        self.used = True
        results: dict[Path, SourceFile | InputProblem] = {}
        pending = list(reversed(jobs))
        busy: dict[int, _Busy] = {}  # worker index -> its file
        while pending or busy:
            for i in range(len(self.workers)):
                if i not in busy and pending:
                    job = pending.pop()
                    try:
                        self.workers[i][1].send((job.path, job.display, job.data))
                    except OSError:  # the worker is gone (killed from outside): a new one gets the file
                        self._replace(i)
                        self.workers[i][1].send((job.path, job.display, job.data))
                    now = time.monotonic()
                    busy[i] = _Busy(job, now, now if self.ready[i] else None)
            ready = wait([self.workers[i][1] for i in busy], timeout=0.2)
            for i in list(busy):
                item = busy[i]
                outcome = self._receive(i, item) if self.workers[i][1] in ready else None
                if outcome is None and self._overdue(item, timeout):
                    outcome = InputProblem(item.job.display, None, None,
                                           f"parsing took longer than {timeout:.0f} s; skipped")
                    self._replace(i)
                if outcome is not None:
                    results[item.job.path] = outcome
                    del busy[i]
        return results

    def _receive(self, i: int, item: _Busy) -> SourceFile | InputProblem | None:
        """The file's outcome if the worker has sent it; its READY starts the file's clock."""
        conn = self.workers[i][1]
        try:
            message = conn.recv()  # the connection was ready: a message or EOF
            while isinstance(message, str):  # only READY is a str
                self.ready[i] = True
                item.started = time.monotonic()
                if not conn.poll():
                    return None
                message = conn.recv()
        except (EOFError, OSError):
            self._replace(i)
            return InputProblem(item.job.display, None, None, "parser crashed on this file")
        return message

    def _overdue(self, item: _Busy, timeout: float) -> bool:
        now = time.monotonic()
        if item.started is None:  # still starting up: not the file's fault, unless it never ends
            return now - item.sent > max(self.ready_timeout, timeout)
        return now - item.started > timeout

    def _replace(self, i: int) -> None:
        proc, conn = self.workers[i]
        proc.kill()
        proc.join()
        conn.close()
        self.workers[i] = self._start()
        self.ready[i] = False

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
    own = pool is None
    others = [job for job in misses if not _may_parse_here(job)]
    if own and size > 1 and others and len(others) < len(misses):
        # a big file is read here, slowly: meanwhile a worker builds the grammar and takes the
        # other files (the parent then never builds it)
        pool = ParsePool(max(1, min(size, len(others))))
    try:
        here = _parse_big_files_here(misses)
        misses = [job for job in misses if job.path not in here]
        use_pool = ((len(misses) >= MIN_FILES_FOR_POOL and size > 1) or (pool is not None and bool(misses))
                    or any(len(j.data) >= LARGE_FILE_BYTES for j in misses))
        from tfkms import logs

        logs.get("parse").info("parse cache: %d hit(s), %d file(s) to parse%s", len(jobs) - len(misses),
                               len(misses), f" in {size} worker process(es)" if use_pool else "")
        if use_pool:
            pool = pool or ParsePool(max(1, min(size, len(misses))))
            parsed = pool.run(misses, timeout)
        else:
            parsed = {job.path: _parse_job(job.path, job.display, job.data) for job in misses}
    finally:
        if own and pool is not None:
            pool.close()
    parsed.update(here)
    misses = [job for job in jobs if job.path in parsed]
    for job in misses:
        results[job.path] = parsed[job.path]
    if store:
        store_parsed(cache, misses, results)
    for job in jobs:
        outcome = results[job.path]
        if isinstance(outcome, SourceFile):
            if not outcome.text:  # shipped or cached without it; a file parsed here kept its own
                outcome.text = job.data.decode("utf-8")
            outcome.mtime_ns, outcome.size = job.mtime_ns, len(job.data)
    return results


def _parse_big_files_here(jobs: list[ParseJob]) -> dict[Path, SourceFile | InputProblem]:
    """Big `.tf` files of which Lark reads little (40,000 VPCs beside one key): parsed here, with no
    worker to start and nothing to ship back. The timeout guards Lark, and Lark reads only that
    little; a file whose share for Lark is big still goes to a timed worker."""
    from tfkms.config.block_scope import structure_for_lark

    out: dict[Path, SourceFile | InputProblem] = {}
    for job in jobs:
        if not _may_parse_here(job):
            continue
        try:
            text = decode(job.data, job.display)
        except InputFileError as exc:
            out[job.path] = exc.problem
            continue
        structure, for_lark = structure_for_lark(text)
        if structure is None or for_lark >= LARGE_FILE_BYTES:
            continue
        try:
            out[job.path] = parse_source(job.path, job.display, text, structure)
        except InputFileError as exc:
            out[job.path] = exc.problem
        except RecursionError:
            out[job.path] = InputProblem(job.display, None, None, "nesting too deep to parse")
    return out


def _may_parse_here(job: ParseJob) -> bool:
    """A big `.tf` file, which `_parse_big_files_here` may read in this process."""
    return len(job.data) >= LARGE_FILE_BYTES and job.path.name.endswith((".tf", ".tofu"))


def store_parsed(cache: ParseCache | None, jobs: list[ParseJob], results: dict[Path, SourceFile | InputProblem],
                 ) -> None:
    if cache is None:
        return
    for job in jobs:
        outcome = results.get(job.path)
        if isinstance(outcome, SourceFile) and not is_tfvars_file(job.path.name):
            cache.put(job.data, outcome)  # tfvars hold environment values, often secrets: never cached

