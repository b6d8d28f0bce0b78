"""Issue 18: a leftover `.tfkms-*.tmp` is removed only when it is provably no live run's.

The pid and start time in a temp file's name prove nothing across PID namespaces (containers sharing
a bind-mounted checkout), on macOS (no start time), or for an older tfkms's names. The writer holds
an flock on its temp file until the rename; the cleaner removes a file only when it can take that
lock and the writer in the name is gone (an old-style name: when it is also old). Every writer and
second run here is a real process.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hardening_support import LOCK_1230, cli_env, key_tf, migrated_key, run_cli, tfstate

import tfkms
import tfkms.atomic as atomic
from tfkms.atomic import LEGACY_TEMP_AGE_S, TEMP_PREFIX, TEMP_SUFFIX, commit, stage_bytes
from tfkms.patch.apply import remove_stale_temp_files

pytestmark = pytest.mark.skipif(atomic.fcntl is None, reason="no flock on this system: the pid rule alone")

# pid_max is at most 2**22 on Linux: this pid exists in no namespace here, as a writer in another
# container's namespace looks from this one.
FOREIGN_PID = 999_999_999
SRC = str(Path(tfkms.__file__).resolve().parents[1])

# A writer in a process of its own. "stage": tfkms stages main.tf (its own pid in the name) and commits
# when told. "hold NAME": a writer whose name this namespace cannot check: it creates NAME and locks it
# as tfkms does. Either prints the temp file's path, then waits for a line on stdin.
WRITER = """
import fcntl, os, sys
from pathlib import Path
import tfkms.atomic as atomic
mode, where = sys.argv[1], Path(sys.argv[2])
if mode == "stage":
    staged = atomic.stage_bytes(where / "main.tf", b"from the first run\\n")
    name = staged.temp
else:
    name = str(where)
    fd = os.open(name, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
print(name, flush=True)
sys.stdin.readline()
if mode == "stage":
    atomic.commit(staged)
print("done", flush=True)
"""

CLEANER = "import sys; from pathlib import Path; from tfkms.patch.apply import remove_stale_temp_files; " \
          "remove_stale_temp_files({Path(sys.argv[1])})"


class Writer:
    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", WRITER, *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": SRC})
        assert self.proc.stdout is not None
        self.temp = Path(self.proc.stdout.readline().strip())
        assert self.temp.name.startswith(TEMP_PREFIX), self.temp

    def finish(self) -> str:
        out, _ = self.proc.communicate("go\n", timeout=60)
        assert self.proc.returncode == 0, out
        return out

    def kill(self) -> None:  # SIGKILL: no handler, no clean-up; the kernel drops the lock
        self.proc.send_signal(signal.SIGKILL)
        self.proc.communicate(timeout=60)


def _second_process_cleans(directory: Path) -> None:
    done = subprocess.run([sys.executable, "-c", CLEANER, str(directory)], env={**os.environ, "PYTHONPATH": SRC},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def _age(path: Path, seconds: float) -> None:
    old = path.stat().st_mtime - seconds
    os.utime(path, (old, old))


def test_a_live_writers_temp_file_stays_and_its_rename_succeeds(tmp_path: Path) -> None:
    writer = Writer("stage", str(tmp_path))
    try:
        remove_stale_temp_files({tmp_path})
        assert writer.temp.exists()
    finally:
        writer.finish()
    assert (tmp_path / "main.tf").read_bytes() == b"from the first run\n" and not writer.temp.exists()


def test_a_writer_whose_pid_this_namespace_cannot_see_keeps_its_file_until_it_dies(tmp_path: Path) -> None:
    """The name says a pid that does not exist here; the lock says the writer is alive."""
    name = tmp_path / f"{TEMP_PREFIX}{FOREIGN_PID}-1-abcd1234{TEMP_SUFFIX}"
    writer = Writer("hold", str(name))
    try:
        remove_stale_temp_files({tmp_path})
        _second_process_cleans(tmp_path)
        assert name.exists(), "a live writer's temp file was removed"
    finally:
        writer.kill()
    remove_stale_temp_files({tmp_path})  # the writer is gone now: its leftover is litter
    assert not name.exists()


def test_a_run_in_another_namespace_does_not_break_this_runs_rename(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """This process stages under a name whose pid the second process cannot see (as from another
    container); the second process cleans the folder; the rename still lands."""
    monkeypatch.setattr(atomic, "_writer_prefix", lambda: f"{TEMP_PREFIX}{FOREIGN_PID}-1-")
    staged = stage_bytes(tmp_path / "main.tf", b"mine\n")
    assert Path(staged.temp).name.startswith(f"{TEMP_PREFIX}{FOREIGN_PID}-")
    _second_process_cleans(tmp_path)
    commit(staged)
    assert (tmp_path / "main.tf").read_bytes() == b"mine\n"
    assert not list(tmp_path.glob(f"{TEMP_PREFIX}*"))


def test_a_second_tfkms_fix_leaves_a_concurrent_runs_temp_file(tmp_path: Path) -> None:
    """Two tfkms in one checkout (the first in another container): the second's `fix --write`
    writes its fix and leaves the first one's temp file alone; dead, the first's is removed."""
    root = tmp_path / "repo"
    root.mkdir()
    (root / "main.tf").write_text(key_tf("k"))
    (root / ".terraform.lock.hcl").write_text(LOCK_1230)
    state = tmp_path / "s.tfstate"
    state.write_text(tfstate([migrated_key("k")]))
    in_flight = root / f"{TEMP_PREFIX}{FOREIGN_PID}-1-x1y2z3w4{TEMP_SUFFIX}"
    writer = Writer("hold", str(in_flight))
    env = cli_env(tmp_path / "cache")
    try:
        done = run_cli("fix", str(root), "--state", str(state), "--write", cwd=tmp_path, env=env)
        assert done.returncode == 0, done.describe()
        assert "dkms_instance_id" in (root / "main.tf").read_text()
        assert in_flight.exists(), "the second run removed the first run's temp file"
    finally:
        writer.kill()
    (root / "main.tf").write_text(key_tf("k"))
    again = run_cli("fix", str(root), "--state", str(state), "--write", cwd=tmp_path, env=env)
    assert again.returncode == 0, again.describe()
    assert not in_flight.exists()


def test_an_old_style_name_is_removed_only_when_unlocked_and_old(tmp_path: Path) -> None:
    """An older tfkms named its temp files without a writer and took no lock: only age proves one stale."""
    fresh = tmp_path / f"{TEMP_PREFIX}fresh123{TEMP_SUFFIX}"
    fresh.write_text("an older tfkms, maybe writing right now")
    old = tmp_path / f"{TEMP_PREFIX}old12345{TEMP_SUFFIX}"
    old.write_text("litter")
    _age(old, 2 * LEGACY_TEMP_AGE_S)
    held = tmp_path / f"{TEMP_PREFIX}held1234{TEMP_SUFFIX}"
    writer = Writer("hold", str(held))
    try:
        _age(held, 2 * LEGACY_TEMP_AGE_S)
        remove_stale_temp_files({tmp_path})
        assert fresh.exists() and held.exists() and not old.exists()
    finally:
        writer.kill()
    remove_stale_temp_files({tmp_path})
    assert fresh.exists() and not held.exists()


def test_a_leftover_that_is_no_regular_file_is_left_alone(tmp_path: Path) -> None:
    """tfkms writes regular files: a FIFO or a symlink by that name is not its litter (and never blocks it)."""
    target = tmp_path / "elsewhere.txt"
    target.write_text("not tfkms's")
    link = tmp_path / f"{TEMP_PREFIX}{FOREIGN_PID}-1-link0000{TEMP_SUFFIX}"
    link.symlink_to(target)
    fifo = tmp_path / f"{TEMP_PREFIX}{FOREIGN_PID}-1-fifo0000{TEMP_SUFFIX}"
    os.mkfifo(fifo)
    dead = tmp_path / f"{TEMP_PREFIX}{FOREIGN_PID}-1-dead0000{TEMP_SUFFIX}"
    dead.write_text("litter")
    remove_stale_temp_files({tmp_path})
    assert link.is_symlink() and fifo.exists() and target.read_text() == "not tfkms's" and not dead.exists()


def test_a_temp_file_taken_before_its_writer_locked_it_is_replaced(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Between mkstemp and flock a cleaner in another namespace may remove the new file: the writer
    notices (its name no longer names its file) and makes another, so its rename still lands."""
    real_mkstemp = atomic._mkstemp
    taken: list[str] = []

    def cleaner_strikes_first(directory: Path) -> tuple[int, str]:
        fd, name = real_mkstemp(directory)
        if not taken:
            os.unlink(name)
            taken.append(name)
        return fd, name

    monkeypatch.setattr(atomic, "_mkstemp", cleaner_strikes_first)
    staged = stage_bytes(tmp_path / "main.tf", b"landed\n")
    assert taken and staged.temp != taken[0] and Path(staged.temp).exists()
    commit(staged)
    assert (tmp_path / "main.tf").read_bytes() == b"landed\n"


MANY_STAGED = """
import resource, sys
from pathlib import Path
from tfkms.atomic import commit, stage_bytes
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))
where = Path(sys.argv[1])
staged = [stage_bytes(where / f"f{i}.tf", b"x\\n") for i in range(150)]  # each held open (and locked)
for item in staged:
    commit(item)
print(resource.getrlimit(resource.RLIMIT_NOFILE)[0] > 64)
"""


def test_a_fix_staging_more_files_than_the_open_file_limit_still_writes(tmp_path: Path) -> None:
    """Every staged file stays open for its lock: a big all-or-nothing fix past a low soft limit
    (macOS: 256) raises it to the hard limit instead of failing."""
    resource = pytest.importorskip("resource")
    if resource.getrlimit(resource.RLIMIT_NOFILE)[1] <= 256:
        pytest.skip("the hard limit leaves no room")
    done = subprocess.run([sys.executable, "-c", MANY_STAGED, str(tmp_path)], env={**os.environ, "PYTHONPATH": SRC},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "True", done.stderr
    assert len(list(tmp_path.glob("f*.tf"))) == 150 and not list(tmp_path.glob(f"{TEMP_PREFIX}*"))
