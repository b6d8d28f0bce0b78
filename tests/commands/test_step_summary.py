"""The GitHub Actions job summary: every reporting command appends to $GITHUB_STEP_SUMMARY."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tfkms.analysis.result import Finding, Result
from tfkms.analysis.rules import Severity
from tfkms.cli import app
from tfkms.report.step_summary import render

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = "fixtures/terraform/quickstart"
FIX_ARGS = ["fix", QUICKSTART, "--state", f"{QUICKSTART}/terraform.tfstate"]
AUDIT = "fixtures/audit"
AUDIT_ARGS = ["audit", f"{AUDIT}/repo", f"--state={AUDIT}/repo/hangzhou={AUDIT}/states/hangzhou.tfstate",
              f"--state={AUDIT}/repo/singapore={AUDIT}/states/singapore.tfstate",
              "--inventory", f"{AUDIT}/inventory.json"]
CANARY = "CANARY-s3cr3t-7f3a9"  # secret_data in the quickstart state and the plans


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # paths as tfkms prints them, relative to the checkout


@pytest.fixture
def summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    file = tmp_path / "step_summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(file))
    return file


def invoke(*args: str) -> tuple[int, str, str]:
    run = CliRunner().invoke(app, list(args))
    return run.exit_code, run.stdout, run.stderr


def _table(text: str, header: str) -> list[list[str]]:
    """The rows of the Markdown table under `header`, split on unescaped pipes."""
    lines = text.splitlines()
    start = lines.index(header) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = line.replace("\\|", "\0").strip("|").split("|")
        rows.append([cell.strip().replace("\0", "|") for cell in cells])
    return rows


def test_fix_appends_heading_verdict_counts_and_findings_errors_first(summary: Path) -> None:
    code, out, _ = invoke(*FIX_ARGS)
    assert code == 2 and out  # the report still goes to stdout
    text = summary.read_text()
    assert re.match(rf"<!-- tfkms:step-summary:[0-9a-f]{{16}} -->\n### tfkms fix `{QUICKSTART}`\n\n", text), text
    assert ("\n**action needed**: 7 KMS resource(s) would be replaced or destroyed by the next plan; run with "
            "--write to patch 2 file(s)\n") in text
    assert "7 KMS resource(s), 8 error(s), 0 warning(s), 1 info, 2 file(s) to change" in text
    assert _table(text, "| severity | count |") == [["error", "8"], ["warning", "0"], ["info", "1"]]
    rows = _table(text, "| rule | severity | location | address | message |")
    assert [row[1] for row in rows] == ["error"] * 8 + ["info"]
    assert rows[0][:4] == ["`TFKMS200`", "error", f"`{QUICKSTART}/main.tf:4`", "`alicloud_kms_key.app`"]
    assert rows[-1][0] == "`TFKMS206`"
    assert "more:" not in text
    assert CANARY not in text


def test_summaries_are_appended_not_overwritten(summary: Path) -> None:
    summary.write_text("## an earlier step\n\n")
    invoke(*FIX_ARGS)
    invoke("check", QUICKSTART)
    text = summary.read_text()
    assert text.startswith("## an earlier step\n\n<!-- tfkms:step-summary:")
    assert text.count("### tfkms ") == 2 and text.count("<!-- tfkms:step-summary:") == 2
    assert f"-->\n### tfkms check `{QUICKSTART}`\n" in text
    assert "**ready**: ready: nothing blocks the migration (7 already migrated" in text
    assert text.endswith("\n\n")  # the next step's Markdown starts a block of its own


def test_guard_cuts_the_table_at_20_rows_and_escapes_pipes(summary: Path, tmp_path: Path) -> None:
    changes = [{"address": f'module.kms["a|b"].alicloud_kms_secret.s[{i}]', "module_address": 'module.kms["a|b"]',
                "mode": "managed", "type": "alicloud_kms_secret", "name": "s", "index": i,
                "provider_name": "registry.terraform.io/aliyun/alicloud",
                "change": {"actions": ["delete"], "before": {"id": f"s{i}", "secret_name": f"s{i}",
                                                             "secret_data": CANARY},
                           "after": None, "after_unknown": {}, "before_sensitive": {"secret_data": True},
                           "after_sensitive": False}} for i in range(25)]
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"format_version": "1.2", "terraform_version": "1.9.8",
                                "planned_values": {"root_module": {}}, "resource_changes": changes}))
    code, _, _ = invoke("guard", str(plan))
    assert code == 2
    text = summary.read_text()
    assert f"-->\n### tfkms guard `{plan}`\n" in text
    assert "**action needed**: do not apply: the plan destroys KMS resources" in text
    rows = _table(text, "| rule | severity | location | address | message |")
    assert len(rows) == 20
    assert all(len(row) == 5 for row in rows), "a pipe in an address must not add a column"
    assert rows[0][3] == '`module.kms["a|b"].alicloud_kms_secret.s[0]`'
    assert "\n…and 5 more: `--format sarif` (code scanning) or `--format json` lists every finding.\n" in text
    assert CANARY not in text


def test_audit_and_input_errors_come_first(summary: Path, tmp_path: Path) -> None:
    code, _, _ = invoke(*AUDIT_ARGS)
    assert code == 2
    text = summary.read_text()
    assert f"-->\n### tfkms audit `{AUDIT}/repo`\n" in text
    levels = [row[1] for row in _table(text, "| rule | severity | location | address | message |")]
    assert levels == sorted(levels, key=["error", "warning", "info"].index)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    summary.unlink()
    assert invoke("guard", str(broken))[0] == 1
    text = summary.read_text()
    assert "**failed**: fix the 1 input error(s) above" in text
    assert _table(text, "| severity | count |")[-1] == ["input error", "1"]
    [row] = _table(text, "| rule | severity | location | address | message |")
    assert row[:2] == ["`input-error`", "error"] and row[2].startswith(f"`{broken}")


def test_an_unwritable_summary_is_one_warning_and_never_fails_the_run(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path))  # a directory cannot be appended to
    code, out, err = invoke(*FIX_ARGS)
    assert code == 2 and "--write to patch 2 file(s)" in out
    assert err.splitlines() == [f"tfkms: warning: cannot append the job summary to {tmp_path} "
                                "(GITHUB_STEP_SUMMARY): Is a directory"]


@pytest.mark.parametrize("value", [None, "", "  "])
def test_no_summary_outside_github_actions(value: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if value is None:
        monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    else:
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", value)
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke(app, ["check", str(REPO / QUICKSTART)])
    assert run.exit_code == 0 and run.stderr == ""
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", "summary.md")  # the same run inside Actions writes one
    assert CliRunner().invoke(app, ["check", str(REPO / QUICKSTART)]).exit_code == 0
    assert [p.name for p in tmp_path.iterdir()] == ["summary.md"]


def test_a_report_written_to_the_summary_file_is_not_followed_by_a_second_summary(summary: Path) -> None:
    code, _, _ = invoke(*FIX_ARGS, "--format", "markdown", "-o", str(summary))
    assert code == 2
    text = summary.read_text()
    assert text.startswith("<!-- tfkms:fix:") and "| severity | count |" not in text


def test_one_result_in_several_formats_is_summarised_once(summary: Path) -> None:
    # The bundled action runs one command three times: annotations, SARIF, the PR comment.
    assert invoke(*FIX_ARGS, "--format", "github")[0] == 2
    once = summary.read_text()
    assert invoke(*FIX_ARGS, "--format", "sarif", "-o", str(summary.with_name("tfkms.sarif")))[0] == 2
    assert invoke(*FIX_ARGS, "--format", "markdown", "-o", str(summary.with_name("comment.md")))[0] == 2
    assert summary.read_text() == once
    invoke("check", QUICKSTART)  # another result is another block
    assert summary.read_text().count("<!-- tfkms:step-summary:") == 2


def test_a_report_redirected_into_the_summary_is_not_followed_by_a_second_summary(summary: Path) -> None:
    env = dict(os.environ, GITHUB_STEP_SUMMARY=str(summary), PYTHONPATH=str(REPO))
    with summary.open("a") as stream:  # `tfkms fix ... --format markdown >> "$GITHUB_STEP_SUMMARY"`
        done = subprocess.run([sys.executable, "-m", "tfkms", *FIX_ARGS, "--format", "markdown"], cwd=REPO,
                              env=env, stdout=stream, stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr == ""
    text = summary.read_text()
    assert text.startswith("<!-- tfkms:fix:") and "<!-- tfkms:step-summary:" not in text


_PUNCTUATION = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _gfm_cells(row: str) -> list[str]:
    """Split one table row as GitHub (cmark-gfm) does: a backslash and the punctuation after it are
    one escape, any other pipe ends a cell."""
    cells, cell, i = [], "", 0
    while i < len(row):
        if row[i] == "\\" and i + 1 < len(row) and row[i + 1] in _PUNCTUATION:
            cell, i = cell + row[i:i + 2], i + 2
        elif row[i] == "|":
            cells, cell, i = [*cells, cell], "", i + 1
        else:
            cell, i = cell + row[i], i + 1
    return [*cells, cell][1:-1]  # the leading and trailing pipes


@settings(deadline=None, max_examples=300)
@given(st.text(), st.text(), st.text())
def test_no_message_address_or_file_adds_a_row_or_a_column(message: str, address: str, file: str) -> None:
    result = Result(command="fix", paths=["."], findings=[
        Finding("TFKMS204", Severity.WARNING, message, "", address=address, file=file or None, line=3)])
    lines = render(result).splitlines()
    header = lines.index("| rule | severity | location | address | message |")
    [row] = [line for line in lines[header + 2:] if line]
    assert len(_gfm_cells(row)) == 5, row
    assert not set(row) & {"\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"}
