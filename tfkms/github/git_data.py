"""One commit on a branch through the Git Data API: blobs, a tree on the base's tree, a commit whose
parent is the base head, then the branch ref created or force-moved there (a rerun rebuilds the
branch on the current base). No local git is needed."""
from __future__ import annotations

import base64
import urllib.parse
from dataclasses import dataclass

from tfkms.github.client import GitHubClient, GitHubError, Repo


@dataclass(frozen=True)
class BranchUpdate:
    branch: str
    commit: str
    action: str  # created | updated | unchanged


def head_of(client: GitHubClient, repo: Repo, branch: str) -> str | None:
    """The commit a branch points at, None when it does not exist (GitHub: 404)."""
    try:
        ref = client.get(f"{repo.path}/git/ref/heads/{_quote_ref(branch)}")
    except GitHubError as exc:
        if exc.status == 404:
            return None
        raise
    return str(ref["object"]["sha"])


def commit_files(client: GitHubClient, repo: Repo, base: str, branch: str, files: dict[str, bytes],
                 message: str) -> BranchUpdate:
    base_head = head_of(client, repo, base)
    if base_head is None:
        raise GitHubError(f"GitHub: base branch {base!r} not found in {repo.owner}/{repo.name}", 404)
    base_tree = client.get(f"{repo.path}/git/commits/{base_head}")["tree"]["sha"]
    entries = []
    for path, content in sorted(files.items()):
        blob = client.post(f"{repo.path}/git/blobs",
                           {"content": base64.b64encode(content).decode("ascii"), "encoding": "base64"})
        entries.append({"path": path, "mode": "100644", "type": "blob", "sha": blob["sha"]})
    tree = client.post(f"{repo.path}/git/trees", {"base_tree": base_tree, "tree": entries})["sha"]
    current = head_of(client, repo, branch)
    if current is not None:
        existing = client.get(f"{repo.path}/git/commits/{current}")
        parents = [p["sha"] for p in existing.get("parents", [])]
        if existing["tree"]["sha"] == tree and parents == [base_head]:
            return BranchUpdate(branch, current, "unchanged")  # same files on the same base: no new commit
    commit = client.post(f"{repo.path}/git/commits",
                         {"message": message, "tree": tree, "parents": [base_head]})["sha"]
    if current is None:
        client.post(f"{repo.path}/git/refs", {"ref": f"refs/heads/{branch}", "sha": commit})
        return BranchUpdate(branch, commit, "created")
    client.patch(f"{repo.path}/git/refs/heads/{_quote_ref(branch)}", {"sha": commit, "force": True})
    return BranchUpdate(branch, commit, "updated")


def _quote_ref(branch: str) -> str:
    return urllib.parse.quote(branch, safe="/")
