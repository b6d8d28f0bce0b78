"""What a patch is: text splices (`Edit`) and the new text of a file (`FilePatch`).

The model sits in `patch/` so that edit builders, `apply` and the analysis that proposes edits
all depend on it downwards; `analysis.result.Finding` carries a finding's edits.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from tfkms.redact import mask_secret_literals


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
    """The full new text of one file; `display` is relative to the scanned PATH."""

    display: str
    path: Path
    original: str
    patched: str
    written: bool = False

    def unified_diff(self) -> str:
        lines = difflib.unified_diff(
            self.original.splitlines(keepends=True),
            self.patched.splitlines(keepends=True),
            fromfile=f"a/{self.display}",
            tofile=f"b/{self.display}",
        )
        out = []
        for line in lines:
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
        return mask_secret_literals("".join(out))
