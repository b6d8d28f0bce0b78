"""A Result to stdout (coloured on a terminal) or to `-o FILE`, its input problems to stderr, and a short
summary to `$GITHUB_STEP_SUMMARY` when GitHub Actions names one."""
from __future__ import annotations

import os
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
                  show_problems=not to_terminal,  # on stdout, input errors go to stderr only (once)
                  language=env.language)
    if output is None:
        env.stdout.write(text)
    else:
        _write_report(output, text)
    for problem in result.problems:
        typer.echo(f"tfkms: error: {problem.render()}", err=True)
    if env.step_summary and not _is_the_summary(output, env):
        _append_step_summary(result, Path(env.step_summary))
    return result.exit_status()


def _append_step_summary(result: Result, summary: Path) -> None:
    """Appended, as GitHub concatenates every step's part, unless this step's summary already holds the
    same block (one run per format, as the bundled action does, shows once). A summary that cannot be
    written costs a warning, never the run: the report and the exit code are what CI acts on."""
    from tfkms.report.step_summary import render

    block = render(result)
    marker = block.partition("\n")[0]
    try:
        if summary.is_file() and marker in summary.read_text(encoding="utf-8", errors="replace"):
            return
        with summary.open("a", encoding="utf-8") as stream:
            stream.write(block)
    except OSError as exc:
        typer.echo(f"tfkms: warning: cannot append the job summary to {summary} (GITHUB_STEP_SUMMARY): "
                   f"{exc.strerror or exc}", err=True)


def _is_the_summary(output: Path | None, env: Environment) -> bool:
    """The report itself went to the summary (`-o "$GITHUB_STEP_SUMMARY"`, or `>> "$GITHUB_STEP_SUMMARY"`
    on stdout): a second block would repeat it."""
    summary = str(env.step_summary)
    try:
        if output is not None:
            return os.path.samefile(output, summary)
        return os.path.samestat(os.fstat(env.stdout.fileno()), os.stat(summary))
    except (OSError, ValueError, AttributeError):  # no such file, or a stream without a descriptor
        return False


def _write_report(output: Path, text: str) -> None:
    from tfkms.atomic import write_text_atomic
    from tfkms.errors import TfkmsError

    try:
        write_text_atomic(output, text)
    except TfkmsError as exc:
        fail(f"-o {output}: {exc}")
