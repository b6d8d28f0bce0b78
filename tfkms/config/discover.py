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
    found = ConfigDir(path)
    try:
        entries = sorted(os.scandir(path), key=lambda e: e.name)
    except OSError:
        return found
    for entry in entries:
        name = entry.name
        try:
            is_file = entry.is_file()
            if name == ".terraform" and entry.is_dir():
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
    return found


def _subdirectories(path: Path) -> list[os.DirEntry[str]]:
    """Entries that are directories; one bad entry (a self-looping symlink) skips only itself."""
    try:
        entries = list(os.scandir(path))
    except OSError:
        return []
    out = []
    for entry in entries:
        try:
            if entry.is_dir():
                out.append(entry)
        except OSError:
            continue
    return out


def walk_config_dirs(base: Path, exclude: list[str], units: list[Path] | None = None) -> list[ConfigDir]:
    """Directories holding configuration files (.tf, .tf.json, .tofu, .tofu.json), depth first,
    sorted; hidden dirs skipped (.terraform, .terragrunt-cache: copies, never read). `units`
    collects the folders holding terragrunt.hcl (sorted), found in the same walk.

    Symlinked directories are followed once: a loop never hangs the walk.
    """
    out: list[ConfigDir] = []
    seen: set[tuple[int, int]] = set()
    stack = [base]
    while stack:
        current = stack.pop()
        try:
            st = current.stat()
        except OSError:
            continue
        ident = (st.st_dev, st.st_ino)
        if ident in seen:
            continue
        seen.add(ident)
        found = scan_dir(current)
        if found.config_files:
            out.append(found)
        if found.has_unit_file and units is not None:
            units.append(current)
        children = sorted(_subdirectories(current), key=lambda e: e.name, reverse=True)
        for entry in children:
            if entry.name.startswith("."):
                continue
            child = Path(entry.path)
            rel = child.relative_to(base).as_posix()
            if _excluded(rel, entry.name, exclude):
                continue
            stack.append(child)
    out.sort(key=lambda d: d.path.relative_to(base).as_posix())
    if units is not None:
        units.sort(key=lambda p: p.relative_to(base).as_posix())
    return out
