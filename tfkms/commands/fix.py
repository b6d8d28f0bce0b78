"""`tfkms fix`: after migrating, patch the configuration so the next plan destroys nothing."""
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
    IgnoreRotationOpt,
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
    StrategyOpt,
    fix_options,
    report_format,
    scan_options,
    truth_options,
)
from tfkms.commands.reporting import emit_report

WriteOpt = Annotated[bool, typer.Option("--write", help="Write the patch (default: print a diff).")]


def fix(
    paths: PathsArg,
    write: WriteOpt = False,
    strategy: StrategyOpt = None,
    ignore_rotation: IgnoreRotationOpt = False,
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
    no_cache: NoCacheOpt = False,
    config: ConfigOpt = None,
) -> None:
    """After migrating: patch the configuration so the next plan destroys nothing."""
    from tfkms.services import run_fix

    options = fix_options(strategy, ignore_rotation)
    env = Environment.detect()
    result = call_service(run_fix, scan_options(paths, exclude, provider_version, no_cache, config, env),
                          truth_options(state, inventory, live, region, endpoint, profile, env, insecure_http,
                                        timeout),
                          options, write=write)
    exit_with(emit_report(result, report_format(fmt), output, env))
