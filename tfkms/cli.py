"""The command line: flags -> one service call -> render -> exit status. Nothing else."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Callable, NoReturn, Optional, TypeVar

import typer

from tfkms import __version__
from tfkms.status import ExitStatus

if TYPE_CHECKING:
    from tfkms.analysis.result import Result

T = TypeVar("T")

app = typer.Typer(
    name="tfkms",
    help="Make the Alibaba Cloud KMS 1.0 -> KMS 3.0 migration safe for Terraform.\n\n"
         "Exit codes: 0 nothing to do, 1 error, 2 action needed.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

PathsArg = Annotated[list[Path], typer.Argument(help="Directories holding Terraform configuration.",
                                                show_default=False)]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="text | json | markdown | sarif | github")]
OutputOpt = Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the report to FILE.")]
ExcludeOpt = Annotated[Optional[list[str]], typer.Option("--exclude", help="Skip directories matching GLOB.")]
StateOpt = Annotated[Optional[list[str]], typer.Option(
    "--state", help="Terraform state (tfstate v4 or `terraform show -json`): FILE, or ROOT=FILE per root.")]
InventoryOpt = Annotated[Optional[Path], typer.Option("--inventory", help="Snapshot from `tfkms inventory`.")]
LiveOpt = Annotated[bool, typer.Option("--live", help="Ask the KMS API for current facts.")]
RegionOpt = Annotated[Optional[list[str]], typer.Option("--region", help="Region(s) for --live.")]
EndpointOpt = Annotated[Optional[str], typer.Option("--endpoint", help="KMS API endpoint (e.g. http://127.0.0.1:PORT).")]
ProfileOpt = Annotated[Optional[str], typer.Option("--profile", help="aliyun CLI profile for credentials.")]
ConfigOpt = Annotated[Optional[Path], typer.Option(
    "--config", help="Settings file (default: the nearest .tfkms.toml or pyproject.toml [tool.tfkms]).")]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Do not read or write the parse cache.")]
ProviderVersionOpt = Annotated[Optional[str], typer.Option(
    "--provider-version", help="alicloud provider version to assume (overrides lock files and constraints).")]


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"tfkms {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version_callback, is_eager=True,
                                          help="Show the version and exit.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what tfkms does (never values).")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Log more (still never values).")] = False,
) -> None:
    """tfkms: find KMS resources in Terraform, say what blocks migration, patch what migration changed."""
    from tfkms import logs

    logs.setup(2 if debug else 1 if verbose else 0)


def _color_enabled(stream: object) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)()) and "NO_COLOR" not in os.environ


def _emit(result: "Result", fmt: str, output: Optional[Path]) -> ExitStatus:
    from tfkms.report import FORMATS, render

    if fmt not in FORMATS:
        _fail(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    text = render(result, fmt, color=output is None and _color_enabled(sys.stdout))
    if output is not None:
        from tfkms.errors import TfkmsError
        from tfkms.atomic import write_text_atomic

        try:
            write_text_atomic(output, text)
        except TfkmsError as exc:
            _fail(f"-o {output}: {exc}")
    else:
        sys.stdout.write(text)
    for problem in result.problems:
        typer.echo(f"tfkms: error: {problem.render()}", err=True)
    return result.exit_status()


def _fail(message: str) -> NoReturn:
    typer.echo(f"tfkms: error: {message}", err=True)
    raise typer.Exit(int(ExitStatus.ERROR))


def _run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """User errors become one line on stderr and exit 1, never a traceback."""
    from tfkms.errors import TfkmsError

    try:
        return fn(*args, **kwargs)
    except TfkmsError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        typer.echo("tfkms: interrupted", err=True)
        raise typer.Exit(130)
    except Exception as exc:  # noqa: BLE001 - a bug must still not dump secrets or a traceback
        if os.environ.get("TFKMS_DEBUG"):
            raise
        _fail(f"internal error ({type(exc).__name__}); rerun with TFKMS_DEBUG=1 and report it")
    raise AssertionError("unreachable: _fail exits")


@app.command()
def check(
    paths: PathsArg,
    target: Annotated[Optional[str], typer.Option(
        "--target", help="KMS 3.0 instance type: software | hardware [default: software]")] = None,
    fmt: FormatOpt = "text",
    output: OutputOpt = None,
    exclude: ExcludeOpt = None,
    state: StateOpt = None,
    inventory: InventoryOpt = None,
    live: LiveOpt = False,
    region: RegionOpt = None,
    endpoint: EndpointOpt = None,
    profile: ProfileOpt = None,
    provider_version: ProviderVersionOpt = None,
    batches: Annotated[bool, typer.Option("--batches", help="List every key and secret of each batch.")] = False,
    no_cache: NoCacheOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Before migrating: which KMS resources can move, what must change first, in which batches."""
    from tfkms.services import ScanOptions, TruthOptions, run_check

    if target not in (None, "software", "hardware"):
        _fail("--target must be software or hardware")
    result = _run(run_check, ScanOptions(paths, exclude or [], provider_version, not no_cache, config=config),
                  TruthOptions(state or [], inventory, live, region or [], endpoint, profile), target)
    result.options["batches"] = batches
    raise typer.Exit(int(_emit(result, fmt, output)))


@app.command()
def fix(
    paths: PathsArg,
    write: Annotated[bool, typer.Option("--write", help="Write the patch (default: print a diff).")] = False,
    strategy: Annotated[Optional[str], typer.Option(
        "--strategy", help="auto | instance-id | ignore-changes [default: auto]")] = None,
    ignore_rotation: Annotated[bool, typer.Option("--ignore-rotation",
                                                  help="Add rotation attributes to lifecycle.ignore_changes.")] = False,
    fmt: FormatOpt = "text",
    output: OutputOpt = None,
    exclude: ExcludeOpt = None,
    state: StateOpt = None,
    inventory: InventoryOpt = None,
    live: LiveOpt = False,
    region: RegionOpt = None,
    endpoint: EndpointOpt = None,
    profile: ProfileOpt = None,
    provider_version: ProviderVersionOpt = None,
    no_cache: NoCacheOpt = False,
    config: ConfigOpt = None,
) -> None:
    """After migrating: patch the configuration so the next plan destroys nothing."""
    from tfkms.analysis.fix import FixOptions
    from tfkms.services import ScanOptions, TruthOptions, run_fix

    if strategy not in (None, "auto", "instance-id", "ignore-changes"):
        _fail("--strategy must be auto, instance-id or ignore-changes")
    result = _run(run_fix, ScanOptions(paths, exclude or [], provider_version, not no_cache, config=config),
                  TruthOptions(state or [], inventory, live, region or [], endpoint, profile),
                  FixOptions(strategy=strategy, ignore_rotation=ignore_rotation), write=write)
    raise typer.Exit(int(_emit(result, fmt, output)))


@app.command()
def guard(
    plan: Annotated[Path, typer.Argument(help="`terraform show -json` of a saved plan.")],
    fmt: FormatOpt = "text",
    output: OutputOpt = None,
) -> None:
    """CI gate: fail when a plan destroys or replaces a KMS key or secret."""
    try:
        from tfkms.analysis.guard import guard_plan
    except ImportError:
        _fail("guard is not yet available in this build")
    result = _run(guard_plan, plan, plan.as_posix())
    raise typer.Exit(int(_emit(result, fmt, output)))


@app.command()
def verify(
    roots: Annotated[list[Path], typer.Argument(help="Terraform root directories to plan.", show_default=False)],
    var_file: Annotated[Optional[list[Path]], typer.Option(
        "--var-file", help="Pass -var-file=FILE to each plan (repeatable; relative to the current directory).")] = None,
    workspace: Annotated[Optional[str], typer.Option(
        "--workspace", help="Plan this workspace (TF_WORKSPACE for terraform); it must exist.")] = None,
    terraform: Annotated[str, typer.Option(
        "--terraform", help="The binary to run: a name on PATH (terraform, tofu) or a path.")] = "terraform",
    fmt: FormatOpt = "text",
    output: OutputOpt = None,
) -> None:
    """CI gate on a fresh plan: init (if needed), plan and show each root, then judge it as guard does.

    Runs only init, plan, show and workspace list; never apply. Exit 0 safe, 1 terraform failed,
    2 the plan destroys or replaces a KMS key or secret."""
    from tfkms.report import FORMATS
    from tfkms.verify import VerifyOptions, run_verify

    if fmt not in FORMATS:  # before planning: a typo should not cost a plan of every root
        _fail(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    outcome = _run(run_verify, VerifyOptions(roots, var_file or [], workspace, terraform))
    for failure in outcome.failures:
        sys.stderr.write(failure.render())  # Terraform's own error, once; the report only points at it
    raise typer.Exit(int(_emit(outcome.result, fmt, output)))


@app.command()
def audit(
    paths: PathsArg,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text | json | markdown | sarif | github | html")] = "text",
    output: OutputOpt = None,
    exclude: ExcludeOpt = None,
    state: StateOpt = None,
    inventory: InventoryOpt = None,
    live: LiveOpt = False,
    region: Annotated[Optional[list[str]], typer.Option(
        "--region", help="Region(s) to list with --live, or to keep from --inventory.")] = None,
    endpoint: EndpointOpt = None,
    profile: ProfileOpt = None,
    provider_version: ProviderVersionOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Drift, per region: what no state manages, what the cloud lacks, what is not migrated or mismatched.

    Needs the whole cloud side: --inventory FILE, or --live --region R (every key and secret is listed)."""
    from tfkms.services import ScanOptions, TruthOptions, run_audit

    result = _run(run_audit, ScanOptions(paths, exclude or [], provider_version, not no_cache),
                  TruthOptions(state or [], inventory, live, region or [], endpoint, profile))
    raise typer.Exit(int(_emit(result, fmt, output)))


def _register_live_commands() -> None:
    try:
        from tfkms import cli_live
    except ImportError:
        return
    app.command("inventory")(cli_live.inventory)
    app.command("emulator")(cli_live.emulator)


_register_live_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
