"""`tfkms github review`: the fix analysis on a pull request, delivered where GitHub can apply it.

Changes on lines the PR's diff shows become ```suggestion comments of ONE review (event COMMENT);
the rest goes into the PR comment (upserted by the markdown report's hidden marker) as a unified
diff. Labels say what is pending: needs-tfkms-fix, and kms-destroy for a destructive guard plan."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import quote

from tfkms.analysis.result import Result
from tfkms.github.body import report_body
from tfkms.github.changes import Change, line_changes, remaining_patch
from tfkms.github.client import GitHubClient, Repo
from tfkms.github.diff_lines import DiffFile, diff_files, inside
from tfkms.github.files import RepoFile, changed_files
from tfkms.github.outcome import Outcome, delivered_status
from tfkms.github.suggestion import suggestion_comment
from tfkms.patch.model import FilePatch
from tfkms.report.markdown_report import marker
from tfkms.status import ExitStatus

PENDING_LABEL = "needs-tfkms-fix"
DESTROY_LABEL = "kms-destroy"


@dataclass(frozen=True)
class ReviewOptions:
    repo: Repo
    pr: int
    repo_root: Path
    plan_destructive: bool | None = None  # --plan judged by guard; None: no plan given


@dataclass
class ReviewPlan:
    """Where each change goes: review comments (path, first, last, body) or the PR comment's diff."""

    comments: list[dict[str, object]] = field(default_factory=list)
    rest: list[FilePatch] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # files the checkout has otherwise than the PR head


def plan_review(result: Result, files: list[RepoFile], diff: dict[str, DiffFile]) -> ReviewPlan:
    plan = ReviewPlan()
    for file in files:
        changes = line_changes(file.patch)
        shown = diff.get(file.path)
        if shown is not None and not shown.matches(file.patch.original):
            plan.stale.append(file.path)
            shown = None
        hunks = shown.hunks if shown is not None else []
        in_diff = [c for c in changes if not c.touches_secret and inside(hunks, c.first_line, c.last_line)]
        kept = [c for c in changes if c not in in_diff]
        if in_diff and any(c.touches_secret for c in kept):
            in_diff, kept = [], changes  # the diff of a partial patch could not mask that secret: all in the diff
        rest = file.patch if not in_diff else remaining_patch(file.patch, kept)
        if rest is not None:
            plan.rest.append(rest)
        plan.comments += [_comment(result, file, change) for change in in_diff]
    return plan


def _comment(result: Result, file: RepoFile, change: Change) -> dict[str, object]:
    comment: dict[str, object] = {"path": file.path, "line": change.last_line, "side": "RIGHT",
                                  "body": suggestion_comment(result, file.patch.display, change)}
    if change.first_line < change.last_line:
        comment.update(start_line=change.first_line, start_side="RIGHT")
    return comment


def deliver_review(client: GitHubClient, result: Result, options: ReviewOptions) -> Outcome:
    files = changed_files(result.patches, options.repo_root)  # before any call: a bad path stops here
    repo, number = options.repo, options.pr
    outcome = Outcome(status=delivered_status(result))
    if options.plan_destructive:
        outcome.status = ExitStatus.ACTION_NEEDED
    pr = client.get(f"{repo.path}/pulls/{number}")
    diff = diff_files(client.get_all(f"{repo.path}/pulls/{number}/files")) if files else {}
    plan = plan_review(result, files, diff)
    outcome.actions += [f"{path}: the checkout is not the PR head's version (check out the head commit); "
                        "its changes go into the comment" for path in plan.stale]
    review_marker = marker(result).replace("<!-- tfkms:", "<!-- tfkms-review:", 1)
    fresh = _not_yet_posted(client, repo, number, review_marker, plan.comments)
    if fresh:
        body = (f"{review_marker}\n**tfkms fix**: {len(fresh)} suggestion(s) below; *Commit suggestion* applies "
                "each, so the next plan replaces no migrated KMS key or secret.")
        client.post(f"{repo.path}/pulls/{number}/reviews", {
            "commit_id": pr["head"]["sha"], "body": body, "event": "COMMENT", "comments": fresh})
        outcome.actions.append(f"review posted on #{number} with {len(fresh)} suggestion(s)")
    elif plan.comments:
        outcome.actions.append(f"review: {len(plan.comments)} suggestion(s) already posted on #{number}")
    _upsert_comment(client, repo, number, result, plan, outcome)
    labels = {str(label.get("name")) for label in pr.get("labels", [])}
    _label(client, repo, number, labels, PENDING_LABEL, bool(files), outcome)
    if options.plan_destructive is not None:
        _label(client, repo, number, labels, DESTROY_LABEL, options.plan_destructive, outcome)
    if not outcome.actions:
        outcome.actions.append(f"nothing to review on #{number}: no KMS change pending")
    return outcome


def _not_yet_posted(client: GitHubClient, repo: Repo, number: int, review_marker: str,
                    comments: list[dict[str, object]]) -> list[dict[str, object]]:
    """The comments no earlier tfkms review holds on the same path, line and body."""
    if not comments:
        return []
    ours = {r["id"] for r in client.get_all(f"{repo.path}/pulls/{number}/reviews")
            if review_marker in (r.get("body") or "")}
    posted = {(c.get("path"), c.get("line"), c.get("body"))
              for c in client.get_all(f"{repo.path}/pulls/{number}/comments")
              if c.get("pull_request_review_id") in ours} if ours else set()
    return [c for c in comments if (c["path"], c["line"], c["body"]) not in posted]


def _upsert_comment(client: GitHubClient, repo: Repo, number: int, result: Result, plan: ReviewPlan,
                    outcome: Outcome) -> None:
    body = comment_body(result, plan)
    head = body.split("\n", 1)[0]  # the markdown report's marker: <!-- tfkms:fix:ROOT -->
    existing = [c for c in client.get_all(f"{repo.path}/issues/{number}/comments")
                if (c.get("body") or "").startswith(head)]
    if existing:
        if existing[0].get("body") != body:
            client.patch(f"{repo.path}/issues/comments/{existing[0]['id']}", {"body": body})
            outcome.actions.append(f"comment updated on #{number}: {existing[0].get('html_url', '')}".rstrip(": "))
        else:
            outcome.actions.append(f"comment on #{number} already up to date")
    elif result.patches or any(f.needs_action for f in result.findings):  # info alone is not worth a new comment
        made = client.post(f"{repo.path}/issues/{number}/comments", {"body": body})
        outcome.actions.append(f"comment posted on #{number}: {made.get('html_url', '')}".rstrip(": "))


def comment_body(result: Result, plan: ReviewPlan) -> str:
    """The markdown report over what the review could not carry: its findings and reasons, the rest of
    the patch as diffs, and no ```suggestion blocks (GitHub cannot apply them in a comment)."""
    note = ""
    if plan.comments:
        note = (f"> {len(plan.comments)} change(s) are suggestions in the tfkms review (*Files changed*, "
                "*Commit suggestion*)" + ("; the diff below is the rest (`tfkms fix ... --write` applies it)."
                                         if plan.rest else ".") + "\n\n")
    return report_body(replace(result, patches=plan.rest), note)


def _label(client: GitHubClient, repo: Repo, number: int, present: set[str], name: str, wanted: bool,
           outcome: Outcome) -> None:
    if wanted and name not in present:
        client.post(f"{repo.path}/issues/{number}/labels", {"labels": [name]})
        outcome.actions.append(f"label {name} added to #{number}")
    elif not wanted and name in present:
        client.delete(f"{repo.path}/issues/{number}/labels/{quote(name, safe='')}")
        outcome.actions.append(f"label {name} removed from #{number}")

