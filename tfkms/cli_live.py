"""`tfkms inventory` and `tfkms emulator`: flags -> one call -> print.

Registered by tfkms/cli.py with `app.command("inventory")(inventory)` and
`app.command("emulator")(emulator)`. Heavy modules are imported inside the commands.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from tfkms.errors import TfkmsError
from tfkms.status import ExitStatus

# duplicated from tfkms.truth.live / tfkms.emulator so `--help` imports neither
_DEFAULT_QPS = 25.0
_DEFAULT_CONCURRENCY = 8
_EMULATOR_AK = "tfkms-emulator-ak"
_EMULATOR_SECRET = "tfkms-emulator-secret"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"tfkms: error: {message}", err=True)
    return typer.Exit(int(ExitStatus.ERROR))


def inventory(
    region: Annotated[
        Optional[list[str]], typer.Option("--region", "-r", help="Region to export (repeatable), e.g. cn-hangzhou.")
    ] = None,
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", help="Write the snapshot to FILE (atomically). Default: JSON on stdout."),
    ] = None,
    format: Annotated[str, typer.Option("--format", help="Output format: json.")] = "json",  # noqa: A002
    endpoint: Annotated[
        Optional[str],
        typer.Option(
            "--endpoint",
            help="API endpoint: host, https://host, kms-vpc.{region}.aliyuncs.com, or http://127.0.0.1:PORT (emulator).",
        ),
    ] = None,
    profile: Annotated[
        Optional[str],
        typer.Option(
            "--profile",
            help="aliyun CLI profile (~/.aliyun/config.json). Default: the credential chain (env, OIDC, CLI config, ECS RAM role).",
        ),
    ] = None,
    qps: Annotated[
        float, typer.Option("--qps", help="Cap on API requests per second, all threads together.")
    ] = _DEFAULT_QPS,
    concurrency: Annotated[int, typer.Option("--concurrency", help="Parallel API calls.")] = _DEFAULT_CONCURRENCY,
) -> None:
    """Export the keys, secrets and KMS instances of one or more regions to a JSON snapshot."""
    if format != "json":
        raise _fail(f"--format {format!r} is not supported by inventory; use json")
    if concurrency < 1 or qps < 0:
        raise _fail("--concurrency must be at least 1 and --qps not negative (0: no cap)")
    if output is not None and (output.is_dir() or not output.parent.is_dir()):
        raise _fail(f"{output}: not a file in an existing folder")  # say so before minutes of API calls
    from tfkms.truth.inventory import dumps_inventory, write_inventory_atomic
    from tfkms.truth.live import LiveOptions, collect_inventory

    options = LiveOptions(endpoint=endpoint, profile=profile, qps=qps, concurrency=concurrency)
    try:
        snapshot = collect_inventory(list(region or []), options, progress=sys.stderr.isatty())
        if output is None:
            sys.stdout.write(dumps_inventory(snapshot))
            return
        write_inventory_atomic(snapshot, output)
    except TfkmsError as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"{output}: cannot write the snapshot: {exc.strerror or exc}") from None
    except KeyboardInterrupt:
        raise _fail("interrupted; no snapshot written") from None
    keys = snapshot.all_keys()
    typer.echo(
        f"wrote {output}: {len(snapshot.regions)} region(s), {len(keys)} keys "
        f"({sum(k.migrated for k in keys)} migrated), {len(snapshot.all_secrets())} secrets, "
        f"{len(snapshot.all_instances())} instances",
        err=True,
    )


def emulator(
    snapshot: Annotated[Path, typer.Option("--inventory", "-i", help="Snapshot to serve (from `tfkms inventory`).")],
    port: Annotated[int, typer.Option("--port", help="TCP port on 127.0.0.1; 0 picks a free one.")] = 0,
    access_key_id: Annotated[
        str, typer.Option("--access-key-id", help="Access key id the emulator accepts.")
    ] = _EMULATOR_AK,
    access_key_secret: Annotated[
        str, typer.Option("--access-key-secret", help="Its secret (signatures are verified).", show_default=False)
    ] = _EMULATOR_SECRET,
    throttle_every: Annotated[
        int,
        typer.Option("--throttle-every", help="Every Nth call answers HTTP 400 Throttling (no retry-after). 0: never."),
    ] = 0,
    fail_rate: Annotated[float, typer.Option("--fail-rate", help="Probability of an HTTP 503 per call.")] = 0.0,
    latency_ms: Annotated[float, typer.Option("--latency-ms", help="Delay added to every answer.")] = 0.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed for the random faults and new key version ids.")] = 0,
) -> None:
    """Serve the KMS API on loopback from a snapshot; prints http://127.0.0.1:PORT."""
    if throttle_every < 0 or not 0.0 <= fail_rate <= 1.0 or latency_ms < 0 or not 0 <= port <= 65535:
        raise _fail(
            "--throttle-every and --latency-ms must not be negative, --fail-rate is between 0 and 1, --port 0..65535"
        )
    from tfkms.emulator import (
        EmulatorOptions,
        EmulatorState,
        KmsEmulator,
        serve_forever,
    )
    from tfkms.truth.inventory import load_inventory

    try:
        state = EmulatorState.from_inventory(load_inventory(snapshot), seed=seed)
    except TfkmsError as exc:
        raise _fail(str(exc)) from None
    options = EmulatorOptions(
        access_key_id=access_key_id,
        access_key_secret=access_key_secret,
        throttle_every=throttle_every,
        fail_rate=fail_rate,
        latency_ms=latency_ms,
        seed=seed,
    )

    def ready(url: str) -> None:
        print(url, flush=True)
        typer.echo(
            f"serving {', '.join(sorted(state.regions)) or 'no regions'} for access key id {access_key_id}; "
            f"admin: POST {url}/_tfkms/migrate, GET {url}/_tfkms/snapshot; Ctrl-C stops",
            err=True,
        )

    try:
        serve_forever(KmsEmulator(state, options), port=port, on_ready=ready)
    except OSError as exc:
        raise _fail(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
