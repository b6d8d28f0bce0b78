"""`tfkms guard`: judge a saved plan's JSON; fail when it destroys or replaces a KMS key or secret."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tfkms.commands.environment import Environment
from tfkms.commands.errors import call_service, exit_with
from tfkms.commands.options import FormatOpt, OutputOpt, report_format
from tfkms.commands.reporting import emit_report

PlanArg = Annotated[list[Path], typer.Argument(
    metavar="PLAN.json", show_default=False,
    help="`terraform show -json` of a saved plan; several plans (one per root) in one run.")]


def guard(plans: PlanArg, fmt: FormatOpt = "text", output: OutputOpt = None) -> None:
    """CI gate: fail when a plan destroys or replaces a KMS key or secret."""
    from tfkms.services import run_guard

    env = Environment.detect()
    result = call_service(run_guard, *plans)
    exit_with(emit_report(result, report_format(fmt), output, env))
