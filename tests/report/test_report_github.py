"""GitHub workflow-command renderer: one annotation per finding, escaping, summary."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from report_samples import check_result, empty_result, fix_result
from tfkms.analysis.guard import guard_plan
from tfkms.analysis.result import Finding, Result
from tfkms.analysis.rules import Severity
from tfkms.errors import InputProblem
from tfkms.report import render
from tfkms.report.github_report import escape_data, escape_property, workflow_command

PLANS = Path(__file__).resolve().parents[2] / "fixtures" / "plans"


def unescape(text: str) -> str:
    return text.replace("%0A", "\n").replace("%0D", "\r").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def test_one_annotation_per_unsuppressed_finding_errors_first_then_summary():
    lines = render(check_result(), "github").splitlines()
    # The input problem is an error and comes first; then errors, warnings, notices.
    assert [line.split(" ", 1)[0] for line in lines] == [
        "::error", "::error", "::warning", "::notice", "tfkms"]
    assert lines[0].startswith("::error file=infra/prod/broken.tf,")
    assert lines[1].startswith("::error file=infra/prod/modules/kms/main.tf,")
    assert lines[2] == ("::warning file=infra/prod/main.tf,line=3,title=TFKMS102 Automatic rotation is on"
                        "::Automatic rotation is on for alicloud_kms_key.main%0A"
                        "Disable automatic rotation before migrating.")
    assert lines[-1] == "tfkms check: 1 error, 1 warning, 1 notice, 1 suppressed, 1 input problem (exit 1)"


def test_message_names_the_address_when_it_does_not():
    lines = render(check_result(), "github").splitlines()
    assert lines[1].startswith('::error file=infra/prod/modules/kms/main.tf,line=10,title=TFKMS100 ')
    assert '::module.kms["a|b"].alicloud_kms_key.this: Key spec <img' in lines[1]
    assert "cannot migrate%0Ato a software instance%0APick a hardware instance." in lines[1]


def test_problem_annotation_has_file_line_and_column():
    line = render(check_result(), "github").splitlines()[0]
    assert line == ("::error file=infra/prod/broken.tf,line=4,col=7,title=tfkms%3A cannot read input"
                    "::unclosed block; close the `resource` opened at line 2")


def test_problem_without_line_is_a_file_annotation():
    result = Result(command="guard", paths=["p.json"], problems=[InputProblem("p.json", None, None, "cannot read")])
    assert render(result, "github").splitlines()[0] == "::error file=p.json,title=tfkms%3A cannot read input::cannot read"


def test_properties_and_data_are_escaped():
    finding = Finding("TFKMS204", Severity.WARNING, "100% of it: a, b\r\nc", "", address="x",
                      file="dir,1/a:b.tf", line=2)
    [line, _] = render(Result(command="fix", findings=[finding]), "github").splitlines()
    assert line == "::warning file=dir%2C1/a%3Ab.tf,line=2,title=TFKMS204 Cannot patch here::x: 100%25 of it: a, b%0D%0Ac"


def test_windows_separators_become_forward_slashes():
    finding = Finding("TFKMS204", Severity.WARNING, "m", "", file="infra\\main.tf", line=1)
    assert render(Result(command="fix", findings=[finding]), "github").startswith("::warning file=infra/main.tf,")


def test_fix_summary_counts_files_to_change():
    assert render(fix_result(), "github").splitlines()[-1] == (
        "tfkms fix: 3 errors, 1 warning, 0 notices, 1 file to change (exit 2)")


def test_resolved_findings_are_not_annotated():
    result = fix_result()
    for finding in result.findings:
        finding.resolved = bool(finding.edits)
    result.patches[0].written = True
    assert render(result, "github").splitlines() == [
        "::warning file=main.tf,line=12,title=TFKMS204 Cannot patch here::module.shared.alicloud_kms_key.this: "
        "module.shared comes from the registry; patch it at its source%0APatch the module's source by hand.",
        "tfkms fix: 0 errors, 1 warning, 0 notices, 3 fixed (exit 2)"]


def test_clean_result_is_only_the_summary():
    assert render(empty_result(), "github") == "tfkms check: 0 errors, 0 warnings, 0 notices (exit 0)\n"


@pytest.mark.parametrize("name", ["replace_key_dkms.json", "module_for_each.json", "create_before_destroy.json"])
def test_guard_annotates_each_destructive_address_on_the_plan(name):
    result = guard_plan(PLANS / name, f"plans/{name}")
    lines = render(result, "github").splitlines()
    assert len(lines) == len(result.findings) + 1
    for finding, line in zip(result.findings, lines):
        assert line.startswith(f"::error file=plans/{name},line={finding.line},"
                               "title=TFKMS300 Plan destroys or replaces a KMS key or secret::")
        assert finding.address in line


@settings(deadline=None)  # no timing in tests
@given(st.text())
def test_escaped_data_is_one_line_and_round_trips(text):
    escaped = escape_data(text)
    assert "\n" not in escaped and "\r" not in escaped
    assert unescape(escaped) == text


@settings(deadline=None)  # no timing in tests
@given(st.text())
def test_escaped_property_cannot_end_the_property_list(text):
    escaped = escape_property(text)
    assert not set(escaped) & {"\n", "\r", ":", ","}
    assert unescape(escaped) == text


@settings(deadline=None)
@given(st.text(), st.text())
def test_a_message_cannot_start_a_second_command(message, file):
    # The runner reads commands line by line, splitting on LF (CRLF included).
    assert len(workflow_command("error", message, file=file).split("\n")) == 1


def test_snapshot(snapshot):
    assert render(check_result(), "github") == snapshot


def test_fix_snapshot(snapshot):
    assert render(fix_result(), "github") == snapshot


def _many(errors: int, warnings: int, notices: int, problems: int = 0) -> Result:
    """Findings of each level, interleaved so report order is not level order."""
    findings = []
    for severity, count, rule in ((Severity.INFO, notices, "TFKMS206"), (Severity.WARNING, warnings, "TFKMS204"),
                                  (Severity.ERROR, errors, "TFKMS200")):
        findings += [Finding(rule, severity, f"{severity.value} {i}", "", address=f"alicloud_kms_key.{rule}_{i}",
                             file="main.tf", line=i + 1) for i in range(count)]
    findings.sort(key=lambda f: f.line or 0)  # interleave the levels
    return Result(command="fix", paths=["."], findings=findings,
                  problems=[InputProblem(f"broken{i}.tf", 1, 1, "cannot parse") for i in range(problems)])


def _levels(text: str) -> list[str]:
    return [line[2:].split(" ", 1)[0].split("::", 1)[0] for line in text.splitlines() if line.startswith("::")]


def test_annotations_are_capped_at_10_per_level_errors_first():
    text = render(_many(errors=13, warnings=11, notices=12, problems=2), "github")
    lines = text.splitlines()
    levels = _levels(text)
    assert levels == ["error"] * 10 + ["warning"] * 10 + ["notice"] * 9 + ["notice"]
    # Input problems first, then errors in report order.
    assert lines[0].startswith("::error file=broken0.tf,") and lines[1].startswith("::error file=broken1.tf,")
    assert [line.rsplit("::", 1)[1].split(": ", 1)[1] for line in lines[2:10]] == [f"error {i}" for i in range(8)]
    assert [line.rsplit("::", 1)[1].split(": ", 1)[1] for line in lines[10:20]] == [f"warning {i}" for i in range(10)]
    assert [line.rsplit("::", 1)[1].split(": ", 1)[1] for line in lines[20:29]] == [f"info {i}" for i in range(9)]
    assert lines[29] == ("::notice title=tfkms%3A more findings than GitHub annotates::"
                         "5 errors, 1 warning and 3 notices not annotated: GitHub shows at most 10 annotations per "
                         "level in a step. The job summary lists the top findings; --format sarif (code scanning) or "
                         "json has the full list.")
    # The summary line still counts everything.
    assert lines[-1] == "tfkms fix: 13 errors, 11 warnings, 12 notices, 2 input problems (exit 1)"


def test_exactly_ten_of_each_level_need_no_cut_notice():
    levels = _levels(render(_many(errors=10, warnings=10, notices=10), "github"))
    assert levels == ["error"] * 10 + ["warning"] * 10 + ["notice"] * 10


def test_a_cut_of_another_level_leaves_room_for_its_notice():
    text = render(_many(errors=11, warnings=0, notices=10), "github")
    assert _levels(text) == ["error"] * 10 + ["notice"] * 9 + ["notice"]
    assert "1 error and 1 notice not annotated" in text.splitlines()[-2]


def test_eleven_notices_alone_are_cut_to_nine_and_the_notice():
    text = render(_many(errors=0, warnings=0, notices=11), "github")
    assert _levels(text) == ["notice"] * 10
    assert "::2 notices not annotated:" in text.splitlines()[-2]
