"""`tfkms github review` against the fake GitHub: suggestions only on the PR's diff lines, the rest
in one upserted comment, labels that follow what is pending, no duplicate review on rerun."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from github_support import PLANS, STATE, checkout, fake, tfkms_github  # noqa: F401 (fixtures)
from github_fake import FakeGitHub, pr_patch

from tfkms.github.diff_lines import Hunk, right_hunks

MARKER = "<!-- tfkms:fix:. -->"


@pytest.fixture
def pr(fake: FakeGitHub, checkout: Path) -> int:
    """PR #1: on a main where the app and signing keys had other descriptions, it changes line 5 and
    line 17 of main.tf (its diff: lines 2-8 and 14-20) and two files without KMS resources."""
    head = (checkout / "main.tf").read_text()
    older = head.replace('"shop app data key"', '"shop data key"').replace(
        '"order confirmation signing"', '"signing"')
    fake.seed("main", {"main.tf": older, "README.md": "shop\n", "NOTES.md": "a\n"})
    for n in range(3):  # other people's comments first: the upsert must page past them
        fake.issue_comments.append({"id": 10 + n, "body": f"LGTM {n}", "issue": 1, "html_url": "u"})
    made = fake.add_pull("feature", "main", {"main.tf": head, "README.md": "shop backend\n", "NOTES.md": "b\n"})
    fake.issue_comments = [dict(c, issue=made["number"]) for c in fake.issue_comments]
    return int(made["number"])


def suggestions(fake: FakeGitHub) -> list[tuple[str, int | None, int]]:
    return [(c["path"], c["start_line"], c["line"]) for c in fake.review_comments]


def tfkms_comments(fake: FakeGitHub) -> list[str]:
    return [c["body"] for c in fake.issue_comments if c["body"].startswith(MARKER)]


def test_suggestions_only_inside_the_diff_and_the_rest_in_the_comment(fake: FakeGitHub, pr: int) -> None:
    code, out, err = tfkms_github("review", ".", *STATE, "--pr", str(pr))
    assert (code, err) == (0, "")
    [comment] = tfkms_comments(fake)
    url = [c["html_url"] for c in fake.issue_comments if c["body"] == comment][0]
    assert out.splitlines() == [f"review posted on #{pr} with 3 suggestion(s)", f"comment posted on #{pr}: {url}",
                                f"label needs-tfkms-fix added to #{pr}"]
    [review] = fake.reviews
    assert review["state"] == "COMMENTED" and "<!-- tfkms-review:fix:. -->" in review["body"]
    assert suggestions(fake) == [("main.tf", None, 6), ("main.tf", None, 18), ("main.tf", None, 19)]
    app, level, signing = (c["body"] for c in fake.review_comments)
    assert app.endswith('```suggestion\n  pending_window_in_days = 7\n'
                        '  dkms_instance_id       = "kst-hzzymj6hl4m439hnlkl9e"\n```')
    assert "**TFKMS200** `alicloud_kms_key.app`" in app
    assert level.endswith('```suggestion\n  protection_level       = "SOFTWARE"\n```')
    assert "**TFKMS201** `alicloud_kms_key.signing`: config says 'HSM'" in level
    assert "TFKMS200** `alicloud_kms_key.signing`" in signing
    # the comment: every finding, no suggestion block, and a diff of what the review could not carry
    assert comment.startswith(MARKER + "\n> 3 change(s) are suggestions in the tfkms review")
    assert "```suggestion" not in comment
    diff = comment[comment.index("```diff"):]
    assert "protection_level" not in diff and "@@ -4,6" not in diff
    assert '+  dkms_instance_id  = "kst-hzzymj6hl4m439hnlkl9e"' in diff  # the secret db, line 26, outside the diff
    assert "+  dkms_instance_id = lookup({" in diff and "modules/audit-log-key/main.tf" in diff
    assert "TFKMS201" in comment and "| `alicloud_kms_key.tenant[\"beta\"]` |" in comment
    assert fake.labels_of(pr) == ["needs-tfkms-fix"]


def test_rerun_posts_no_second_review_and_updates_the_same_comment(fake: FakeGitHub, pr: int) -> None:
    assert tfkms_github("review", ".", *STATE, "--pr", str(pr))[0] == 0
    fake.issue_comments[-1]["body"] = MARKER + "\nan older report"
    code, out, err = tfkms_github("review", ".", *STATE, "--pr", str(pr))
    assert (code, err) == (0, "")
    assert len(fake.reviews) == 1 and len(fake.review_comments) == 3
    assert len(tfkms_comments(fake)) == 1 and "an older report" not in tfkms_comments(fake)[0]
    assert out.splitlines()[0] == f"review: 3 suggestion(s) already posted on #{pr}"
    assert out.splitlines()[1].startswith(f"comment updated on #{pr}: ")
    assert len(out.splitlines()) == 2  # the label is there already
    assert tfkms_github("review", ".", *STATE, "--pr", str(pr))[1].splitlines()[1] == \
        f"comment on #{pr} already up to date"


def test_once_applied_the_label_goes_and_the_comment_says_so(fake: FakeGitHub, pr: int, checkout: Path) -> None:
    from typer.testing import CliRunner

    from tfkms.cli import app

    assert tfkms_github("review", ".", *STATE, "--pr", str(pr))[0] == 0
    assert CliRunner().invoke(app, ["fix", ".", *STATE, "--write"]).exit_code == 0  # suggestions committed
    code, out, err = tfkms_github("review", ".", *STATE, "--pr", str(pr))
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == f"label needs-tfkms-fix removed from #{pr}"
    assert fake.labels_of(pr) == [] and len(fake.reviews) == 1
    [comment] = tfkms_comments(fake)
    assert "```diff" not in comment and "files to change" not in comment


def test_destructive_plan_labels_kms_destroy_and_a_safe_one_removes_it(fake: FakeGitHub, pr: int) -> None:
    code, out, _ = tfkms_github("review", ".", *STATE, "--pr", str(pr), "--plan",
                                str(PLANS / "replace_key_dkms.json"))
    assert code == 2
    assert out.splitlines()[-1] == f"label kms-destroy added to #{pr}"
    assert sorted(fake.labels_of(pr)) == ["kms-destroy", "needs-tfkms-fix"]
    code, out, _ = tfkms_github("review", ".", *STATE, "--pr", str(pr), "--plan",
                                str(PLANS / "safe_no_changes.json"))
    assert code == 0
    assert out.splitlines()[-1] == f"label kms-destroy removed from #{pr}"
    assert fake.labels_of(pr) == ["needs-tfkms-fix"]


def test_an_unreadable_plan_is_one_line_and_touches_nothing(fake: FakeGitHub, pr: int) -> None:
    requests = len(fake.requests)
    code, out, err = tfkms_github("review", ".", *STATE, "--pr", str(pr), "--plan", str(PLANS / "broken.json"))
    assert (code, out) == (1, "") and len(err.splitlines()) == 1 and err.startswith("tfkms: error: --plan ")
    assert len(fake.requests) == requests


def test_pr_number_from_the_event_payload(fake: FakeGitHub, pr: int, tmp_path: Path, monkeypatch) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "pull_request": {"number": pr}}))
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    assert tfkms_github("review", ".", *STATE)[0] == 0
    assert len(fake.reviews) == 1


def test_not_a_pull_request_event(fake: FakeGitHub, tmp_path: Path, monkeypatch) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"schedule": "0 3 * * *"}))
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    code, _, err = tfkms_github("review", ".", *STATE)
    assert code == 1 and err == f"tfkms: error: GITHUB_EVENT_PATH {event}: not a pull_request event; pass --pr N\n"


def test_a_fork_token_fails_clearly(fake: FakeGitHub, pr: int) -> None:
    from github_fake import ApiError

    fake.fail_next[f"POST /pulls/{pr}/reviews"] = ApiError(403, "Resource not accessible by integration")
    code, out, err = tfkms_github("review", ".", *STATE, "--pr", str(pr))
    assert (code, out) == (1, "")
    assert err == (f"tfkms: error: GitHub POST /repos/acme/infra/pulls/{pr}/reviews: 403 Resource not accessible "
                   "by integration; a pull request from a fork gets a read-only token (see docs/github.md)\n")


def test_right_hunks_of_a_files_patch() -> None:
    patch = pr_patch("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n", "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\n")
    assert right_hunks(patch) == [Hunk(1, 5), Hunk(9, 12)]
    assert right_hunks("@@ -3 +3 @@\n-x\n+y") == [Hunk(3, 3)]
    assert right_hunks("@@ -1,2 +0,0 @@\n-x\n-y") == []
    assert right_hunks(None) == []
    assert right_hunks("@@ -10,3 +12,4 @@ resource \"x\" \"y\" {\n a\n+b\n c\n d") == [Hunk(12, 15)]


def test_a_change_next_to_a_secret_literal_is_never_suggested(fake: FakeGitHub, checkout: Path) -> None:
    """The module's secret gets a literal value on the line the insertion is anchored on: no suggestion may
    carry it (or apply the mask), so that file's changes all go into the comment's masked diff."""
    canary = "CANARY-s3cr3t-7f3a9"
    module = checkout / "modules" / "audit-log-key" / "main.tf"
    secret = '  secret_data       = "rotate-me"\n'
    rest = '  version_id        = "v1"\n  encryption_key_id = alicloud_kms_key.this.id\n'
    head = module.read_text().replace(secret + rest, rest + f'  secret_data       = "{canary}"\n')
    assert canary in head
    module.write_text(head)
    older = head.replace('"${var.name} log key"', '"log key"').replace('/sls-ingest-token"', '/token"')
    fake.seed("main", {"modules/audit-log-key/main.tf": older})
    number = fake.add_pull("feature", "main", {"modules/audit-log-key/main.tf": head})["number"]
    assert right_hunks(fake.pull_files[number][0]["patch"]) == [Hunk(5, 16)]  # both changes' lines
    code, out, err = tfkms_github("review", ".", *STATE, "--pr", str(number))
    assert (code, err) == (0, "")
    assert all(c["path"] != "modules/audit-log-key/main.tf" for c in fake.review_comments)
    [comment] = tfkms_comments(fake)
    assert canary not in comment and canary not in out
    assert all(canary not in c["body"] for c in fake.review_comments)
    assert 'secret_data       = "(redacted by tfkms)"\n+  dkms_instance_id  = "kst-' in comment
    assert "+++ b/modules/audit-log-key/main.tf" in comment


def test_a_checkout_that_is_not_the_pr_head_gets_no_suggestions(fake: FakeGitHub, pr: int, checkout: Path) -> None:
    """GitHub's line numbers are the head's: a checkout of another commit (the merge commit
    actions/checkout takes by default, here one more line on top) would put suggestions on wrong lines."""
    main = checkout / "main.tf"
    main.write_text("# merged from main\n" + main.read_text())
    code, out, err = tfkms_github("review", ".", *STATE, "--pr", str(pr))
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == ("main.tf: the checkout is not the PR head's version (check out the head commit); "
                                   "its changes go into the comment")
    assert fake.reviews == [] and fake.review_comments == []
    [comment] = tfkms_comments(fake)
    assert 'protection_level       = "SOFTWARE"' in comment and "```suggestion" not in comment


def test_a_change_of_several_lines_is_one_multi_line_suggestion(tmp_path: Path) -> None:
    from tfkms.analysis.result import Result
    from tfkms.github.diff_lines import DiffFile
    from tfkms.github.files import changed_files
    from tfkms.github.review import plan_review
    from tfkms.patch.model import FilePatch

    original = "".join(f"line {n}\n" for n in range(1, 21))
    patched = original.replace("line 3\nline 4\n", "LINE 3\nLINE 4\n").replace("line 18\n", "line 18\nnew\n")
    patch = FilePatch("x.tf", tmp_path / "x.tf", original, patched)
    files = changed_files([patch], tmp_path)
    plan = plan_review(Result("fix", patches=[patch]), files, {"x.tf": DiffFile([Hunk(1, 6)], None)})
    [comment] = plan.comments
    assert {k: comment[k] for k in ("path", "start_line", "start_side", "line", "side")} == {
        "path": "x.tf", "start_line": 3, "start_side": "RIGHT", "line": 4, "side": "RIGHT"}
    assert str(comment["body"]).endswith("```suggestion\nLINE 3\nLINE 4\n```")
    [rest] = plan.rest  # line 18's insertion is outside the diff: the comment's diff carries it, and only it
    assert rest.patched == original.replace("line 18\n", "line 18\nnew\n")


def test_nothing_pending_posts_nothing(fake: FakeGitHub, pr: int) -> None:
    from typer.testing import CliRunner

    from tfkms.cli import app

    assert CliRunner().invoke(app, ["fix", ".", *STATE, "--write"]).exit_code == 0
    code, out, err = tfkms_github("review", ".", *STATE, "--pr", str(pr))
    assert (code, err) == (0, "")
    assert out == f"nothing to review on #{pr}: no KMS change pending\n"  # TFKMS206 (info) alone: no new comment
    assert fake.reviews == [] and fake.issue_comments[-1]["body"] == "LGTM 2" and fake.labels_of(pr) == []
    assert [method for method, _ in fake.requests] == ["GET", "GET", "GET"]  # the PR, its comments (2 pages)
