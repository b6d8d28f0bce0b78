"""The fix analysis's patches as files of the repository: paths relative to the repo root."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from tfkms.errors import TfkmsError
from tfkms.patch.model import FilePatch


@dataclass(frozen=True)
class RepoFile:
    path: str  # relative to the repo root, '/'-separated: what git trees and PR files name
    patch: FilePatch


def changed_files(patches: list[FilePatch], repo_root: Path) -> list[RepoFile]:
    """Each patch that changes its file, named relative to `repo_root`; one outside it is an error
    (raised before any API call: a tree cannot hold it)."""
    root = Path(os.path.realpath(repo_root))
    out = []
    for patch in patches:
        if patch.original == patch.patched:
            continue
        target = Path(os.path.realpath(patch.path))
        try:
            relative = target.relative_to(root)
        except ValueError:
            raise TfkmsError(f"{patch.display}: outside the repository root {repo_root} (--repo-root)") from None
        out.append(RepoFile(relative.as_posix(), patch))
    return sorted(out, key=lambda f: f.path)


def branch_slug(paths: list[str]) -> str:
    """`tfkms/fix-<slug>`: the scanned paths, lowercase, runs of other characters as '-'."""
    slug = re.sub(r"[^a-z0-9]+", "-", "-".join(paths).lower()).strip("-")
    return slug[:60].strip("-") or "root"
