"""`tfkms check`: before migrating, what can move, what must change first, in which batches."""
from __future__ import annotations

from typing import Annotated

import typer

from tfkms.commands.environment import Environment
from tfkms.commands.errors import call_service, exit_with
from tfkms.commands.options import (
    ConfigOpt,
    EndpointOpt,
    ExcludeOpt,
    FormatOpt,
    InsecureHttpOpt,
    InventoryOpt,
    LiveOpt,
    LiveTimeoutOpt,
    NoCacheOpt,
    OutputOpt,
    PathsArg,
    ProfileOpt,
    ProviderVersionOpt,
    RegionOpt,
    StateOpt,
    Target,
    parse_choice,
    report_format,
    scan_options,
    truth_options,
)
from tfkms.commands.reporting import emit_report

TargetOpt = Annotated[str | None, typer.Option(
    "--target", metavar="[software|hardware]", help="KMS 3.0 instance type: software | hardware [default: software]")]
BatchesOpt = Annotated[bool, typer.Option("--batches", help="List every key and secret of each batch.")]


def check(
    paths: PathsArg,
    target: TargetOpt = None,
    fmt: FormatOpt = "text",
    output: OutputOpt = None,
    exclude: ExcludeOpt = None,
    state: StateOpt = None,
    inventory: InventoryOpt = None,
    live: LiveOpt = False,
    region: RegionOpt = None,
    endpoint: EndpointOpt = None,
    insecure_http: InsecureHttpOpt = False,
    timeout: LiveTimeoutOpt = None,
    profile: ProfileOpt = None,
    provider_version: ProviderVersionOpt = None,
    batches: BatchesOpt = False,
    no_cache: NoCacheOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Before migrating: which KMS resources can move, what must change first, in which batches."""
    from tfkms.services import run_check

    # None: the settings file decides, else software
    target_type = None if target is None else parse_choice(Target, target, "--target must be software or hardware")
    env = Environment.detect()
    result = call_service(run_check, scan_options(paths, exclude, provider_version, no_cache, config, env),
                          truth_options(state, inventory, live, region, endpoint, profile, env, insecure_http,
                                        timeout),
                          None if target_type is None else target_type.value)
    result.options["batches"] = batches
    exit_with(emit_report(result, report_format(fmt), output, env))
