"""Markdown PR-comment renderer: marker, counts, safe table, diffs, suggestions, size limit."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from report_samples import apply_edits, check_result, empty_result, fix_result
from tfkms.analysis.guard import guard_plan
from tfkms.analysis.result import Edit, FilePatch, Finding, Result
from tfkms.analysis.rules import Severity
from tfkms.report import render
from tfkms.report.markdown_report import GITHUB_COMMENT_LIMIT, build_suggestions, inline_code, marker
from tfkms.report.markdown_report import render as render_markdown

PLANS = Path(__file__).resolve().parents[2] / "fixtures" / "plans"


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def fenced_blocks(text: str, info: str) -> list[str]:
    return re.findall(rf"^(`{{3,}}){info}\n(.*?)^\1$", text, flags=re.S | re.M)


def table_rows(text: str) -> list[str]:
    """The rows of the findings table (not of the suppressed one)."""
    if "| Rule | Severity |" not in text:
        return []
    table = text[text.index("| Rule | Severity |"):].split("\n\n", 1)[0]
    return table.splitlines()[2:]


def test_comment_starts_with_the_marker():
    assert render(check_result(), "markdown").startswith("<!-- tfkms:check:infra/prod -->\n")
    assert marker(empty_result()) == "<!-- tfkms:check:infra/prod,infra/dev -->"


def test_marker_cannot_close_the_html_comment():
    result = Result(command="check", paths=["a--b", "x>y z", "c---d"])
    text = marker(result)
    assert text == "<!-- tfkms:check:a-%2Db,x%3Ey%20z,c-%2D-d -->"
    assert text[4:-3].count("--") == 0 and ">" not in text[4:-3]


def test_marker_of_many_paths_is_a_digest():
    result = Result(command="check", paths=[f"infra/stack-{n}" for n in range(200)])
    assert re.fullmatch(r"<!-- tfkms:check:sha256-[0-9a-f]{16} -->", marker(result))


def test_headline_has_status_and_counts():
    lines = render(check_result(), "markdown").splitlines()
    assert lines[1] == "### tfkms check: some input could not be read"
    assert lines[3] == "1 error · 1 warning · 1 info · 1 suppressed · 2 KMS resources · 1 input problem"


def test_table_escapes_html_and_pipes():
    text = render(check_result(), "markdown")
    rows = table_rows(text)
    assert [row.split(" | ")[0] for row in rows] == ["| TFKMS100", "| TFKMS102", "| TFKMS105"]  # errors first
    assert all(len(re.findall(r"(?<!\\)\|", row)) == 6 for row in rows)
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;" in rows[0]
    assert r'`module.kms["a\|b"].alicloud_kms_key.this`' in rows[0]
    assert "cannot migrate<br>to a software instance" in rows[0]


@pytest.mark.parametrize(("message", "cell"), [
    ("run `terraform show -json tf.plan > plan.json`", "run `terraform show -json tf.plan > plan.json`"),
    ("a <b>`x<y`</b>", "a &lt;b&gt;`x<y`&lt;/b&gt;"),
    ("``a`b`` & <i>", "``a`b`` &amp; &lt;i&gt;"),
    ("`a|b`", "`a\\|b`"),
    ("a\\|b", "a\\\\\\|b"),  # a\|b: the backslash doubled, so the pipe stays escaped (one cell)
    ("`a\\|b`", "`a\\\\\\|b`"),
    ("\\`<img src=x>`", "\\`&lt;img src=x&gt;`"),  # an escaped backtick opens no code span
    ("`unclosed <b>", "`unclosed &lt;b&gt;"),
])
def test_code_spans_stay_literal_and_everything_else_is_escaped(message, cell):
    finding = Finding("TFKMS204", Severity.WARNING, message, "", address="a.b", file="x.tf", line=1)
    [row] = table_rows(render(Result(command="fix", findings=[finding]), "markdown"))
    assert row.endswith(f" | {cell} |")


def test_suppressed_findings_are_listed_apart_with_their_reason():
    text = render(check_result(), "markdown")
    assert "alicloud_kms_key.old" not in "\n".join(table_rows(text))
    section = text[text.index("<summary>Suppressed (1)</summary>"):]
    assert "| TFKMS101 | `alicloud_kms_key.old` | `infra/prod/old keys.tf:1` | decommissioned in Q3, see OPS-12 |" in section


def test_problems_are_listed():
    assert "- infra/prod/broken.tf:4:7: unclosed block; close the `resource` opened at line 2" in render(
        check_result(), "markdown")


def test_clean_result_is_one_line_after_the_marker():
    assert render(empty_result(), "markdown") == (
        "<!-- tfkms:check:infra/prod,infra/dev -->\n"
        "**tfkms check**: no findings (no KMS resources found); nothing to do.\n")


def test_fix_comment_has_the_diff_with_lf_endings():
    result = fix_result()
    [diff] = fenced_blocks(render(result, "markdown"), "diff")
    assert diff[1] == result.patches[0].unified_diff().replace("\r\n", "\n")
    assert "\r" not in render(result, "markdown")


def test_one_suggestion_per_edit_replacing_the_lines_it_touches():
    text = render(fix_result(), "markdown")
    assert [body for _, body in fenced_blocks(text, "suggestion")] == [
        '  description      = "app"\n  dkms_instance_id = "kst-hzz6a1b2"\n',
        '  encryption_key_id = "key-new"\n',
        "\n  lifecycle {\n    ignore_changes = [dkms_instance_id]\n  }\n}\n",
    ]
    assert re.findall(r"^`(main\.tf:\d+)`: (.*)$", text, flags=re.M) == [
        ("main.tf:2", "TFKMS200 alicloud_kms_key.main"),
        ("main.tf:7", "TFKMS202 alicloud_kms_secret.db"),
        ("main.tf:8", "TFKMS200 alicloud_kms_secret.db"),
    ]


def _patch_result(original: str, edits: list[Edit], patched: str | None = None) -> Result:
    findings = [Finding("TFKMS200", Severity.ERROR, "m", "h", address=f"a.b{n}", file="x.tf", line=e.line, edits=[e])
                for n, e in enumerate(edits)]
    patch = FilePatch("x.tf", Path("x.tf"), original, patched if patched is not None else apply_edits(original, edits))
    return Result(command="fix", paths=["."], findings=findings, patches=[patch])


def test_edits_on_the_same_line_share_one_suggestion():
    original = 'resource "k" "a" {\n  x = 1 y = 2\n}\n'
    first = Edit("x.tf", 2, original.index("1"), original.index("1") + 1, "1", "10")
    second = Edit("x.tf", 2, original.index("2"), original.index("2") + 1, "2", "20")
    [suggestion] = build_suggestions(_patch_result(original, [second, first]))
    assert (suggestion.first_line, suggestion.last_line, suggestion.body) == (2, 2, "  x = 10 y = 20\n")
    assert suggestion.about == ("TFKMS200 a.b1", "TFKMS200 a.b0")


def test_multi_line_edit_names_its_line_range_and_deletion_is_empty():
    original = "a\nb\nc\nd\n"
    edit = Edit("x.tf", 2, original.index("b"), original.index("d"), "b\nc\n", "")
    [suggestion] = build_suggestions(_patch_result(original, [edit]))
    assert (suggestion.first_line, suggestion.last_line, suggestion.body) == (2, 3, "")
    assert "`x.tf:2` (lines 2-3): TFKMS200 a.b0\n\n```suggestion\n```\n" in render(
        _patch_result(original, [edit]), "markdown")


def test_insertion_at_end_of_file_anchors_on_the_last_line():
    original = "a\nb"
    edit = Edit("x.tf", 2, len(original), len(original), "", "\nc")
    [suggestion] = build_suggestions(_patch_result(original, [edit]))
    assert (suggestion.first_line, suggestion.last_line, suggestion.body) == (2, 2, "b\nc\n")


def test_stale_or_inconsistent_edits_get_no_suggestion():
    original = "a = 1\nb = 2\n"
    stale = Edit("x.tf", 1, 4, 5, "9", "3")  # `before` is not what the file holds
    assert build_suggestions(_patch_result(original, [stale])) == []
    good = Edit("x.tf", 2, 10, 11, "2", "3")
    assert build_suggestions(_patch_result(original, [good], patched="a = 1\nb = 4\n")) == []


def test_fences_outgrow_backticks_in_the_content():
    original = 'x = <<EOT\n```\nEOT\n'
    edit = Edit("x.tf", 2, original.index("```"), original.index("```") + 3, "```", "````")
    text = render(_patch_result(original, [edit]), "markdown")
    assert "`````suggestion\n````\n`````\n" in text
    assert "`````diff\n" in text


def test_inline_code_survives_backticks():
    assert inline_code("a`b") == "``a`b``"
    assert inline_code("`x`") == "`` `x` ``"


def _big_result() -> Result:
    original = "".join(f'resource "alicloud_kms_key" "k{n}" {{\n  description = "{n}"\n}}\n' for n in range(3000))
    edits = []
    for n in range(0, 3000, 3):
        at = original.index(f'"k{n}" {{\n') + len(f'"k{n}" {{\n')
        edits.append(Edit("main.tf", 3 * n + 2, at, at, "", f'  dkms_instance_id = "kst-{n:06d}"\n'))
    findings = [Finding("TFKMS200", Severity.ERROR, f"dkms_instance_id would force replacement ({'x' * 100})",
                        "write it", address=f"alicloud_kms_key.k{n}", file="main.tf", line=3 * n + 1, edits=[e])
                for n, e in zip(range(0, 3000, 3), edits)]
    patch = FilePatch("main.tf", Path("main.tf"), original, apply_edits(original, edits))
    return Result(command="fix", paths=["."], findings=findings, patches=[patch])


def test_long_comment_is_cut_below_the_limit_keeping_headline_and_counts():
    result = _big_result()
    text = render(result, "markdown")
    assert utf16_len(text) < GITHUB_COMMENT_LIMIT
    lines = text.splitlines()
    assert lines[:4] == ["<!-- tfkms:fix:. -->", "### tfkms fix: action needed", "",
                         "1000 errors · 0 warnings · 0 info · 0 suppressed · 0 KMS resources · 1 file to change"]
    notice = lines[5]
    assert notice.startswith("> **Note:** Cut to fit GitHub's 65,536-character comment limit: "
                             "1000 of 1000 suggestion blocks, 1 of 1 file diffs, ")
    assert "findings table rows" in notice and "JSON/SARIF artifact" in notice
    kept_rows = len(table_rows(text))
    assert 0 < kept_rows < 1000 and f"{1000 - kept_rows} of 1000 findings table rows" in notice


def test_cutting_starts_with_suggestions():
    result = fix_result()
    full = render_markdown(result)
    without_suggestions = full[:full.index("\n<details><summary>Suggested changes")] + "\n"
    text = render_markdown(result, limit=utf16_len(without_suggestions) + 300)
    assert fenced_blocks(text, "suggestion") == [] and len(fenced_blocks(text, "diff")) == 1
    assert "Cut to fit GitHub's 65,536-character comment limit: 3 of 3 suggestion blocks." in text


def test_guard_comment_names_each_address():
    result = guard_plan(PLANS / "module_for_each.json", "plans/module_for_each.json")
    text = render(result, "markdown")
    assert text.startswith("<!-- tfkms:guard:plans/module_for_each.json -->\n### tfkms guard: do not apply this plan\n")
    for finding in result.findings:
        assert inline_code(finding.address, in_table=True) in text


@pytest.mark.parametrize("name", ["safe_no_changes.json", "safe_update_noop_create.json"])
def test_safe_plan_is_one_line(name):
    text = render(guard_plan(PLANS / name, name), "markdown")
    assert len(text.splitlines()) == 2 and "no findings" in text


def test_check_snapshot(snapshot):
    assert render(check_result(), "markdown") == snapshot


def test_fix_snapshot(snapshot):
    assert render(fix_result(), "markdown") == snapshot


def test_guard_snapshot(snapshot):
    assert render(guard_plan(PLANS / "create_before_destroy.json", "plan.json"), "markdown") == snapshot
