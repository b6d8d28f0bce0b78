"""Find Terraform configuration directories under the PATHs the user names."""
from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path

LOCK_FILE = ".terraform.lock.hcl"
UNIT_FILE = "terragrunt.hcl"  # a Terragrunt unit (tfkms.config.terragrunt)


CONFIG_SUFFIXES = (".tf", ".tf.json", ".tofu", ".tofu.json")  # .tofu: OpenTofu's own files


def is_config_file(name: str) -> bool:
    return name.endswith(CONFIG_SUFFIXES)


def shadowed_by_tofu(names: list[str]) -> set[str]:
    """The `.tf` / `.tf.json` files OpenTofu ignores because a `.tofu` / `.tofu.json` file of the
    same base name sits beside them (OpenTofu's extension precedence): tfkms reads and patches the
    file OpenTofu reads, never its shadowed twin. Terraform ignores `.tofu` files altogether, so a
    folder that holds them is one OpenTofu runs."""
    present = set(names)
    out = set()
    for name in names:
        for tf_suffix, tofu_suffix in ((".tf.json", ".tofu.json"), (".tf", ".tofu")):
            if name.endswith(tf_suffix):
                if name[: -len(tf_suffix)] + tofu_suffix in present:
                    out.add(name)
                break
    return out


def is_tfvars_file(name: str) -> bool:
    return name in ("terraform.tfvars", "terraform.tfvars.json") or name.endswith(
        (".auto.tfvars", ".auto.tfvars.json"))


@dataclass
class ConfigDir:
    path: Path
    config_files: list[str] = field(default_factory=list)
    tfvars_files: list[str] = field(default_factory=list)
    has_lock_file: bool = False
    has_terraform_dir: bool = False  # .terraform/ (downloaded modules) next to the config
    shadowed: list[str] = field(default_factory=list)  # .tf files a .tofu twin hides (shadowed_by_tofu)
    has_unit_file: bool = False  # terragrunt.hcl beside (or instead of) the config


def _excluded(rel: str, name: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(name, p) or fnmatch.fnmatch(rel + "/", p)
               for p in patterns)


def scan_dir(path: Path) -> ConfigDir:
    return _scan(path)[0]


def _scan(path: Path | str) -> tuple[ConfigDir, list[os.DirEntry[str]]]:
    """The folder's configuration files, and its subdirectories (one scandir for both: the walk
    visits thousands of folders)."""
    found = ConfigDir(path if isinstance(path, Path) else Path(path))
    subdirs: list[os.DirEntry[str]] = []
    try:
        entries = sorted(os.scandir(path), key=lambda e: e.name)
    except OSError:
        return found, subdirs
    for entry in entries:
        name = entry.name
        try:
            is_file = entry.is_file()
            if not is_file and entry.is_dir():  # one bad entry (a self-looping symlink) skips only itself
                subdirs.append(entry)
                if name == ".terraform":
                    found.has_terraform_dir = True
        except OSError:
            continue
        if not is_file:
            continue
        if is_config_file(name) and not name.startswith("."):
            found.config_files.append(name)
        elif is_tfvars_file(name):
            found.tfvars_files.append(name)
        elif name == LOCK_FILE:
            found.has_lock_file = True
        elif name == UNIT_FILE:
            found.has_unit_file = True
    hidden = shadowed_by_tofu(found.config_files)
    if hidden:
        found.shadowed = sorted(hidden)
        found.config_files = [n for n in found.config_files if n not in hidden]
    return found, subdirs


def walk_config_dirs(base: Path, exclude: list[str], units: list[Path] | None = None) -> list[ConfigDir]:
    """Directories holding configuration files (.tf, .tf.json, .tofu, .tofu.json), depth first,
    sorted; hidden dirs skipped (.terraform, .terragrunt-cache: copies, never read). `units`
    collects the folders holding terragrunt.hcl (sorted), found in the same walk.

    Symlinked directories are followed once: a loop never hangs the walk.
    """
    found_at: list[tuple[str, ConfigDir]] = []  # (path relative to base, folder)
    unit_at: list[tuple[str, Path]] = []
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[str, str]] = [(str(base), "")]  # (path, relative path): strings, not Paths (speed)
    while stack:
        current, rel = stack.pop()
        try:
            st = os.stat(current)
        except OSError:
            continue
        ident = (st.st_dev, st.st_ino)
        if ident in seen:
            continue
        seen.add(ident)
        found, subdirs = _scan(current)
        if found.config_files:
            found_at.append((rel, found))
        if found.has_unit_file and units is not None:
            unit_at.append((rel, found.path))
        for entry in sorted(subdirs, key=lambda e: e.name, reverse=True):
            if entry.name.startswith("."):
                continue
            child_rel = f"{rel}/{entry.name}" if rel else entry.name
            if exclude and _excluded(child_rel, entry.name, exclude):
                continue
            stack.append((entry.path, child_rel))
    found_at.sort(key=lambda item: item[0] or ".")
    out = [found for _, found in found_at]
    if units is not None:
        units.extend(path for _, path in sorted(unit_at, key=lambda item: item[0] or "."))
    return out
