"""The parse cache on disk: parsed files by content hash, private to the user, in a format that
cannot execute (tfkms.config.cache_codec).

Reading walks every directory from the cache root down with O_NOFOLLOW, checking on each opened
descriptor that this user owns it and nobody else may write it, then opens the entry the same way:
another local user who can write somewhere on the path cannot swap a directory between the check
and the read. A cache under a folder others may write (no sticky bit) is not used at all.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from tfkms.config.cache_codec import CACHE_FORMAT, CodecError, decode, encode
from tfkms.config.syntax import SourceFile

ENTRY_SUFFIX = ".json"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


class ParseCache:
    """Parsed files by content hash (`directory`/ab/abcdef….json): a checksum, then the JSON.

    Keyed by tfkms and python-hcl2 versions (in the directory name). Entries hold no file text and
    no sensitive argument values (they are dropped at parse time)."""

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

    def _relative(self, data: bytes) -> tuple[str, str]:
        digest = hashlib.sha256(data).hexdigest()
        return digest[:2], digest + ENTRY_SUFFIX

    # ------------------------------------------------------------------ read
    def get(self, data: bytes) -> SourceFile | None:
        folder, name = self._relative(data)
        blob = self._read_private(folder, name)
        if blob is None:
            return None
        digest, payload = blob[:32], blob[32:]
        if hashlib.sha256(payload).digest() != digest:
            self._discard(folder, name)  # bit rot or a torn write: a miss, replaced on this run
            return None
        try:
            return decode(payload)
        except CodecError:
            self._discard(folder, name)
            return None

    def _read_private(self, folder: str, name: str) -> bytes | None:
        with self._walk(folder) as fd:
            if fd is None:
                return None
            try:
                entry = os.open(name, os.O_RDONLY | _NOFOLLOW, dir_fd=fd)
            except OSError:
                return None
            with os.fdopen(entry, "rb") as handle:
                if not _private(os.fstat(handle.fileno()), regular=True):
                    return None
                return handle.read()

    @contextlib.contextmanager
    def _walk(self, folder: str) -> Iterator[int | None]:
        """A descriptor of `directory/folder`, every step opened without following symlinks and
        checked on the descriptor; None when any step is missing, foreign or writable by others."""
        if not hasattr(os, "getuid") or not _NOFOLLOW:  # no such guarantees here: do not use a cache
            yield None
            return
        opened: list[int] = []
        try:
            base = self.directory.parent.parent  # XDG_CACHE_HOME (or ~/.cache)
            fd = os.open(base, os.O_RDONLY | _DIRECTORY)
            opened.append(fd)
            if not _safe_parent(os.fstat(fd)):
                yield None
                return
            for part in (self.directory.parent.name, self.directory.name, folder):
                fd = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW, dir_fd=fd)
                opened.append(fd)
                if not _private(os.fstat(fd)):
                    yield None
                    return
            yield fd
        except OSError:
            yield None
        finally:
            for fd in reversed(opened):
                os.close(fd)

    # ----------------------------------------------------------------- write
    def put(self, data: bytes, source: SourceFile) -> None:
        import tempfile

        folder, name = self._relative(data)
        target = self.directory / folder / name
        if target.exists():  # content-addressed: an entry never changes
            return
        text, source.text = source.text, ""
        try:
            payload = encode(source)
            for directory in (self.directory.parent, self.directory, target.parent):
                directory.mkdir(parents=True, exist_ok=True, mode=0o700)  # private: only this user reads it
            with self._walk(folder) as fd:
                if fd is None:  # not ours alone: write nothing there
                    return
            handle, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            try:
                with os.fdopen(handle, "wb") as out:  # a checksum first: damage is detected, not loaded
                    out.write(hashlib.sha256(payload).digest() + payload)
                os.replace(tmp, target)
            except BaseException:
                os.unlink(tmp)
                raise
        except (OSError, RecursionError, CodecError):
            pass  # a cache that cannot be written is just a slower run
        finally:
            source.text = text

    def _discard(self, folder: str, name: str) -> None:
        with self._walk(folder) as fd:
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.unlink(name, dir_fd=fd)


def _private(st: os.stat_result, regular: bool = False) -> bool:
    """Owned by this user, writable by nobody else, and of the expected kind."""
    kind_ok = stat.S_ISREG(st.st_mode) if regular else stat.S_ISDIR(st.st_mode)
    return kind_ok and st.st_uid == os.getuid() and not st.st_mode & 0o022


def _safe_parent(st: os.stat_result) -> bool:
    """The folder holding tfkms's cache: others may not swap its entries (theirs to write only with the
    sticky bit, like /tmp)."""
    if not stat.S_ISDIR(st.st_mode):
        return False
    if st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
        return False
    return st.st_uid in (os.getuid(), 0)
