"""Atomic writes: temp file in the same directory (a name Terraform ignores), same mode
bits, fsync, rename. A reader sees the old file or the new one, never half of either."""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from tfkms.errors import TfkmsError

TEMP_PREFIX = ".tfkms-"
TEMP_SUFFIX = ".tmp"  # neither .tf nor .tf.json: Terraform never loads it


def write_bytes_atomic(path: Path, data: bytes, expect: tuple[int, int] | None = None) -> None:
    """Replace `path` with `data`. `expect` = (mtime_ns, size) seen at read time: refuse if changed."""
    directory = path.parent
    try:
        current = path.stat() if path.exists() else None
    except OSError as exc:
        raise TfkmsError(f"{path}: cannot stat: {exc.strerror}") from None
    if expect is not None and current is not None and (current.st_mtime_ns, current.st_size) != expect:
        raise TfkmsError(f"{path}: changed since tfkms read it; nothing written (run again)")
    mode = stat.S_IMODE(current.st_mode) if current is not None else 0o644
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
        os.replace(tmp_name, path)
    except OSError as exc:
        try:
            os.unlink(tmp_name)
        except OSError:
            pass
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
