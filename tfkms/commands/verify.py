"""`tfkms verify`: plan each root with the user's terraform, then judge the plan as guard does."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tfkms.commands.environment import Environment
from tfkms.commands.errors import call_service, exit_with
from tfkms.commands.options import FormatOpt, OutputOpt, report_format
from tfkms.commands.reporting import emit_report

RootsArg = Annotated[list[Path], typer.Argument(
    metavar="ROOT", help="Terraform root directories to plan.", show_default=False)]
VarFileOpt = Annotated[list[Path] | None, typer.Option(
    "--var-file", metavar="FILE",
    help="Pass -var-file=FILE to each plan (repeatable; relative to the current directory).")]
WorkspaceOpt = Annotated[str | None, typer.Option(
    "--workspace", metavar="NAME", help="Plan this workspace (TF_WORKSPACE for terraform); it must exist.")]
TerraformOpt = Annotated[str, typer.Option(
    "--terraform", metavar="PROGRAM", help="The binary to run: a name on PATH (terraform, tofu) or a path.")]


def verify(
    roots: RootsArg,
    var_file: VarFileOpt = None,
    workspace: WorkspaceOpt = None,
    terraform: TerraformOpt = "terraform",
    fmt: FormatOpt = "text",
    output: OutputOpt = None,
) -> None:
    """CI gate on a fresh plan: init (if needed), plan and show each root, then judge it as guard does.

    Runs only init, plan, show and workspace list; never apply. Exit 0 safe, 1 terraform failed,
    2 the plan destroys or replaces a KMS key or secret."""
    from tfkms.verify import VerifyOptions, run_verify  # tfkms/verify.py is this command's service

    chosen_format = report_format(fmt)  # before planning: a typo should not cost a plan of every root
    env = Environment.detect()
    outcome = call_service(run_verify, VerifyOptions(roots, var_file or [], workspace, terraform))
    for failure in outcome.failures:
        env.stderr.write(failure.render())  # Terraform's own error, once; the report only points at it
    exit_with(emit_report(outcome.result, chosen_format, output, env))
