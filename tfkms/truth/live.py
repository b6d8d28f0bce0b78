"""The live KMS API as a truth source, on the official SDK (alibabacloud-kms20160120).

Read-only and metadata-only: ListKeys/DescribeKey, ListAliases, ListSecrets/
DescribeSecret, ListKmsInstances/GetKmsInstance (and ListKeyVersions on request).
GetSecretValue is never called. Calls run on a bounded thread pool, paced by one adaptive
rate shared by every thread of a run (it backs off on throttling answers; --qps adds a hard
cap); each listed page is described while the next page is listed. Throttling, 5xx, timeouts
and dropped connections are retried with exponential backoff and full jitter, a bounded
number of times. A call that still fails raises LiveCallError and the run returns nothing,
so no caller can write a partial snapshot. The SDK is imported lazily: importing this
module is cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timezone
from functools import partial
from typing import Any

from tfkms import logs
from tfkms.errors import TfkmsError
from tfkms.truth.live_batch import Batch
from tfkms.truth.live_calls import CallRun, instance_type_of, text_or_none
from tfkms.truth.live_errors import LiveCallError, is_not_found, is_unsupported
from tfkms.truth.live_transport import PAGE_SIZE, REGION_PATTERN, LiveOptions, endpoint_for
from tfkms.truth.model import (
    CloudInstance,
    CloudKey,
    CloudSecret,
    Inventory,
    RegionInventory,
)

_LOG = logs.get("live")  # --verbose: what was called and decided, never values

# The live source's face: its options and its error are named with it.
__all__ = ["LiveCallError", "LiveOptions", "collect_inventory", "describe_resources"]


def collect_inventory(regions: list[str], options: LiveOptions | None = None, progress: bool = False) -> Inventory:
    """Every key, alias, secret and KMS instance of `regions`; all or nothing."""
    options = options or LiveOptions()
    regions = _checked_regions(regions, options)
    run = CallRun(options, regions, progress)
    try:
        batch = run.batch()
        for region in regions:
            for part in _LISTINGS:
                batch.submit(region, partial(_list_and_describe, run, batch, region, part), listing=True)
        results = batch.wait()
        listing = {(r, payload[0]): payload[1] for r, (kind, payload) in results if kind == "listed"}
        # ListAliases not served: ask key by key, once the keys are all known
        by_key = [(r, partial(_aliases_of_key, run, r, k)) for r in regions if listing[r, "aliases"] is None
                  for k in listing[r, "keys"]]
        if by_key:
            results += list(zip([r for r, _ in by_key], run.gather(by_key), strict=True))
    finally:
        run.close()
    inventory = Inventory(generated_at=_utc_now(), source=f"live:{options.endpoint}" if options.endpoint else "live")
    for region in regions:
        aliases: dict[str, list[str]] = {}
        for name, key_id in listing[region, "aliases"] or []:
            aliases.setdefault(key_id, []).append(name)
        inventory.regions[region] = _assemble(region, [d for r, d in results if r == region], aliases)
    return inventory


def describe_resources(
    region: str, key_ids: Iterable[str], secret_names: Iterable[str], options: LiveOptions | None = None
) -> Inventory:
    """Current facts for the named keys and secrets only (identity comes from a state file).

    A key or secret the API does not know is absent from the result. Aliases are not
    collected here. Instances that the found objects live in are described too.
    """
    options = options or LiveOptions()
    region = _checked_regions([region], options)[0]
    run = CallRun(options, [region], progress=False)
    try:
        jobs: list[tuple[str, Callable[[], Any]]] = [
            (region, partial(_describe_key, run, region, k)) for k in dict.fromkeys(key_ids)
        ]
        jobs += [(region, partial(_describe_secret, run, region, s)) for s in dict.fromkeys(secret_names)]
        found = run.gather(jobs)
        instance_ids = {obj.dkms_instance_id for _, obj in found if obj is not None and obj.dkms_instance_id}
        found += run.gather([(region, partial(_get_instance, run, region, i)) for i in sorted(instance_ids)])
    finally:
        run.close()
    inventory = Inventory(generated_at=_utc_now(), source=f"live:{options.endpoint}" if options.endpoint else "live")
    inventory.regions[region] = _assemble(region, found, {})
    # Only the instances the found objects live in were described: not the region's whole list.
    inventory.regions[region].instances_known = False
    return inventory


def _checked_regions(regions: Iterable[str], options: LiveOptions) -> list[str]:
    unique = list(dict.fromkeys(r.strip() for r in regions))
    if not unique:
        raise TfkmsError("name at least one region (--region cn-hangzhou)")
    for region in unique:
        if not REGION_PATTERN.match(region):
            raise TfkmsError(f"{region!r} is not a region id (for example cn-hangzhou, ap-southeast-1)")
    if options.signature not in ("v3", "v2"):
        raise TfkmsError(f"unknown signature {options.signature!r}: use v3 or v2")
    shared_host = options.endpoint and "{region}" not in options.endpoint
    first = endpoint_for(options.endpoint, unique[0], options.insecure_http) if unique else None
    if len(unique) > 1 and shared_host and first is not None and not first.loopback:
        raise TfkmsError(
            f"--endpoint {options.endpoint} serves one region but {len(unique)} were named; "
            "put {region} in it (kms-vpc.{region}.aliyuncs.com) or run once per region"
        )
    return unique


def _models() -> Any:
    from alibabacloud_kms20160120 import models

    return models


# part -> (List action, what one page of its answer holds); aliases are optional (older gateways).
_LISTINGS: dict[str, tuple[str, Callable[[Any], list]]] = {
    "keys": ("ListKeys", lambda b: [k.key_id for k in (b.keys.key if b.keys else []) if k.key_id]),
    "secrets": ("ListSecrets", lambda b: [s.secret_name for s in (b.secret_list.secret if b.secret_list else [])
                                          if s.secret_name]),
    "instances": ("ListKmsInstances", lambda b: [i.kms_instance_id for i in (
        b.kms_instances.kms_instance if b.kms_instances else []) if i.kms_instance_id]),
    "aliases": ("ListAliases", lambda b: [(a.alias_name, a.key_id) for a in (b.aliases.alias if b.aliases else [])
                                          if a.alias_name]),
}


def _list_and_describe(run: CallRun, batch: Batch, region: str, part: str) -> tuple[str, tuple[str, list | None]]:
    """List `part` of `region`, submitting the describes of each page as soon as it is read."""
    by_part: dict[str, list[Callable[[CallRun, str, str], Any]]] = {
        "keys": [_describe_key, *([_version_count] if run.options.key_versions else [])],
        "secrets": [_describe_secret],
        "instances": [_get_instance],
    }
    describers = by_part.get(part, [])

    def describe(items: list) -> None:
        for item in items:
            for describer in describers:
                batch.submit(region, partial(describer, run, region, item))

    action, items_of = _LISTINGS[part]
    request = getattr(_models(), f"{action}Request")
    listed = run.paginate(region, action, lambda p: request(page_number=p, page_size=PAGE_SIZE), items_of,
                          optional=part == "aliases", on_page=describe if describers else None)
    return "listed", (part, listed)


def _describe_key(run: CallRun, region: str, key_ref: str) -> tuple[str, CloudKey | None]:
    body = run.call(region, "DescribeKey", _models().DescribeKeyRequest(key_id=key_ref), tolerate=is_not_found)
    meta = body.key_metadata if body is not None else None
    if meta is None or not meta.key_id:
        return "key", None
    return "key", CloudKey(
        key_id=meta.key_id,
        region=region,
        arn=text_or_none(meta.arn),
        key_spec=text_or_none(meta.key_spec),
        key_usage=text_or_none(meta.key_usage),
        key_state=text_or_none(meta.key_state),
        protection_level=text_or_none(meta.protection_level),
        origin=text_or_none(meta.origin),
        automatic_rotation=text_or_none(meta.automatic_rotation),
        rotation_interval=text_or_none(meta.rotation_interval),
        dkms_instance_id=text_or_none(meta.dkmsinstance_id),
        creator=text_or_none(meta.creator),
        description=text_or_none(meta.description),
        primary_key_version=text_or_none(meta.primary_key_version),
    )


def _describe_secret(run: CallRun, region: str, name: str) -> tuple[str, CloudSecret | None]:
    # DescribeSecret returns metadata only; the value would need GetSecretValue, never called
    body = run.call(region, "DescribeSecret", _models().DescribeSecretRequest(secret_name=name), tolerate=is_not_found)
    if body is None:
        return "secret", None
    return "secret", CloudSecret(
        secret_name=body.secret_name or name,
        region=region,
        arn=text_or_none(body.arn),
        secret_type=text_or_none(body.secret_type),
        encryption_key_id=text_or_none(body.encryption_key_id),
        dkms_instance_id=text_or_none(body.dkmsinstance_id),
        automatic_rotation=text_or_none(body.automatic_rotation),
        rotation_interval=text_or_none(body.rotation_interval),
        description=text_or_none(body.description),
    )


def _get_instance(run: CallRun, region: str, instance_id: str) -> tuple[str, CloudInstance]:
    body = run.call(
        region,
        "GetKmsInstance",
        _models().GetKmsInstanceRequest(kms_instance_id=instance_id),
        tolerate=lambda f: is_not_found(f) or is_unsupported(f),
    )
    info = body.kms_instance if body is not None else None
    if info is None:  # listed but not describable here: keep what the listing said
        return "instance", CloudInstance(instance_id=instance_id, region=region)
    return "instance", CloudInstance(
        instance_id=info.instance_id or instance_id,
        region=region,
        name=text_or_none(info.instance_name),
        instance_type=instance_type_of(info.product_type, info.product_version),
        status=text_or_none(info.status),
        spec=text_or_none(info.spec),
        product_version=text_or_none(info.product_version),
        key_num=_quota(info.key_num, "KeyNum", instance_id),
        secret_num=_quota(info.secret_num, "SecretNum", instance_id),
    )


def _quota(value: Any, field_name: str, instance_id: str) -> int | None:
    """GetKmsInstance's KeyNum (a number) and SecretNum (documented as a string, "1000"): the
    purchased quotas. A whole number >= 0, in either form; anything else is unknown (logged),
    never guessed and never a failed run: the quota is advice for `check`, not identity."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        return int(value.strip())
    _LOG.info("GetKmsInstance %s: %s is not a whole number >= 0; quota unknown", instance_id, field_name)
    return None


def _aliases_of_key(run: CallRun, region: str, key_id: str) -> tuple[str, tuple[str, list[str] | None]]:
    m = _models()
    names = run.paginate(
        region,
        "ListAliasesByKeyId",
        lambda p: m.ListAliasesByKeyIdRequest(key_id=key_id, page_number=p, page_size=PAGE_SIZE),
        lambda b: [a.alias_name for a in (b.aliases.alias if b.aliases else []) if a.alias_name],
        optional=True,
    )
    return "aliases", (key_id, names)


def _version_count(run: CallRun, region: str, key_id: str) -> tuple[str, tuple[str, int | None]]:
    body = run.call(
        region,
        "ListKeyVersions",
        _models().ListKeyVersionsRequest(key_id=key_id, page_number=1, page_size=1),
        tolerate=lambda f: is_not_found(f) or is_unsupported(f),
    )
    count = body.total_count if body is not None else None
    return "versions", (key_id, int(count) if count is not None else None)


def _assemble(region: str, results: list[tuple[str, Any]], aliases: dict[str, list[str]]) -> RegionInventory:
    out = RegionInventory()
    versions: dict[str, int | None] = {}
    for kind, payload in results:
        if kind == "aliases" and payload[1] is not None:
            aliases.setdefault(payload[0], []).extend(payload[1])
        elif kind == "versions":
            versions[payload[0]] = payload[1]
    keys: dict[str, CloudKey] = {}
    for kind, payload in results:
        if kind == "key" and payload is not None:
            keys[payload.key_id] = payload
        elif kind == "secret" and payload is not None:
            out.secrets.append(payload)
        elif kind == "instance":
            out.instances.append(payload)
    for key_id, key in sorted(keys.items()):
        out.keys.append(
            replace(
                key,
                aliases=tuple(sorted(set(aliases.get(key_id, [])))),
                version_count=versions.get(key_id, key.version_count),
            )
        )
    out.secrets.sort(key=lambda s: s.secret_name)
    out.instances.sort(key=lambda i: i.instance_id)
    return out


def _utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
