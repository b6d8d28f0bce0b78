"""Terragrunt units: a folder with `terragrunt.hcl` runs the module its `terraform { source }` names.

What Terragrunt does, as far as tfkms needs it (facts copied here, nothing is read at run time):

* `include "x" { path = find_in_parent_folders("root.hcl") }` merges a parent file into the unit:
  for `inputs` a shallow merge, the child's entries winning; a child `terraform` block's arguments
  win over the parent's. Functions in the parent evaluate in the child's context
  (`get_terragrunt_dir()` is the unit's folder, `path_relative_to_include()` the unit's folder
  relative to the parent's, `get_parent_terragrunt_dir()` the parent's folder).
* `find_in_parent_folders(NAME)` searches from the unit's parent folder upwards (default NAME
  `terragrunt.hcl`).
* `source = "A//B"`: folder B inside A; a relative local source is relative to the unit folder.
  Anything else (`git::`, `tfr://`, `github.com/...`, registry addresses, `s3::`, ...) is a module
  Terragrunt downloads: tfkms never edits it.
* `inputs` reach Terraform as TF_VAR_ environment variables, so a terraform.tfvars inside the
  module wins over them (Terraform's precedence: environment first, then tfvars files).
* Terragrunt copies the module into `.terragrunt-cache/` (hidden: never walked, never read) and
  writes the files `generate` blocks produce there: tfkms reads neither, and never edits an
  included parent (`root.hcl`): only the unit's own `terragrunt.hcl` is written.

Only literals and the functions above are evaluated; anything else (dependency outputs,
`read_terragrunt_config`, `get_env`, locals, ...) is unknown, never guessed.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfkms.config.discover import LOCK_FILE, UNIT_FILE
from tfkms.config.files import load_source
from tfkms.config.syntax import Attribute, Block, SourceFile
from tfkms.config.values import UNKNOWN
from tfkms.errors import InputFileError, InputProblem

_LOCAL = ("./", "../", "/")
_CALL = re.compile(r"(find_in_parent_folders|path_relative_to_include|get_terragrunt_dir|get_parent_terragrunt_dir)"
                   r'\(\s*(?:"([^"\\$%]*)")?\s*\)')
_TEMPLATE = re.compile(r'"((?:[^"\\$%]|\$\{[^}]*\})*)"')


@dataclass
class InputEntry:
    """One merged `inputs` entry: its value (UNKNOWN when tfkms cannot evaluate it) and, when the
    unit's own file sets it, the object item there (the only place tfkms writes)."""

    name: str
    value: Any
    attr: Attribute | None  # the unit's own entry; None when an included parent sets it
    origin: str  # display of the file that sets it last
    item: Attribute | None = None  # the entry where it is set (the unit's or a parent's)


@dataclass
class TerragruntUnit:
    path: Path  # the unit folder
    display: str  # the unit folder as printed (the root's display)
    file: SourceFile  # its terragrunt.hcl: the only Terragrunt file tfkms may edit
    source: str | None = None  # terraform.source as evaluated
    module_path: Path | None = None  # the local module folder it runs
    refusal: str | None = None  # why tfkms does not judge this unit (TFKMS204)
    inputs: dict[str, InputEntry] = field(default_factory=dict)
    inputs_block: Block | None = None  # the unit's own `inputs = { ... }` object, as a block of its items
    parents: list[SourceFile] = field(default_factory=list)  # included files (never edited)
    lock_file: SourceFile | None = None


def read_unit(path: Path, display: Callable[[Path], str], problems: list[InputProblem]) -> TerragruntUnit | None:
    """The unit in `path` (`display`: path -> printed text), with `refusal` set when tfkms cannot
    tell which module it runs; None when its terragrunt.hcl cannot be read (the problem is added)."""
    try:
        own = load_source(path / UNIT_FILE, display(path / UNIT_FILE))
    except InputFileError as exc:
        problems.append(exc.problem)
        return None
    unit = TerragruntUnit(path=path, display=display(path), file=own)
    layers: list[tuple[SourceFile, Path]] = []  # (file, its folder), parents first
    for include in own.blocks:
        if include.type != "include":
            continue
        parent = _include_target(include, Path(os.path.abspath(path)))
        if parent is None:
            unit.refusal = "an include path tfkms cannot evaluate: cannot tell which module this unit runs"
            return unit
        try:
            source = load_source(parent, display(parent))
        except InputFileError as exc:
            problems.append(exc.problem)
            unit.refusal = f"its include {display(parent)} cannot be read"
            return unit
        unit.parents.append(source)
        layers.append((source, parent.parent))
    layers.append((own, Path(os.path.abspath(path))))
    _merge_inputs(unit, layers)
    _resolve_source(unit, layers)
    lock = path / LOCK_FILE
    if lock.is_file():
        try:
            unit.lock_file = load_source(lock, display(lock))
        except InputFileError as exc:
            problems.append(exc.problem)
    return unit


def _include_target(include: Block, unit_dir: Path) -> Path | None:
    attr = include.attributes.get("path")
    value = evaluate_text(attr.expr.text, unit_dir, None) if attr is not None else None
    if not isinstance(value, str):
        return None
    target = Path(value) if os.path.isabs(value) else unit_dir / value
    return target if target.is_file() else None


def find_in_parent_folders(start: Path, name: str) -> Path | None:
    """Terragrunt's search: from the unit folder's parent upwards."""
    for folder in [start.parent, *start.parent.parents]:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def evaluate_text(text: str, unit_dir: Path, parent_dir: Path | None) -> str | None:
    """A Terragrunt string expression: a quoted string whose interpolations are the supported
    functions, or one such call; None when it is anything else (unknown)."""
    text = text.strip()

    def call(match: re.Match[str]) -> str | None:
        name, arg = match.group(1), match.group(2)
        if name == "find_in_parent_folders":
            found = find_in_parent_folders(unit_dir, arg or UNIT_FILE)
            return str(found) if found is not None else None
        if name == "get_terragrunt_dir":
            return str(unit_dir)
        if parent_dir is None or arg is not None:
            return None
        if name == "get_parent_terragrunt_dir":
            return str(parent_dir)
        return Path(os.path.relpath(unit_dir, parent_dir)).as_posix()  # path_relative_to_include

    whole = _CALL.fullmatch(text)
    if whole is not None:
        return call(whole)
    template = _TEMPLATE.fullmatch(text)
    if template is None:
        return None
    out, at, body = [], 0, template.group(1)
    for part in re.finditer(r"\$\{([^}]*)\}", body):
        inner = _CALL.fullmatch(part.group(1).strip())
        value = call(inner) if inner is not None else None
        if value is None:
            return None
        out += [body[at:part.start()], value]
        at = part.end()
    out.append(body[at:])
    return "".join(out)


def _merge_inputs(unit: TerragruntUnit, layers: list[tuple[SourceFile, Path]]) -> None:
    from tfkms.config.terragrunt_inputs import input_items

    for source, _ in layers:
        attr = source.attributes.get("inputs")
        if attr is None:
            continue
        own = source is unit.file
        block, items = input_items(source, attr)
        if own:
            unit.inputs_block = block
        if items is None:  # `inputs = merge(...)`, a local: every entry is unknown from here on
            for entry in unit.inputs.values():
                entry.value, entry.attr, entry.item = UNKNOWN, None, None
            continue
        for name, (value, item) in items.items():
            unit.inputs[name] = InputEntry(name, value, item if own else None, source.display, item)


def _resolve_source(unit: TerragruntUnit, layers: list[tuple[SourceFile, Path]]) -> None:
    chosen: tuple[Attribute, Path] | None = None
    for source, folder in layers:  # the last file setting it wins (the unit's own)
        for block in source.blocks:
            if block.type == "terraform" and "source" in block.attributes:
                chosen = (block.attributes["source"], folder)
    if chosen is None:
        return  # no source: Terragrunt runs the unit folder's own .tf files (a plain root)
    attr, folder = chosen
    parent_dir = layers[-2][1] if len(layers) > 1 else None
    value = evaluate_text(attr.expr.text, layers[-1][1], parent_dir)
    if value is None:
        unit.refusal = f"terraform.source = {attr.expr.text.strip()} cannot be evaluated: cannot tell which module " \
                       "this unit runs"
        return
    unit.source = value
    if not value.startswith(_LOCAL) and value.partition("//")[0] not in (".", "..") and not os.path.isabs(value):
        unit.refusal = (f"it runs a remote module ({value}) that Terragrunt downloads and tfkms never edits: "
                        "fix it in the module's source or ask its owners, then bump the unit's source")
        return
    top, _, sub = value.partition("//")
    top_path = Path(top) if os.path.isabs(top) else unit.path / top
    module = (top_path / sub) if sub else top_path
    module = Path(os.path.normpath(module))
    if not module.is_dir():
        unit.refusal = f"its terraform.source {value} is not a folder on disk"
        return
    unit.module_path = module


def redact_inputs(unit: TerragruntUnit, module_files: list[SourceFile]) -> None:
    """Drop the input values the module's sensitive arguments read (or `sensitive = true`
    variables): tfkms never holds a secret (tfkms.config.files). The dropped entries stay listed
    among their file's attributes as `inputs.NAME`, so a diff masks their spans."""
    from tfkms.config.files import redact_tfvars

    items = {name: entry.item for name, entry in unit.inputs.items() if entry.item is not None}
    holder = SourceFile(path=unit.file.path, display=unit.file.display, text="", syntax="hcl", attributes=items)
    redact_tfvars([holder], module_files)
    files = {str(s.path): s for s in [unit.file, *unit.parents]}
    for name, entry in unit.inputs.items():
        if entry.item is not None and entry.item.expr.redacted:
            entry.value = UNKNOWN
            for source in files.values():
                if source.display == entry.origin:
                    source.attributes[f"inputs.{name}"] = entry.item
