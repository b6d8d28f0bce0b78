"""`tfkms report`: saved JSON reports read back, one re-rendered like its command, several merged into
one view across repos. Every input is written by the real CLI (check, fix, audit) into tmp_path."""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import typer
from audit_support import FIXTURE_ARGS
from test_report_html import chromium, dump_dom  # noqa: F401 - chromium is a fixture
from typer.testing import CliRunner

from tfkms.cli import app as tfkms_app
from tfkms.commands.report import report
from tfkms.report import render
from tfkms.saved_reports import load_report, parse_report_argument

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "tfkms" / "schemas"
QUICKSTART = "fixtures/terraform/quickstart"
CHECKS = ("data-lake-cn", "apac-hsm-regions", "clean-ready")


def _local_app() -> typer.Typer:
    """The command registered the way tfkms/cli.py registers its commands."""
    local = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                        rich_markup_mode=None)

    @local.callback()
    def _main() -> None:
        """tfkms (test app)."""

    local.command("report", short_help="Merge saved JSON reports into one view across repos.")(report)
    return local


APP = _local_app()


def run(*args: str, columns: int = 100) -> tuple[int, str, str]:
    result = CliRunner().invoke(APP, ["report", *args], env={"COLUMNS": str(columns), "NO_COLOR": "1"})
    return result.exit_code, result.stdout, result.stderr


def tfkms(*args: str, columns: int = 100) -> tuple[int, str, str]:
    result = CliRunner().invoke(tfkms_app, list(args), env={"COLUMNS": str(columns), "NO_COLOR": "1"})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """name -> a report saved by the real CLI, each in its own folder (as CI artifact downloads lay them
    out); the tests run from the repo root, where the reports' paths are relative to."""
    base = tmp_path_factory.mktemp("artifacts")
    cwd = os.getcwd()
    os.chdir(REPO)
    out: dict[str, Path] = {}

    def save(name: str, *args: str) -> None:
        (base / name).mkdir()
        out[name] = base / name / "report.json"
        code, _, err = tfkms(*args, "--format", "json", "-o", str(out[name]))
        assert code in (0, 2), err

    try:
        for scenario in CHECKS:
            save(f"check-{scenario}", "check", f"fixtures/terraform/{scenario}")
        save("fix-quickstart", "fix", QUICKSTART, "--state", f"{QUICKSTART}/terraform.tfstate")
        save("audit", "audit", *FIXTURE_ARGS)
        yield out
    finally:
        os.chdir(cwd)


def _findings(path: Path) -> int:
    return len(json.loads(path.read_text())["findings"])


# ---------------------------------------------------------------- one report


@pytest.mark.parametrize("name", ["check-data-lake-cn", "fix-quickstart", "audit"])
def test_round_trip_gives_the_same_json_document(reports: dict[str, Path], name: str) -> None:
    saved = reports[name].read_text()
    assert render(load_report(name, str(reports[name])).result, "json") == saved


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "markdown", "github"])
@pytest.mark.parametrize("command", [
    ("check", "fixtures/terraform/data-lake-cn"),
    ("fix", QUICKSTART, "--state", f"{QUICKSTART}/terraform.tfstate"),
])
def test_one_report_renders_as_its_command_did(tmp_path: Path, command: tuple[str, ...], fmt: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    saved = tmp_path / "report.json"
    assert tfkms(*command, "-f", "json", "-o", str(saved))[0] == 2
    direct_code, direct, _ = tfkms(*command, "-f", fmt)
    code, out, err = run(str(saved), "-f", fmt)
    if fmt == "markdown" and command[0] == "fix":
        # The JSON holds each patch's diff, not the file texts a ```suggestion is checked against: the
        # comment keeps everything but those blocks (saved_reports' docstring), never a guessed one.
        kept, _, suggestions = direct.partition("\n<details><summary>Suggested changes")
        assert "```suggestion" in suggestions and "```suggestion" not in out
        direct = kept
    assert (code, out) == (direct_code, direct), err
    assert code == 2


def test_one_audit_report_renders_as_html_without_the_cloud_chart(reports: dict[str, Path]) -> None:
    code, out, _ = run(str(reports["audit"]), "-f", "html")
    assert code == 2
    assert "tfkms audit: drift found" in out and 'data-kind="unmanaged"' in out
    assert "<svg" not in out  # the per-region cloud tally is not in the JSON (saved_reports' docstring)


def test_one_unreadable_report_is_one_line_and_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 1,\n  "tool": }\n')
    code, out, err = run(str(bad))
    assert (code, out) == (1, "")
    assert err == f"tfkms: error: {bad}:2:11: not valid JSON (Expecting value)\n"


def test_a_newer_schema_version_is_refused(reports: dict[str, Path], tmp_path: Path) -> None:
    doc = json.loads(reports["check-clean-ready"].read_text())
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({**doc, "version": 2}))
    code, _, err = run(str(newer))
    assert code == 1
    assert err == f"tfkms: error: {newer}: written with report schema version 2; this tfkms reads version 1: " \
                  "upgrade tfkms\n"


@pytest.mark.parametrize(("change", "said"), [
    (lambda d: d.pop("findings"), "findings: expected a list"),
    (lambda d: d["findings"][0].update(severity="fatal"), "findings[0].severity: expected error, warning or info"),
    (lambda d: d["resources"][1].update(line="2"), "resources[1].line: expected an integer"),
    (lambda d: d.update(command="plan"), "command: expected one of check, fix, guard, verify, audit"),
])
def test_a_report_of_the_wrong_shape_names_the_field(reports: dict[str, Path], tmp_path: Path, change, said) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(reports["check-data-lake-cn"].read_text())
    change(doc)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps(doc))
    code, _, err = run(str(wrong), str(reports["audit"]))
    assert code == 1
    assert err == f"tfkms: error: {wrong}: not a tfkms report: {said}\n"


# ---------------------------------------------------------------- several


def _merged(reports: dict[str, Path], *extra: str, fmt: str = "json") -> tuple[int, str, str]:
    return run(*(str(p) for p in reports.values()), *extra, "-f", fmt)


def test_merge_keeps_every_finding_names_every_repo_and_puts_the_worst_first(reports: dict[str, Path]) -> None:
    code, out, err = _merged(reports)
    assert (code, err) == (2, "")
    view = json.loads(out)
    jsonschema.validate(view, json.loads((SCHEMAS / "org-report.schema.json").read_text()))
    assert view["totals"]["findings"] == sum(_findings(p) for p in reports.values())
    assert sum(r["totals"]["findings"] for r in view["repos"]) == view["totals"]["findings"]
    assert sum(sum(g["findings"] for g in r["regions"]) for r in view["repos"]) == view["totals"]["findings"]
    assert {r["name"] for r in view["repos"]} == set(reports)  # named after the folder holding each report
    # fix-quickstart: 8 destroying errors; audit: 5; then the check reports by their errors and warnings.
    assert [r["name"] for r in view["repos"]] == ["fix-quickstart", "audit", "check-apac-hsm-regions",
                                                  "check-data-lake-cn", "check-clean-ready"]
    destroying = [r["totals"]["destroying"] for r in view["repos"]]
    assert destroying == sorted(destroying, reverse=True) and destroying[0] > 0


def test_migrated_counts_come_from_the_reports(reports: dict[str, Path]) -> None:
    view = json.loads(_merged(reports)[1])
    repos = {r["name"]: r for r in view["repos"]}
    audit = {g["region"]: g for g in repos["audit"]["regions"]}
    # The audit fixture: one not-migrated key per region (TFKMS206), the other managed ones migrated.
    assert (audit["cn-hangzhou"]["not_migrated"], audit["ap-southeast-1"]["not_migrated"]) == (1, 1)
    assert repos["audit"]["totals"]["by_rule"]["TFKMS206"] == 2
    # Before migration nothing is migrated; everything clean-ready plans is still to move.
    ready = repos["check-clean-ready"]["totals"]
    assert ready["migrated"] == 0 and ready["not_migrated"] > 0 and ready["findings"] == 0


def test_counts_are_per_resource_and_agree_with_the_fix_verdict(reports: dict[str, Path]) -> None:
    """A for_each key is one resource (migrated only when every instance is), and a resource two rules
    flag (signing: TFKMS200 and TFKMS201) would be destroyed once: the numbers the fix report says."""
    view = json.loads(_merged(reports)[1])
    fix = {r["name"]: r for r in view["repos"]}["fix-quickstart"]["totals"]
    saved = json.loads(reports["fix-quickstart"].read_text())
    kms = [r for r in saved["resources"] if r["type"] in ("alicloud_kms_key", "alicloud_kms_secret")]
    assert fix["migrated"] + fix["not_migrated"] == len(kms)
    at_risk = {f["address"] for f in saved["findings"]
               if f["severity"] == "error" and f["rule"] in ("TFKMS200", "TFKMS201")}
    assert fix["destroying"] == len(at_risk) < fix["error"]


def test_an_unreadable_report_is_one_line_exit_1_and_the_others_are_still_reported(
        reports: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "broken").mkdir()
    bad = tmp_path / "broken" / "report.json"
    bad.write_text("{\n  \"version\": 1,\n  oops\n}\n")
    code, out, err = _merged(reports, str(bad))
    assert code == 1
    assert err == f"tfkms: error: {bad}:3:3: not valid JSON (Expecting property name enclosed in double quotes)\n"
    view = json.loads(out)
    assert {r["name"] for r in view["repos"]} == {*reports, "broken"}
    broken = next(r for r in view["repos"] if r["name"] == "broken")
    assert broken["errors"] == [f"{bad}:3:3: not valid JSON (Expecting property name enclosed in double quotes)"]
    assert view["unreadable"] == 1 and view["exit_code"] == 1
    assert view["totals"]["findings"] == sum(_findings(p) for p in reports.values())


def test_exit_0_when_nothing_needs_action(reports: dict[str, Path]) -> None:
    clean = str(reports["check-clean-ready"])
    code, out, err = run(f"one={clean}", f"two={clean}", "-f", "text")
    assert (code, err) == (0, "")
    assert " ".join(out.split()).endswith(": nothing needs action")


def test_names_from_name_equals_file_from_the_folder_and_from_the_stem(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "payments").mkdir()
    assert parse_report_argument("payments/report.json") == ("payments", "payments/report.json")
    assert parse_report_argument("report.json") == ("report", "report.json")
    assert parse_report_argument(str(tmp_path / "ledger.json")) == ("ledger", str(tmp_path / "ledger.json"))
    assert parse_report_argument("billing=payments/report.json") == ("billing", "payments/report.json")


def test_reports_that_share_a_name_add_up(reports: dict[str, Path]) -> None:
    check, audit = reports["check-data-lake-cn"], reports["audit"]
    view = json.loads(run(f"lake={check}", f"lake={audit}", "-f", "json")[1])
    assert [r["name"] for r in view["repos"]] == ["lake"]
    assert view["repos"][0]["commands"] == ["check", "audit"]
    assert view["repos"][0]["reports"] == [str(check), str(audit)]
    assert view["totals"]["findings"] == _findings(check) + _findings(audit)


def test_a_file_over_the_size_cap_is_refused_unread(reports: dict[str, Path], tmp_path: Path) -> None:
    huge = tmp_path / "huge.json"
    with huge.open("wb") as stream:  # sparse: 65 MB on paper, nothing on disk
        stream.truncate(65 * 2**20)
    code, out, err = run(f"huge={huge}", str(reports["audit"]), "-f", "json")
    assert code == 1 and err == f"tfkms: error: {huge}: larger than 64 MB: not a tfkms report\n"
    assert {r["name"] for r in json.loads(out)["repos"]} == {"huge", "audit"}


def test_formats_that_render_one_report_are_refused_for_several(reports: dict[str, Path]) -> None:
    code, out, err = _merged(reports, fmt="sarif")
    assert (code, out) == (1, "")
    assert err == "tfkms: error: --format: several reports merge into text, json, markdown, html; 'sarif' " \
                  "renders one report\n"


@pytest.mark.parametrize("columns", [40, 60, 100])
def test_text_is_no_wider_than_the_terminal(reports: dict[str, Path], columns: int) -> None:
    code, out, _ = _merged(reports, fmt="text") if columns == 100 else run(
        *(str(p) for p in reports.values()), "-f", "text", columns=columns)
    assert code == 2
    assert max(len(line) for line in out.splitlines()) <= columns
    for name in reports:
        assert name[: 12] in out


def test_output_file(reports: dict[str, Path], tmp_path: Path) -> None:
    page = tmp_path / "org.html"
    code, out, _ = _merged(reports, "-o", str(page), fmt="html")
    assert (code, out) == (2, "")
    assert page.read_text().startswith("<!DOCTYPE html>")


def test_html_page_in_the_browser(chromium: str, reports: dict[str, Path], tmp_path: Path) -> None:  # noqa: F811
    page_file = tmp_path / "org.html"
    assert _merged(reports, "-o", str(page_file), fmt="html")[0] == 2
    html = page_file.read_text()
    for external in ("src=", "href=", "url(", "@import", "<link", "http:", "https:"):
        assert external not in html, external
    page = dump_dom(chromium, page_file, tmp_path / "profile")
    view = json.loads(_merged(reports)[1])
    assert page.cards["repos"] == 5 and page.cards["resources"] == view["totals"]["resources"]
    assert page.cards["destroying"] == view["totals"]["destroying"] > 0
    rows = [r["data-repo"] for r in page.rows if "data-repo" in r]
    assert rows == [r["name"] for r in view["repos"]]  # worst first
    assert sum(int(r["data-findings"]) for r in page.rows if "data-repo" in r) == view["totals"]["findings"]
    assert "tfkms report: action needed" in page.visible
    # The page's own script sorts by a column on load.
    by_name = dump_dom(chromium, page_file, tmp_path / "profile", "?sort=name")
    names = [r["data-repo"] for r in by_name.rows if "data-repo" in r]
    assert names == sorted(names) and names != rows


def test_repo_text_is_escaped_in_html_and_markdown(reports: dict[str, Path]) -> None:
    hostile = "<script>alert(1)</script>|`x`"  # NAME ends at the first "=", so it holds none
    clean = str(reports["check-clean-ready"])
    code, html, err = run(f"{hostile}={clean}", f"b={clean}", "-f", "html")
    assert (code, err) == (0, "")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;|`x`" in html
    markdown = run(f"{hostile}={clean}", f"b={clean}", "-f", "markdown")[1]
    assert "<script" not in markdown and "`&lt;script&gt;alert(1)&lt;/script&gt;\\|'x'`" in markdown


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_snapshot_of_a_three_report_merge(reports: dict[str, Path], fmt: str, snapshot) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(f"payments={reports['fix-quickstart']}", f"platform={reports['audit']}",
                         f"data-lake={reports['check-data-lake-cn']}", "-f", fmt)
    assert (code, err) == (2, "")
    assert out == snapshot
