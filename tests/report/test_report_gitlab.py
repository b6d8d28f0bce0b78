"""GitLab Code Quality renderer: every field as GitLab reads it, fingerprints, severities, the CLI."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from report_samples import check_result, empty_result, fix_result
from tfkms.analysis.guard import guard_plan
from tfkms.analysis.result import Finding, Result
from tfkms.analysis.rules import RULES, Severity
from tfkms.cli import app
from tfkms.errors import InputProblem
from tfkms.report import render
from tfkms.report.sarif_report import render as render_sarif

REPO = Path(__file__).resolve().parents[2]
PLANS = REPO / "fixtures" / "plans"
QUICKSTART = "fixtures/terraform/quickstart"

SEVERITIES = {"info", "minor", "major", "critical", "blocker"}
# Code Climate's categories (GitLab accepts the spec's fields and ignores the ones it does not show).
CATEGORIES = {"Bug Risk", "Clarity", "Compatibility", "Complexity", "Duplication", "Performance", "Security",
              "Style"}
KEYS = {"type", "description", "check_name", "fingerprint", "severity", "categories", "location", "content"}


def validate_code_quality(issues: object) -> None:
    """What GitLab requires of a Code Quality report, field by field, and what the spec adds."""
    assert isinstance(issues, list)
    for issue in issues:
        assert isinstance(issue, dict) and set(issue) <= KEYS, issue
        assert issue["type"] == "issue"
        assert isinstance(issue["description"], str) and issue["description"].strip()
        assert "\n" not in issue["description"] and "\r" not in issue["description"]
        assert issue["check_name"] in RULES or issue["check_name"] == "input-error"
        assert isinstance(issue["fingerprint"], str) and re.fullmatch(r"[0-9a-f]{32}", issue["fingerprint"])
        assert issue["severity"] in SEVERITIES
        assert isinstance(issue["categories"], list) and issue["categories"]
        assert set(issue["categories"]) <= CATEGORIES
        location = issue["location"]
        assert set(location) == {"path", "lines"} and set(location["lines"]) == {"begin"}
        path = location["path"]
        assert isinstance(path, str) and path and "\\" not in path and not path.startswith(("./", "/"))
        begin = location["lines"]["begin"]
        assert type(begin) is int and begin >= 1
        if "content" in issue:
            assert set(issue["content"]) == {"body"} and isinstance(issue["content"]["body"], str)
    fingerprints = [issue["fingerprint"] for issue in issues]
    assert len(fingerprints) == len(set(fingerprints)), "GitLab keys issues by fingerprint"


def code_quality(result: Result) -> list[dict]:
    text = render(result, "gitlab")
    assert text.endswith("]\n")
    issues = json.loads(text)
    validate_code_quality(issues)
    return issues


@pytest.mark.parametrize("make", [check_result, fix_result, empty_result])
def test_output_is_a_valid_code_quality_report(make):
    code_quality(make())


def test_clean_run_is_an_empty_array():
    assert render(empty_result(), "gitlab") == "[]\n"


def test_suppressed_findings_are_left_out_and_input_problems_are_critical():
    issues = code_quality(check_result())
    assert [(i["check_name"], i["severity"]) for i in issues] == [
        ("TFKMS102", "major"), ("TFKMS100", "critical"), ("TFKMS105", "info"), ("input-error", "critical")]
    problem = issues[-1]
    assert problem["location"] == {"path": "infra/prod/broken.tf", "lines": {"begin": 4}}
    assert problem["description"] == "cannot read input: unclosed block; close the `resource` opened at line 2"


def test_description_is_one_line_with_the_address_first_and_the_hint_is_the_body():
    by_rule = {i["check_name"]: i for i in code_quality(check_result())}
    assert by_rule["TFKMS100"]["description"] == (
        'module.kms["a|b"].alicloud_kms_key.this: Key spec <img src=x onerror=alert(1)> | EC_SM2 cannot migrate '
        "to a software instance")
    assert by_rule["TFKMS100"]["content"] == {"body": "Pick a hardware instance."}
    assert by_rule["TFKMS100"]["location"] == {"path": "infra/prod/modules/kms/main.tf", "lines": {"begin": 10}}
    assert by_rule["TFKMS100"]["categories"] == ["Compatibility"]


def test_destroy_risk_errors_are_blockers():
    issues = code_quality(fix_result())
    assert [(i["check_name"], i["severity"], i["categories"]) for i in issues] == [
        ("TFKMS200", "blocker", ["Bug Risk"]), ("TFKMS202", "blocker", ["Bug Risk"]),
        ("TFKMS200", "blocker", ["Bug Risk"]), ("TFKMS204", "major", ["Bug Risk"])]


def test_an_error_that_destroys_nothing_stays_critical():
    # A settings file may raise a warning to an error: it is not a destroy risk.
    result = Result(command="check", paths=["."], findings=[
        Finding("TFKMS102", Severity.ERROR, "rotation is on", "", address="alicloud_kms_key.k", file="main.tf",
                line=2)])
    assert [i["severity"] for i in code_quality(result)] == ["critical"]


def test_guard_findings_are_blockers_on_the_plan_file_with_unique_fingerprints():
    result = guard_plan(PLANS / "create_before_destroy.json", "plans/create_before_destroy.json")
    assert [f.address for f in result.findings].count("alicloud_kms_key.main") == 2
    issues = code_quality(result)
    assert {i["severity"] for i in issues if i["check_name"] == "TFKMS300"} == {"blocker"}
    assert {i["location"]["path"] for i in issues} == {"plans/create_before_destroy.json"}
    assert [i["location"]["lines"]["begin"] for i in issues] == [f.line for f in result.findings]


def test_resolved_findings_are_left_out():
    result = fix_result()
    for finding in result.findings:
        finding.resolved = bool(finding.edits)
    assert [i["check_name"] for i in code_quality(result)] == ["TFKMS204"]


def test_fingerprints_are_stable_across_runs_and_line_moves():
    runs = [code_quality(guard_plan(PLANS / "create_before_destroy.json", "plan.json")) for _ in range(2)]
    assert [i["fingerprint"] for i in runs[0]] == [i["fingerprint"] for i in runs[1]]
    moved = fix_result()
    for finding in moved.findings:
        assert finding.line is not None
        finding.line += 7
    assert [i["fingerprint"] for i in code_quality(moved)] == [i["fingerprint"] for i in code_quality(fix_result())]


def test_fingerprints_are_the_sarif_ones_and_survive_a_suppression_elsewhere():
    result = check_result()
    sarif = json.loads(render_sarif(result))["runs"][0]["results"]
    sarif_fingerprints = {r["partialFingerprints"]["tfkmsFinding/v1"] for r in sarif if r["ruleId"] != "input-error"}
    findings = [i["fingerprint"] for i in code_quality(result) if i["check_name"] != "input-error"]
    assert set(findings) < sarif_fingerprints  # the suppressed one is in SARIF only
    result.findings[0].suppressed = "accepted"
    assert [i["fingerprint"] for i in code_quality(result) if i["check_name"] != "input-error"] == findings[1:]


def test_repeated_input_problems_get_distinct_fingerprints():
    problem = InputProblem("p.json", None, None, "cannot read")
    issues = code_quality(Result(command="guard", paths=["p.json"], problems=[problem, problem]))
    assert [i["location"] for i in issues] == [{"path": "p.json", "lines": {"begin": 1}}] * 2


def test_a_finding_without_a_file_is_pinned_to_its_root_or_the_first_path_at_line_1():
    result = Result(command="audit", paths=["infra", "other"], findings=[
        Finding("TFKMS206", Severity.INFO, "key-abc is not migrated yet", "", address="key-abc", root="infra/prod"),
        Finding("TFKMS207", Severity.WARNING, "key-def is unmanaged", "", address="key-def", line=9)])
    assert [i["location"] for i in code_quality(result)] == [
        {"path": "infra/prod", "lines": {"begin": 1}}, {"path": "infra", "lines": {"begin": 1}}]


@pytest.mark.parametrize(("file", "path"), [
    ("./infra//prod/main.tf", "infra/prod/main.tf"),
    ("infra\\prod\\main.tf", "infra/prod/main.tf"),
    ("old keys/a#b.tf", "old keys/a#b.tf"),
])
def test_paths_are_as_tfkms_prints_them_with_forward_slashes(file, path):
    result = Result(command="fix", findings=[Finding("TFKMS204", Severity.WARNING, "m", "", file=file, line=0)])
    [issue] = code_quality(result)
    assert issue["location"] == {"path": path, "lines": {"begin": 1}}


def test_an_absolute_path_inside_the_working_directory_becomes_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = Result(command="fix", findings=[
        Finding("TFKMS204", Severity.WARNING, "m", "", file=str(tmp_path / "infra" / "main.tf"), line=3)])
    assert code_quality(result)[0]["location"]["path"] == "infra/main.tf"


def test_check_snapshot(snapshot):
    assert code_quality(check_result()) == snapshot


def test_fix_snapshot(snapshot):
    assert code_quality(fix_result()) == snapshot


def test_cli_writes_the_report_gitlab_reads(monkeypatch, tmp_path):
    monkeypatch.chdir(REPO)  # paths as tfkms prints them, relative to the checkout
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    report = tmp_path / "gl-code-quality-report.json"
    run = CliRunner().invoke(app, ["fix", QUICKSTART, "--state", f"{QUICKSTART}/terraform.tfstate",
                                   "--format", "gitlab", "-o", str(report)])
    assert run.exit_code == 2, run.output  # changes pending: the job fails, the artifact is still written
    issues = json.loads(report.read_text())
    validate_code_quality(issues)
    assert issues and {i["severity"] for i in issues} == {"blocker", "info"}
    for issue in issues:  # every issue points at a real line of a file in the checkout
        file = REPO / issue["location"]["path"]
        assert file.is_file(), file
        assert issue["location"]["lines"]["begin"] <= len(file.read_text().splitlines())
    again = tmp_path / "again.json"
    CliRunner().invoke(app, ["fix", QUICKSTART, "--state", f"{QUICKSTART}/terraform.tfstate",
                             "--format", "gitlab", "-o", str(again)])
    assert again.read_text() == report.read_text()


@pytest.mark.parametrize("command", ["check", "fix", "guard", "audit"])
def test_help_lists_gitlab_as_a_format(command):
    run = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200", "TERM": "dumb"})
    assert run.exit_code == 0
    assert re.search(r"\[text\|json\|markdown\|sarif\|github\|gitlab(\|html)?\]", run.output), run.output
