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

from tfkms.config.discover import is_tfvars_file
from tfkms.config.files import decode, parse_source
from tfkms.config.syntax import SourceFile
from tfkms.errors import InputFileError, InputProblem

PARSE_TIMEOUT_S = 10.0
MIN_FILES_FOR_POOL = 24  # below this, starting processes costs more than it saves
LARGE_FILE_BYTES = 256 * 1024  # a file this big goes to a worker anyway: only a worker can be timed out
# Part of the cache key: raise it when the pickled syntax classes change shape, so entries
# written by an older layout are never loaded (2: every HCL Expr carries its `reparse`).
CACHE_FORMAT = 3


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


def _worker(conn: Connection) -> None:
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
        self.workers: list[tuple[BaseProcess, Connection]] = [self._start() for _ in range(size)]

    def _start(self) -> tuple[BaseProcess, Connection]:
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=_worker, args=(child,), daemon=True)
        proc.start()
        child.close()
        return proc, parent

    def run(self, jobs: list[ParseJob], timeout: float) -> dict[Path, SourceFile | InputProblem]:
        self.used = True
        results: dict[Path, SourceFile | InputProblem] = {}
        pending = list(reversed(jobs))
        busy: dict[int, tuple[ParseJob, float]] = {}  # worker index -> job, start time
        while pending or busy:
            for i, (_, conn) in enumerate(self.workers):
                if i not in busy and pending:
                    job = pending.pop()
                    conn.send((job.path, job.display, job.data))
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
        for proc, _ in self.workers:
            proc.join(timeout=1)
            if proc.is_alive():
                proc.kill()


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


class ParseCache:
    """Parsed files by content hash, in the user's cache directory (private, atomic writes).

    Keyed by tfkms and python-hcl2 versions. Entries hold no file text and no sensitive
    argument values (they are dropped at parse time)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def default(cls) -> ParseCache:
        import importlib.metadata

        from tfkms import __version__

        try:
            hcl2_version = importlib.metadata.version("python-hcl2")
        except importlib.metadata.PackageNotFoundError:
            hcl2_version = "unknown"
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        return cls(base / "tfkms" / f"parse-{__version__}-f{CACHE_FORMAT}-hcl2-{hcl2_version}")

    def _path(self, data: bytes) -> Path:
        import hashlib

        digest = hashlib.sha256(data).hexdigest()
        return self.directory / digest[:2] / f"{digest}.pickle"

    def _trusted(self) -> bool:
        """Pickles execute code when loaded: only read a cache that is this user's alone."""
        try:
            st = self.directory.stat()
        except OSError:
            return False
        return (not hasattr(os, "getuid") or st.st_uid == os.getuid()) and not st.st_mode & 0o022

    def get(self, data: bytes) -> SourceFile | None:
        import hashlib

        path = self._path(data)
        try:
            blob = path.read_bytes()
        except OSError:
            return None
        digest, payload = blob[:32], blob[32:]
        if not self._trusted() or hashlib.sha256(payload).digest() != digest:
            self._discard(path)  # bit rot or a torn write: a miss, replaced on this run
            return None
        try:
            value = pickle.loads(payload)
        except Exception:  # noqa: BLE001 - whatever a damaged entry raises, it is only a miss
            self._discard(path)
            return None
        return value if isinstance(value, SourceFile) else None

    @staticmethod
    def _discard(path: Path) -> None:
        with contextlib.suppress(OSError):
            path.unlink()

    def put(self, data: bytes, source: SourceFile) -> None:
        import tempfile

        target = self._path(data)
        if target.exists():  # content-addressed: an entry never changes
            return
        text, source.text = source.text, ""
        try:
            for folder in (self.directory.parent, self.directory, target.parent):
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)  # private: only this user reads it
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            try:
                import hashlib

                payload = pickle.dumps(source, protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(fd, "wb") as handle:  # a checksum first: damage is detected, not loaded
                    handle.write(hashlib.sha256(payload).digest() + payload)
                os.replace(tmp, target)
            except BaseException:
                os.unlink(tmp)
                raise
        except (OSError, RecursionError, pickle.PicklingError):
            pass  # a cache that cannot be written is just a slower run
        finally:
            source.text = text
