"""`tfkms inventory`: export the keys, secrets and KMS instances of regions to a JSON snapshot."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tfkms.commands.environment import Environment
from tfkms.commands.errors import call_service, exit_with, fail
from tfkms.commands.options import InsecureHttpOpt, InventoryFormat, LiveTimeoutOpt, live_timeout, parse_choice
from tfkms.defaults import DEFAULT_CONCURRENCY
from tfkms.status import ExitStatus

if TYPE_CHECKING:
    from tfkms.truth.model import Inventory

RegionsOpt = Annotated[list[str] | None, typer.Option(
    "--region", "-r", metavar="REGION", help="Region to export (repeatable), e.g. cn-hangzhou.")]
SnapshotOutputOpt = Annotated[Path | None, typer.Option(
    "--output", "-o", metavar="FILE", help="Write the snapshot to FILE (atomically). Default: JSON on stdout.")]
SnapshotFormatOpt = Annotated[str, typer.Option("--format", metavar="[json]", help="Output format: json.")]
ApiEndpointOpt = Annotated[str | None, typer.Option(
    "--endpoint",
    metavar="URL",
    help="API endpoint: host, https://host, kms-vpc.{region}.aliyuncs.com, or http://127.0.0.1:PORT (emulator).")]
CredentialsProfileOpt = Annotated[str | None, typer.Option(
    "--profile",
    metavar="NAME",
    help="aliyun CLI profile (~/.aliyun/config.json). Default: the credential chain (env, OIDC, CLI config, "
         "ECS RAM role).")]
QpsOpt = Annotated[float | None, typer.Option(
    "--qps", metavar="N", show_default=False,
    help="Hard cap on API requests per second, all threads together. Default: no cap, an adaptive rate "
         "that backs off when the API throttles. 0: no pacing at all.")]
ConcurrencyOpt = Annotated[int, typer.Option(
    "--concurrency", metavar="N",
    help="API calls in flight at once (the adaptive rate or --qps sets how many per second).")]


def inventory(
    region: RegionsOpt = None,
    output: SnapshotOutputOpt = None,
    snapshot_format: SnapshotFormatOpt = "json",
    endpoint: ApiEndpointOpt = None,
    profile: CredentialsProfileOpt = None,
    qps: QpsOpt = None,
    concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
    insecure_http: InsecureHttpOpt = False,
    timeout: LiveTimeoutOpt = None,
) -> None:
    """Export the keys, secrets and KMS instances of one or more regions to a JSON snapshot."""
    parse_choice(InventoryFormat, snapshot_format,
                 f"--format {snapshot_format!r} is not supported by inventory; use json")
    if concurrency < 1 or (qps is not None and qps < 0):
        fail("--concurrency must be at least 1 and --qps not negative (0: no pacing)")
    from tfkms.services import export_inventory
    from tfkms.truth.live import LiveOptions

    env = Environment.detect()
    options = LiveOptions(endpoint=endpoint, profile=profile, qps=qps, concurrency=concurrency,
                          insecure_http=insecure_http)
    if timeout is not None:
        options.timeout_s = live_timeout(timeout)
    snapshot = call_service(export_inventory, list(region or []), options, output,
                            stdout=env.stdout, progress=env.stderr_isatty)
    if output is not None:
        typer.echo(f"wrote {output}: {_counts(snapshot)}", err=True)
    exit_with(ExitStatus.OK)


def _counts(snapshot: Inventory) -> str:
    keys = snapshot.all_keys()
    return (f"{len(snapshot.regions)} region(s), {len(keys)} keys ({sum(k.migrated for k in keys)} migrated), "
            f"{len(snapshot.all_secrets())} secrets, {len(snapshot.all_instances())} instances")
