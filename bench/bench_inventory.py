"""Inventory speed: tfkms's collect_inventory vs a naive sequential loop over the same SDK.

    PYTHONPATH=. python bench/bench_inventory.py [--keys 10000 --secrets 2000 --regions 4 ...]

The emulator runs in its own process (its own GIL) on loopback with --latency-ms and
--throttle-every. tfkms runs with an explicit --qps cap and --concurrency; the bench
prints the achieved request rate next to the cap. The naive loop (one call after the
other, the SDK's own retry for throttling) is measured on a sample of describes and
extrapolated to the whole account, so the bench stays bounded; the output says so.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tfkms.truth.inventory import write_inventory_atomic  # noqa: E402
from tfkms.truth.live import LiveOptions, collect_inventory  # noqa: E402
from tfkms.truth.model import CloudInstance, CloudKey, CloudSecret, Inventory  # noqa: E402

REGIONS = ["cn-hangzhou", "cn-shanghai", "cn-beijing", "ap-southeast-1", "eu-central-1", "us-west-1"]
AK, SECRET = "bench-ak", "bench-secret"


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


ADMIN_TOKEN = "bench-admin-token"


def stats(url: str) -> dict:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(f"{url}/_tfkms/stats", headers={"X-Tfkms-Admin-Token": ADMIN_TOKEN})
    with opener.open(request) as response:
        return json.loads(response.read())


def naive_sample(url: str, region: str, sample: int) -> tuple[int, float, float]:
    """Sequential: list everything of one region, then describe `sample` keys and secrets.

    Returns (listing calls, listing seconds, seconds per describe)."""
    from alibabacloud_kms20160120 import models
    from alibabacloud_kms20160120.client import Client
    from alibabacloud_tea_openapi.utils_models import Config, GlobalParameters
    from darabonba.policy.retry import RetryCondition, RetryOptions

    retry = RetryOptions(
        {
            "retryable": True,
            "retryCondition": [
                RetryCondition(
                    {
                        "maxAttempts": 8,
                        "errorCode": ["Throttling", "Rejected.Throttling"],
                        "exception": ["ThrottlingException"],
                        "backoff": {"policy": "Fixed", "period": 20},
                    }
                )
            ],
        }
    )
    client = Client(
        Config(
            endpoint=url.removeprefix("http://"),
            protocol="http",
            access_key_id=AK,
            access_key_secret=SECRET,
            global_parameters=GlobalParameters(queries={"RegionId": region}),
            retry_options=retry,
        )
    )
    started, calls = time.perf_counter(), 0
    key_ids, secret_names, page = [], [], 1
    while True:
        body = client.list_keys(models.ListKeysRequest(page_number=page, page_size=100)).body
        calls += 1
        key_ids += [k.key_id for k in body.keys.key]
        if len(key_ids) >= body.total_count:
            break
        page += 1
    page = 1
    while True:
        body = client.list_secrets(models.ListSecretsRequest(page_number=page, page_size=100)).body
        calls += 1
        secret_names += [s.secret_name for s in body.secret_list.secret]
        if len(secret_names) >= body.total_count:
            break
        page += 1
    client.list_aliases(models.ListAliasesRequest(page_size=100))
    client.list_kms_instances(models.ListKmsInstancesRequest(page_size=100))
    listing = time.perf_counter() - started
    started = time.perf_counter()
    for key_id in key_ids[:sample]:
        client.describe_key(models.DescribeKeyRequest(key_id=key_id))
    for name in secret_names[: sample // 5]:
        client.describe_secret(models.DescribeSecretRequest(secret_name=name))
    per_describe = (time.perf_counter() - started) / (min(sample, len(key_ids)) + min(sample // 5, len(secret_names)))
    return calls + 2, listing, per_describe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--secrets", type=int, default=2_000)
    parser.add_argument("--regions", type=int, default=4)
    parser.add_argument("--latency-ms", type=float, default=20)
    parser.add_argument("--throttle-every", type=int, default=10)
    parser.add_argument("--qps", type=float, default=800, help="tfkms's QPS cap for this run (default for users: 25)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--naive-sample", type=int, default=300, help="keys described by the naive loop (and a fifth as many secrets)"
    )
    args = parser.parse_args()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        os.environ.pop(name, None)

    snapshot = account(args.keys, args.secrets, args.regions)
    regions = sorted(snapshot.regions)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.json"
        write_inventory_atomic(snapshot, path)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        emulator = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tfkms.emulator",
                "--inventory",
                str(path),
                "--access-key-id",
                AK,
                "--access-key-secret",
                SECRET,
                "--latency-ms",
                str(args.latency_ms),
                "--throttle-every",
                str(args.throttle_every),
                "--admin-token",
                ADMIN_TOKEN,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        try:
            url = emulator.stdout.readline().strip()
            run(args, url, snapshot, regions)
        finally:
            emulator.terminate()
            emulator.wait(timeout=10)


def run(args: argparse.Namespace, url: str, snapshot: Inventory, regions: list[str]) -> None:
    from alibabacloud_credentials.client import Client as CredentialClient
    from alibabacloud_credentials.models import Config as CredentialConfig

    credentials = CredentialClient(CredentialConfig(type="access_key", access_key_id=AK, access_key_secret=SECRET))
    print(
        f"account: {args.keys} keys, {args.secrets} secrets over {len(regions)} regions; emulator latency "
        f"{args.latency_ms:g} ms, every {args.throttle_every}th call throttled (HTTP 400, no retry-after)"
    )

    before = stats(url)
    started = time.perf_counter()
    got = collect_inventory(
        regions, LiveOptions(endpoint=url, credentials=credentials, qps=args.qps, concurrency=args.concurrency)
    )
    tfkms_s = time.perf_counter() - started
    after = stats(url)
    requests = after.get("calls", 0) - before.get("calls", 0)
    throttled = after.get("status.400", 0) - before.get("status.400", 0)
    assert len(got.all_keys()) == len(snapshot.all_keys()) and len(got.all_secrets()) == len(snapshot.all_secrets())
    print(
        f"tfkms : {tfkms_s:7.1f} s  {requests} requests ({throttled} throttled and retried), "
        f"achieved {requests / tfkms_s:.0f} req/s under a cap of {args.qps:g} (concurrency {args.concurrency})"
    )

    listing_calls, listing_s, per_describe = naive_sample(url, regions[0], args.naive_sample)
    describes = len(snapshot.all_keys()) + len(snapshot.all_secrets()) + len(snapshot.all_instances())
    naive_s = listing_s * len(regions) + per_describe * describes
    print(
        f"naive : {naive_s:7.1f} s  estimated: one region's listing measured ({listing_calls} calls, {listing_s:.1f} s) x "
        f"{len(regions)}, plus {per_describe * 1000:.1f} ms per describe measured on {args.naive_sample} keys and "
        f"{args.naive_sample // 5} secrets, x {describes} describes"
    )
    print(f"ratio : {naive_s / tfkms_s:.1f}x faster")


if __name__ == "__main__":
    main()
