"""`tfkms report`: saved `--format json` reports read back; one is rendered like the command that wrote
it, several are merged into one view across repos (tfkms.org_view)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from tfkms.commands.environment import Environment
from tfkms.commands.errors import call_service, exit_with, fail
from tfkms.commands.options import OutputOpt
from tfkms.commands.reporting import emit_report
from tfkms.errors import InputProblem, TfkmsError

ReportsArg = Annotated[list[str], typer.Argument(
    metavar="[NAME=]REPORT.json", show_default=False,
    help="Reports saved with `--format json -o FILE`; NAME is the repo (default: the file's folder, else its name).")]
ReportFormatOpt = Annotated[str, typer.Option(
    "--format", "-f", metavar="[text|json|markdown|html|...]",
    help="One report: any format of the command that wrote it. Several: text, json, markdown or html.")]


def report(reports: ReportsArg, fmt: ReportFormatOpt = "text", output: OutputOpt = None) -> None:
    """Render saved JSON reports: one as its command would have, several as one view across repos.

    Exit codes: 1 a report could not be read (the others are still shown), 2 an error or warning
    that is neither suppressed nor fixed, 0 otherwise."""
    from tfkms.saved_reports import parse_report_argument

    env = Environment.detect()
    named = [parse_report_argument(argument) for argument in reports]
    if len(named) == 1:
        _one(named[0], fmt, output, env)
    else:
        _merged(named, fmt, output, env)


def _one(named: tuple[str, str], fmt: str, output: Path | None, env: Environment) -> NoReturn:
    from tfkms.commands.options import report_format
    from tfkms.saved_reports import load_report

    chosen = report_format(fmt)  # checked before reading: a typo costs nothing
    saved = call_service(load_report, *named)
    exit_with(emit_report(saved.result, chosen, output, env))


def _merged(named: list[tuple[str, str]], fmt: str, output: Path | None, env: Environment) -> NoReturn:
    from tfkms.org_view import build_org_view
    from tfkms.report.org_render import ORG_FORMATS, render_org

    if fmt not in ORG_FORMATS:
        fail(f"--format: several reports merge into {', '.join(ORG_FORMATS)}; {fmt!r} renders one report")

    def tell(name: str, problem: InputProblem) -> None:
        typer.echo(f"tfkms: error: {problem.render()}", err=True)

    view = call_service(build_org_view, named, tell)
    text = call_service(render_org, view, fmt, width=env.terminal_width)
    if output is None:
        env.stdout.write(text)
    else:
        _write(output, text)
    exit_with(view.exit_status())


def _write(output: Path, text: str) -> None:
    from tfkms.atomic import write_text_atomic

    try:
        write_text_atomic(output, text)
    except TfkmsError as exc:
        fail(f"-o {output}: {exc}")
