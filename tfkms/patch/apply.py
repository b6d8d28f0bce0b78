"""Apply a file's edits: reject overlaps, splice, re-parse; on --write the service writes atomically."""
from __future__ import annotations

import os
import stat
from pathlib import Path

from tfkms.atomic import write_bytes_atomic
from tfkms.config.files import parse_source
from tfkms.config.syntax import SourceFile
from tfkms.errors import InputFileError, InputProblem, TfkmsError
from tfkms.patch.model import Edit, FilePatch


class EditConflict(Exception):
    pass


def splice(text: str, edits: list[Edit]) -> str:
    return splice_range(text, 0, len(text), edits)


def splice_range(text: str, start: int, end: int, edits: list[Edit]) -> str:
    """text[start:end] with the edits (all inside that range) applied; overlapping edits conflict."""
    ordered = sorted(_dedupe(edits), key=lambda e: (e.start, e.end))
    out: list[str] = []
    pos = start
    for edit in ordered:
        if edit.start < pos:
            raise EditConflict(f"overlapping edits at line {edit.line}")
        out.append(text[pos:edit.start])
        out.append(edit.after)
        pos = edit.end
    out.append(text[pos:end])
    return "".join(out)


def _dedupe(edits: list[Edit]) -> list[Edit]:
    seen: set[tuple[int, int, str]] = set()
    out = []
    for e in edits:
        key = (e.start, e.end, e.after)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def build_patch(source: SourceFile, edits: list[Edit]) -> tuple[FilePatch | None, InputProblem | None]:
    """The patched file, or a problem when the edits conflict or the result does not parse."""
    try:
        patched = splice(source.text, edits)
    except EditConflict as exc:
        return None, InputProblem(source.display, None, None, f"{exc}; file left unchanged")
    if patched == source.text:
        return None, None
    try:
        parse_source(source.path, source.display, patched)
    except InputFileError as exc:
        return None, InputProblem(source.display, exc.problem.line, exc.problem.column,
                                  f"patched text would not parse ({exc.problem.message}); file left unchanged")
    return FilePatch(display=source.display, path=source.path, original=source.text, patched=patched), None


def write_patches(patches: list[FilePatch], bases: list[Path]) -> list[InputProblem]:
    """Write every patch (the `--write` of fix); what cannot be written is a problem, the rest is written."""
    remove_stale_temp_files({p.path.parent for p in patches})
    return [problem for patch in patches if (problem := write_patch(patch, bases)) is not None]


def write_patch(patch: FilePatch, bases: list[Path]) -> InputProblem | None:
    """Write one patched file, through symlinks (of the file or of a folder above it) only to a
    target inside the scanned tree and never under .terraform/; read-only files are refused
    (even for root, who could replace them); the file must still hold the bytes tfkms read."""
    target = patch.path.resolve()
    lexical = Path(os.path.normpath(patch.path.absolute()))
    if ".terraform" in target.parts or ".terraform" in patch.path.parts:
        return InputProblem(patch.display, None, None, "tfkms never writes under .terraform/")
    # A local module outside the scanned PATH (source = "../../modules/kms") is the user's code
    # and is patched; a symlink (of the file or a folder above it) may not lead outside the tree.
    if target != lexical and not any(target.is_relative_to(base.resolve()) for base in bases):
        return InputProblem(patch.display, None, None,
                            f"is a symlink to {target}, outside the scanned tree; not written")
    try:
        mode = target.stat().st_mode
    except OSError as exc:
        return InputProblem(patch.display, None, None, f"cannot write: {exc.strerror}")
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        return InputProblem(patch.display, None, None, "is read-only; not written (make it writable and rerun)")
    try:
        write_bytes_atomic(target, patch.patched.encode("utf-8"), expect=patch.original.encode("utf-8"))
    except TfkmsError as exc:
        return InputProblem(patch.display, None, None, str(exc))
    patch.written = True
    return None


def remove_stale_temp_files(directories: set[Path]) -> None:
    """Temp files a killed run left behind (Terraform ignores them, but they are litter)."""
    from tfkms.atomic import TEMP_PREFIX, TEMP_SUFFIX

    for directory in directories:
        try:
            for leftover in directory.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
                leftover.unlink()
        except OSError:
            continue
