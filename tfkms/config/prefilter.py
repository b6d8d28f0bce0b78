"""Decide which directories need parsing at all, from bytes alone.

A directory matters when one of its files mentions `alicloud_kms`, or it calls (through a
local `source`, or a registry/git module recorded in .terraform/modules) a directory that
matters. Everything else holds no KMS resource under any root and is never parsed. This is
exact: a directory that calls a relevant one is itself relevant, so every call that decides
whether a relevant directory is a root is seen by the full parse of its caller.

The filter may over-select, never under-select (tests/config/test_prefilter_superset.py checks
it against the full parse): a file whose bytes could spell a KMS block header in any way HCL or
HCL's JSON syntax allows (a comment before or inside the header, no space after `resource`, an
unquoted label, a `\\u` escape, a JSON array form) counts as declaring one, and a directory
whose module `source` the bytes cannot read plainly (a template, a heredoc, an escape) is parsed.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from tfkms.config.discover import LOCK_FILE, ConfigDir, is_config_file, scan_dir
from tfkms.knowledge.forcenew import PROTECTED_TYPES

KMS_MARK = b"alicloud_kms"
# Other types `fix` protects (tfkms.knowledge.forcenew): a directory declaring only those matters too.
_OTHER_MARKS = tuple(t.encode() for t in sorted(PROTECTED_TYPES))
_MARKS = (KMS_MARK, *_OTHER_MARKS)
_SPACE = b" \t\r\n"
_ANY_MODULE = re.compile(rb'\bmodule\b')
# `source` (a JSON key or an HCL argument; comments may sit before the `=`), then its value's first
# character: a string is read below, anything else (a heredoc, a reference) is opaque.
_SOURCE = re.compile(rb'\bsource"?(?:\s|/\*.*?\*/)*[=:](?:\s|/\*.*?\*/)*(.)', re.S)
_HCL_ESCAPE = re.compile(r'\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))', re.S)
_HCL_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_LOCAL_PREFIXES = ("./", "../", ".\\", "..\\")


def _declares_kms(data: bytes, json: bool = False) -> bool:
    """True when these bytes may declare a KMS (or other protected) block; never False for a
    file whose full parse holds one. A mention (a comment, a reference such as
    `alicloud_kms_key.k.id`, a string) does not count when the bytes show it is no header."""
    if b"\\" in data and (b"\\u" in data or (not json and b"\\U" in data)):
        return True  # an escape can spell any label or key: parse it (one-byte memchr first: cheap)
    for mark in _MARKS:
        at = data.find(mark)
        while at >= 0:
            if _header_before(data, at, json):
                return True
            at = data.find(mark, at + len(mark))
    return False


def _header_before(data: bytes, at: int, json: bool) -> bool:
    """Whether the type name starting at `at` may be a block's type label (HCL: after `resource`
    or `data`, with any spaces and /* */ comments between, quoted or not) or a JSON key."""
    if at > 0 and data[at - 1:at] == b'"':
        if json:
            return True  # a JSON string starting with the type: may be the type's key, at any nesting
        at -= 1
    elif json:
        return False
    while True:
        while at > 0 and data[at - 1] in _SPACE:
            at -= 1
        if data[at - 2:at] != b"*/" or at < 2:
            break
        opened = data.rfind(b"/*", 0, at - 2)
        if opened < 0:
            return True  # cannot tell: say yes
        at = opened
    return data.endswith(b"resource", 0, at) or data.endswith(b"data", 0, at)


def _source_values(data: bytes, json: bool) -> tuple[list[str], bool]:
    """The plain string values of `source` arguments, and whether some value is opaque (not a
    plain string literal the bytes alone can read)."""
    values: list[str] = []
    opaque = False
    for m in _SOURCE.finditer(data):
        if m.group(1) != b'"':
            opaque = True
            continue
        start = m.start(1)
        end = start + 1
        while end < len(data) and data[end:end + 1] not in (b'"', b"\n"):
            end += 2 if data[end:end + 1] == b"\\" else 1
        raw = data[start + 1:end].decode("utf-8", "replace")
        if "${" in raw or "%{" in raw or data[end:end + 1] != b'"':
            opaque = True
            continue
        if "\\" in raw:
            try:
                text = _json_string(raw) if json else _HCL_ESCAPE.sub(_hcl_unescape, raw)
            except ValueError:
                opaque = True
                continue
        else:
            text = raw
        values.append(text)
    return values, opaque


def _json_string(raw: str) -> str:
    import json as _json

    value = _json.loads(f'"{raw}"')
    if not isinstance(value, str):
        raise ValueError(raw)
    return value


def _hcl_unescape(m: re.Match[str]) -> str:
    if m.group(1) or m.group(2):
        return chr(int(m.group(1) or m.group(2), 16))
    if m.group(3) in _HCL_SIMPLE:
        return _HCL_SIMPLE[m.group(3)]
    raise ValueError(m.group(0))


def _is_json(name: str) -> bool:
    return name.endswith(".json")


@dataclass
class DirBytes:
    config: ConfigDir
    files: dict[str, bytes] = field(default_factory=dict)  # config file name -> bytes
    stats: dict[str, int] = field(default_factory=dict)  # name -> mtime_ns
    unreadable: dict[str, str] = field(default_factory=dict)  # name -> reason
    _calls_found: tuple[set[Path], bool] | None = field(default=None, repr=False, compare=False)

    @property
    def mentions_kms(self) -> bool:
        return any(_declares_kms(data, _is_json(name)) for name, data in self.files.items())

    def local_calls(self) -> set[Path]:
        return self._calls()[0]

    def calls_opaque(self) -> bool:
        """A module `source` the bytes cannot read (a template, a heredoc, a bad escape): this
        directory is parsed, so that the full parse decides what it calls."""
        return self._calls()[1]

    def _calls(self) -> tuple[set[Path], bool]:
        if self._calls_found is None:
            self._calls_found = self._read_calls()
        return self._calls_found

    def _read_calls(self) -> tuple[set[Path], bool]:
        out: set[Path] = set()
        opaque = False
        for name, data in self.files.items():
            if b"source" in data and (b"module" in data or b"\\u" in data) and (
                    _ANY_MODULE.search(data) or b"\\u" in data):
                values, unread = _source_values(data, _is_json(name))
                opaque = opaque or unread
                for value in values:
                    if value.startswith(_LOCAL_PREFIXES):
                        out.add(lexical(self.config.path / value.replace("\\", "/")))
        return out, opaque

    def calls_registry_kms(self) -> bool:
        """A root whose downloaded modules (.terraform/modules) mention KMS."""
        if not self.config.has_terraform_dir:
            return False
        modules = self.config.path / ".terraform" / "modules"
        for folder, _, names in os.walk(modules):
            for name in names:
                if is_config_file(name):
                    try:
                        data = (Path(folder) / name).read_bytes()
                        if _declares_kms(data, _is_json(name)):
                            return True
                    except OSError:
                        continue
        return False


def read_dir(config: ConfigDir) -> DirBytes:
    found = DirBytes(config)
    folder = str(config.path)
    for name in config.config_files:
        try:  # os calls on strings: pathlib's overhead shows on a walk of thousands of files
            fd = os.open(os.path.join(folder, name), os.O_RDONLY | getattr(os, "O_BINARY", 0))
            try:
                stat = os.fstat(fd)  # before reading: never newer than the bytes
                found.stats[name] = stat.st_mtime_ns
                found.files[name] = _read_all(fd, stat.st_size)
            finally:
                os.close(fd)
        except OSError as exc:
            found.unreadable[name] = exc.strerror or str(exc)
    return found


def _read_all(fd: int, size: int) -> bytes:
    chunks = [os.read(fd, size + 1)]  # one read for a file that did not grow since fstat
    while chunks[-1]:
        chunks.append(os.read(fd, 1 << 16))
    return b"".join(chunks)


def lexical(path: Path) -> Path:
    """An absolute path with ".." folded, without resolving symlinks (cheap; the walk already
    guards against symlink loops)."""
    text = os.fspath(path)
    return Path(os.path.normpath(text if os.path.isabs(text) else os.path.join(os.getcwd(), text)))


def relevant_dirs(dirs: list[DirBytes]) -> list[DirBytes]:
    keys = [lexical(d.config.path) for d in dirs]
    by_path = dict(zip(keys, dirs, strict=True))
    calls = {path: d.local_calls() for path, d in by_path.items()}
    # Modules outside the scanned PATH (source = "../../modules/kms") are read too.
    pending = [t for targets in calls.values() for t in targets if t not in calls]
    while pending:
        target = pending.pop()
        if target in calls or not target.is_dir():
            continue
        outside = read_dir(scan_dir(target))
        calls[target] = outside.local_calls()
        pending.extend(t for t in calls[target] if t not in calls)
        if outside.mentions_kms or outside.calls_opaque():
            by_path.setdefault(target, outside)
    mentions = {path for path, d in by_path.items() if d.mentions_kms or d.calls_opaque()}
    relevant = mentions | {path for path, d in by_path.items() if path not in mentions and d.calls_registry_kms()}
    changed = True
    while changed:  # callers of relevant directories, transitively
        changed = False
        for path, targets in calls.items():
            if path not in relevant and targets & relevant:
                relevant.add(path)
                changed = True
    scanned = set(keys)
    return [d for path, d in by_path.items() if path in relevant and path in scanned]


def side_files(config: ConfigDir) -> list[str]:
    """tfvars and the lock file a relevant directory needs besides its config files."""
    return list(config.tfvars_files) + ([LOCK_FILE] if config.has_lock_file else [])
