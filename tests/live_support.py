"""Helpers for the live/emulator/inventory tests: a clean environment, a running emulator,
generated inventories and a small JSON Schema checker (no jsonschema dependency)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from tfkms.emulator import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    EmulatorOptions,
    EmulatorState,
    KmsEmulator,
    serve,
)
from tfkms.truth.inventory import load_inventory
from tfkms.truth.live import LiveOptions
from tfkms.truth.model import CloudInstance, CloudKey, CloudSecret, Inventory

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "inventory" / "demo.json"
SCHEMA = ROOT / "tfkms" / "schemas" / "inventory.schema.json"
ACCOUNT = "1234567890123456"


@pytest.fixture
def kms_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy (the SDK would send loopback calls to it), no ECS metadata lookups, and the
    emulator's key in the environment provider of the default credential chain."""
    from alibabacloud_credentials.utils import auth_util

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
    # auth_util read the environment once at import time: patch what it read
    monkeypatch.setattr(auth_util, "environment_ecs_metadata_disabled", "true")
    monkeypatch.setattr(auth_util, "environment_access_key_id", DEFAULT_ACCESS_KEY_ID)
    monkeypatch.setattr(auth_util, "environment_access_key_secret", DEFAULT_ACCESS_KEY_SECRET)
    monkeypatch.setattr(auth_util, "environment_security_token", None)


def fast_options(url: str, **overrides: Any) -> LiveOptions:
    """Options for tests: tiny backoff so retries cost milliseconds, no QPS cap."""
    values: dict[str, Any] = {
        "endpoint": url,
        "qps": 0,
        "concurrency": 4,
        "backoff_base_s": 0.001,
        "backoff_cap_s": 0.005,
    }
    values.update(overrides)
    return LiveOptions(**values)


@contextlib.contextmanager
def running(inventory: Inventory, **options: Any) -> Iterator[tuple[KmsEmulator, str]]:
    emulator = KmsEmulator(
        EmulatorState.from_inventory(inventory, seed=options.pop("state_seed", 0)), EmulatorOptions(**options)
    )
    with serve(emulator) as url:
        yield emulator, url


def demo() -> Inventory:
    return load_inventory(DEMO)


def generated(regions: dict[str, tuple[int, int, int]]) -> Inventory:
    """region -> (keys, secrets, instances); every third key aliased, every other one migrated."""
    inventory = Inventory(generated_at="2026-11-28T00:00:00Z", source="generated")
    for region, (n_keys, n_secrets, n_instances) in regions.items():
        body = inventory.region(region)
        instances = [f"kst-{region[:3]}{i:04d}" for i in range(n_instances)]
        body.instances = [
            CloudInstance(
                i,
                region,
                name=f"inst-{i}",
                instance_type="software" if n % 2 == 0 else "hardware",
                status="Connected",
                spec="1000",
            )
            for n, i in enumerate(instances)
        ]
        for n in range(n_keys):
            key_id = f"key-{region}-{n:05d}"
            body.keys.append(
                CloudKey(
                    key_id,
                    region,
                    arn=f"acs:kms:{region}:{ACCOUNT}:key/{key_id}",
                    key_spec="Aliyun_AES_256",
                    key_usage="ENCRYPT/DECRYPT",
                    key_state="Enabled",
                    protection_level="HSM" if n % 5 == 0 else "SOFTWARE",
                    origin="Aliyun_KMS",
                    automatic_rotation="Disabled",
                    creator=ACCOUNT,
                    dkms_instance_id=instances[n % len(instances)] if instances and n % 2 == 0 else None,
                    primary_key_version=f"v-{key_id}",
                    version_count=1,
                    aliases=(f"alias/{region}-{n}",) + ((f"alias/{region}-{n}-b",) if n % 9 == 0 else ())
                    if n % 3 == 0
                    else (),
                )
            )
        for n in range(n_secrets):
            name = f"app/{region}/secret-{n:04d}"
            body.secrets.append(
                CloudSecret(
                    name,
                    region,
                    arn=f"acs:kms:{region}:{ACCOUNT}:secret/{name}",
                    secret_type="Generic",
                    encryption_key_id=f"key-{region}-{n % max(1, n_keys):05d}" if n_keys else None,
                    dkms_instance_id=instances[0] if instances and n % 2 == 0 else None,
                    automatic_rotation="Disabled",
                )
            )
    return inventory


def without_run_metadata(inventory: Inventory) -> Inventory:
    inventory.generated_at = None
    inventory.source = None
    return inventory


# ---------------------------------------------------------------- a small JSON Schema checker


def schema_errors(instance: Any) -> list[str]:
    """Every way `instance` breaks docs/tfkms/schemas/inventory.schema.json (draft 2020-12), by jsonschema:
    one "PATH: VALIDATOR: message" line each."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    return [f"{error.json_path}: {error.validator}: {error.message}" for error in validator.iter_errors(instance)]


