"""Refreshed post-migration states, shaped like the real provider writes them (tfstate v4)."""
from __future__ import annotations

from typing import Any

CANARY = "CANARY-s3cr3t-7f3a9"  # planted as secret_data; must never be printed
INSTANCE = "kst-hzz65f176a0ogplgq4ehe"
PROVIDER = 'provider["registry.terraform.io/aliyun/alicloud"]'


def key_attrs(**over: Any) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "id": "key-hzz62f1cb66fa42qo3x9a", "arn": "acs:kms:cn-hangzhou:1234567890123456:key/key-hzz62f1cb66fa42qo3x9a",
        "automatic_rotation": "Disabled", "description": "app key", "dkms_instance_id": INSTANCE,
        "key_spec": "Aliyun_AES_256", "key_usage": "ENCRYPT/DECRYPT", "origin": "Aliyun_KMS",
        "pending_window_in_days": 7, "deletion_window_in_days": None, "protection_level": "SOFTWARE",
        "rotation_interval": "", "status": "Enabled", "key_state": "Enabled", "is_enabled": True,
        "tags": {}, "policy": "", "timeouts": None,
    }
    attrs.update(over)
    return attrs


def secret_attrs(**over: Any) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "id": "app/db-password", "secret_name": "app/db-password", "secret_data": CANARY, "version_id": "v1",
        "secret_type": "Generic", "secret_data_type": "text", "encryption_key_id": "",
        "dkms_instance_id": INSTANCE, "enable_automatic_rotation": False,
        "rotation_interval": "", "description": "", "force_delete_without_recovery": False,
        "recovery_window_in_days": 30, "version_stages": ["ACSCurrent"], "tags": {}, "timeouts": None,
    }
    attrs.update(over)
    return attrs


def state(*resources: tuple[str, list[tuple[Any, dict[str, Any]]]]) -> dict[str, Any]:
    """resources: ("module.m.type.name" or "type.name", [(index_key or None, attributes), ...])."""
    out = []
    for address, instances in resources:
        parts = address.split(".")
        module = ".".join(parts[:-2])
        resource: dict[str, Any] = {
            "mode": "managed", "type": parts[-2], "name": parts[-1], "provider": PROVIDER,
            "instances": [{"schema_version": 0, "attributes": a, **({"index_key": k} if k is not None else {})}
                          for k, a in instances]}
        if module:
            resource["module"] = module
        out.append(resource)
    return {"version": 4, "terraform_version": "1.9.8", "serial": 3, "lineage": "0f8e2b6c-1d2a-4f7e-9c51-6f0b9a7d2e11",
            "outputs": {}, "resources": out}
