"""A Result to stdout (coloured on a terminal) or to `-o FILE`, its input problems to stderr."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from tfkms.commands.environment import Environment
from tfkms.commands.errors import fail
from tfkms.commands.options import ReportFormat
from tfkms.status import ExitStatus

if TYPE_CHECKING:
    from tfkms.analysis.result import Result


def emit_report(result: Result, report_format: ReportFormat, output: Path | None, env: Environment) -> ExitStatus:
    from tfkms.report import render

    to_terminal = output is None
    text = render(result, report_format.value, color=to_terminal and env.colors, width=env.terminal_width,
                  show_problems=not to_terminal)  # on stdout, input errors go to stderr only (once)
    if output is None:
        env.stdout.write(text)
    else:
        _write_report(output, text)
    for problem in result.problems:
        typer.echo(f"tfkms: error: {problem.render()}", err=True)
    return result.exit_status()


def _write_report(output: Path, text: str) -> None:
    from tfkms.atomic import write_text_atomic
    from tfkms.errors import TfkmsError

    try:
        write_text_atomic(output, text)
    except TfkmsError as exc:
        fail(f"-o {output}: {exc}")
