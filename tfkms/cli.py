"""The `tfkms` app: global flags and the commands of tfkms/commands, registered in --help order.

The entry point (`tfkms.cli:main`); tests drive `tfkms.cli.app` with typer's runner.
"""
from __future__ import annotations

from typing import Annotated

import typer

from tfkms import __version__
from tfkms.commands import audit, check, emulator, fix, guard, inventory, verify

app = typer.Typer(
    name="tfkms",
    help="Make the Alibaba Cloud KMS 1.0 -> KMS 3.0 migration safe for Terraform.\n\n"
         "Exit codes: 0 nothing to do, 1 error, 2 action needed.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"tfkms {__version__}")
        raise typer.Exit()


VersionOpt = Annotated[bool, typer.Option("--version", callback=_show_version, is_eager=True,
                                          help="Show the version and exit.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Log what tfkms does (never values).")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Log more (still never values).")]


@app.callback()
def _main(version: VersionOpt = False, verbose: VerboseOpt = False, debug: DebugOpt = False) -> None:
    """tfkms: find KMS resources in Terraform, say what blocks migration, patch what migration changed."""
    from tfkms import logs

    logs.setup(2 if debug else 1 if verbose else 0)


for command in (check.check, fix.fix, guard.guard, verify.verify, audit.audit, inventory.inventory,
                emulator.emulator):
    app.command()(command)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
