"""`tfkms emulator` (and `python -m tfkms.emulator`): the KMS API on loopback, served from a snapshot."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tfkms.commands.environment import Environment
from tfkms.commands.errors import call_service, exit_with, fail
from tfkms.defaults import EMULATOR_ACCESS_KEY_ID, EMULATOR_ACCESS_KEY_SECRET
from tfkms.status import ExitStatus

SnapshotOpt = Annotated[Path, typer.Option(
    "--inventory", "-i", metavar="FILE", help="Snapshot to serve (from `tfkms inventory`).")]
PortOpt = Annotated[int, typer.Option("--port", metavar="PORT", help="TCP port on 127.0.0.1; 0 picks a free one.")]
AccessKeyIdOpt = Annotated[str, typer.Option(
    "--access-key-id", metavar="ID", help="Access key id the emulator accepts.")]
AccessKeySecretOpt = Annotated[str, typer.Option(
    "--access-key-secret", metavar="SECRET", help="Its secret (signatures are verified).", show_default=False)]
ThrottleEveryOpt = Annotated[int, typer.Option(
    "--throttle-every", metavar="N", help="Every Nth call answers HTTP 400 Throttling (no retry-after). 0: never.")]
FailRateOpt = Annotated[float, typer.Option("--fail-rate", metavar="P", help="Probability of an HTTP 503 per call.")]
LatencyOpt = Annotated[float, typer.Option("--latency-ms", metavar="MS", help="Delay added to every answer.")]
SeedOpt = Annotated[int, typer.Option(
    "--seed", metavar="N", help="Seed for the random faults and new key version ids.")]
AdminTokenOpt = Annotated[str | None, typer.Option(
    "--admin-token", metavar="TOKEN", envvar="TFKMS_EMULATOR_ADMIN_TOKEN",
    help="Token the /_tfkms/ admin routes require (header X-Tfkms-Admin-Token); random when not given.")]


def emulator(
    snapshot: SnapshotOpt,
    port: PortOpt = 0,
    access_key_id: AccessKeyIdOpt = EMULATOR_ACCESS_KEY_ID,
    access_key_secret: AccessKeySecretOpt = EMULATOR_ACCESS_KEY_SECRET,
    throttle_every: ThrottleEveryOpt = 0,
    fail_rate: FailRateOpt = 0.0,
    latency_ms: LatencyOpt = 0.0,
    seed: SeedOpt = 0,
    admin_token: AdminTokenOpt = None,
) -> None:
    """Serve the KMS API on loopback from a snapshot; prints http://127.0.0.1:PORT."""
    if throttle_every < 0 or not 0.0 <= fail_rate <= 1.0 or latency_ms < 0 or not 0 <= port <= 65535:
        fail("--throttle-every and --latency-ms must not be negative, --fail-rate is between 0 and 1, --port 0..65535")
    from tfkms.emulator import EmulatorOptions
    from tfkms.emulator.server import ADMIN_TOKEN_HEADER
    from tfkms.services import serve_emulator

    env = Environment.detect()
    options = EmulatorOptions(access_key_id=access_key_id, access_key_secret=access_key_secret,
                              throttle_every=throttle_every, fail_rate=fail_rate, latency_ms=latency_ms, seed=seed)
    if admin_token:
        options.admin_token = admin_token

    def announce(url: str, regions: list[str]) -> None:
        env.stdout.write(f"{url}\n")  # alone on stdout, flushed: scripts read the first line to find us
        env.stdout.flush()
        typer.echo(f"serving {', '.join(regions) or 'no regions'} for access key id {access_key_id}; "
                   f"admin: POST {url}/_tfkms/migrate, GET {url}/_tfkms/snapshot with header "
                   f"{ADMIN_TOKEN_HEADER}: {options.admin_token}; Ctrl-C stops", err=True)

    call_service(serve_emulator, snapshot, options, port, announce)
    exit_with(ExitStatus.OK)
