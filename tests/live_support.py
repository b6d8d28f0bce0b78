"""Helpers for the live/emulator/inventory tests: a clean environment, a running emulator,
generated inventories and a small JSON Schema checker (no jsonschema dependency)."""

from __future__ import annotations

import contextlib
import json
import re
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


def schema_errors(
    instance: Any, schema: dict[str, Any] | None = None, root: dict[str, Any] | None = None, path: str = "$"
) -> list[str]:
    """The draft 2020-12 subset our schema uses: type, const, enum, required, properties,
    additionalProperties (bool or schema), items, minLength, minimum, $ref to #/$defs/..."""
    root = root if root is not None else json.loads(SCHEMA.read_text())
    schema = schema if schema is not None else root
    if "$ref" in schema:
        name = re.fullmatch(r"#/\$defs/(.+)", schema["$ref"]).group(1)  # type: ignore[union-attr]
        return schema_errors(instance, root["$defs"][name], root, path)
    errors: list[str] = []
    types = {"object": dict, "array": list, "string": str, "integer": int}
    expected = schema.get("type")
    if expected and (
        not isinstance(instance, types[expected]) or (expected == "integer" and isinstance(instance, bool))
    ):
        return [f"{path}: expected {expected}"]
    if "const" in schema and instance != schema["const"]:
        errors.append(f"{path}: expected {schema['const']!r}")
    if "enum" in schema and instance not in schema["enum"]:
        errors.append(f"{path}: {instance!r} not in {schema['enum']}")
    if isinstance(instance, str) and len(instance) < schema.get("minLength", 0):
        errors.append(f"{path}: too short")
    if isinstance(instance, int) and "minimum" in schema and instance < schema["minimum"]:
        errors.append(f"{path}: below minimum")
    if isinstance(instance, dict):
        for name in schema.get("required", []):
            if name not in instance:
                errors.append(f"{path}: missing {name}")
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for name, value in instance.items():
            if name in properties:
                errors += schema_errors(value, properties[name], root, f"{path}.{name}")
            elif extra is False:
                errors.append(f"{path}: unexpected {name}")
            elif isinstance(extra, dict):
                errors += schema_errors(value, extra, root, f"{path}.{name}")
    if isinstance(instance, list) and "items" in schema:
        for index, value in enumerate(instance):
            errors += schema_errors(value, schema["items"], root, f"{path}[{index}]")
    return errors
