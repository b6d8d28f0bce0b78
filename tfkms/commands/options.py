"""Option types shared by several commands, the closed choices some flags take, and the parsing of flag
values into the typed options the services take.

Closed choices are str options checked against an Enum here rather than click Choices: a bad value stays
`tfkms: error: ...` with exit 1 (click would print its usage error and exit 2), and `--help` is unchanged.
"""
from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from tfkms.commands.errors import fail

if TYPE_CHECKING:
    from tfkms.analysis.fix import FixOptions
    from tfkms.commands.environment import Environment
    from tfkms.services import ScanOptions, StateSource, TruthOptions

E = TypeVar("E", bound=Enum)

PathsArg = Annotated[list[Path], typer.Argument(metavar="PATH", help="Directories holding Terraform configuration.",
                                                show_default=False)]
FormatOpt = Annotated[str, typer.Option(
    "--format", "-f", metavar="[text|json|markdown|sarif|github|gitlab]", help="Report format.")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write the report to FILE.")]
ExcludeOpt = Annotated[list[str] | None, typer.Option(
    "--exclude", metavar="GLOB", help="Skip directories matching GLOB.")]
StateOpt = Annotated[list[str] | None, typer.Option(
    "--state", metavar="[ROOT=]FILE",
    help="Terraform state (tfstate v4, `terraform show -json`, a saved plan's JSON; - for stdin): FILE, or ROOT=FILE "
         "per root; repeat it for several roots or workspaces.")]
InventoryOpt = Annotated[Path | None, typer.Option(
    "--inventory", metavar="FILE", help="Snapshot from `tfkms inventory`.")]
LiveOpt = Annotated[bool, typer.Option("--live", help="Ask the KMS API for current facts.")]
RegionOpt = Annotated[list[str] | None, typer.Option("--region", metavar="REGION", help="Region(s) for --live.")]
EndpointOpt = Annotated[str | None, typer.Option(
    "--endpoint", metavar="URL", help="KMS API endpoint (e.g. http://127.0.0.1:PORT).")]
InsecureHttpOpt = Annotated[bool, typer.Option(
    "--insecure-http", help="Allow --endpoint http:// to a host that is not loopback (unencrypted).")]
ProfileOpt = Annotated[str | None, typer.Option(
    "--profile", metavar="NAME", help="aliyun CLI profile for credentials.")]
LiveTimeoutOpt = Annotated[float | None, typer.Option(
    "--timeout", metavar="SECONDS", show_default=False,
    help="Give up on the KMS API after SECONDS in all (exit 1, nothing written). Default 600; 0: no limit.")]
ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", metavar="FILE",
    help="Settings file (default: the nearest .tfkms.toml or pyproject.toml [tool.tfkms]).")]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Do not read or write the parse cache.")]
ProviderVersionOpt = Annotated[str | None, typer.Option(
    "--provider-version", metavar="X.Y.Z",
    help="alicloud provider version to assume (overrides lock files and constraints).")]


class ReportFormat(str, Enum):
    """--format of the reporting commands (the renderers in tfkms/report, same order)."""

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    SARIF = "sarif"
    GITHUB = "github"
    GITLAB = "gitlab"  # Code Quality report (artifacts:reports:codequality)
    HTML = "html"


class Target(str, Enum):
    """check --target: the KMS 3.0 instance type to migrate to."""

    SOFTWARE = "software"
    HARDWARE = "hardware"


class Strategy(str, Enum):
    """fix --strategy."""

    AUTO = "auto"
    INSTANCE_ID = "instance-id"
    IGNORE_CHANGES = "ignore-changes"


class InventoryFormat(str, Enum):
    """inventory --format: a snapshot is JSON; the flag exists so scripts can say so."""

    JSON = "json"


def parse_choice(choices: type[E], value: str, error: str) -> E:
    try:
        return choices(value)
    except ValueError:
        fail(error)


def report_format(value: str) -> ReportFormat:
    known = ", ".join(choice.value for choice in ReportFormat)
    return parse_choice(ReportFormat, value, f"--format: {value!r} is not one of {known}")


def parse_state_flag(value: str) -> StateSource:
    """--state FILE, or ROOT=FILE: the first '=' splits, and an empty ROOT means the only root."""
    from tfkms.services import StateSource

    root, sep, file = value.partition("=")
    if not sep:
        return StateSource(file=value, typed=value)
    return StateSource(file=file, root=root or None, typed=value)


def scan_options(paths: list[Path], exclude: list[str] | None, provider_version: str | None, no_cache: bool,
                 config: Path | None = None, env: Environment | None = None) -> ScanOptions:
    """`env`: its ALIBABA_CLOUD_REGION / ALICLOUD_REGION is the region of a provider block without one."""
    from tfkms.services import ScanOptions

    return ScanOptions(paths, exclude or [], provider_version, not no_cache, config=config,
                       default_region=env.default_region if env is not None else None)


def truth_options(state: list[str] | None, inventory: Path | None, live: bool, region: list[str] | None,
                  endpoint: str | None, profile: str | None, env: Environment,
                  insecure_http: bool = False, timeout: float | None = None) -> TruthOptions:
    """`timeout`: --timeout of --live (None: the default)."""
    from tfkms.services import TruthOptions

    stream = env.stdin
    read = (lambda: stream.buffer.read()) if stream is not None else None
    options = TruthOptions([parse_state_flag(value) for value in state or []], inventory, live, region or [],
                           endpoint, profile, progress=env.stderr_isatty, stdin=read, insecure_http=insecure_http)
    if timeout is not None:
        options.live_timeout_s = live_timeout(timeout)
    return options


# `fix` and `github fix-pr|review`: how to patch, parsed by fix_options
StrategyOpt = Annotated[str | None, typer.Option(
    "--strategy", metavar="[auto|instance-id|ignore-changes]",
    help="How to patch; auto decides per resource and says why [default: auto, or the settings file].")]
IgnoreRotationOpt = Annotated[bool, typer.Option(
    "--ignore-rotation", help="Add rotation attributes to lifecycle.ignore_changes.")]


def fix_options(strategy: str | None, ignore_rotation: bool) -> FixOptions:
    """--strategy (None: the settings file decides, else auto) and --ignore-rotation of fix and github."""
    from tfkms.analysis.fix import FixOptions

    chosen = None if strategy is None else parse_choice(
        Strategy, strategy, "--strategy must be auto, instance-id or ignore-changes")
    return FixOptions(strategy=None if chosen is None else chosen.value, ignore_rotation=ignore_rotation)


def live_timeout(seconds: float) -> float | None:
    """--timeout SECONDS: the whole live run's deadline; 0 means none."""
    if seconds != seconds or seconds < 0:  # NaN or negative
        fail("--timeout must be a number of seconds, 0 or more (0: no limit)")
    return float(seconds) or None
