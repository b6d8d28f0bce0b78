"""A file patch cut into line changes (what one review suggestion can carry), and the part of the
patch that is left when some of them went into the review."""
from __future__ import annotations

from dataclasses import dataclass

from tfkms.patch.line_diff import opcodes
from tfkms.patch.model import FilePatch
from tfkms.redact import mask_secret_literals


@dataclass(frozen=True)
class Change:
    """Original lines [i1, i2) become patched lines [j1, j2); a suggestion replaces right-side lines
    first_line..last_line (1-based) with `body` (an insertion is anchored on the line above)."""

    i1: int
    i2: int
    j1: int
    j2: int
    first_line: int
    last_line: int
    body: str
    touches_secret: bool  # such a change is never suggested: its text would show, or apply, a mask
    start: int  # original[start:end] is what the change replaces (start == end: an insertion there)
    end: int


def line_changes(patch: FilePatch) -> list[Change]:
    old = patch.original.splitlines(keepends=True)
    new = patch.patched.splitlines(keepends=True)
    starts = _line_starts(old)
    new_starts = _line_starts(new)
    out = []
    for tag, i1, i2, j1, j2 in opcodes(old, new):
        if tag == "equal":
            continue
        if i1 < i2:
            first, last, body = i1, i2, "".join(new[j1:j2])
        elif i1 > 0:  # insertion: the suggestion rewrites the line above as itself plus the new lines
            first, last, body = i1 - 1, i1, old[i1 - 1] + "".join(new[j1:j2])
        elif old:  # insertion at the very top: anchored on the first line
            first, last, body = 0, 1, "".join(new[j1:j2]) + old[0]
        else:
            first, last, body = 0, 0, "".join(new[j1:j2])  # empty file: no line to anchor on
        secret = (_overlaps(patch.secret_spans, starts[first], starts[last])
                  or _overlaps(patch.patched_secret_spans, new_starts[j1], new_starts[j2])
                  or mask_secret_literals(body) != body)
        out.append(Change(i1, i2, j1, j2, first + 1, last, body, secret or last == 0, starts[i1], starts[i2]))
    return out


def remaining_patch(patch: FilePatch, kept: list[Change]) -> FilePatch | None:
    """`patch` with only the `kept` changes (the others went into the review); None when none is left."""
    if not kept:
        return None
    old = patch.original.splitlines(keepends=True)
    new = patch.patched.splitlines(keepends=True)
    starts = _line_starts(old)
    pieces, pos, shifts = [], 0, []
    for change in sorted(kept, key=lambda c: c.i1):
        pieces += old[pos:change.i1] + new[change.j1:change.j2]
        delta = len("".join(new[change.j1:change.j2])) - len("".join(old[change.i1:change.i2]))
        shifts.append((starts[change.i2], delta))
        pos = change.i2
    pieces += old[pos:]
    # kept changes touch no secret span (see review.plan_file), so each span moves by the changes before it
    spans = tuple((s + sum(d for at, d in shifts if at <= s), e + sum(d for at, d in shifts if at <= s))
                  for s, e in patch.secret_spans)
    return FilePatch(patch.display, patch.path, patch.original, "".join(pieces), patch.written,
                     patch.secret_spans, spans)


def _line_starts(lines: list[str]) -> list[int]:
    """Offset of each line's start, plus the end of the text (index len(lines))."""
    out, pos = [0], 0
    for line in lines:
        pos += len(line)
        out.append(pos)
    return out


def _overlaps(spans: tuple[tuple[int, int], ...], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in spans)
