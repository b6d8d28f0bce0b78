"""`tfkms guard`: judge a saved plan's JSON; fail when it destroys or replaces a KMS key or secret."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tfkms.commands.environment import Environment
from tfkms.commands.errors import call_service, exit_with
from tfkms.commands.options import FormatOpt, OutputOpt, report_format
from tfkms.commands.reporting import emit_report

PlanArg = Annotated[Path, typer.Argument(metavar="PLAN.json", help="`terraform show -json` of a saved plan.")]


def guard(plan: PlanArg, fmt: FormatOpt = "text", output: OutputOpt = None) -> None:
    """CI gate: fail when a plan destroys or replaces a KMS key or secret."""
    from tfkms.services import run_guard

    env = Environment.detect()
    result = call_service(run_guard, plan)
    exit_with(emit_report(result, report_format(fmt), output, env))
