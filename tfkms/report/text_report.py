"""`--format text`: a table grouped by root, colour only on a terminal (NO_COLOR honoured)."""
from __future__ import annotations

import io

from tfkms.analysis.result import Finding, Result

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def render(result: Result, color: bool = False) -> str:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, color_system="standard" if color else None,
                      width=160, highlight=False, soft_wrap=False)
    for patch in result.patches:
        diff = patch.unified_diff()
        for line in diff.splitlines():
            style = ("green" if line.startswith("+") else "red" if line.startswith("-")
                     else "cyan" if line.startswith("@@") else "")
            console.print(Text(line, style=style if color else ""))
    roots = sorted({f.root or "." for f in result.findings})
    for root in roots:
        findings = [f for f in result.findings if (f.root or ".") == root]
        table = Table(title=f"root: {root}", title_justify="left", show_lines=False, expand=False)
        for col in ("rule", "severity", "address", "location", "message"):
            table.add_column(col, overflow="fold")
        if result.command == "fix":
            table.add_column("decision", overflow="fold")
        for f in findings:
            message = Text(f.message)
            if f.needs_action:
                message.append(f"\nhint: {f.hint}", style="dim" if color else "")
            severity = Text(_severity(f), style=_STYLE.get(f.severity.value, "") if color else "")
            row: list[str | Text] = [f.rule, severity, f.address or "", _location(f), message]
            if result.command == "fix":
                row.append(_decision(f))
            table.add_row(*row)
        console.print(table)
    if result.batches:
        console.print("Migration batches (at most 50 keys and 50 secrets each, secrets with or after their key):")
        for b in result.batches:
            where = f"{b.root}, {b.region}" if b.root and b.root != "." else b.region
            console.print(f"  {where} batch {b.number}: {len(b.keys)} key(s), {len(b.secrets)} secret(s)")
            if result.options.get("batches"):
                for address in b.keys + b.secrets:
                    console.print(f"    {address}")
    for problem in result.problems:
        console.print(Text(f"error: {problem.render()}", style="bold red" if color else ""))
    console.print(summary_line(result))
    return buffer.getvalue()


def _severity(f: Finding) -> str:
    if f.suppressed:
        return f"{f.severity.value} (suppressed)"
    if f.resolved:
        return f"{f.severity.value} (fixed)"
    return f.severity.value


def _location(f: Finding) -> str:
    if f.file is None:
        return ""
    return f"{f.file}:{f.line}" if f.line else f.file


def _decision(f: Finding) -> str:
    if f.strategy:
        return f"{f.strategy}: {f.reason}" if f.reason else f.strategy
    return f.reason or ""


def summary_line(result: Result) -> str:
    s = result.summary()
    parts = [f"{s['resources']} KMS resource(s)", f"{s['error']} error(s)", f"{s['warning']} warning(s)",
             f"{s['info']} info"]
    if s["suppressed"]:
        parts.append(f"{s['suppressed']} suppressed")
    if s["resolved"]:
        parts.append(f"{s['resolved']} fixed")
    if result.command == "fix":
        written = sum(1 for p in result.patches if p.written)
        parts.append(f"{written} file(s) written" if written else f"{len(result.patches)} file(s) to change")
    if result.problems:
        parts.append(f"{len(result.problems)} input error(s)")
    status = {0: "ready", 1: "failed", 2: "action needed"}[int(result.exit_status())]
    if result.command == "fix":
        status = {0: "nothing to do", 1: "failed", 2: "action needed"}[int(result.exit_status())]
    return f"tfkms {result.command}: {status}: " + ", ".join(parts)
