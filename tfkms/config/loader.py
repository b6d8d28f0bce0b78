"""Load configuration directories into ModuleDirs, once each, collecting per-file problems."""
from __future__ import annotations

import json
import os
import posixpath
from collections.abc import Callable, Sequence
from pathlib import Path

from tfkms.config.discover import LOCK_FILE, ConfigDir, scan_dir
from tfkms.config.files import load_source
from tfkms.config.model import ModuleDir
from tfkms.config.syntax import SourceFile
from tfkms.errors import InputFileError, InputProblem


def display_path(path: Path, base: Path, lead: str = "") -> str:
    """`path` as printed: relative to `base` (a scanned PATH), behind `lead`, the PATH's own place
    relative to the run's display base (`display_leads`); "" when the PATH is that base."""
    text, prefix = str(path), str(base).rstrip(os.sep) + os.sep
    if text.startswith(prefix) and ".." not in path.parts:  # the common case, without relpath's cost
        rel = Path(text[len(prefix):]).as_posix()
    elif path == base:
        rel = "."
    else:
        try:
            rel = Path(os.path.relpath(path, base)).as_posix()
        except ValueError:
            return path.as_posix()
    if not lead:
        return rel
    joined = lead if rel == "." else f"{lead}/{rel}"
    return posixpath.normpath(joined) if rel.startswith("..") or "/.." in rel else joined


def display_base(paths: Sequence[Path], cwd: Path) -> Path:
    """The folder every printed path is relative to: the working directory when every PATH lies
    inside it (`tfkms fix infra` at the repo root prints `infra/main.tf`, which is what GitHub
    annotations and code scanning resolve against); otherwise the PATHs' deepest common folder, so
    two PATHs never print the same `main.tf` (SARIF then names that folder's absolute uri)."""
    absolute = [Path(os.path.abspath(p)) for p in paths]
    here = Path(os.path.abspath(cwd))
    if all(p == here or here in p.parents for p in absolute):
        return here
    return Path(os.path.commonpath(absolute)) if absolute else here


def display_leads(paths: Sequence[Path], base: Path) -> dict[Path, str]:
    """Each PATH's place relative to the display base, as the lead of its displays ("" for the base)."""
    leads = {}
    for path in paths:
        rel = Path(os.path.relpath(os.path.abspath(path), base)).as_posix()
        leads[path] = "" if rel == "." else rel
    return leads


class Loader:
    """Parses each directory at most once (a module may be reached from many roots)."""

    def __init__(self, base: Path, lead: str = "") -> None:
        self.base = base
        self.lead = lead  # see display_path
        self._dirs: dict[Path, ModuleDir] = {}
        self._parsed: dict[Path, SourceFile | InputProblem] = {}

    def preload(self, parsed: dict[Path, SourceFile | InputProblem]) -> None:
        """Results of a parallel/cached parse; anything not here is parsed on demand."""
        self._parsed.update(parsed)

    def load(self, path: Path, scanned: ConfigDir | None = None) -> ModuleDir:
        key = path.resolve()
        cached = self._dirs.get(key)
        if cached is not None:
            return cached
        found = scanned or scan_dir(path)
        module = ModuleDir(path=path, display=self.display(path))
        for name in found.config_files:
            self._add(module, path / name, module.add_file)
        for name in sorted(found.tfvars_files, key=_tfvars_order):
            self._add(module, path / name, module.tfvars.append)
        if found.has_lock_file:
            self._add(module, path / LOCK_FILE, lambda s: setattr(module, "lock_file", s))
        self._dirs[key] = module
        return module

    def _add(self, module: ModuleDir, file: Path, sink: Callable[[SourceFile], object]) -> None:
        display = self.display(file)
        outcome = self._parsed.pop(file, None)
        if outcome is None:
            try:
                outcome = load_source(file, display)
            except InputFileError as exc:
                outcome = exc.problem
        if isinstance(outcome, InputProblem):
            module.problems.append(outcome)
            return
        sink(outcome)

    def display(self, path: Path) -> str:
        return display_path(path, self.base, self.lead)

    def all_problems(self) -> list[InputProblem]:
        seen: set[tuple[str, int | None]] = set()
        out: list[InputProblem] = []
        for module in self._dirs.values():
            for p in module.problems:
                if (p.file, p.line) not in seen:
                    seen.add((p.file, p.line))
                    out.append(p)
        return sorted(out, key=lambda p: (p.file, p.line or 0))


def _tfvars_order(name: str) -> tuple[int, str]:
    # Terraform: terraform.tfvars, terraform.tfvars.json, then *.auto.tfvars(.json) lexically.
    return (0 if name.startswith("terraform.tfvars") else 1, name)


def read_modules_json(root: Path) -> dict[str, tuple[str, Path]]:
    """`.terraform/modules/modules.json`: call key ("a.b") -> (source, directory)."""
    manifest = root / ".terraform" / "modules" / "modules.json"
    real_root = root.resolve()
    if manifest.exists() and real_root not in manifest.resolve().parents:
        return {}  # a symlink leading out of the root: not read (a PR could point it anywhere)
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out: dict[str, tuple[str, Path]] = {}
    for entry in data.get("Modules", []) if isinstance(data, dict) else []:
        key, source, directory = entry.get("Key"), entry.get("Source", ""), entry.get("Dir")
        if isinstance(key, str) and key and isinstance(directory, str) and isinstance(source, str):
            target = (root / directory).resolve()
            installed = real_root / ".terraform"
            if not source.startswith(("./", "../")) and installed not in target.parents:
                continue  # a downloaded module lives under .terraform/: anything else is not read
            out[key] = (source, (root / directory))
    return out
