"""Decide which directories need parsing at all, from bytes alone.

A directory matters when one of its files mentions `alicloud_kms`, or it calls (through a
local `source`, or a registry/git module recorded in .terraform/modules) a directory that
matters. Everything else holds no KMS resource under any root and is never parsed. This is
exact: a directory that calls a relevant one is itself relevant, so every call that decides
whether a relevant directory is a root is seen by the full parse of its caller.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from tfkms.config.discover import LOCK_FILE, ConfigDir, scan_dir
from tfkms.knowledge.forcenew import PROTECTED_TYPES

KMS_MARK = b"alicloud_kms"
# Other types `fix` protects (tfkms.knowledge.forcenew): a directory declaring only those matters too.
_OTHER_MARKS = tuple(t.encode() for t in sorted(PROTECTED_TYPES))
_OTHER = b"|".join(re.escape(m) for m in _OTHER_MARKS) or b"(?!)"
# A KMS resource or data source is declared only by a block header (HCL) or a type key (JSON);
# a mere mention (a comment, a kms_key_id argument) does not make a directory relevant.
_KMS_BLOCK = re.compile(rb'(?:^(?:\xef\xbb\xbf)?|\n)[ \t]*(?:resource|data)[ \t]+"?(?:alicloud_kms_|(?:'
                        + _OTHER + rb')\b)'  # HCL block header
                        rb'|"(?:alicloud_kms_[a-z_]+|' + _OTHER + rb')"\s*:')  # JSON type key
_LOCAL_SOURCE = re.compile(rb'"?source"?\s*[=:]\s*"(\.{1,2}[/\\][^"]*)"')
_ANY_MODULE = re.compile(rb'\bmodule\b')


def _declares_kms(data: bytes) -> bool:
    return (KMS_MARK in data or any(m in data for m in _OTHER_MARKS)) and _KMS_BLOCK.search(data) is not None


@dataclass
class DirBytes:
    config: ConfigDir
    files: dict[str, bytes] = field(default_factory=dict)  # config file name -> bytes
    stats: dict[str, int] = field(default_factory=dict)  # name -> mtime_ns
    unreadable: dict[str, str] = field(default_factory=dict)  # name -> reason

    @property
    def mentions_kms(self) -> bool:
        return any(_declares_kms(data) for data in self.files.values())

    def local_calls(self) -> set[Path]:
        out: set[Path] = set()
        for data in self.files.values():
            if b"module" in data and b"source" in data and _ANY_MODULE.search(data):
                for m in _LOCAL_SOURCE.finditer(data):
                    out.add(lexical(self.config.path / m.group(1).decode("utf-8", "replace")))
        return out

    def calls_registry_kms(self) -> bool:
        """A root whose downloaded modules (.terraform/modules) mention KMS."""
        if not self.config.has_terraform_dir:
            return False
        modules = self.config.path / ".terraform" / "modules"
        for folder, _, names in os.walk(modules):
            for name in names:
                if name.endswith((".tf", ".tf.json")):
                    try:
                        data = (Path(folder) / name).read_bytes()
                        if _declares_kms(data):
                            return True
                    except OSError:
                        continue
        return False


def read_dir(config: ConfigDir) -> DirBytes:
    found = DirBytes(config)
    for name in config.config_files:
        path = config.path / name
        try:
            found.stats[name] = path.stat().st_mtime_ns  # before reading: never newer than the bytes
            found.files[name] = path.read_bytes()
        except OSError as exc:
            found.unreadable[name] = exc.strerror or str(exc)
    return found


def lexical(path: Path) -> Path:
    """An absolute path with ".." folded, without resolving symlinks (cheap; the walk already
    guards against symlink loops)."""
    return Path(os.path.normpath(os.path.join(os.getcwd(), path)))


def relevant_dirs(dirs: list[DirBytes]) -> list[DirBytes]:
    by_path = {lexical(d.config.path): d for d in dirs}
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
        if outside.mentions_kms:
            by_path.setdefault(target, outside)
    mentions = {path for path, d in by_path.items() if d.mentions_kms}
    relevant = mentions | {path for path, d in by_path.items() if path not in mentions and d.calls_registry_kms()}
    changed = True
    while changed:  # callers of relevant directories, transitively
        changed = False
        for path, targets in calls.items():
            if path not in relevant and targets & relevant:
                relevant.add(path)
                changed = True
    scanned = {lexical(d.config.path) for d in dirs}
    return [d for path, d in by_path.items() if path in relevant and path in scanned]


def side_files(config: ConfigDir) -> list[str]:
    """tfvars and the lock file a relevant directory needs besides its config files."""
    return list(config.tfvars_files) + ([LOCK_FILE] if config.has_lock_file else [])
