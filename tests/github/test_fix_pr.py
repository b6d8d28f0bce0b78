"""`tfkms github fix-pr` against the fake GitHub: one branch, one pull request, rebuilt on rerun."""
from __future__ import annotations

from pathlib import Path

from github_support import STATE, checkout, fake, repo_files, tfkms_github  # noqa: F401 (fixtures)
from github_fake import ApiError, FakeGitHub

BRANCH = "tfkms/fix-root"


def test_opens_a_pull_request_with_the_patched_files(fake: FakeGitHub, checkout: Path) -> None:
    code, out, err = tfkms_github("fix-pr", ".", *STATE)
    assert (code, err) == (0, "")
    [pr] = fake.pulls
    assert out.splitlines() == [
        f"branch {BRANCH} created at {fake.refs[BRANCH][:12]} (on main)",
        f"pull request #1 opened: {pr['html_url']}",
        "label tfkms-fix added to #1",
    ]
    assert (pr["head"]["ref"], pr["base"]["ref"], pr["state"]) == (BRANCH, "main", "open")
    assert pr["body"].startswith("<!-- tfkms:fix:. -->\n### tfkms fix: action needed")
    assert "```diff" in pr["body"] and "TFKMS201" in pr["body"]
    assert "```suggestion" not in pr["body"]  # the PR carries the change; GitHub cannot apply those here
    assert fake.labels_of(1) == ["tfkms-fix"]
    files = fake.files_of(BRANCH)
    before = fake.files_of("main")
    changed = sorted(path for path in files if files[path] != before[path])
    assert changed == ["main.tf", "modules/audit-log-key/main.tf"]  # relative to the repo root
    assert 'dkms_instance_id       = "kst-hzzymj6hl4m439hnlkl9e"' in files["main.tf"]
    assert repo_files(checkout) == before  # nothing written locally
    commit = fake.commits[fake.refs[BRANCH]]
    assert commit.parents == [fake.refs["main"]]


def test_rerun_rebuilds_the_branch_on_the_new_base_and_updates_the_same_pull_request(fake: FakeGitHub) -> None:
    assert tfkms_github("fix-pr", ".", *STATE)[0] == 0
    first = fake.refs[BRANCH]
    fake.pulls[0]["body"] = "edited by hand"
    fake.seed("main", {"README.md": "a later change on main\n"})  # the base moved on
    code, out, err = tfkms_github("fix-pr", ".", *STATE)
    assert (code, err) == (0, "")
    assert len(fake.pulls) == 1 and fake.pulls[0]["state"] == "open"
    assert fake.refs[BRANCH] != first
    assert fake.commits[fake.refs[BRANCH]].parents == [fake.refs["main"]]
    assert fake.files_of(BRANCH)["README.md"] == "a later change on main\n"
    assert fake.pulls[0]["body"].startswith("<!-- tfkms:fix:. -->")
    assert out.splitlines()[:2] == [f"branch {BRANCH} updated at {fake.refs[BRANCH][:12]} (on main)",
                                    f"pull request #1 updated: {fake.pulls[0]['html_url']}"]
    assert fake.labels_of(1) == ["tfkms-fix"]


def test_rerun_with_nothing_new_keeps_the_branch_commit(fake: FakeGitHub) -> None:
    assert tfkms_github("fix-pr", ".", *STATE)[0] == 0
    first = fake.refs[BRANCH]
    code, out, _ = tfkms_github("fix-pr", ".", *STATE)
    assert code == 0 and fake.refs[BRANCH] == first and len(fake.pulls) == 1
    assert out.splitlines()[0] == f"branch {BRANCH} unchanged at {first[:12]} (on main)"
    assert ("PATCH", f"/repos/acme/infra/git/refs/heads/{BRANCH}") not in fake.requests


def test_nothing_to_change_opens_nothing_and_leaves_an_open_pull_request_alone(
        fake: FakeGitHub, checkout: Path) -> None:
    assert tfkms_github("fix-pr", ".", *STATE)[0] == 0
    from typer.testing import CliRunner

    from tfkms.cli import app  # the fix applied locally, as after merging the fix PR

    assert CliRunner().invoke(app, ["fix", ".", *STATE, "--write"]).exit_code == 0
    requests = len(fake.requests)
    code, out, err = tfkms_github("fix-pr", ".", *STATE)
    assert (code, out, err) == (0, "nothing to change: no branch, no pull request\n", "")
    assert len(fake.requests) == requests  # no call at all
    assert [pr["state"] for pr in fake.pulls] == ["open"]


def test_custom_branch_and_repo_root(fake: FakeGitHub, checkout: Path, monkeypatch) -> None:
    monkeypatch.chdir(checkout / "modules")
    code, out, err = tfkms_github("fix-pr", "..", "--state", "../terraform.tfstate", "--repo-root", "..",
                                  "--branch", "kms/pin", "--base", "main")
    assert (code, err) == (0, "")
    changed = {p for p, t in fake.files_of("kms/pin").items() if t != fake.files_of("main")[p]}
    assert changed == {"main.tf", "modules/audit-log-key/main.tf"}
    assert fake.pulls[0]["head"]["ref"] == "kms/pin"


def test_a_patch_outside_the_repo_root_fails_before_any_call(fake: FakeGitHub, checkout: Path) -> None:
    code, out, err = tfkms_github("fix-pr", ".", *STATE, "--repo-root", "modules")
    assert code == 1 and out == ""
    assert err == "tfkms: error: main.tf: outside the repository root modules (--repo-root)\n"
    assert fake.requests == []


def test_missing_token_is_one_line(fake: FakeGitHub, monkeypatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    code, out, err = tfkms_github("fix-pr", ".", *STATE)
    assert (code, out) == (1, "")
    assert err == "tfkms: error: no GitHub token: set GITHUB_TOKEN (or GH_TOKEN), e.g. to secrets.GITHUB_TOKEN\n"
    assert fake.requests == []


def test_gh_token_is_accepted(fake: FakeGitHub, monkeypatch) -> None:
    from github_fake import TOKEN

    monkeypatch.delenv("GITHUB_TOKEN")
    monkeypatch.setenv("GH_TOKEN", TOKEN)
    assert tfkms_github("fix-pr", ".", *STATE)[0] == 0


def test_github_422_is_one_line_naming_the_endpoint(fake: FakeGitHub) -> None:
    fake.fail_next["POST /pulls"] = ApiError(422, "Validation Failed", [
        {"resource": "PullRequest", "code": "custom", "message": "No commits between main and tfkms/fix-root"}])
    code, out, err = tfkms_github("fix-pr", ".", *STATE)
    assert code == 1
    assert err == ("tfkms: error: GitHub POST /repos/acme/infra/pulls: 422 Validation Failed "
                   "(No commits between main and tfkms/fix-root)\n")
    assert "ghs_" not in err + out


def test_a_bad_token_is_reported_without_the_token(fake: FakeGitHub, monkeypatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_wrong_secret_value")
    code, out, err = tfkms_github("fix-pr", ".", *STATE)
    assert (code, out) == (1, "")
    assert err == "tfkms: error: GitHub GET /repos/acme/infra: 401 Bad credentials\n"


def test_plain_http_is_refused_except_to_loopback(fake: FakeGitHub) -> None:
    code, _, err = tfkms_github("fix-pr", ".", *STATE, "--api-url", "http://github.example.com/api/v3")
    assert code == 1 and "plain HTTP to a host that is not loopback" in err and len(err.splitlines()) == 1
    assert fake.requests == []


def test_repository_is_required(fake: FakeGitHub, monkeypatch) -> None:
    monkeypatch.delenv("GITHUB_REPOSITORY")
    code, _, err = tfkms_github("fix-pr", ".", *STATE)
    assert (code, err) == (1, "tfkms: error: which repository? pass --repo OWNER/NAME or set GITHUB_REPOSITORY\n")


def test_the_action_runs_real_github_commands_and_flags() -> None:
    import re

    from github_support import REPO, app
    from typer.testing import CliRunner

    action = (REPO / "action.yml").read_text()
    for mode in ("fix-pr", "review"):
        assert f"args=(github {mode} " in action
        block = action[action.index(f"{mode}) args=(github {mode}"):]
        block = block[:block.index(";;")]
        help_text = CliRunner().invoke(app, ["github", mode, "--help"], env={"COLUMNS": "200"}).stdout
        for flag in re.findall(r"--[a-z-]+", block) + ["--state", "--inventory"]:
            assert flag in help_text, f"tfkms github {mode} has no {flag}"
    assert "contents: write" in action and "pull-requests: write" in action


def test_exit_2_only_for_findings_no_patch_fixes() -> None:
    from tfkms.analysis.result import Finding, Result
    from tfkms.analysis.rules import Severity
    from tfkms.github.outcome import delivered_status
    from tfkms.patch.model import FilePatch
    from tfkms.status import ExitStatus

    patch = FilePatch("main.tf", Path("main.tf"), "a\n", "b\n")
    fixed = Finding("TFKMS200", Severity.ERROR, "m", "h", fixed_by=("main.tf",))
    manual = Finding("TFKMS204", Severity.WARNING, "registry module", "h")
    assert delivered_status(Result("fix", findings=[fixed], patches=[patch])) is ExitStatus.OK
    assert delivered_status(Result("fix", findings=[fixed, manual], patches=[patch])) is ExitStatus.ACTION_NEEDED
    assert delivered_status(Result("fix", findings=[fixed])) is ExitStatus.ACTION_NEEDED  # its patch is not there
