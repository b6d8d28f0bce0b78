"""The text of one review comment: why tfkms changes these lines, then a ```suggestion block."""
from __future__ import annotations

from tfkms.analysis.result import Result
from tfkms.github.changes import Change
from tfkms.report.markdown_report import escape_text, fence, inline_code


def suggestion_comment(result: Result, display: str, change: Change) -> str:
    reasons = []
    for finding in result.findings:  # the findings whose edits, or whose line, this change carries
        edited = any(e.file == display and e.start <= change.end and change.start <= e.end for e in finding.edits)
        on_line = finding.file == display and finding.line is not None and \
            change.first_line <= finding.line <= change.last_line
        if edited or on_line:
            who = f" {inline_code(finding.address)}" if finding.address else ""
            reasons.append(f"- **{finding.rule}**{who}: {escape_text(finding.message)}")
    body = change.body.replace("\r\n", "\n")
    if body and not body.endswith("\n"):
        body += "\n"
    ticks = fence(body)
    why = "\n".join(dict.fromkeys(reasons)) or "- makes config match what the cloud reports"
    return f"**tfkms fix**\n{why}\n\n{ticks}suggestion\n{body}{ticks}"
