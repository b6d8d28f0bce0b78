"""`tfkms check` with cloud facts (--inventory, --live): can the KMS instances of each region the
batch plan moves keys or secrets into take them? Rules TFKMS110-112.

Findings are per region, across roots (root None): every root's batches of a region land in the
same instances, so a quota is judged against everything the plan moves into the region. The
region leads each message ("cn-hangzhou: ..."); a finding about one instance has the address
`kms:instance/ID` (the way audit names things only the cloud has), a region-wide one none.
Unknown facts are never guessed: without the region's instance list TFKMS110 says so at info
level; an unknown spec, product version or quota gives no finding (a log line at info).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tfkms import logs
from tfkms.analysis.result import Batch, Finding
from tfkms.analysis.rules import RULES, Severity
from tfkms.truth.model import CloudInstance, Inventory, RegionInventory

_LOG = logs.get("check")  # --verbose: ids and counts, never values

CONNECTED = "Connected"  # GetKmsInstance.Status: Uninitialized|Connecting|Connected|Disconnected|Error
# The provider's docs: a legacy spec-200 instance must be upgraded to KMS 3.0 before it can take
# migrated keys, and an instance of spec >= 1000 needs product version 3.
LEGACY_SPEC = "200"
MODERN_SPEC_FROM = 1000
MODERN_PRODUCT_VERSION = "3"


def cloud_inventories(truth: Any) -> list[Inventory]:
    """The cloud answers check can read instances from, oldest first: the --inventory snapshot,
    then the --live answers (`Truth.live_inventory`, set by the service)."""
    return [s for s in (truth.inventory, truth.live_inventory) if s is not None]


def target_findings(batches: Sequence[Batch], inventories: Sequence[Inventory], target: str) -> list[Finding]:
    """TFKMS110-112 for each region the batch plan moves something into; nothing without cloud facts."""
    if not inventories:
        return []
    moves: dict[str, list[int]] = {}
    for batch in batches:
        if batch.region == "unknown":
            continue  # no region, no instance to judge (the region warning says so)
        counts = moves.setdefault(batch.region, [0, 0])
        counts[0] += len(batch.keys)
        counts[1] += len(batch.secrets)
    findings: list[Finding] = []
    for region, (keys, secrets) in sorted(moves.items()):
        findings.extend(_region_findings(region, _region_facts(region, inventories), target, keys, secrets))
    return findings


def _region_facts(region: str, inventories: Sequence[Inventory]) -> RegionInventory | None:
    """The freshest source that lists the region's instances (a later source is fresher)."""
    found = None
    for inventory in inventories:
        body = inventory.regions.get(region)
        if body is not None and body.instances_known:
            found = body
    return found


def _finding(rule: str, message: str, instance: CloudInstance | None = None,
             severity: Severity | None = None) -> Finding:
    spec = RULES[rule]
    return Finding(rule=rule, severity=severity or spec.severity, message=message, hint=spec.help,
                   address=f"kms:instance/{instance.instance_id}" if instance else None, root=None)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _moving(keys: int, secrets: int) -> str:
    return " and ".join(_count(n, noun) for n, noun in ((keys, "key"), (secrets, "secret")) if n)


def _name(instance: CloudInstance) -> str:
    return instance.instance_id + (" (type unknown)" if instance.instance_type is None else "")


def _region_findings(region: str, body: RegionInventory | None, target: str, keys: int,
                     secrets: int) -> list[Finding]:
    moving = _moving(keys, secrets)
    if body is None:
        return [_finding("TFKMS110", f"{region}: the KMS instances of {region} are unknown (the cloud facts hold "
                         f"no instance list for it): cannot tell whether a {target} instance can take the "
                         f"{moving} the batch plan moves",
                         severity=Severity.INFO)]
    # An instance whose type is unknown may be the target type: a candidate, named as unknown.
    candidates = [i for i in body.instances if i.instance_type in (target, None)]
    if not candidates:
        others = ", ".join(f"{i.instance_id} ({i.instance_type})" for i in body.instances)
        return [_finding("TFKMS110", f"{region}: no {target} KMS instance in {region}"
                         f"{f' (only {others})' if others else ''}; the batch plan moves {moving} into it")]
    findings: list[Finding] = []
    if not any(i.status == CONNECTED for i in candidates):
        states = ", ".join(f"{_name(i)} is {i.status or 'of unknown status'}" for i in candidates)
        unknown = any(i.status is None for i in candidates)
        findings.append(_finding("TFKMS110", f"{region}: no {target} KMS instance is {CONNECTED} ({states}); "
                                 f"the batch plan moves {moving} into {region}",
                                 severity=Severity.WARNING if unknown else None))
    for instance in candidates:
        reason = _upgrade_reason(instance)
        if reason:
            findings.append(_finding("TFKMS111", f"{region}: {_name(instance)} {reason}", instance))
    usable = [i for i in candidates if i.status in (CONNECTED, None)]
    findings += _quota_findings(region, body, usable, "key", keys)
    findings += _quota_findings(region, body, usable, "secret", secrets)
    return findings


def _upgrade_reason(instance: CloudInstance) -> str | None:
    spec, version = instance.spec, instance.product_version
    if spec == LEGACY_SPEC:
        return "is a legacy spec-200 instance: upgrade it to KMS 3.0 before it can take migrated keys"
    if spec is not None and spec.isdigit() and int(spec) >= MODERN_SPEC_FROM and version is not None \
            and version != MODERN_PRODUCT_VERSION:
        return (f"has spec {spec} and product version {version}: an instance of spec {MODERN_SPEC_FROM} or more "
                f"needs product version {MODERN_PRODUCT_VERSION}; upgrade it first")
    if spec is None or (spec.isdigit() and int(spec) >= MODERN_SPEC_FROM and version is None):
        _LOG.info("%s: spec %s, product version %s: whether it must be upgraded is unknown",
                  instance.instance_id, spec, version)
    return None


def _quota_findings(region: str, body: RegionInventory, usable: list[CloudInstance], noun: str,
                    moving: int) -> list[Finding]:
    """The region passes when one usable instance has room for all it moves; an unknown quota is
    never guessed (no finding unless every usable instance is known to be too small)."""
    if moving == 0 or not usable:
        return []
    full: list[tuple[CloudInstance, int, int]] = []
    unknown: list[str] = []
    for instance in usable:
        quota = instance.key_num if noun == "key" else instance.secret_num
        if quota is None:
            unknown.append(instance.instance_id)
            continue
        items = body.keys if noun == "key" else body.secrets
        held = sum(1 for item in items if item.dkms_instance_id == instance.instance_id)
        if held + moving <= quota:
            _LOG.info("%s: %s has room for the %s: it holds %s of %s", region, instance.instance_id,
                      _count(moving, noun), held, quota)
            return []
        full.append((instance, held, quota))
    if unknown:
        _LOG.info("%s: %s quota of %s unknown: not judged", region, noun, ", ".join(unknown))
        return []
    others = f"; no other instance in {region} has room" if len(full) > 1 else ""
    return [_finding("TFKMS112", f"{region}: {_name(i)} holds {held:,} of {quota:,} {noun}s; the batch plan "
                     f"moves {_count(moving, noun)} into {region}{others}", i)
            for i, held, quota in full]
