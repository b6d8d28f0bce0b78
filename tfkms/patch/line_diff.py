"""Line diffs of a patched file that cost what the change costs, not what the file costs.

difflib's SequenceMatcher spent 3.5 s on a 166,000-line file with one inserted line (issue 18's
big file). In a big file the lines no edit touched (the common head and tail) are cut off first,
keeping `context` lines each side, and the diff's line numbers are shifted back. Where a run of
equal lines meets an edit, the cut can move which of them the diff shows as changed (both diffs
are right): files below TRIM_FROM_LINES get difflib's own answer, byte for byte.
"""
from __future__ import annotations

import difflib
import re

_HUNK = re.compile(r"^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@")
TRIM_FROM_LINES = 2000


def trim_common(old: list[str], new: list[str], context: int) -> tuple[int, list[str], list[str]]:
    """(lines cut from the head, the old middle, the new middle), the middle keeping `context`
    equal lines on each side where the file has them."""
    if max(len(old), len(new)) < TRIM_FROM_LINES:
        return 0, old, new
    head, limit = 0, min(len(old), len(new))
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    lo, cut_tail = max(0, head - context), max(0, tail - context)
    return lo, old[lo:len(old) - cut_tail], new[lo:len(new) - cut_tail]


def unified_lines(old: list[str], new: list[str], fromfile: str, tofile: str, context: int = 3) -> list[str]:
    """difflib.unified_diff's lines for the whole files, computed on the changed middle only."""
    lo, old_mid, new_mid = trim_common(old, new, context)
    out = []
    for line in difflib.unified_diff(old_mid, new_mid, fromfile=fromfile, tofile=tofile, n=context):
        hunk = _HUNK.match(line) if lo and line.startswith("@@") else None
        if hunk is not None:
            old_at, new_at = int(hunk.group(1)) + lo, int(hunk.group(3)) + lo
            line = f"@@ -{old_at}{hunk.group(2) or ''} +{new_at}{hunk.group(4) or ''} @@\n"
        out.append(line)
    return out


def opcodes(old: list[str], new: list[str]) -> list[tuple[str, int, int, int, int]]:
    """SequenceMatcher's opcodes for the whole files (without autojunk), on the changed middle only."""
    lo, old_mid, new_mid = trim_common(old, new, 0)
    found = difflib.SequenceMatcher(None, old_mid, new_mid, autojunk=False).get_opcodes()
    out = [("equal", 0, lo, 0, lo)] if lo else []
    out += [(tag, i1 + lo, i2 + lo, j1 + lo, j2 + lo) for tag, i1, i2, j1, j2 in found]
    old_end, new_end = lo + len(old_mid), lo + len(new_mid)
    if old_end < len(old):
        out.append(("equal", old_end, len(old), new_end, len(new)))
    return out
