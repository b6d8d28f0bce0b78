"""`tfkms audit`: drift between the scanned states and what the cloud has, region by region.

Identity comes from state only (a key id, a secret name per region): that is what "managed"
means. The cloud side is one inventory (a snapshot or a fresh live listing); a region it does
not cover is never judged, since absence there proves nothing. Config/cloud mismatches and
"not migrated" come from the fix analysis itself (`fix_project`, nothing written), so the two
commands can never disagree about what the next plan replaces.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from tfkms.address import without_keys
from tfkms.analysis.fix import FixOptions, fix_project
from tfkms.analysis.join import Truth, alias_names_for_keys
from tfkms.analysis.result import AuditSummary, Finding, RegionTally, Result
from tfkms.analysis.rules import RULES, Severity
from tfkms.config.instances import ResourceInstance, Root
from tfkms.config.scan import Project
from tfkms.knowledge.resource_types import KEY_TYPE, SECRET_TYPE
from tfkms.truth.model import CloudKey, CloudSecret, Inventory, RegionInventory

SERVICE_ALIAS_PREFIX = "alias/acs/"
PENDING_DELETION = "PendingDeletion"
# What audit keeps from the fix analysis: mismatches (200-203), what cannot be patched or
# matched (204), rotation drift (205) and not migrated (206). TFKMS109 is a check concern.
_FIX_RULES = frozenset({"TFKMS200", "TFKMS201", "TFKMS202", "TFKMS203", "TFKMS204", "TFKMS205", "TFKMS206"})
_ARN_REGION = re.compile(r"^acs:kms:([a-z0-9-]+):")


@dataclass(frozen=True)
class ManagedObject:
    """A key or secret some scanned state manages."""

    kind: str  # "key" | "secret"
    ident: str  # key id | secret name
    region: str | None
    root: str
    address: str
    file: str | None
    line: int | None


def is_service_key(key: CloudKey) -> bool:
    # Creator is the account uid (digits) for user keys and a product name ("Oss") for
    # service keys. They are skipped, not reported as info: nobody can act on them.
    return (any(a.startswith(SERVICE_ALIAS_PREFIX) for a in key.aliases)
            or bool(key.creator and not key.creator.isdigit()))


def audit_project(project: Project, truth: Truth, cloud: Inventory) -> Result:
    result = Result(command="audit", problems=list(project.problems))
    summary = AuditSummary(cloud.source, cloud.generated_at,
                           {region: _tally(region, body) for region, body in sorted(cloud.regions.items())})
    managed = list(_managed_objects(project, truth, cloud))
    placed: list[tuple[str | None, Finding]] = []
    placed += _unmanaged(cloud, managed, _declared_in_config(project, truth))
    placed += _missing(cloud, managed, summary)
    fixed = fix_project(project, truth, FixOptions())
    placed += _config_drift(fixed.findings, project, truth, cloud, managed)
    result.resources = fixed.resources
    placed.sort(key=lambda p: (p[0] or "~", p[1].rule, p[1].root or "", p[1].address or ""))
    for region, finding in placed:
        result.findings.append(finding)
        tally = summary.regions.get(region or "")
        (tally.findings if tally else summary.unplaced).append(finding)
    result.audit = summary
    return result


def _tally(region: str, body: RegionInventory) -> RegionTally:
    tally = RegionTally(region)
    for key in body.keys:
        if is_service_key(key):
            tally.service_keys += 1
        elif key.key_state == PENDING_DELETION:
            tally.pending_deletion += 1
        elif key.migrated:
            tally.keys_migrated += 1
        else:
            tally.keys_not_migrated += 1
    for secret in body.secrets:
        if secret.migrated:
            tally.secrets_migrated += 1
        else:
            tally.secrets_not_migrated += 1
    return tally


# ------------------------------------------------------------------ identity


def _config_instances(root: Root) -> dict[str, ResourceInstance]:
    """Instance address and index-free address -> config instance (for location and region)."""
    out: dict[str, ResourceInstance] = {}
    for inst in root.resource_instances():
        out.setdefault(inst.address, inst)
        out.setdefault(without_keys(inst.address), inst)
    return out


def _managed_objects(project: Project, truth: Truth, cloud: Inventory) -> Iterator[ManagedObject]:
    for root in project.roots:
        state = truth.state_for(root)
        if state is None:
            continue
        config = _config_instances(root)
        for address, found in state.instances.items():
            if found.mode != "managed" or found.type not in (KEY_TYPE, SECRET_TYPE):
                continue
            kind = "key" if found.type == KEY_TYPE else "secret"
            ident = found.get("id") if kind == "key" else found.get("secret_name") or found.get("id")
            if not isinstance(ident, str) or not ident:
                continue
            inst = config.get(address) or config.get(without_keys(address))
            region = _region_of(kind, ident, inst, found.get("arn"), cloud)
            yield ManagedObject(kind, ident, region, root.display, address,
                                inst.resource.file.display if inst else None,
                                inst.resource.block.line if inst else None)


def _region_of(kind: str, ident: str, inst: ResourceInstance | None, arn: object,
               cloud: Inventory) -> str | None:
    """Config's provider region, else the ARN's, else (keys only: ids are unique) where the cloud has it."""
    if inst is not None and inst.region:
        return inst.region
    match = _ARN_REGION.match(arn) if isinstance(arn, str) else None
    if match:
        return match.group(1)
    if kind == "key":
        return next((r for r, body in cloud.regions.items() if any(k.key_id == ident for k in body.keys)), None)
    return None


def _cloud_object(obj: ManagedObject, cloud: Inventory) -> CloudKey | CloudSecret | None:
    body = cloud.regions.get(obj.region or "")
    if body is None:
        return None
    if obj.kind == "key":
        return next((k for k in body.keys if k.key_id == obj.ident), None)
    return next((s for s in body.secrets if s.secret_name == obj.ident), None)


def _declared_in_config(project: Project, truth: Truth) -> dict[tuple[str, str], str]:
    """Cloud objects that config declares (matched by alias / secret name) but no state tracks."""
    out: dict[tuple[str, str], str] = {}
    for root in project.roots:
        aliases = alias_names_for_keys(root)
        for inst in root.resource_instances():
            if inst.resource.mode != "managed" or truth.state_instance(inst) is not None:
                continue
            if inst.resource.type == KEY_TYPE:
                key = truth.key(inst, aliases.get(inst.address, []))
                if key is not None:
                    out.setdefault(("key", key.key_id), f"{root.display}: {inst.address}")
            elif inst.resource.type == SECRET_TYPE:
                secret = truth.secret(inst)
                if secret is not None and secret.region:
                    out.setdefault(("secret", f"{secret.region}/{secret.secret_name}"),
                                   f"{root.display}: {inst.address}")
    return out


# ------------------------------------------------------------------ drift


def _finding(rule: str, message: str, address: str, severity: Severity | None = None,
             obj: ManagedObject | None = None) -> Finding:
    spec = RULES[rule]
    return Finding(rule=rule, severity=severity or spec.severity, message=message, hint=spec.help,
                   address=address, root=obj.root if obj else None, file=obj.file if obj else None,
                   line=obj.line if obj else None)


def _status(obj: CloudKey | CloudSecret) -> str:
    return f"migrated into {obj.dkms_instance_id}" if obj.migrated else "not migrated"


def _unmanaged(cloud: Inventory, managed: list[ManagedObject],
               declared: dict[tuple[str, str], str]) -> Iterator[tuple[str, Finding]]:
    keys = {m.ident for m in managed if m.kind == "key"}
    # A state secret whose region is unknown claims its name in every region.
    secrets = {(m.region, m.ident) for m in managed if m.kind == "secret"}
    for region, body in sorted(cloud.regions.items()):
        for key in body.keys:
            # `terraform destroy` leaves keys PendingDeletion for 7-30 days: not drift.
            if key.key_id in keys or is_service_key(key) or key.key_state == PENDING_DELETION:
                continue
            aliases = f" ({', '.join(key.aliases)})" if key.aliases else ""
            note = _declared_note(declared.get(("key", key.key_id)))
            yield region, _finding("TFKMS207", f"{region}: key {key.key_id}{aliases}, {_status(key)}, is in the "
                                   f"cloud but no scanned state manages it{note}", f"kms:key/{key.key_id}")
        for secret in body.secrets:
            if (region, secret.secret_name) in secrets or (None, secret.secret_name) in secrets:
                continue
            note = _declared_note(declared.get(("secret", f"{region}/{secret.secret_name}")))
            yield region, _finding("TFKMS207", f"{region}: secret {secret.secret_name}, {_status(secret)}, is in "
                                   f"the cloud but no scanned state manages it{note}",
                                   f"kms:secret/{secret.secret_name}")


def _declared_note(where: str | None) -> str:
    return f"; config declares it ({where}) but no state tracks it: import it" if where else ""


def _missing(cloud: Inventory, managed: list[ManagedObject],
             summary: AuditSummary) -> Iterator[tuple[str, Finding]]:
    for obj in managed:
        if obj.region is None or obj.region not in cloud.regions:
            where = obj.region or "unknown"
            summary.not_judged[where] = summary.not_judged.get(where, 0) + 1
            continue
        found = _cloud_object(obj, cloud)
        if found is None:
            yield obj.region, _finding("TFKMS208", f"{obj.region}: the state manages {obj.kind} {obj.ident}, "
                                       f"the cloud has no such {obj.kind}", obj.address, obj=obj)
        elif isinstance(found, CloudKey) and found.key_state == PENDING_DELETION:
            yield obj.region, _finding("TFKMS208", f"{obj.region}: the state manages key {obj.ident}, the cloud "
                                       "has it scheduled for deletion (PendingDeletion)", obj.address, obj=obj)


def _config_drift(findings: list[Finding], project: Project, truth: Truth, cloud: Inventory,
                  managed: list[ManagedObject]) -> Iterator[tuple[str | None, Finding]]:
    """Fix findings, without edits, where the cloud answered for the object.

    Where it did not (missing, pending deletion, a region not covered), fix judged the state's
    last refresh, which says nothing about the cloud today: those are dropped. So are findings
    on resources their root's state does not hold: Terraform would create them, not replace them."""
    by_address = {(m.root, m.address): m for m in managed}
    regions = {root.display: _config_instances(root) for root in project.roots}
    for f in findings:
        if f.rule not in _FIX_RULES or f.root is None or f.address is None:
            continue
        obj = by_address.get((f.root, f.address))
        if obj is not None:
            found = _cloud_object(obj, cloud)
            if found is None or getattr(found, "key_state", None) == PENDING_DELETION:
                continue
            region: str | None = obj.region
        elif f.root in truth.states:
            continue  # its root's state lacks it: the next plan creates it, nothing is replaced (TFKMS207 says so)
        else:  # a root without state: fix matched the cloud by alias or secret name, or says it could not
            inst = regions.get(f.root, {}).get(f.address) or regions.get(f.root, {}).get(without_keys(f.address))
            region = inst.region if inst is not None else None
            if region is not None and region not in cloud.regions:
                continue
        yield region, _from_fix(f, region)


def _from_fix(f: Finding, region: str | None) -> Finding:
    message, severity, hint = f.message, f.severity, f.hint
    if f.rule == "TFKMS206":
        # For fix this is "nothing to patch yet"; for an audit it is the work still to do.
        message, severity = "not migrated yet: still in KMS 1.0", Severity.WARNING
        hint = "Migrate it (`tfkms check` plans the batches), then run `tfkms fix`."
    elif f.rule in ("TFKMS200", "TFKMS201", "TFKMS202", "TFKMS203"):
        hint = f"{f.hint} `tfkms fix` writes the patch."
    return replace(f, message=f"{region}: {message}" if region else message, severity=severity, hint=hint,
                   edits=[], strategy=None, reason=None, resolved=False)
