"""Issue 14: replacing a file must not change what the user did not ask to change, or write what
the user may not write: owners, hard links, extended attributes; concurrent runs and Ctrl-C leave
no temp file of theirs behind, and never remove another run's."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hardening_support import LOCK_1230, key_tf, migrated_key, tfstate

from tfkms.atomic import (
    LEGACY_TEMP_AGE_S,
    TEMP_PREFIX,
    TEMP_SUFFIX,
    discard,
    is_stale_temp,
    stage_bytes,
    write_bytes_atomic,
)
from tfkms.errors import TfkmsError
from tfkms.patch.apply import remove_stale_temp_files

ROOT_ONLY = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                               reason="needs root to act as another user")


def _repo(path: Path) -> tuple[Path, Path]:
    path.mkdir(parents=True, exist_ok=True)
    (path / ".terraform.lock.hcl").write_text(LOCK_1230)
    (path / "main.tf").write_text(key_tf("app"))
    state = path.parent / "s.tfstate"
    state.write_text(tfstate([migrated_key("app")]))
    return path, state


def _fix(root: Path, state: Path, user: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(root.parent / "cache"), "HOME": str(root.parent)}
    return subprocess.run([sys.executable, "-m", "tfkms", "fix", str(root), "--state", str(state), "--write",
                           "--no-cache"], capture_output=True, text=True, timeout=120, env=env, user=user,
                          check=False, cwd=root.parent)


def test_a_hard_linked_file_is_refused_and_both_names_stay(tmp_path: Path) -> None:
    root, state = _repo(tmp_path / "repo")
    other = tmp_path / "elsewhere.tf"
    os.link(root / "main.tf", other)
    before = other.read_bytes()
    run = _fix(root, state)
    assert run.returncode == 1 and "hard link" in run.stderr, run.stdout + run.stderr
    assert other.read_bytes() == before == (root / "main.tf").read_bytes()
    assert os.stat(other).st_ino == os.stat(root / "main.tf").st_ino


def test_extended_attributes_survive_the_replace(tmp_path: Path) -> None:
    target = tmp_path / "main.tf"
    target.write_text("a\n")
    try:
        os.setxattr(target, "user.owner-team", b"payments")
    except OSError:
        pytest.skip("no user xattrs on this file system")
    write_bytes_atomic(target, b"b\n", expect=b"a\n")
    assert target.read_bytes() == b"b\n"
    assert os.getxattr(target, "user.owner-team") == b"payments"


def test_ctrl_c_while_writing_leaves_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "main.tf"
    target.write_text("a\n")

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        stage_bytes(target, b"b\n", expect=b"a\n")
    assert list(tmp_path.iterdir()) == [target] and target.read_bytes() == b"a\n"


def test_a_concurrent_runs_temp_file_is_not_removed_but_a_dead_runs_is(tmp_path: Path) -> None:
    staged = stage_bytes(tmp_path / "main.tf", b"x\n")  # this process: alive, in flight
    ours = Path(staged.temp)
    dead = tmp_path / f"{TEMP_PREFIX}999999999-1-abc{TEMP_SUFFIX}"
    legacy = tmp_path / f"{TEMP_PREFIX}abc{TEMP_SUFFIX}"
    for leftover in (dead, legacy):
        leftover.write_text("litter")
    old = os.stat(legacy).st_mtime - 2 * LEGACY_TEMP_AGE_S  # an older tfkms's name: only its age proves it stale
    os.utime(legacy, (old, old))
    assert not is_stale_temp(ours.name) and is_stale_temp(dead.name)
    remove_stale_temp_files({tmp_path})
    assert ours.exists() and not dead.exists() and not legacy.exists()
    discard(staged)


def _as_nobody(action) -> int:  # type: ignore[no-untyped-def]
    """Run `action` in a forked child as uid/gid 65534 (modules already loaded: nothing to exec);
    the exit code says what happened: 0 refused with TfkmsError, 1 written, 2 anything else."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 2
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            action()
            code = 1
        except TfkmsError:
            code = 0
        except BaseException:  # noqa: BLE001
            code = 2
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@ROOT_ONLY
@pytest.mark.parametrize("mode", [0o644, 0o666])
def test_another_users_file_is_not_taken_over(mode: int) -> None:
    """As an ordinary user in a folder anyone may write, a file owned by someone else is refused,
    read-only (0644) or not (0666): replacing it would hand it to the user running tfkms."""
    shared = Path(tempfile.mkdtemp(prefix="tfkms-perms-", dir="/tmp"))
    try:
        os.chmod(shared, 0o777)
        target = shared / "main.tf"
        target.write_text("a\n")
        os.chmod(target, mode)
        assert _as_nobody(lambda: write_bytes_atomic(target, b"b\n", expect=b"a\n")) == 0
        assert target.read_bytes() == b"a\n" and os.stat(target).st_uid == 0
        assert not list(shared.glob(f"{TEMP_PREFIX}*"))
    finally:
        subprocess.run(["rm", "-rf", str(shared)], check=False)


def test_stage_refuses_a_hard_link_directly(tmp_path: Path) -> None:
    target = tmp_path / "a.tf"
    target.write_text("a\n")
    os.link(target, tmp_path / "b.tf")
    with pytest.raises(TfkmsError, match="hard links"):
        stage_bytes(target, b"b\n")
