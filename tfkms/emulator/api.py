"""The read-only KMS operations the emulator serves, with the real response shapes.

Each handler takes the region's state and the operation parameters (strings, as they
arrived) and returns the JSON body, or raises ApiError with the documented code and
HTTP status (kms-api.md sections 3 and 4). Nothing here knows about HTTP or signatures.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tfkms.emulator.signing import ApiError
from tfkms.emulator.state import EmulatorState, KeyRecord, RegionState
from tfkms.truth.model import CloudKey, CloudSecret

_EPOCH = "2024-01-15T08:00:00Z"
Handler = Callable[[EmulatorState, str, dict[str, str]], dict[str, Any]]


def _required(params: dict[str, str], name: str) -> str:
    value = params.get(name)
    if not value:
        raise ApiError(
            400,
            "MissingParameter",
            f"The input parameter {name} that is mandatory for processing this request is not supplied.",
        )
    return value


def _page(params: dict[str, str], items: list[Any], default_size: int) -> tuple[list[Any], dict[str, Any]]:
    """Slice one page; PageNumber >= 1, PageSize 1..100 as the real API enforces."""
    try:
        number = int(params.get("PageNumber") or 1)
        size = int(params.get("PageSize") or default_size)
    except ValueError:
        raise ApiError(400, "InvalidParameter", "PageNumber and PageSize must be integers.") from None
    if number < 1 or not 1 <= size <= 100:
        raise ApiError(400, "InvalidParameter", "The specified parameter PageNumber or PageSize is not valid.")
    start = (number - 1) * size
    return items[start : start + size], {"PageNumber": number, "PageSize": size, "TotalCount": len(items)}


def _filters(params: dict[str, str], allowed: set[str]) -> list[tuple[str, set[str]]]:
    """`Filters` is a JSON list of {"Key", "Values"}: AND across keys, OR within Values."""
    raw = params.get("Filters")
    if not raw:
        return []
    try:
        parsed = json.loads(raw)
        filters = [(str(f["Key"]), {str(v) for v in f["Values"]}) for f in parsed]
    except (ValueError, TypeError, KeyError):
        raise ApiError(400, "InvalidParameter", "The specified parameter Filters is not valid.") from None
    for key, _ in filters:
        if key not in allowed:
            raise ApiError(400, "InvalidParameter", f"The specified filter key {key} is not valid.")
    return filters


def _matches(filters: list[tuple[str, set[str]]], attributes: dict[str, list[str]]) -> bool:
    return all(any(value in values for value in attributes.get(key, [])) for key, values in filters)


def _arn(state: EmulatorState, region: str, kind: str, name: str) -> str:
    return f"acs:kms:{region}:{state.account}:{kind}/{name}"


def _resolve_key(state: EmulatorState, region_name: str, region: RegionState, ref: str) -> KeyRecord:
    """DescribeKey accepts a key id, an alias name or either's ARN."""
    if ref.startswith("acs:kms:"):
        resource = ref.split(":", 5)[-1]
        ref = resource[len("key/") :] if resource.startswith("key/") else resource
    if ref.startswith("alias/"):
        if ref not in region.aliases:
            raise ApiError(404, "Forbidden.AliasNotFound", "The specified Alias is not found.")
        ref = region.aliases[ref]
    record = region.keys.get(ref)
    if record is None:
        raise ApiError(404, "Forbidden.KeyNotFound", "The specified Key is not found.")
    return record


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def _key_metadata(state: EmulatorState, region: str, key: CloudKey) -> dict[str, Any]:
    rotating = key.automatic_rotation in ("Enabled", "Suspended")
    return _compact(
        {
            "KeyId": key.key_id,
            "Arn": key.arn or _arn(state, region, "key", key.key_id),
            "KeySpec": key.key_spec,
            "KeyUsage": key.key_usage,
            "KeyState": key.key_state,
            "ProtectionLevel": key.protection_level,
            "Origin": key.origin,
            "AutomaticRotation": key.automatic_rotation,
            # the real API reports these only while rotation is on
            "RotationInterval": key.rotation_interval if rotating else None,
            "NextRotationDate": "2026-12-31T00:00:00Z" if key.automatic_rotation == "Enabled" else None,
            "DKMSInstanceId": key.dkms_instance_id,
            "Creator": key.creator,
            "Description": key.description if key.description is not None else "",
            "PrimaryKeyVersion": key.primary_key_version,
            "CreationDate": _EPOCH,
            "DeletionProtection": "Disabled",
            "DeleteDate": "2026-12-31T00:00:00Z" if key.key_state == "PendingDeletion" else None,
            "MaterialExpireTime": "" if key.origin == "EXTERNAL" else None,
        }
    )


def list_keys(state: EmulatorState, region_name: str, params: dict[str, str]) -> dict[str, Any]:
    region = state.region(region_name)
    filters = _filters(
        params,
        {
            "KeyState",
            "KeySpec",
            "KeyUsage",
            "ProtectionLevel",
            "CreatorType",
            "DKMSInstanceId",
            "AliasName",
            "Creator",
            "TagKey",
            "TagValue",
        },
    )
    with state.lock:
        by_key: dict[str, list[str]] = {}
        for alias, key_id in region.aliases.items():
            by_key.setdefault(key_id, []).append(alias)
        selected = []
        for key_id, record in region.keys.items():
            key = record.key
            aliases = by_key.get(key_id, [])
            attributes = {
                "KeyState": [key.key_state or ""],
                "KeySpec": [key.key_spec or ""],
                "KeyUsage": [key.key_usage or ""],
                "ProtectionLevel": [key.protection_level or ""],
                "DKMSInstanceId": [key.dkms_instance_id or ""],
                "Creator": [key.creator or ""],
                "AliasName": aliases,
                "CreatorType": ["Service" if any(a.startswith("alias/acs/") for a in aliases) else "User"],
            }
            if _matches(filters, attributes):
                selected.append({"KeyId": key_id, "KeyArn": key.arn or _arn(state, region_name, "key", key_id)})
    page, meta = _page(params, selected, default_size=10)
    return {**meta, "Keys": {"Key": page}}


def describe_key(state: EmulatorState, region_name: str, params: dict[str, str]) -> dict[str, Any]:
    ref = _required(params, "KeyId")
    with state.lock:
        record = _resolve_key(state, region_name, state.region(region_name), ref)
        return {"KeyMetadata": _key_metadata(state, region_name, record.key)}


def _alias_items(state: EmulatorState, region_name: str, aliases: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [
        {"AliasName": name, "KeyId": key_id, "AliasArn": _arn(state, region_name, "alias", name[len("alias/") :])}
        for name, key_id in aliases
    ]


def list_aliases(state: EmulatorState, region_name: str, params: dict[str, str]) -> dict[str, Any]:
    with state.lock:
        aliases = sorted(state.region(region_name).aliases.items())
    page, meta = _page(params, _alias_items(state, region_name, aliases), default_size=10)
    return {**meta, "Aliases": {"Alias": page}}


def list_aliases_by_key_id(state: EmulatorState, region_name: str, params: dict[str, str]) -> dict[str, Any]:
    ref = _required(params, "KeyId")
    with state.lock:
        region = state.region(region_name)
        key_id = _resolve_key(state, region_name, region, ref).key.key_id
        aliases = sorted((a, k) for a, k in region.aliases.items() if k == key_id)
    page, meta = _page(params, _alias_items(state, region_name, aliases), default_size=10)
    return {**meta, "Aliases": {"Alias": page}}


def list_key_versions(state: EmulatorState, region_name: str, params: dict[str, str]) -> dict[str, Any]:
    ref = _required(params, "KeyId")
    with state.lock:
        record = _resolve_key(state, region_name, state.region(region_name), ref)
        versions = [
            {"KeyId": record.key.key_id, "KeyVersionId": v, "CreationDate": created} for v, created in record.versions
        ]
    page, meta = _page(params, versions, default_size=10)
    return {**meta, "KeyVersions": {"KeyVersion": page}}


def _secret_attributes(secret: CloudSecret) -> dict[str, list[str]]:
    return {
        "SecretName": [secret.secret_name],
        "SecretType": [secret.secret_type or ""],
        "DKMSInstanceId": [secret.dkms_instance_id or ""],
        "Description": [secret.description or ""],
    }


def list_secrets(state: EmulatorState, region_name: str, params: dict[str, str]) -> dict[str, Any]:
    filters = _filters(
        params, {"SecretName", "Description", "TagKey", "TagValue", "DKMSInstanceId", "SecretType", "Creator"}
    )
    fetch_tags = params.get("FetchTags") == "true"
    with state.lock:
        secrets = [s for s in state.region(region_name).secrets.values() if _matches(filters, _secret_attributes(s))]
    items = []
    for secret in secrets:  # list items carry no DKMSInstanceId: DescribeSecret has it
        item: dict[str, Any] = {
            "SecretName": secret.secret_name,
            "SecretType": secret.secret_type or "Generic",
            "CreateTime": _EPOCH,
            "UpdateTime": _EPOCH,
        }
        if fetch_tags:
            item["Tags"] = {"Tag": []}
        items.append(item)
    page, meta = _page(params, items, default_size=10)
    return {**meta, "SecretList": {"Secret": page}}


def describe_secret(state: EmulatorState, region_name: str, params: dict[str, str]) -> dict[str, Any]:
    name = _required(params, "SecretName")
    with state.lock:
        secret = state.region(region_name).secrets.get(name)
    if secret is None:
        raise ApiError(404, "Forbidden.ResourceNotFound", "The resource is not found.")
    body = _compact(
        {
            "SecretName": secret.secret_name,
            "Arn": secret.arn or _arn(state, region_name, "secret", secret.secret_name),
            "SecretType": secret.secret_type or "Generic",
            "Description": secret.description if secret.description is not None else "",
            "EncryptionKeyId": secret.encryption_key_id,
            "DKMSInstanceId": secret.dkms_instance_id,
            "AutomaticRotation": secret.automatic_rotation or "Invalid",
            "RotationInterval": secret.rotation_interval if secret.automatic_rotation == "Enabled" else None,
            "CreateTime": _EPOCH,
            "UpdateTime": _EPOCH,
        }
    )
    if params.get("FetchTags") == "true":
        body["Tags"] = {"Tag": []}
    return body


def list_kms_instances(state: EmulatorState, region_name: str, params: dict[str, str]) -> dict[str, Any]:
    with state.lock:
        ids = list(state.region(region_name).instances)
    items = [{"KmsInstanceId": i, "KmsInstanceArn": _arn(state, region_name, "keystore", i)} for i in ids]
    page, meta = _page(params, items, default_size=20)
    return {**meta, "KmsInstances": {"KmsInstance": page}}


def get_kms_instance(state: EmulatorState, region_name: str, params: dict[str, str]) -> dict[str, Any]:
    instance_id = _required(params, "KmsInstanceId")
    with state.lock:
        region = state.region(region_name)
        instance = region.instances.get(instance_id)
        if instance is None:
            raise ApiError(403, "Forbidden.DKMSInstanceNotFound", "The specified DKMS Instance is not found.")
    spec: Any = int(instance.spec) if instance.spec and instance.spec.isdigit() else instance.spec
    return {
        "KmsInstance": _compact(
            {
                "InstanceId": instance.instance_id,
                "InstanceName": instance.name or instance.instance_id,
                "Status": instance.status,
                "Spec": spec,
                # ProductVersion is echoed from the snapshot. The real ProductType values are
                # unverified; the emulator puts the instance type word there, which is what
                # tfkms classifies ("software" / "hardware" / "hsm" anywhere in either field).
                "ProductVersion": instance.product_version,
                "ProductType": instance.instance_type,
                # The purchased quotas, from the snapshot (absent stays absent). KeyNum is a
                # number; SecretNum is documented as a string in the API.
                "KeyNum": instance.key_num,
                "SecretNum": str(instance.secret_num) if instance.secret_num is not None else None,
                "VpcNum": 1,
                "CreateTime": _EPOCH,
                "StartDate": _EPOCH,
                "ChargeType": "Subscription",
            }
        )
    }


HANDLERS: dict[str, Handler] = {
    "ListKeys": list_keys,
    "DescribeKey": describe_key,
    "ListAliases": list_aliases,
    "ListAliasesByKeyId": list_aliases_by_key_id,
    "ListKeyVersions": list_key_versions,
    "ListSecrets": list_secrets,
    "DescribeSecret": describe_secret,
    "ListKmsInstances": list_kms_instances,
    "GetKmsInstance": get_kms_instance,
}


def dispatch(state: EmulatorState, region: str, action: str, params: dict[str, str]) -> dict[str, Any]:
    handler = HANDLERS.get(action)
    if handler is None:
        raise ApiError(
            404, "InvalidAction.NotFound", f"Specified api {action} is not found, please check your url and method."
        )
    return handler(state, region, params)
