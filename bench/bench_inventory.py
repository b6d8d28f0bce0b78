"""Inventory speed and kindness: `tfkms inventory` against a plain sequential loop over the same SDK.

    PYTHONPATH=. python bench/bench_inventory.py [--keys 1000 --secrets 300 --regions 1 ...]

One run, side by side, on an emulator process (its own GIL) on loopback with --latency-ms per
call and every --throttle-every'th call throttled (HTTP 400 Throttling, no retry-after):

- sequential: one call after the other, the SDK's own retry on throttling (full by default;
  --naive-sample N describes N keys and N/5 secrets and extrapolates, for big accounts);
- `tfkms inventory --qps 0`: no client-side pacing at all;
- `tfkms inventory` with its defaults (the adaptive rate).

Both tfkms runs are the real CLI in a subprocess (interpreter start included). Then, unless
--server-qps 0, the same two tfkms runs against an emulator that enforces a server-side quota
of --server-qps calls per second instead (what "kind" means: the share of calls throttled).
Wall time, speedup and the throttled share are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tfkms.truth.inventory import load_inventory, write_inventory_atomic  # noqa: E402
from tfkms.truth.model import CloudInstance, CloudKey, CloudSecret, Inventory  # noqa: E402

REGIONS = ["cn-hangzhou", "cn-shanghai", "cn-beijing", "ap-southeast-1", "eu-central-1", "us-west-1"]
AK, SECRET = "bench-ak", "bench-secret"
ADMIN_TOKEN = "bench-admin-token"


def account(keys: int, secrets: int, regions: int) -> Inventory:
    inventory = Inventory(source="bench")
    for r, region in enumerate(REGIONS[:regions]):
        body = inventory.region(region)
        instances = [f"kst-bench{r}{n}" for n in range(3)]
        body.instances = [
            CloudInstance(i, region, name=i, instance_type="software", status="Connected", spec="1000")
            for i in instances
        ]
        for n in range(keys // regions):
            body.keys.append(
                CloudKey(
                    f"key-{region}-{n:06d}",
                    region,
                    key_spec="Aliyun_AES_256",
                    key_state="Enabled",
                    protection_level="SOFTWARE",
                    dkms_instance_id=instances[n % 3] if n % 2 else None,
                    aliases=(f"alias/{region}-{n}",) if n % 4 == 0 else (),
                )
            )
        for n in range(secrets // regions):
            body.secrets.append(CloudSecret(f"secret-{region}-{n:05d}", region, secret_type="Generic"))
    return inventory


# ---------------------------------------------------------------- the emulator process


def serve(args: argparse.Namespace) -> None:
    """`--serve SNAPSHOT`: the emulator, in this process; prints its URL."""
    from tfkms.emulator import EmulatorOptions, EmulatorState, KmsEmulator, serve_forever

    options = EmulatorOptions(access_key_id=AK, access_key_secret=SECRET, latency_ms=args.latency_ms,
                              throttle_every=args.throttle_every, rate_limit_qps=args.server_qps,
                              admin_token=ADMIN_TOKEN)
    emulator = KmsEmulator(EmulatorState.from_inventory(load_inventory(Path(args.serve))), options)
    serve_forever(emulator, on_ready=lambda url: print(url, flush=True))


class Emulator:
    def __init__(self, snapshot: Path, latency_ms: float, throttle_every: int, server_qps: float) -> None:
        self._process = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(snapshot), "--latency-ms", str(latency_ms),
             "--throttle-every", str(throttle_every), "--server-qps", str(server_qps)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=clean_env(),
        )
        assert self._process.stdout is not None
        self.url = self._process.stdout.readline().strip()

    def stats(self) -> dict[str, int]:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        request = urllib.request.Request(f"{self.url}/_tfkms/stats", headers={"X-Tfkms-Admin-Token": ADMIN_TOKEN})
        with opener.open(request) as response:
            return json.loads(response.read())

    def close(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    return {**env, "PYTHONPATH": str(ROOT), "ALIBABA_CLOUD_ACCESS_KEY_ID": AK,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET, "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"}


# ---------------------------------------------------------------- the contenders


@dataclass
class Result:
    name: str
    seconds: float
    calls: int
    throttled: int
    note: str = ""


def measured(emulator: Emulator, name: str, work: Callable[[], str]) -> Result:
    before = emulator.stats()
    started = time.perf_counter()
    note = work()
    seconds = time.perf_counter() - started
    after = emulator.stats()

    def delta(field: str) -> int:
        return after.get(field, 0) - before.get(field, 0)

    return Result(name, seconds, delta("calls"), delta("status.400") + delta("status.429"), note)


def sequential(url: str, regions: list[str], sample: int, counts: list[int]) -> str:
    """List everything, then describe every key, secret and instance, one call at a time.
    With `sample`, only that many keys (and a fifth as many secrets) per region: the note says so."""
    from alibabacloud_kms20160120 import models
    from alibabacloud_kms20160120.client import Client
    from alibabacloud_tea_openapi.utils_models import Config, GlobalParameters
    from darabonba.policy.retry import RetryCondition, RetryOptions

    retry = RetryOptions({"retryable": True, "retryCondition": [RetryCondition({
        "maxAttempts": 8, "errorCode": ["Throttling", "Rejected.Throttling"], "exception": ["ThrottlingException"],
        "backoff": {"policy": "Fixed", "period": 20}})]})
    described, total = 0, 0
    for region in regions:
        client = Client(Config(endpoint=url.removeprefix("http://"), protocol="http", access_key_id=AK,
                               access_key_secret=SECRET, retry_options=retry,
                               global_parameters=GlobalParameters(queries={"RegionId": region})))

        def every(call: Callable[[Any], Any], request: Callable[..., Any], items: Callable[[Any], list]) -> list:
            found, page = [], 1
            while True:
                body = call(request(page_number=page, page_size=100)).body
                found += items(body)
                if len(found) >= (body.total_count or 0) or not items(body):
                    return found
                page += 1

        key_ids = every(client.list_keys, models.ListKeysRequest, lambda b: [k.key_id for k in b.keys.key])
        names = every(client.list_secrets, models.ListSecretsRequest,
                      lambda b: [s.secret_name for s in b.secret_list.secret])
        every(client.list_aliases, models.ListAliasesRequest, lambda b: b.aliases.alias)
        instances = every(client.list_kms_instances, models.ListKmsInstancesRequest,
                          lambda b: [i.kms_instance_id for i in b.kms_instances.kms_instance])
        total += len(key_ids) + len(names) + len(instances)
        keys, secrets = (key_ids[:sample], names[: sample // 5]) if sample else (key_ids, names)
        for key_id in keys:
            client.describe_key(models.DescribeKeyRequest(key_id=key_id))
        for name in secrets:
            client.describe_secret(models.DescribeSecretRequest(secret_name=name))
        for instance in instances:
            client.get_kms_instance(models.GetKmsInstanceRequest(kms_instance_id=instance))
        described += len(keys) + len(secrets) + len(instances)
    counts += [described, total]
    return f"sampled: {described} of {total} describes" if described < total else ""


def tfkms_inventory(url: str, regions: list[str], out: Path, extra: list[str], expect: Inventory) -> str:
    region_args = [a for r in regions for a in ("--region", r)]
    out.unlink(missing_ok=True)
    done = subprocess.run([sys.executable, "-m", "tfkms", "inventory", *region_args, "--endpoint", url,
                           "-o", str(out), *extra], env=clean_env(), cwd=ROOT, stderr=subprocess.PIPE, text=True)
    if done.returncode:  # all or nothing: a call that kept failing (throttled 8 times) fails the run
        return f"FAILED, exit {done.returncode}: {done.stderr.strip().splitlines()[-1][:110]}"
    got = load_inventory(out)
    assert len(got.all_keys()) == len(expect.all_keys()) and len(got.all_secrets()) == len(expect.all_secrets())
    return ""


def show(results: list[Result], baseline: Result | None, extrapolate: float = 1.0) -> None:
    for r in results:
        seconds = r.seconds * (extrapolate if r is baseline else 1.0)
        speedup = f"{baseline.seconds * extrapolate / r.seconds:5.1f}x" if baseline and r is not baseline else "   --"
        share = f"{100 * r.throttled / r.calls:4.1f}%" if r.calls else "  --"
        print(f"  {r.name:<28} {seconds:7.1f} s  {speedup}  {r.calls:6d} calls  {r.throttled:5d} throttled ({share})"
              + (f"  [{r.note}]" if r.note else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1_000)
    parser.add_argument("--secrets", type=int, default=300)
    parser.add_argument("--regions", type=int, default=1)
    parser.add_argument("--latency-ms", type=float, default=20)
    parser.add_argument("--throttle-every", type=int, default=10)
    parser.add_argument("--server-qps", type=float, default=100,
                        help="the second scenario's server-side quota (0: skip it)")
    parser.add_argument("--naive-sample", type=int, default=0,
                        help="keys the sequential loop describes per region, extrapolated (0: all of them)")
    parser.add_argument("--serve", metavar="SNAPSHOT", help=argparse.SUPPRESS)  # the emulator process
    args = parser.parse_args()
    if args.serve:
        serve(args)
        return

    snapshot = account(args.keys, args.secrets, args.regions)
    regions = sorted(snapshot.regions)
    with tempfile.TemporaryDirectory() as tmp:
        path, out = Path(tmp) / "account.json", Path(tmp) / "out.json"
        write_inventory_atomic(snapshot, path)
        print(f"account: {args.keys} keys, {args.secrets} secrets, {len(snapshot.all_instances())} instances over "
              f"{len(regions)} region(s); emulator latency {args.latency_ms:g} ms, every {args.throttle_every}th "
              "call throttled (HTTP 400, no retry-after)")
        emulator = Emulator(path, args.latency_ms, args.throttle_every, 0)
        try:
            counts: list[int] = []  # describes done, describes in the account
            naive = measured(emulator, "sequential SDK loop",
                             lambda: sequential(emulator.url, regions, args.naive_sample, counts))
            runs = [naive]
            for name, extra in (("tfkms inventory --qps 0", ["--qps", "0"]), ("tfkms inventory (defaults)", [])):
                runs.append(measured(emulator, name, partial(tfkms_inventory, emulator.url, regions, out, extra,
                                                             snapshot)))
        finally:
            emulator.close()
        show(runs, naive, extrapolate=counts[1] / counts[0])  # a sample: its time per describe, scaled
        if args.server_qps <= 0:
            return
        print(f"same account, no every-Nth throttling; the server allows {args.server_qps:g} calls/s (a token "
              "bucket, HTTP 400 Throttling beyond it)")
        emulator = Emulator(path, args.latency_ms, 0, args.server_qps)
        try:
            runs = [measured(emulator, name, partial(tfkms_inventory, emulator.url, regions, out, extra, snapshot))
                    for name, extra in (("tfkms inventory --qps 0", ["--qps", "0"]),
                                        ("tfkms inventory (defaults)", []))]
        finally:
            emulator.close()
        show(runs, None)


if __name__ == "__main__":
    main()
