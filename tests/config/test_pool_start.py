"""Issue 18: the parse pool's start method and per-file clock.

Workers are forked only where that is safe (Linux, no other thread alive), spawned elsewhere, and a
spawned worker parses exactly like an in-process parse and still dies with its parent. A file's
timeout counts from when its worker begins it, so a worker's slow start-up is never charged to it;
a worker that never gets ready is bounded all the same.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import pytest

import tfkms
from tfkms.config.parallel import (
    ParseJob,
    ParsePool,
    _parse_job,
    choose_start_method,
    parse_files,
    warm_up_grammar,
)
from tfkms.config.syntax import SourceFile
from tfkms.errors import InputProblem

SLOW_WARM_UP_S = 3.0  # a worker's start-up, made slow on purpose
TIGHT_TIMEOUT_S = 1.0  # far below SLOW_WARM_UP_S, far above parsing one small file

GOOD = [
    'resource "alicloud_kms_key" "k%d" {\n  description = "key %d"\n  pending_window_in_days = 7\n}\n',
    'variable "v%d" {\n  default = %d\n}\nlocals {\n  x = [for i in range(3) : i * 2]\n}\n',
    'module "m%d" {\n  source = "./mod"\n  n      = %d\n}\n',
]
BROKEN = 'resource "alicloud_kms_key" "bad" {\n  description = \n'


def slow_warm_up() -> None:
    """A worker start-up that takes SLOW_WARM_UP_S (module level: a spawned worker imports it)."""
    time.sleep(SLOW_WARM_UP_S)
    warm_up_grammar()


def never_ready() -> None:
    time.sleep(3600)


def _jobs(base: Path, n: int, broken: bool = False) -> list[ParseJob]:
    jobs = []
    for i in range(n):
        path = base / f"f{i:02d}.tf"
        path.write_text(GOOD[i % len(GOOD)] % (i, i))
        jobs.append(ParseJob(path, path.name, path.read_bytes(), 0))
    if broken:
        path = base / "broken.tf"
        path.write_text(BROKEN)
        jobs.append(ParseJob(path, path.name, path.read_bytes(), 0))
    return jobs


def _shape(outcome: SourceFile | InputProblem) -> object:
    """What a parse found, comparable across processes."""
    if isinstance(outcome, InputProblem):
        return ("problem", outcome.file, outcome.line)
    return [(b.type, b.labels, b.line, b.end_line, sorted(b.attributes), len(b.blocks)) for b in outcome.blocks]


# ---------------------------------------------------------------- which start method


@pytest.mark.parametrize(("platform", "threads", "expected"), [
    ("linux", 1, "fork"),
    ("linux", 2, "spawn"),  # threads alive: fork may deadlock the child (Python 3.12 warns)
    ("linux", 9, "spawn"),
    ("darwin", 1, "spawn"),  # fork is unsafe with macOS system libraries
    ("win32", 1, "spawn"),
])
def test_start_method_is_fork_only_when_safe(platform: str, threads: int, expected: str) -> None:
    if expected == "fork" and not hasattr(os, "fork"):
        pytest.skip("this system cannot fork")
    assert choose_start_method(platform, threads) == expected


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the choice only matters where fork exists")
def test_a_live_thread_makes_the_pool_spawn_and_it_still_parses(tmp_path: Path) -> None:
    """A thread alive when the pool starts (a live listing, an embedding program): no worker is
    forked, so Python 3.12+'s "multi-threaded, use of fork() may lead to deadlocks" never fires."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="test-busy-thread")
    thread.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)
            pool = ParsePool(2)
            try:
                results = pool.run(_jobs(tmp_path, 4), timeout=60)
            finally:
                pool.close()
    finally:
        stop.set()
        thread.join()
    assert pool.started_with == ["spawn", "spawn"]
    assert all(isinstance(r, SourceFile) and r.blocks for r in results.values()), results


def test_spawned_workers_parse_like_the_parent(tmp_path: Path) -> None:
    """Nothing a worker needs comes from inherited memory: spawned, it finds the same as an in-process parse."""
    jobs = _jobs(tmp_path, 30, broken=True)
    pool = ParsePool(2, start_method="spawn")
    try:
        pooled = parse_files(jobs, cache=None, workers=2, pool=pool)
    finally:
        pool.close()
    assert pool.started_with == ["spawn", "spawn"] and pool.used
    expected = {job.path: _shape(_parse_job(job.path, job.display, job.data)) for job in jobs}
    assert {path: _shape(outcome) for path, outcome in pooled.items()} == expected
    assert isinstance(pooled[tmp_path / "broken.tf"], InputProblem)
    assert all(isinstance(pooled[job.path], SourceFile) for job in jobs[:-1])


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
def test_spawned_workers_die_with_their_parent(tmp_path: Path) -> None:
    """_bind_to_parent works in a spawned worker: SIGKILL the parent, its workers go too."""
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from tfkms.config.parallel import ParseJob, ParsePool\n"
        "pool = ParsePool(2, start_method='spawn')\n"
        "jobs = [ParseJob(Path(f'/x{i}.tf'), f'x{i}.tf', b'locals {\\n  a = 1\\n}\\n', 0) for i in range(4)]\n"
        "pool.run(jobs, timeout=60)\n"  # both workers are up and bound by now
        "print(' '.join(str(proc.pid) for proc, _ in pool.workers), flush=True)\n"
        "time.sleep(600)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(tfkms.__file__).resolve().parents[1])}
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env,
                              start_new_session=True)
    workers: list[int] = []
    try:
        assert parent.stdout is not None
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(workers) == 2 and all(_alive(pid) for pid in workers)
        parent.kill()
        parent.wait()
        limit = time.monotonic() + 30  # a bound on waiting, not a speed assertion
        while time.monotonic() < limit and any(_alive(pid) for pid in workers):
            time.sleep(0.05)
        assert not [pid for pid in workers if _alive(pid)], "spawned workers outlived their parent"
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(parent.pid, signal.SIGKILL)
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        parent.kill()
        parent.communicate()


def _alive(pid: int) -> bool:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return text[text.rindex(")") + 2:].split()[0] not in ("Z", "X")  # a zombie has exited


# ---------------------------------------------------------------- the per-file clock


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_a_slow_worker_start_up_is_not_charged_to_its_file(tmp_path: Path, start_method: str) -> None:
    """Workers that take SLOW_WARM_UP_S to start, files with a TIGHT_TIMEOUT_S limit: every file is
    parsed. (Timed from when it was sent, the first file of each worker would be skipped.)"""
    if start_method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {start_method} here")
    pool = ParsePool(2, start_method=start_method, warm_up=slow_warm_up)
    try:
        results = pool.run(_jobs(tmp_path, 6), timeout=TIGHT_TIMEOUT_S)
    finally:
        pool.close()
    assert len(results) == 6
    assert all(isinstance(r, SourceFile) and r.blocks for r in results.values()), results


def test_a_worker_that_never_gets_ready_does_not_stall_the_run(tmp_path: Path) -> None:
    """Past the separate start-up bound the file is skipped like a file that took too long, and the run ends."""
    pool = ParsePool(1, warm_up=never_ready, ready_timeout=1.0)
    try:
        results = pool.run(_jobs(tmp_path, 2), timeout=0.5)
    finally:
        pool.close()
    assert sorted(results) == [tmp_path / "f00.tf", tmp_path / "f01.tf"]
    for outcome in results.values():
        assert isinstance(outcome, InputProblem) and "took longer" in outcome.message, outcome


def test_a_replaced_workers_start_up_is_not_charged_to_the_next_file(tmp_path: Path) -> None:
    """The case of the issue: a file too slow to parse kills its worker; the next file goes to the
    replacement, still starting up. Only the slow file is skipped."""
    huge = tmp_path / "huge.tf"  # parses for many seconds: far past TIGHT_TIMEOUT_S
    huge.write_text("".join(f'resource "alicloud_kms_key" "h{i}" {{\n  description = "{i}"\n}}\n'
                            for i in range(40_000)))
    jobs = [ParseJob(huge, huge.name, huge.read_bytes(), 0), *_jobs(tmp_path, 2)]
    pool = ParsePool(1, warm_up=slow_warm_up)
    try:
        results = pool.run(jobs, timeout=TIGHT_TIMEOUT_S)
    finally:
        pool.close()
    assert len(pool.started_with) == 2, "the slow file's worker was replaced once"
    outcome = results[huge]
    assert isinstance(outcome, InputProblem) and "took longer" in outcome.message, outcome
    assert all(isinstance(results[job.path], SourceFile) for job in jobs[1:]), results
