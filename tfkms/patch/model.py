"""What a patch is: text splices (`Edit`) and the new text of a file (`FilePatch`).

The model sits in `patch/` so that edit builders, `apply` and the analysis that proposes edits
all depend on it downwards; `analysis.result.Finding` carries a finding's edits.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tfkms.patch.line_diff import unified_lines
from tfkms.redact import MASK, mask_secret_literals


@dataclass
class Edit:
    """One text splice: replace original[start:end] with `after`.

    Offsets are character offsets into the file's decoded text (decoding is lossless,
    so they map one-to-one to byte ranges). `line` is 1-based, in the original file.
    """

    file: str
    line: int
    start: int
    end: int
    before: str
    after: str


@dataclass
class FilePatch:
    """The full new text of one file; `display` is relative to the scanned PATH.

    `secret_spans`: where secret values sit in the original (the expressions of secret-bearing
    arguments, sensitive defaults, what sensitive arguments read: tfkms.config.files redacts them),
    and `patched_secret_spans` the same places in the patched text; a diff masks them by span,
    whatever their syntax (heredocs, templates, parenthesised literals)."""

    display: str
    path: Path
    original: str
    patched: str
    written: bool = False
    secret_spans: tuple[tuple[int, int], ...] = ()
    patched_secret_spans: tuple[tuple[int, int], ...] = ()

    def unified_diff(self) -> str:
        lines = unified_lines(
            mask_spans(self.original, self.secret_spans).splitlines(keepends=True),
            mask_spans(self.patched, self.patched_secret_spans).splitlines(keepends=True),
            fromfile=f"a/{self.display}",
            tofile=f"b/{self.display}",
        )
        out = []
        for line in lines:
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
        return mask_secret_literals("".join(out))


def mask_spans(text: str, spans: tuple[tuple[int, int], ...]) -> str:
    """Each span's text replaced by the mask, on one line (a heredoc's lines go with it)."""
    if not spans:
        return text
    out, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            continue
        out += [text[last:start], MASK]
        last = end
    out.append(text[last:])
    return "".join(out)


def shift_spans(spans: tuple[tuple[int, int], ...], edits: list[Edit]) -> tuple[tuple[int, int], ...]:
    """Spans of the original, moved to where they sit after the edits (a span an edit touches is
    the edit's own text now, and the edit never writes a secret)."""
    out = []
    for start, end in spans:
        if any(e.start < end and start < e.end or (e.start == e.end and start < e.start < end) for e in edits):
            continue
        delta = sum(len(e.after) - (e.end - e.start) for e in edits if e.end <= start)
        out.append((start + delta, end + delta))
    return tuple(out)
