"""Bodies tfkms writes on GitHub: its markdown report without the ```suggestion section (in a PR body
or an issue comment GitHub cannot apply them; the diff is there), under GitHub's body limit."""
from __future__ import annotations

from dataclasses import replace

from tfkms.analysis.result import Result
from tfkms.report.markdown_report import GITHUB_COMMENT_LIMIT
from tfkms.report.markdown_report import render as render_markdown


def report_body(result: Result, note: str = "") -> str:
    """The report (its first line is the hidden marker), with `note` right after the marker."""
    plain = replace(result, findings=[replace(f, edits=[]) for f in result.findings])  # edits: only suggestions
    text = render_markdown(plain, limit=GITHUB_COMMENT_LIMIT - len(note.encode("utf-16-le")) // 2)
    if not note:
        return text
    head, _, tail = text.partition("\n")
    return f"{head}\n{note}{tail}"
