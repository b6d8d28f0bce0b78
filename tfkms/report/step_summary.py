"""The GitHub Actions job summary (`$GITHUB_STEP_SUMMARY`): a short Markdown block per run.

GitHub concatenates what every step appends, so this is one block: a heading with the command and
paths, the verdict, counts by severity and the most important findings (input errors, then errors,
warnings, info; at most MAX_ROWS). It needs no token, so it works on pull requests from forks,
where annotations may be all a run can add. Findings' messages are masked already; no attribute
value is added here.
"""
from __future__ import annotations

import hashlib

from tfkms.analysis.result import Finding, Result
from tfkms.analysis.rules import Severity
from tfkms.report.markdown_report import escape_cell, escape_text, inline_code
from tfkms.report.text_report import summary_line, verdict_line

MAX_ROWS = 20
MAX_PATHS = 5  # in the heading
MAX_MESSAGE = 300  # characters of one message in the table (the job summary holds at most 1 MiB)
_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def render(result: Result) -> str:
    """The block, after a hidden marker that names its content: a step that renders one result in
    several formats appends it once."""
    body = _body(result)
    return f"<!-- tfkms:step-summary:{hashlib.sha256(body.encode()).hexdigest()[:16]} -->\n{body}"


def _body(result: Result) -> str:
    status, counts = _status_and_counts(result)
    out = [f"### {_heading(result)}", "",
           f"**{status}**: {escape_text(verdict_line(result))}", "",
           escape_text(counts), ""]
    out += _count_table(result)
    rows = _rows(result)
    if rows:
        out += ["", "| rule | severity | location | address | message |", "|---|---|---|---|---|"]
        out += rows[:MAX_ROWS]
        if len(rows) > MAX_ROWS:
            out += ["", f"…and {len(rows) - MAX_ROWS} more: `--format sarif` (code scanning) or `--format json` "
                        "lists every finding."]
    return "\n".join(out) + "\n\n"


def _heading(result: Result) -> str:
    paths = [inline_code(p) for p in result.paths[:MAX_PATHS]]
    if len(result.paths) > MAX_PATHS:
        paths.append(f"and {len(result.paths) - MAX_PATHS} more")
    return f"tfkms {result.command}" + (f" {', '.join(paths)}" if paths else "")


def _status_and_counts(result: Result) -> tuple[str, str]:
    """text_report's summary line, "tfkms CMD: STATUS: COUNTS", taken apart."""
    _, _, rest = summary_line(result).partition(": ")
    status, _, counts = rest.partition(": ")
    return status, counts


def _count_table(result: Result) -> list[str]:
    counts = result.summary()
    rows = [("error", counts["error"]), ("warning", counts["warning"]), ("info", counts["info"])]
    rows += [(label, counts[key]) for label, key in (("input error", "problems"), ("suppressed", "suppressed"),
                                                     ("fixed", "resolved")) if counts[key]]
    return ["| severity | count |", "|---|---:|", *(f"| {label} | {n} |" for label, n in rows)]


def _rows(result: Result) -> list[str]:
    rows = [_row("input-error", "error", p.file, p.line, "", p.message) for p in result.problems]
    shown = [f for f in result.findings if not f.suppressed and not f.resolved]
    for finding in sorted(shown, key=lambda f: _ORDER[f.severity]):  # stable: report order within a level
        rows.append(_finding_row(finding))
    return rows


def _finding_row(finding: Finding) -> str:
    return _row(finding.rule, finding.severity.value, finding.file, finding.line, finding.address or "",
                finding.message)


def _row(rule: str, severity: str, file: str | None, line: int | None, address: str, message: str) -> str:
    file = file.replace("\\", "/") if file else file
    location = f"{file}:{line}" if file and line else (file or "")
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE - 1] + "…"
    cells = [_code_cell(rule), severity, _code_cell(location), _code_cell(address),
             escape_cell(message)]
    return "| " + " | ".join(cells) + " |"


def _code_cell(text: str) -> str:
    return inline_code(text, in_table=True)


