"""`tfkms audit`: drift between the states and the whole cloud side, per region."""
from __future__ import annotations

from typing import Annotated

import typer

from tfkms.commands.environment import Environment
from tfkms.commands.errors import call_service, exit_with
from tfkms.commands.options import (
    ConfigOpt,
    EndpointOpt,
    ExcludeOpt,
    InsecureHttpOpt,
    InventoryOpt,
    LiveOpt,
    LiveTimeoutOpt,
    NoCacheOpt,
    OutputOpt,
    PathsArg,
    ProfileOpt,
    ProviderVersionOpt,
    StateOpt,
    report_format,
    scan_options,
    truth_options,
)
from tfkms.commands.reporting import emit_report

# audit's --format and --region say more than the shared ones: html is its main report, and
# --region also narrows a snapshot.
AuditFormatOpt = Annotated[str, typer.Option(
    "--format", "-f", metavar="[text|json|markdown|sarif|github|gitlab|html]", help="Report format.")]
AuditRegionOpt = Annotated[list[str] | None, typer.Option(
    "--region", metavar="REGION", help="Region(s) to list with --live, or to keep from --inventory.")]


def audit(
    paths: PathsArg,
    fmt: AuditFormatOpt = "text",
    output: OutputOpt = None,
    exclude: ExcludeOpt = None,
    state: StateOpt = None,
    inventory: InventoryOpt = None,
    live: LiveOpt = False,
    region: AuditRegionOpt = None,
    endpoint: EndpointOpt = None,
    insecure_http: InsecureHttpOpt = False,
    timeout: LiveTimeoutOpt = None,
    profile: ProfileOpt = None,
    provider_version: ProviderVersionOpt = None,
    no_cache: NoCacheOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Drift, per region: what no state manages, what the cloud lacks, what is not migrated or mismatched.

    Needs the whole cloud side: --inventory FILE, or --live --region R (every key and secret is listed)."""
    from tfkms.services import run_audit

    env = Environment.detect()
    result = call_service(run_audit, scan_options(paths, exclude, provider_version, no_cache, config, env),
                          truth_options(state, inventory, live, region, endpoint, profile, env, insecure_http,
                                        timeout))
    exit_with(emit_report(result, report_format(fmt), output, env))
