"""Which top-level blocks of a `.tf` file tfkms reads in full (issue 18).

Everything tfkms evaluates or edits is read in full: KMS resources and data sources, the other
types `fix` protects, and every block that is not a resource, data source or output
(`terraform`, `provider`, `variable`, `locals`, `module`, `moved`, `import`, ...), but for the
nested blocks tfkms never looks at (a variable's `validation`, the `backend`, a provider's
`assume_role`). A resource, data source or output of another type is read for its header only
(`SourceFile.shallow`: enough for duplicate declarations) unless its bytes name a KMS resource
where a reference can be (not in a comment, nor in a string or heredoc without templates; outputs
excepted: `files.slim_unrelated` never reads them), a key version (TFKMS108 follows
`primary_key_version` anywhere) or a secret-bearing argument (its value's span must be known, so
that a diff can mask it; the same holds for the nested blocks).
"""
from __future__ import annotations

import bisect
import re

from tfkms.config.hcl_structure import (
    ReadPlan,
    StructureError,
    TopBlock,
    TopLevelArgument,
    child_blocks,
    literal_text_spans,
    scan_structure,
)
from tfkms.knowledge.forcenew import PROTECTED_TYPES
from tfkms.redact import SENSITIVE_ARGUMENTS

_SKIPPABLE = ("resource", "data", "output")
# Nested blocks tfkms never reads, by the top-level block they sit in.
_UNREAD_CHILDREN = {"variable": ("validation",), "terraform": ("backend", "cloud"), "provider": ("assume_role",)}
# Type-specific secret arguments (an OOS parameter's `value`) belong to protected types, read anyway.
_SECRET_NAMES = tuple(sorted(SENSITIVE_ARGUMENTS))
_KMS_MARK, _VERSION_MARK = "alicloud_kms", "key_version"
_WORD = re.compile(r"[\w-]")


def is_protected_type(type_label: str) -> bool:
    """A KMS resource type, or another type tfkms protects the same way (tfkms.knowledge.forcenew)."""
    return type_label.startswith("alicloud_kms") or type_label in PROTECTED_TYPES


def read_plan(blocks: list[TopBlock], text: str) -> ReadPlan:
    """What of this file Lark reads: every block but the shallow ones, without the nested blocks
    tfkms never looks at (a variable's `validation`, the `backend`)."""
    secrets = _find(text, _SECRET_NAMES, whole_word=True)
    shallow = _shallow_blocks(blocks, text, secrets)
    unread: list[tuple[int, int]] = []
    for i, block in enumerate(blocks):
        kinds = _UNREAD_CHILDREN.get(block.type)
        if kinds is None or i in shallow or not any(text.find(k, block.open_brace, block.end) >= 0 for k in kinds):
            continue
        for kind, start, end in child_blocks(text, block):
            # a nested block holding a secret argument is read: its value's span must be known
            if kind in kinds and not any(start <= at < end for at in secrets):
                unread.append((start, end))
    return ReadPlan(shallow, unread)


def structure_for_lark(text: str) -> tuple[tuple[list[TopBlock], ReadPlan] | None, int]:
    """A `.tf` file's structure and read plan (None where the fast pass cannot read it), and how
    many of its characters Lark would read: what decides whether a big file needs a worker's timeout."""
    try:
        found = scan_structure(text)
    except (StructureError, TopLevelArgument):
        return None, len(text)
    plan = read_plan(found, text)
    unread = sum(found[i].end - found[i].start for i in plan.shallow) + sum(end - start for start, end in plan.unread)
    return (found, plan), len(text) - unread


def _shallow_blocks(blocks: list[TopBlock], text: str, secrets: list[int]) -> set[int]:
    skippable: dict[tuple[str, str], bool] = {}  # (block type, type label): a big file repeats a few
    candidates = []
    for i, block in enumerate(blocks):
        kind, labels = block.type, block.labels
        if kind not in _SKIPPABLE or len(labels) != (1 if kind == "output" else 2):
            continue
        key = (kind, labels[0] if kind != "output" else "")
        verdict = skippable.get(key)
        if verdict is None:
            verdict = skippable[key] = kind == "output" or not is_protected_type(labels[0])
        if verdict:
            candidates.append(i)
    if not candidates:
        return set()
    starts = [b.start for b in blocks]

    def holding(positions: list[int]) -> set[int]:  # a mark between blocks is charged to the one before
        return {bisect.bisect_right(starts, at) - 1 for at in positions}

    read = holding(_find(text, (_VERSION_MARK,), whole_word=False) + secrets)
    # an output that names a KMS resource is read only when it reads a key version (slim_unrelated)
    read_unless_output = holding(_references(text, blocks, starts, _find(text, (_KMS_MARK,), whole_word=False)))
    return {i for i in candidates if i not in read and (blocks[i].type == "output" or i not in read_unless_output)}


def _references(text: str, blocks: list[TopBlock], starts: list[int], marks: list[int]) -> list[int]:
    """The marks that may be references: inside a block's body, and neither in a comment nor in a
    string or heredoc without templates (40,000 generated VPCs may carry a heredoc quoting a KMS
    block: text, not a reference). Between blocks there are only comments, and a label is a name."""
    by_block: dict[int, list[int]] = {}
    for at in marks:
        i = bisect.bisect_right(starts, at) - 1
        if i >= 0 and blocks[i].open_brace < at < blocks[i].close_brace:
            by_block.setdefault(i, []).append(at)
    out: list[int] = []
    for i, positions in by_block.items():
        literal = literal_text_spans(text, blocks[i])
        out.extend(at for at in positions if not any(start <= at < end for start, end in literal))
    return out


def _find(text: str, marks: tuple[str, ...], whole_word: bool) -> list[int]:
    """Where the marks occur: str.find per mark runs at C speed, where one regular expression
    alternating them all is ten times slower."""
    found: list[int] = []
    for mark in marks:
        at = text.find(mark)
        while at >= 0:
            end = at + len(mark)
            if not whole_word or not ((at and _WORD.match(text, at - 1)) or _WORD.match(text, end)):
                found.append(at)
            at = text.find(mark, end)
    return found
