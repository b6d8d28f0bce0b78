"""`tfkms github fix-pr`: the fix analysis's patches committed on one branch, and one pull request
for it opened or updated (never duplicated, never closed)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tfkms.analysis.result import Result
from tfkms.github.body import report_body
from tfkms.github.client import GitHubClient, Repo
from tfkms.github.files import RepoFile, branch_slug, changed_files
from tfkms.github.git_data import commit_files
from tfkms.github.outcome import Outcome, delivered_status

FIX_LABEL = "tfkms-fix"


@dataclass(frozen=True)
class FixPrOptions:
    repo: Repo
    repo_root: Path
    base: str | None = None  # None: the repository's default branch
    branch: str | None = None  # None: tfkms/fix-<slug of the scanned paths>


def deliver_fix_pr(client: GitHubClient, result: Result, options: FixPrOptions) -> Outcome:
    files = changed_files(result.patches, options.repo_root)  # before any call: a bad path stops here
    outcome = Outcome(status=delivered_status(result))
    if not files:
        outcome.actions.append("nothing to change: no branch, no pull request")
        return outcome
    repo = options.repo
    base = options.base or str(client.get(repo.path)["default_branch"])
    branch = options.branch or f"tfkms/fix-{branch_slug(result.paths)}"
    update = commit_files(client, repo, base, branch, _contents(files), _commit_message(files))
    outcome.actions.append(f"branch {branch} {update.action} at {update.commit[:12]} (on {base})")
    title = f"tfkms: keep migrated KMS resources from being replaced ({', '.join(result.paths) or '.'})"
    body = report_body(result)
    open_prs = client.get_all(f"{repo.path}/pulls", {"head": f"{repo.owner}:{branch}", "state": "open"})
    if open_prs:
        number = int(open_prs[0]["number"])
        pr = client.patch(f"{repo.path}/pulls/{number}", {"title": title, "body": body})
        verb = "updated"
    else:
        pr = client.post(f"{repo.path}/pulls", {"title": title, "head": branch, "base": base, "body": body})
        number, verb = int(pr["number"]), "opened"
    outcome.actions.append(f"pull request #{number} {verb}: {pr.get('html_url', '')}".rstrip(": "))
    if FIX_LABEL not in {label.get("name") for label in pr.get("labels", [])}:
        client.post(f"{repo.path}/issues/{number}/labels", {"labels": [FIX_LABEL]})
        outcome.actions.append(f"label {FIX_LABEL} added to #{number}")
    return outcome


def _contents(files: list[RepoFile]) -> dict[str, bytes]:
    # the same bytes `tfkms fix --write` would write (tfkms.patch.apply encodes UTF-8)
    return {f.path: f.patch.patched.encode("utf-8") for f in files}


def _commit_message(files: list[RepoFile]) -> str:
    listed = "\n".join(f"- {f.path}" for f in files)
    return ("tfkms fix: write what the cloud reports after the KMS 3.0 migration\n\n"
            f"So the next plan neither destroys nor replaces a migrated key or secret.\n\n{listed}\n")
