"""The `tfkms` app: global flags and the commands of tfkms/commands, registered in --help order.

The entry point (`tfkms.cli:main`); tests drive `tfkms.cli.app` with typer's runner.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from tfkms import __version__
from tfkms.commands import audit, check, emulator, fix, guard, inventory, report, verify
from tfkms.commands.github import github_app

try:  # typer >= 0.2x ships its own copy of click
    from typer._click.exceptions import UsageError
except ImportError:  # pragma: no cover - older typer uses click itself
    from click.exceptions import UsageError  # type: ignore[no-redef]

def _argument_type_hidden_behind_its_metavar() -> None:
    """--help shows `PATH...`, not `PATH... <list[Path]>` (typer >= 0.2x appends a Python type)."""
    from typer import core

    argument = getattr(core, "TyperArgument", None)
    original = getattr(argument, "display_type_rich", None)
    if argument is None or original is None:
        return

    def display_type_rich(self: typer.core.TyperArgument, ctx: object) -> str | None:
        return None if self.metavar is not None else original(self, ctx)

    argument.display_type_rich = display_type_rich  # type: ignore[method-assign]


_argument_type_hidden_behind_its_metavar()

# A usage mistake (unknown flag or command, missing argument, bad value) is an error: exit 1. Click's
# default, 2, is tfkms's "action needed", so a typo in CI would read as "changes pending".
UsageError.exit_code = 1

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
LangOpt = Annotated[str | None, typer.Option(
    "--lang", metavar="[en|zh]", show_default=False,
    help="Language of the text report (default: LANG / LC_ALL; zh_* gives Chinese).")]


@app.callback()
def _main(version: VersionOpt = False, verbose: VerboseOpt = False, debug: DebugOpt = False,
          lang: LangOpt = None) -> None:
    """tfkms: find KMS resources in Terraform, say what blocks migration, patch what migration changed."""
    from tfkms import i18n, logs

    if lang is not None and lang not in i18n.LANGUAGES:
        from tfkms.commands.errors import fail

        fail(f"--lang must be one of {', '.join(i18n.LANGUAGES)}, not {lang!r}")
    i18n.choose(lang)
    logs.setup(2 if debug else 1 if verbose else 0)


# One line each in `tfkms --help`, whole (click would cut a docstring's first line at 45 characters).
_SHORT_HELP: dict[Callable[..., None], str] = {
    check.check: "Before migrating: what can move, what must change first, in which batches.",
    fix.fix: "After migrating: patch the configuration so the next plan destroys nothing.",
    guard.guard: "CI gate: fail when a saved plan destroys a KMS key, secret or instance.",
    verify.verify: "CI gate on a fresh plan: init, plan and show, then guard's rule.",
    audit.audit: "Drift per region between the states and the whole cloud side.",
    inventory.inventory: "Export the keys, secrets and KMS instances of regions to a snapshot.",
    emulator.emulator: "Serve the KMS API on loopback from a snapshot (tests and demos).",
    report.report: "Render saved JSON reports; several merge into one view across repos.",
}
for command, short in _SHORT_HELP.items():
    app.command(short_help=short)(command)  # type: ignore[type-var]
app.add_typer(github_app, name="github")  # fix-pr, review: the GitHub delivery (docs/github.md)


def main() -> None:
    from tfkms.commands.errors import handle_termination

    handle_termination()  # SIGTERM/SIGHUP end tfkms like Ctrl-C: cleanup runs, one line, exit 128+n
    app()


if __name__ == "__main__":
    main()
