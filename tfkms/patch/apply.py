"""Apply a file's edits: reject overlaps, splice, re-parse, verify; on --write the service writes
atomically, the files of one fix all or none."""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from tfkms.atomic import Staged, check_unchanged, commit, discard, stage_bytes
from tfkms.config.files import parse_source, redacted_spans
from tfkms.config.syntax import Block, SourceFile, with_nested
from tfkms.errors import InputFileError, InputProblem, TfkmsError
from tfkms.patch.model import Edit, FilePatch, shift_spans


@dataclass
class LinkedPatch(FilePatch):
    """A FilePatch with the other files (display names) of the fixes it carries: `write_patches`
    writes a file and all its partners, or none of them."""

    together: frozenset[str] = field(default_factory=frozenset)


@dataclass
class PatchRefused(InputProblem):
    """The edits splice and parse, but the result is not what they meant (the new text landed in a
    comment, or Terraform's parser would reject it): the finding stays open (TFKMS204), not an input error."""


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
    """The patched file, or a problem when the edits conflict, the result does not parse, or it does
    not hold what the edits meant (`PatchRefused`)."""
    try:
        patched = splice(source.text, edits)
    except EditConflict as exc:
        return None, InputProblem(source.display, None, None, f"{exc}; file left unchanged")
    if patched == source.text:
        return None, None
    try:
        reparsed = parse_source(source.path, source.display, patched)
    except InputFileError as exc:
        return None, InputProblem(source.display, exc.problem.line, exc.problem.column,
                                  f"patched text would not parse ({exc.problem.message}); file left unchanged")
    refusal = verify_patch(source, edits, reparsed) if source.syntax == "hcl" else None
    if refusal is not None:
        return None, refusal
    secrets = redacted_spans(source)  # masked by span in every diff tfkms shows
    return LinkedPatch(display=source.display, path=source.path, original=source.text, patched=patched,
                       secret_spans=secrets, patched_secret_spans=shift_spans(secrets, edits)), None


def verify_patch(source: SourceFile, edits: list[Edit], reparsed: SourceFile) -> PatchRefused | None:
    """python-hcl2 accepts some text Terraform rejects, and a line inserted inside a comment parses
    fine: check the edited regions' token structure the way Terraform's parser does, and that every
    block an edit meant to change now holds what it meant."""
    from tfkms.patch.lexer import new_problems, structure_problems

    ordered = sorted(_dedupe(edits), key=lambda e: (e.start, e.end))
    for start, end in _regions(source, ordered):
        found = new_problems(structure_problems(source.text, start, end),
                             structure_problems(reparsed.text, _shift(ordered, start), _shift(ordered, end)))
        if found:
            line = reparsed.line_of(found[0].offset)
            return PatchRefused(source.display, line, None,
                                f"cannot patch here: Terraform would reject the patched text ({found[0].message}); "
                                "file left unchanged")
    for edit in ordered:
        why = _unmet(edit, ordered, reparsed)
        if why is not None:
            return PatchRefused(source.display, edit.line, None, f"cannot patch here: {why}; file left unchanged")
    return None


def _shift(ordered: list[Edit], offset: int) -> int:
    """Where an original offset (not inside an edit) is in the patched text."""
    delta = 0
    for e in ordered:
        if e.end <= offset and (e.start < offset or e.start == e.end):
            delta += len(e.after) - (e.end - e.start)
    return offset + delta


def _regions(source: SourceFile, ordered: list[Edit]) -> list[tuple[int, int]]:
    """The original spans to judge: each edited top-level block (or top-level argument) whole,
    else the edit's own span (text appended at the end of the file)."""
    from tfkms.patch.layout import line_start, next_line_start

    spans = [(b.start, b.end) for b in source.blocks]
    spans += [(line_start(source.text, a.start), next_line_start(source.text, a.end))
              for a in source.attributes.values()]
    out: list[tuple[int, int]] = []
    for e in ordered:
        region = next(((s, t) for s, t in spans if s <= e.start and e.end <= t), (e.start, e.end))
        if out and region[0] < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], region[1]))
        elif not out or region != out[-1]:
            out.append(region)
    return out


def _unmet(edit: Edit, ordered: list[Edit], reparsed: SourceFile) -> str | None:
    from tfkms.patch.hcl_edits import CheckedEdit
    from tfkms.patch.lexer import list_elements

    expect = edit.expect if isinstance(edit, CheckedEdit) else None
    if expect is None:
        return None
    block = _block_at(reparsed.blocks, _shift(ordered, expect.block_start))
    if block is None:
        return f"the block at line {edit.line} is not where it was after the edit"
    what = f"the block at line {reparsed.line_of(block.start)}"
    for child in expect.path:
        children = block.child_blocks(child)
        if len(children) != 1:
            return f"{what} would hold {len(children)} {child} blocks after the edit, not one"
        block = children[0]
        what += f" ({child})"
    attr = block.attributes.get(expect.name)
    if attr is None:
        return (f"the new {expect.name} would not be live code in {what} (the insertion point is inside a "
                "comment or another construct tfkms cannot edit around)")
    if expect.value is not None and "".join(attr.expr.text.split()) != "".join(expect.value.split()):
        return f"{what} would set {expect.name} to something other than {expect.value.strip()}"
    if expect.names:
        listed = list_elements(attr.expr.text)
        missing = [n for n in expect.names if listed is None or n not in listed]
        if missing:
            return f"{what}: {expect.name} would not list {', '.join(missing)} after the edit (inside a comment?)"
    return None


def _block_at(blocks: list[Block], start: int) -> Block | None:
    return next((block for block in with_nested(blocks) if block.start == start), None)


def write_patches(patches: list[FilePatch], bases: list[Path]) -> list[InputProblem]:
    """Write every patch (the `--write` of fix); what cannot be written is a problem. The files of one
    fix (a module variable and its call sites: `LinkedPatch.together`) are written all or none:
    every file of a group is checked and staged in a temp file first; only when all are staged
    are they renamed over their targets."""
    remove_stale_temp_files({p.path.parent for p in patches})
    problems: list[InputProblem] = []
    for group in _groups(patches):
        problems += _write_group(group, bases)
    return problems


def _groups(patches: list[FilePatch]) -> list[list[FilePatch]]:
    """Patches joined (transitively) by `together`, in their original order."""
    by_name = {p.display: p for p in patches}
    parent = {p.display: p.display for p in patches}

    def find(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for patch in patches:
        for other in getattr(patch, "together", ()):
            if other in by_name:
                parent[find(other)] = find(patch.display)
    groups: dict[str, list[FilePatch]] = {}
    for patch in patches:
        groups.setdefault(find(patch.display), []).append(patch)
    return list(groups.values())


def _write_group(group: list[FilePatch], bases: list[Path]) -> list[InputProblem]:
    staged: list[tuple[FilePatch, Staged]] = []
    problems: list[InputProblem] = []
    for patch in group:
        result = stage_patch(patch, bases)
        if isinstance(result, InputProblem):
            problems.append(result)
        else:
            staged.append((patch, result))
    if not problems:
        for patch, item in staged:  # every target still holds what tfkms read, right before the renames
            try:
                check_unchanged(item)
            except TfkmsError as exc:
                problems.append(InputProblem(patch.display, None, None, str(exc)))
    if problems:
        for _, item in staged:
            discard(item)
        failed = ", ".join(p.file for p in problems)
        refused = {p.file for p in problems}
        problems += [InputProblem(p.display, None, None,
                                  f"not written: it is part of one fix with {failed}, which could not be "
                                  "written (all or nothing; fix that and rerun)")
                     for p in group if p.display not in refused]
        return problems
    try:
        return _commit_group(staged, problems)
    except BaseException:  # Ctrl-C / SIGTERM between two renames: no temp file is left behind
        for _, item in staged:
            discard(item)
        raise


def _commit_group(staged: list[tuple[FilePatch, Staged]], problems: list[InputProblem]) -> list[InputProblem]:
    for index, (patch, item) in enumerate(staged):
        try:
            commit(item)
        except TfkmsError as exc:
            # A rename failing after others succeeded (rare: the folder became read-only or the disk
            # vanished between two renames): those already renamed stay written; say which were not.
            for _, rest in staged[index + 1:]:
                discard(rest)
            done = [p.display for p, _ in staged[:index]]
            left = [p.display for p, _ in staged[index:]]
            problems.append(InputProblem(patch.display, None, None,
                                         f"{exc}; of one fix, written: {', '.join(done) or 'none'}; not written: "
                                         f"{', '.join(left)} (rerun fix: it completes the rest)"))
            return problems
        patch.written = True
    return problems


def write_patch(patch: FilePatch, bases: list[Path]) -> InputProblem | None:
    """Write one patched file (see `stage_patch`)."""
    result = stage_patch(patch, bases)
    if isinstance(result, InputProblem):
        return result
    try:
        commit(result)
    except TfkmsError as exc:
        return InputProblem(patch.display, None, None, str(exc))
    patch.written = True
    return None


def stage_patch(patch: FilePatch, bases: list[Path]) -> Staged | InputProblem:
    """Stage one patched file in a temp file beside it, through symlinks (of the file or of a folder
    above it) only to a target inside the scanned tree and never under .terraform/; read-only files
    are refused (even for root, who could replace them); the file must still hold the bytes tfkms read."""
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
        return stage_bytes(target, patch.patched.encode("utf-8"), expect=patch.original.encode("utf-8"))
    except TfkmsError as exc:
        return InputProblem(patch.display, None, None, str(exc))


def remove_stale_temp_files(directories: set[Path]) -> None:
    """Temp files a killed run left behind (Terraform ignores them, but they are litter); a concurrent
    run's file in flight stays, whichever PID namespace it runs in (see `remove_if_stale`)."""
    from tfkms.atomic import TEMP_PREFIX, TEMP_SUFFIX, remove_if_stale

    for directory in directories:
        try:
            leftovers = list(directory.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"))
        except OSError:
            continue
        for leftover in leftovers:  # one that cannot be removed does not keep the others
            remove_if_stale(leftover)
