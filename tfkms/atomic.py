"""Atomic writes: temp file in the same directory (a name Terraform ignores), same mode bits
and owner, fsync, rename. A reader sees the old file or the new one, never half of either."""
from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from tfkms.errors import TfkmsError

TEMP_PREFIX = ".tfkms-"
TEMP_SUFFIX = ".tmp"  # neither .tf nor .tf.json: Terraform never loads it


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


def write_bytes_atomic(path: Path, data: bytes, expect: bytes | None = None) -> None:
    """Replace `path` with `data`; with `expect`, only if it still holds those bytes."""
    directory = path.parent
    try:
        current = path.stat() if path.exists() else None
    except OSError as exc:
        raise TfkmsError(f"{path}: cannot stat: {exc.strerror}") from None
    if expect is not None:
        _unchanged(path, expect)
    mode = stat.S_IMODE(current.st_mode) if current is not None else _default_mode()
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=directory)
    except OSError as exc:
        raise TfkmsError(f"{path}: cannot write in {directory}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        if current is not None and hasattr(os, "chown"):
            # root patching a user's file (CI on a bind mount) must not make it root's
            with contextlib.suppress(PermissionError):
                os.chown(tmp_name, current.st_uid, current.st_gid)
        if expect is not None:
            _unchanged(path, expect)  # again, right before the rename: an edit during the write wins
        os.replace(tmp_name, path)
    except (OSError, TfkmsError) as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        if isinstance(exc, TfkmsError):
            raise
        raise TfkmsError(f"{path}: cannot write: {exc.strerror}") from None
    try:  # make the rename itself durable
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))
