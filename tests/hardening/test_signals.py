"""Signals (issue 14, "Signals and hangs"): SIGTERM, SIGHUP or SIGKILL to tfkms while its parse workers
run must not leave a worker behind, nor a pipe that never reaches EOF (a CI log streamer, `| tee`).

Each run is `python -m tfkms check TREE` in a session of its own, with stdout and stderr piped. The
test waits (bounded) for the parse workers to appear as children, signals tfkms, then asserts that
both pipes reach EOF within a bound and that no process of the session remains (read from /proc).
Whatever happens, the session is SIGKILLed at the end: a failing test never leaks processes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bench_modules import load_bench
from hardening_support import cli_env

import tfkms

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists() or not hasattr(os, "fork"),
                                reason="reads processes from /proc; parse workers are forked")

START_BOUND_S = 20.0  # for the workers to appear (a loaded machine starts Python slowly)
EXIT_BOUND_S = 5.0  # for EOF on both pipes and for every process of the run to be gone


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tree big enough that tfkms starts its parse pool early (EARLY_POOL_DIRS) and keeps it busy."""
    out = tmp_path_factory.mktemp("signals") / "tree"
    load_bench("gen_monorepo").main([str(out), "--stacks", "600", "--seed", "3"])  # busy well past the signal
    return out


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name: [state, ppid, pgrp, session, ...]."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def _alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")  # a zombie has exited (its reaper may be slow)


def _session(sid: int) -> list[int]:
    """Live processes of session `sid` (the tfkms run and everything it started)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None and fields[3] == str(sid) and fields[0] not in ("Z", "X"):
                found.append(int(entry))
    return found


def _children(pid: int) -> list[int]:
    return [p for p in _session(pid) if p != pid and (_stat(p) or ["", ""])[1] == str(pid)]


def _run_and_signal(tree: Path, tmp_path: Path, signum: int, group: bool = False,
                    ) -> tuple[subprocess.Popen, list[int], str, str]:
    """Start tfkms, wait for its parse workers, send `signum` (to its whole process group if `group`);
    (process, worker pids, stdout, stderr)."""
    env = cli_env(tmp_path / "cache", PYTHONPATH=str(Path(tfkms.__file__).resolve().parents[1]))
    proc = subprocess.Popen([sys.executable, "-m", "tfkms", "check", str(tree), "--no-cache"], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            text=True, errors="replace")
    try:
        limit = time.monotonic() + START_BOUND_S
        workers: list[int] = []
        while not workers and time.monotonic() < limit and proc.poll() is None:
            workers = _children(proc.pid)
            time.sleep(0.02)
        if not workers:
            pytest.fail(f"no parse worker appeared within {START_BOUND_S:.0f} s (exit {proc.poll()})")
        time.sleep(0.3)  # let the workers get going: the parent is reading files, they warm up or parse
        assert proc.poll() is None, "tfkms finished before it could be signalled: make the tree bigger"
        (os.killpg if group else os.kill)(proc.pid, signum)
        try:
            out, err = proc.communicate(timeout=EXIT_BOUND_S)  # returns at EOF on both pipes and exit
        except subprocess.TimeoutExpired:
            left = [p for p in workers if _alive(p)]
            pytest.fail(f"after {signal.Signals(signum).name}, the pipes stayed open for {EXIT_BOUND_S:.0f} s "
                        f"(tfkms alive: {proc.poll() is None}; workers alive: {left})")
        limit = time.monotonic() + EXIT_BOUND_S
        while time.monotonic() < limit and (_session(proc.pid) or any(_alive(p) for p in workers)):
            time.sleep(0.05)
        assert not [p for p in workers if _alive(p)], "parse workers outlived tfkms"
        assert not _session(proc.pid), "processes of the run remain"
        return proc, workers, out, err
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        for pid in _session(proc.pid):  # only processes of the session this test started
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.kill()
        proc.communicate()


@pytest.mark.parametrize(("signum", "group"), [(signal.SIGTERM, False), (signal.SIGHUP, False),
                                             (signal.SIGTERM, True), (signal.SIGINT, True)],
                         ids=["SIGTERM", "SIGHUP", "SIGTERM-to-group", "SIGINT-to-group"])
def test_sigterm_and_sighup_end_tfkms_and_its_workers_with_one_line(
        tree: Path, tmp_path: Path, signum: signal.Signals, group: bool) -> None:
    """To tfkms alone (a supervisor) or to its process group (CI cancelling a job, a closed terminal)."""
    proc, workers, out, err = _run_and_signal(tree, tmp_path, signum, group)
    assert workers
    assert proc.returncode in (1, 128 + signum), (proc.returncode, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tfkms: ") and "Traceback" not in err, err


def test_sigkill_of_tfkms_takes_its_workers_with_it(tree: Path, tmp_path: Path) -> None:
    """No handler runs on SIGKILL: the workers notice by themselves (PR_SET_PDEATHSIG, a watchdog)."""
    proc, workers, _, _ = _run_and_signal(tree, tmp_path, signal.SIGKILL)
    assert workers and proc.returncode == -signal.SIGKILL
