"""Which right-side lines a pull request's diff shows, from the `patch` of each file GitHub lists:
only those can carry a review comment (and so a suggestion)."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class Hunk:
    first: int  # right-side (new file) lines first..last, 1-based, inclusive
    last: int

    def holds(self, first: int, last: int) -> bool:
        return self.first <= first and last <= self.last


def right_hunks(patch: str | None) -> list[Hunk]:
    """The right-side line range of each hunk: context and added lines, contiguous in the new file."""
    hunks = []
    for line in (patch or "").splitlines():
        match = _HUNK.match(line)
        if match is None:
            continue
        start, count = int(match.group(1)), int(match.group(2) or "1")
        if count > 0:
            hunks.append(Hunk(start, start + count - 1))
    return hunks


@dataclass(frozen=True)
class DiffFile:
    hunks: list[Hunk]
    blob: str | None  # the file's blob sha at the PR head (`sha` of the listing)

    def matches(self, text: str) -> bool:
        """Is `text` the file as the PR head has it? Else the line numbers tfkms knows are not GitHub's."""
        data = text.encode("utf-8")
        return self.blob is None or hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest() == self.blob


def diff_files(pr_files: list[dict[str, object]]) -> dict[str, DiffFile]:
    """filename -> its hunks, for the files of GET /pulls/{n}/files (a removed file has no right side;
    a file too large for GitHub to diff has no `patch`, so no line of it can be commented)."""
    out: dict[str, DiffFile] = {}
    for item in pr_files:
        if item.get("status") == "removed":
            continue
        patch, blob = item.get("patch"), item.get("sha")
        out[str(item["filename"])] = DiffFile(right_hunks(patch if isinstance(patch, str) else None),
                                              blob if isinstance(blob, str) else None)
    return out


def inside(hunks: list[Hunk], first: int, last: int) -> bool:
    """All of lines first..last lie in one hunk (GitHub wants a multi-line comment within one)."""
    return any(h.holds(first, last) for h in hunks)
