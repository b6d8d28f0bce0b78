"""Atomic writes: temp file in the same directory (a name Terraform ignores), same mode bits
and owner, fsync, rename. A reader sees the old file or the new one, never half of either.

The writer holds an exclusive flock on its temp file from creation until the rename or removal
(open file descriptions, so the lock holds across PID namespaces sharing the file system, and
the kernel drops it when the writer dies): another run removes a leftover only when that lock is
free, never a concurrent run's file in flight (see `remove_if_stale`)."""
from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tfkms.errors import TfkmsError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the writer named in the temp file's name is all there is
    fcntl = None  # type: ignore[assignment]

TEMP_PREFIX = ".tfkms-"
TEMP_SUFFIX = ".tmp"  # neither .tf nor .tf.json: Terraform never loads it
# A temp file's name carries its writer (pid and process start time): another run removes only
# the leftovers of writers that are gone, never a concurrent run's file in flight.
_WRITER = re.compile(re.escape(TEMP_PREFIX) + r"(\d+)-(\d+)-")
# A name without a writer comes from a tfkms older than the pid names, which took no lock either: only
# its age says it is not in flight. A temp file lives for one write, fsync and rename (a multi-file
# fix: a few of them), seconds even on a slow network mount; an hour is far past that, and a younger
# leftover costs nothing (Terraform ignores the name) until a later run removes it.
LEGACY_TEMP_AGE_S = 3600.0
_CREATE_ATTEMPTS = 3


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
    """Whether a `.tfkms-*.tmp` file was left by a run that no longer exists, by its name alone (no
    proof across PID namespaces or without start times: `remove_if_stale` checks its lock too)."""
    match = _WRITER.match(name)
    if match is None:
        return True  # an older tfkms's name, or none of ours
    pid, started = int(match.group(1)), int(match.group(2))
    if os.name == "nt":
        return False  # os.kill(pid, 0) would send that process a Ctrl-C: a live writer is assumed
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, someone else's
    return _start_time(pid) != started  # the pid was reused by another process


def _try_lock(fd: int) -> bool | None:
    """Take the exclusive lock without waiting: True taken, False someone holds it, None this
    system or file system has no flock."""
    if fcntl is None:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:  # ENOLCK, EINVAL: a file system without locks
        return None
    return True


def _same_file(fd: int, name: str | Path) -> bool:
    """Whether `name` still names the file open as `fd` (not removed, renamed or replaced)."""
    try:
        now, held = os.stat(name, follow_symlinks=False), os.fstat(fd)
    except OSError:
        return False
    return (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino)


def _open_for_probe(path: Path) -> int:
    """Open a leftover to test its lock: never through a symlink, never blocking on a FIFO; read-write
    where allowed (flock on NFS is a POSIX lock, which an exclusive lock needs a writable fd for)."""
    flags = (os.O_NOFOLLOW | os.O_NONBLOCK) if hasattr(os, "O_NOFOLLOW") else 0
    try:
        return os.open(path, os.O_RDWR | flags)
    except PermissionError:
        return os.open(path, os.O_RDONLY | flags)


def remove_if_stale(path: Path) -> bool:
    """Remove a `.tfkms-*.tmp` leftover if it is provably no live run's; whether it was removed.

    Proof is its lock being free (a writer holds it from creation to rename) and the writer its name
    names being gone; a name with no writer in it must also be older than LEGACY_TEMP_AGE_S. Where
    flock is missing (Windows) the name alone decides. The lock is held while the file is removed."""
    if fcntl is None:  # pragma: no cover - Windows, where an open file cannot be removed either
        try:
            found = os.stat(path, follow_symlinks=False)
            if stat.S_ISREG(found.st_mode) and _writer_gone(path.name, found.st_mtime):
                os.unlink(path)
                return True
        except OSError:
            pass
        return False
    try:
        fd = _open_for_probe(path)
    except OSError:
        return False  # gone already, a symlink, or not ours to open
    try:
        held = os.fstat(fd)
        if not stat.S_ISREG(held.st_mode) or _try_lock(fd) is False:
            return False  # not a file tfkms writes, or a writer holds it right now
        if not _writer_gone(path.name, held.st_mtime) or not _same_file(fd, path):
            return False  # (not the same file: renamed over its target meanwhile, or replaced)
        os.unlink(path)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _writer_gone(name: str, mtime: float) -> bool:
    if _WRITER.match(name) is not None:
        return is_stale_temp(name)
    return time.time() - mtime > LEGACY_TEMP_AGE_S  # an old-style name: see LEGACY_TEMP_AGE_S


def _create_locked(directory: Path) -> tuple[int, str]:
    """A new temp file, open and (where the system can) locked: its descriptor and name.

    Between mkstemp and flock the file exists unlocked: a cleaner that cannot see this process (another
    PID namespace) may take it in that instant. Then the lock is held or the name is gone, and a new
    file is made: what this returns is locked and still named."""
    for _ in range(_CREATE_ATTEMPTS):
        fd, name = _mkstemp(directory)
        locked = _try_lock(fd)
        if locked is not False and _same_file(fd, name):
            return fd, name
        if locked is False:  # a cleaner holds it: it may remove it or not; the file is abandoned either way
            with contextlib.suppress(OSError):
                os.unlink(name)
        os.close(fd)
    raise OSError(errno.EAGAIN, f"its temp files were removed as they were made ({_CREATE_ATTEMPTS} times)")


def _mkstemp(directory: Path) -> tuple[int, str]:
    try:
        return tempfile.mkstemp(prefix=_writer_prefix(), suffix=TEMP_SUFFIX, dir=directory)
    except OSError as exc:
        # One fix may stage many files before renaming any, each held open for its lock: past the
        # soft limit on open files (256 on macOS), raise it to the hard one and try once more.
        if exc.errno != errno.EMFILE or not _raise_open_file_limit():
            raise
    return tempfile.mkstemp(prefix=_writer_prefix(), suffix=TEMP_SUFFIX, dir=directory)


def _raise_open_file_limit() -> bool:
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return False
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # macOS refuses RLIM_INFINITY for this limit: its kernel cap (OPEN_MAX) is 10240
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 10240)
    if wanted <= soft:
        return False
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    except (ValueError, OSError):
        return False
    return True


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
    """New content fsynced to a temp file beside `path`, not yet renamed over it; `fd` is the temp
    file kept open (and locked) until `commit` or `discard`, None once released."""

    path: Path
    temp: str
    expect: bytes | None
    fd: int | None = None


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
        fd, tmp_name = _create_locked(directory)
    except OSError as exc:
        raise TfkmsError(f"{path}: cannot write in {directory}: {exc.strerror}") from None
    staged = Staged(path, tmp_name, expect, fd)
    try:
        with os.fdopen(fd, "wb", closefd=False) as handle:  # the descriptor stays open: it holds the lock
            handle.write(data)
            handle.flush()
            os.fsync(fd)
        os.chmod(tmp_name, mode)
        if current is not None:
            _keep_owner(path, tmp_name, current)
            _copy_xattrs(path, tmp_name)
    except BaseException as exc:  # Ctrl-C / SIGTERM too: never leave the temp file behind
        discard(staged)
        if isinstance(exc, OSError):
            raise TfkmsError(f"{path}: cannot write: {exc.strerror}") from None
        raise
    if fcntl is None:  # pragma: no cover - Windows: no lock to hold, and an open file cannot be renamed there
        _release(staged)
    return staged


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


def _release(staged: Staged) -> None:
    """Close the temp file (dropping its lock): after it is renamed or removed, never before."""
    if staged.fd is not None:
        with contextlib.suppress(OSError):
            os.close(staged.fd)
        staged.fd = None


def discard(staged: Staged) -> None:
    with contextlib.suppress(OSError):
        os.unlink(staged.temp)
    _release(staged)


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
    _release(staged)
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
