"""GitHub Actions workflow commands: one annotation per finding, then a summary line.

Escaping follows the runner's rules (actions/toolkit `command.ts`): data escapes `%`, CR and
LF; property values also escape `:` and `,`. Escaping newlines is also what stops a message
from starting a workflow command of its own.
"""
from __future__ import annotations

from tfkms.analysis.result import Finding, Result
from tfkms.analysis.rules import Severity
from tfkms.errors import InputProblem

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render(result: Result) -> str:
    lines = [_finding_command(f) for f in result.findings if not f.suppressed and not f.resolved]
    lines += [_problem_command(p) for p in result.problems]
    lines.append(summary_line(result))
    return "\n".join(lines) + "\n"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(command: str, message: str, **properties: str | int | None) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}"
                     for key, value in properties.items() if value is not None)
    return f"::{command}{' ' + props if props else ''}::{escape_data(message)}"


def summary_line(result: Result) -> str:
    counts = result.summary()
    parts = [_count(counts["error"], "error"), _count(counts["warning"], "warning"),
             _count(counts["info"], "notice")]
    if counts["suppressed"]:
        parts.append(f"{counts['suppressed']} suppressed")
    if counts["resolved"]:
        parts.append(f"{counts['resolved']} fixed")
    if result.pending_patches:
        parts.append(_count(len(result.pending_patches), "file") + " to change")
    if counts["problems"]:
        parts.append(_count(counts["problems"], "input problem"))
    status = result.exit_status()
    return f"tfkms {result.command}: {', '.join(parts)} (exit {int(status)})"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _finding_command(finding: Finding) -> str:
    message = finding.message
    if finding.address and finding.address not in message:
        message = f"{finding.address}: {message}"
    if finding.hint:
        message = f"{message}\n{finding.hint}"
    return workflow_command(
        COMMANDS[finding.severity], message,
        file=_path(finding.file) if finding.file else None,
        line=finding.line if finding.file and finding.line else None,
        title=f"{finding.rule} {finding.title}",
    )


def _problem_command(problem: InputProblem) -> str:
    return workflow_command(
        "error", problem.message,
        file=_path(problem.file), line=problem.line, col=problem.column if problem.line else None,
        title="tfkms: cannot read input",
    )


def _path(file: str) -> str:
    return file.replace("\\", "/")
