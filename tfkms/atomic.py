"""Atomic writes: temp file in the same directory (a name Terraform ignores), same mode bits
and owner, fsync, rename. A reader sees the old file or the new one, never half of either."""
from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tfkms.errors import TfkmsError

TEMP_PREFIX = ".tfkms-"
TEMP_SUFFIX = ".tmp"  # neither .tf nor .tf.json: Terraform never loads it
# A temp file's name carries its writer (pid and process start time): another run removes only
# the leftovers of writers that are gone, never a concurrent run's file in flight.
_WRITER = re.compile(re.escape(TEMP_PREFIX) + r"(\d+)-(\d+)-")


def _start_time(pid: int) -> int:
    """The process's start time (clock ticks since boot on Linux; 0 where /proc is missing)."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
        return int(stat_line.rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return 0


def _writer_prefix() -> str:
    pid = os.getpid()
    return f"{TEMP_PREFIX}{pid}-{_start_time(pid)}-"


def is_stale_temp(name: str) -> bool:
    """Whether a `.tfkms-*.tmp` file was left by a run that no longer exists."""
    match = _WRITER.match(name)
    if match is None:
        return True  # an older tfkms's name, or none of ours
    pid, started = int(match.group(1)), int(match.group(2))
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, someone else's
    return _start_time(pid) != started  # the pid was reused by another process


def _unchanged(path: Path, expect: bytes) -> None:
    """The file must still hold exactly the bytes tfkms read (content, not mtime: cp -p and
    rsync -t keep mtimes, and a same-size edit keeps the size)."""
    try:
        current = path.read_bytes()
    except OSError as exc:
        raise TfkmsError(f"{path}: cannot read it again before writing: {exc.strerror}") from None
    if current != expect:
        raise TfkmsError(f"{path}: changed since tfkms read it; nothing written (run again)")


def _default_mode() -> int:
    """mkstemp makes files 0600; a new file gets the mode the user's umask gives any file."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


@dataclass
class Staged:
    """New content fsynced to a temp file beside `path`, not yet renamed over it."""

    path: Path
    temp: str
    expect: bytes | None


def write_bytes_atomic(path: Path, data: bytes, expect: bytes | None = None) -> None:
    """Replace `path` with `data`; with `expect`, only if it still holds those bytes."""
    commit(stage_bytes(path, data, expect))


def stage_bytes(path: Path, data: bytes, expect: bytes | None = None) -> Staged:
    """Write `data` to a temp file in path's folder (same mode bits and owner, fsynced); with
    `expect`, only if the file still holds those bytes. `commit` renames it, `discard` removes it."""
    directory = path.parent
    try:
        current = path.stat() if path.exists() else None
    except OSError as exc:
        raise TfkmsError(f"{path}: cannot stat: {exc.strerror}") from None
    if expect is not None:
        _unchanged(path, expect)
    if current is not None:
        _may_replace(path, current)
    mode = stat.S_IMODE(current.st_mode) if current is not None else _default_mode()
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=_writer_prefix(), suffix=TEMP_SUFFIX, dir=directory)
    except OSError as exc:
        raise TfkmsError(f"{path}: cannot write in {directory}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        if current is not None:
            _keep_owner(path, tmp_name, current)
            _copy_xattrs(path, tmp_name)
    except BaseException as exc:  # Ctrl-C / SIGTERM too: never leave the temp file behind
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        if isinstance(exc, OSError):
            raise TfkmsError(f"{path}: cannot write: {exc.strerror}") from None
        raise
    return Staged(path, tmp_name, expect)


def _may_replace(path: Path, current: os.stat_result) -> None:
    """Replacing a file makes a new inode: refuse what that would silently change or what the user
    may not write (the directory's write bit alone lets anyone replace anyone's file)."""
    if current.st_nlink > 1:
        raise TfkmsError(f"{path}: has {current.st_nlink} hard links; replacing it would break them: "
                         "not written (write it in place by hand, or remove the other links)")
    if not os.access(path, os.W_OK):
        raise TfkmsError(f"{path}: you may not write it (owner uid {current.st_uid}, mode "
                         f"{stat.filemode(current.st_mode)}): not written")
    euid = os.geteuid() if hasattr(os, "geteuid") else None
    if euid not in (None, 0, current.st_uid):
        raise TfkmsError(f"{path}: owned by uid {current.st_uid}, not you (uid {euid}): replacing it would make "
                         "it yours; not written")


def _keep_owner(path: Path, tmp_name: str, current: os.stat_result) -> None:
    """The new file keeps the old one's owner and group (root patching a user's file on a bind
    mount must not make it root's); a chown that fails is a refusal, not a silent change."""
    if not hasattr(os, "chown"):
        return
    try:
        os.chown(tmp_name, current.st_uid, current.st_gid)
    except PermissionError:
        now = os.stat(tmp_name)
        if (now.st_uid, now.st_gid) != (current.st_uid, current.st_gid):
            raise TfkmsError(f"{path}: cannot keep its owner {current.st_uid}:{current.st_gid}; "
                             "not written") from None


def _copy_xattrs(path: Path, tmp_name: str) -> None:
    """Extended attributes (POSIX ACLs among them, system.posix_acl_*) move to the new file."""
    if not hasattr(os, "listxattr"):
        return
    try:
        names = os.listxattr(path)
    except OSError:
        return  # the file system keeps none
    for name in names:
        try:
            os.setxattr(tmp_name, name, os.getxattr(path, name))
        except OSError as exc:
            if name.startswith(("security.", "trusted.")):
                continue  # labels the kernel manages (SELinux) follow policy, not the file
            raise TfkmsError(f"{path}: cannot keep its extended attribute {name} ({exc.strerror}); "
                             "not written") from None


def discard(staged: Staged) -> None:
    with contextlib.suppress(OSError):
        os.unlink(staged.temp)


def check_unchanged(staged: Staged) -> None:
    """Raise (and remove the temp file) if the target changed since it was read."""
    if staged.expect is not None:
        try:
            _unchanged(staged.path, staged.expect)
        except TfkmsError:
            discard(staged)
            raise


def commit(staged: Staged) -> None:
    """Rename the temp file over the target (after one last check that the target is unchanged:
    an edit during the write wins), then make the rename durable."""
    check_unchanged(staged)
    try:
        os.replace(staged.temp, staged.path)
    except OSError as exc:
        discard(staged)
        raise TfkmsError(f"{staged.path}: cannot write: {exc.strerror}") from None
    try:  # make the rename itself durable
        dir_fd = os.open(staged.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))
