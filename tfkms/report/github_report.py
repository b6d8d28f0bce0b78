"""GitHub Actions workflow commands: one annotation per finding (errors first, at most 10 per
level), then a summary line.

Escaping follows the runner's rules (actions/toolkit `command.ts`): data escapes `%`, CR and
LF; property values also escape `:` and `,`. Escaping newlines is also what stops a message
from starting a workflow command of its own.
"""
from __future__ import annotations

from tfkms.analysis.result import Finding, Result
from tfkms.analysis.rules import Severity
from tfkms.errors import InputProblem

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


# GitHub shows at most 10 annotations of each level per step (and 50 per job); the rest are dropped
# silently, so tfkms picks which ones are shown and says how many are not.
MAX_PER_LEVEL = 10
LEVELS = ("error", "warning", "notice")


def render(result: Result) -> str:
    # Input problems are errors and come first, then findings by level, each level in report order.
    by_level: dict[str, list[str]] = {level: [] for level in LEVELS}
    by_level["error"] += [_problem_command(p) for p in result.problems]
    for finding in result.findings:
        if not finding.suppressed and not finding.resolved:
            by_level[COMMANDS[finding.severity]].append(_finding_command(finding))
    caps = annotation_caps({level: len(commands) for level, commands in by_level.items()})
    lines = [command for level in LEVELS for command in by_level[level][:caps[level]]]
    left_out = {level: len(by_level[level]) - caps[level] for level in LEVELS}
    if any(left_out.values()):
        lines.append(_cut_notice(left_out))
    lines.append(summary_line(result))
    return "\n".join(lines) + "\n"


def annotation_caps(counts: dict[str, int]) -> dict[str, int]:
    """How many of each level to emit: 10, or 9 notices when a cut-notice (a notice too) is needed."""
    caps = {level: min(counts.get(level, 0), MAX_PER_LEVEL) for level in LEVELS}
    if any(counts.get(level, 0) > MAX_PER_LEVEL for level in LEVELS):
        caps["notice"] = min(caps["notice"], MAX_PER_LEVEL - 1)
    return caps


def _cut_notice(left_out: dict[str, int]) -> str:
    parts = [_count(n, level) for level, n in left_out.items() if n]
    return workflow_command(
        "notice", f"{_join(parts)} not annotated: GitHub shows at most {MAX_PER_LEVEL} annotations per level "
                  "in a step. The job summary lists the top findings; --format sarif (code scanning) or json "
                  "has the full list.",
        title="tfkms: more findings than GitHub annotates")


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


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
