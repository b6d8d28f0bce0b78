"""`tfkms check`: pre-migration readiness of every KMS resource (rules TFKMS100-109) and, with cloud
facts, of the target instances the batch plan moves them into (TFKMS110-112, target_readiness)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from tfkms.analysis.batches import plan_batches
from tfkms.analysis.facts import (
    Fact,
    key_fact,
    key_state_fact,
    secret_rotation_fact,
    suppression,
)
from tfkms.analysis.join import Truth, alias_names_for_keys, config_key_reference
from tfkms.analysis.records import resource_records
from tfkms.analysis.result import Finding, Result
from tfkms.analysis.rules import RULES, Severity
from tfkms.analysis.target_readiness import cloud_inventories, target_findings
from tfkms.analysis.terragrunt_findings import refused_units
from tfkms.config.instances import ResourceInstance, Root, expand_resource
from tfkms.config.scan import Project
from tfkms.config.syntax import Attribute, Block
from tfkms.knowledge.matrix import HSM, is_mainland, migratable_targets
from tfkms.knowledge.resource_types import ALIAS_TYPE, KEY_TYPE, SECRET_TYPE
from tfkms.knowledge.versions import DKMS_INSTANCE_ID_SINCE

SERVICE_ALIAS_PREFIX = "alias/acs/"
BLOCKING = {"TFKMS100", "TFKMS101", "TFKMS103", "TFKMS104"}


@dataclass
class _RootCheck:
    root: Root
    target: str
    truth: Truth
    findings: list[Finding] = field(default_factory=list)
    blocked_keys: set[str] = field(default_factory=set)  # instance addresses with blocking findings
    migratable_keys: list[tuple[str, str | None]] = field(default_factory=list)  # (address, region)
    secrets: list[tuple[str, str | None, str | None]] = field(default_factory=list)  # (address, region, key address)
    judged: int = 0  # managed keys and secrets looked at
    migrated: int = 0  # of those, already in a KMS instance (fix's business now)

    def add(self, rule: str, inst: ResourceInstance | None, message: str, line: int | None = None,
            severity: Severity | None = None, address: str | None = None, file: str | None = None) -> Finding:
        spec = RULES[rule]
        suppressed = None
        if inst is not None:
            block = inst.resource.block
            suppressed = suppression(inst.resource.file, block.line, block.end_line, rule)
        finding = Finding(rule=rule, severity=severity or spec.severity, message=message, hint=spec.help,
                          address=address or (inst.address if inst else None), root=self.root.display,
                          file=file or (inst.resource.file.display if inst else None),
                          line=line or (inst.resource.block.line if inst else None), suppressed=suppressed)
        self.findings.append(finding)
        return finding


def check_project(project: Project, truth: Truth, target: str) -> Result:
    result = Result(command="check", target=target, problems=list(project.problems))
    checks: list[_RootCheck] = []
    named_secrets: list[tuple[str, ResourceInstance, _RootCheck]] = []
    for root in project.roots:
        rc = _RootCheck(root, target, truth)
        checks.append(rc)
        instances = list(root.resource_instances())
        aliases = alias_names_for_keys(root)
        multi_version = _keys_with_versions(instances)
        _check_provider(rc, instances)
        for inst in instances:
            if inst.resource.mode != "managed":
                _check_data_source(rc, inst)
            elif inst.resource.type == KEY_TYPE:
                _check_key(rc, inst, aliases.get(inst.address, []), inst.config_address in multi_version)
            elif inst.resource.type == SECRET_TYPE:
                name = _check_secret(rc, inst)
                if name is not None:
                    named_secrets.append((name, inst, rc))
            elif inst.resource.type == ALIAS_TYPE:
                _check_alias(rc, inst)
            elif inst.resource.type == "alicloud_kms_key_version":
                rc.add("TFKMS108", inst, "alicloud_kms_key_version: the key's version ids change after migration; "
                       "this resource's id (key_id:version_id) will no longer match")
        _check_version_references(rc)
        _check_secret_keys(rc)
        result.resources.extend(resource_records(root))
    _check_name_clashes(named_secrets, truth)
    for rc in checks:
        result.findings.extend(rc.findings)
        for batch in plan_batches(rc.migratable_keys, rc.secrets):
            batch.root = rc.root.display
            result.batches.append(batch)
    result.findings.extend(refused_units(project))  # Terragrunt units tfkms cannot judge: TFKMS204
    result.findings.sort(key=lambda f: (f.root or "", f.file or "", f.line or 0, f.rule, f.address or ""))
    # Per region across roots: after the per-resource findings, in region order.
    result.findings.extend(target_findings(result.batches, cloud_inventories(truth), target))
    result.options["migration"] = {"judged": sum(rc.judged for rc in checks),
                                   "migrated": sum(rc.migrated for rc in checks)}
    return result


def _keys_with_versions(instances: list[ResourceInstance]) -> set[str]:
    """Config addresses of keys that alicloud_kms_key_version resources add versions to."""
    out: set[str] = set()
    for inst in instances:
        if inst.resource.type == "alicloud_kms_key_version" and inst.resource.mode == "managed":
            ref = config_key_reference(inst, "key_id")
            if ref:
                out.add(inst.module.config_prefix + ref)
    return out


def _check_provider(rc: _RootCheck, instances: list[ResourceInstance]) -> None:
    root = rc.root
    version = root.provider_version
    if version is None or version >= DKMS_INSTANCE_ID_SINCE:
        return
    if not any(i.resource.type in (KEY_TYPE, SECRET_TYPE) and i.resource.mode == "managed" for i in instances):
        return
    rc.add("TFKMS109", None,
           f"alicloud provider {version} ({root.version_origin}) has no dkms_instance_id: after migration "
           "Terraform cannot record which instance a key or secret lives in",
           address="provider[\"registry.terraform.io/aliyun/alicloud\"]",
           file=root.version_file, line=root.version_line)


def _cloud_migrated(cloud: object | None) -> bool:
    return bool(cloud is not None and getattr(cloud, "dkms_instance_id", None))


def _check_key(rc: _RootCheck, inst: ResourceInstance, aliases: list[str], versions_in_config: bool) -> None:
    cloud = rc.truth.key(inst, aliases)
    rc.judged += 1
    if _cloud_migrated(cloud):
        rc.migrated += 1
        return  # already in an instance: nothing blocks it any more
    if any(a.startswith(SERVICE_ALIAS_PREFIX) for a in aliases):
        rc.add("TFKMS105", inst, f"service key (alias {aliases[0]}): service keys are not migrated")
        return
    before = len(rc.findings)
    state = key_state_fact(inst, cloud)
    spec = key_fact(inst, cloud, "key_spec")
    level = key_fact(inst, cloud, "protection_level")
    origin = key_fact(inst, cloud, "origin")
    rotation = key_fact(inst, cloud, "automatic_rotation")
    region = inst.region or (cloud.region if cloud else None)
    multi = versions_in_config or bool(cloud and cloud.version_count and cloud.version_count > 1)

    if not state.known:
        rc.add("TFKMS101", inst, "key state is not statically known; only Enabled keys migrate",
               state.line, Severity.WARNING)
    elif state.value != "Enabled":
        rc.add("TFKMS101", inst, f"key is {state.value} ({_said_by(state)}); only Enabled keys migrate", state.line)
    _check_matrix(rc, inst, spec, level, multi)
    if level.value == HSM:
        if region is None:
            rc.add("TFKMS103", inst, "HSM key in a region tfkms cannot determine; HSM keys migrate only in the "
                   "Chinese mainland", level.line, Severity.WARNING)
        elif not is_mainland(region):
            rc.add("TFKMS103", inst, f"HSM key in {region}, outside the Chinese mainland: it cannot migrate",
                   level.line)
        if origin.value == "EXTERNAL":
            rc.add("TFKMS104", inst, "BYOK key (origin EXTERNAL) at HSM level cannot migrate", origin.line)
    if rotation.value in ("Enabled", "Suspended"):
        rc.add("TFKMS102", inst, f"automatic rotation is {rotation.value} ({_said_by(rotation)}): disable it "
               "before migrating, re-enable it after", rotation.line)
    elif not rotation.known:
        rc.add("TFKMS102", inst, "automatic_rotation is not statically known: make sure it is Disabled before "
               "migrating", rotation.line, Severity.WARNING)
    if any(f.rule in BLOCKING and not f.suppressed and f.severity is Severity.ERROR for f in rc.findings[before:]):
        rc.blocked_keys.add(inst.address)
    else:
        rc.migratable_keys.append((inst.address, region))


def _said_by(fact: Fact) -> str:
    return {"cloud": "as the cloud reports", "config": "set in config", "default": "provider default"}[fact.source]


def _check_matrix(rc: _RootCheck, inst: ResourceInstance, spec: Fact, level: Fact, multi: bool) -> None:
    if not spec.known or not level.known:
        which = "key_spec" if not spec.known else "protection_level"
        rc.add("TFKMS100", inst, f"{which} is not statically known: cannot tell whether the key can migrate to a "
               f"{rc.target} instance", (spec if not spec.known else level).line, Severity.WARNING)
        return
    targets = migratable_targets(level.value, spec.value, multi)
    if rc.target in targets:
        return
    versions = "multi-version " if multi else ""
    elsewhere = f"; it can migrate to a {' or '.join(sorted(targets))} instance" if targets else \
        "; it cannot migrate to any instance type"
    rc.add("TFKMS100", inst, f"{versions}{spec.value} key at {level.value} level cannot migrate to a "
           f"{rc.target} instance{elsewhere}", spec.line or level.line)


def _check_secret(rc: _RootCheck, inst: ResourceInstance) -> str | None:
    cloud = rc.truth.secret(inst, prefer_unmigrated=True)
    rc.judged += 1
    if _cloud_migrated(cloud):
        rc.migrated += 1
        return None
    rotation = secret_rotation_fact(inst, cloud.automatic_rotation if cloud else None)
    if rotation.value == "Enabled":
        rc.add("TFKMS102", inst, f"secret rotation is on ({_said_by(rotation)}): disable it before migrating, "
               "re-enable it after", rotation.line)
    elif not rotation.known:
        rc.add("TFKMS102", inst, "enable_automatic_rotation is not statically known: make sure it is off before "
               "migrating", rotation.line, Severity.WARNING)
    key_ref = config_key_reference(inst, "encryption_key_id")
    key_address = f"{inst.module.address_prefix}{key_ref}" if key_ref else None
    key_value = inst.value("encryption_key_id")
    if isinstance(key_value, str) and key_value.startswith(SERVICE_ALIAS_PREFIX):
        attr = inst.resource.attr("encryption_key_id")
        rc.add("TFKMS105", inst, f"encrypted by service key {key_value}: the secret can migrate, but data backup "
               "is not supported afterwards", attr.line if attr else None)
    rc.secrets.append((inst.address, inst.region, key_address))
    name = cloud.secret_name if cloud else inst.value("secret_name")
    return name if isinstance(name, str) else None


def _check_secret_keys(rc: _RootCheck) -> None:
    """TFKMS106: a secret can migrate only with (or after) its key."""
    remaining: list[tuple[str, str | None, str | None]] = []
    for address, region, key_address in rc.secrets:
        if key_address is None:
            remaining.append((address, region, None))
            continue
        blocked = sorted(k for k in rc.blocked_keys if k == key_address or k.startswith(key_address + "["))
        if not blocked:
            remaining.append((address, region, key_address))
            continue
        inst = _find_instance(rc.root, address)
        attr = inst.resource.attr("encryption_key_id") if inst else None
        rc.add("TFKMS106", inst, f"encrypted by {blocked[0]}, which cannot migrate: the secret cannot migrate "
               "until it is re-encrypted with a migratable key", attr.line if attr else None)
    rc.secrets = remaining


def _find_instance(root: Root, address: str) -> ResourceInstance | None:
    for inst in root.resource_instances():
        if inst.address == address:
            return inst
    return None


def _check_alias(rc: _RootCheck, inst: ResourceInstance) -> None:
    name = inst.value("alias_name")
    if isinstance(name, str) and name.startswith(SERVICE_ALIAS_PREFIX):
        rc.add("TFKMS105", inst, f"{name} is a service key alias: service keys are not migrated")


def _check_data_source(rc: _RootCheck, inst: ResourceInstance) -> None:
    if inst.resource.type == "alicloud_kms_key_versions":
        rc.add("TFKMS108", inst, "data.alicloud_kms_key_versions: key version ids change after migration")
    if inst.resource.type == "alicloud_kms_aliases":
        names = inst.value("names")
        if isinstance(names, list) and any(isinstance(n, str) and n.startswith(SERVICE_ALIAS_PREFIX) for n in names):
            rc.add("TFKMS105", inst, "looks up a service key alias: service keys are not migrated")


def _check_version_references(rc: _RootCheck) -> None:
    """TFKMS108 on each key whose version ids something depends on: an alicloud_kms_key_version
    adding versions to it, or an attribute anywhere reading its primary_key_version."""
    from tfkms.config.traversal import references

    flagged: set[str] = {f.address for f in rc.findings if f.rule == "TFKMS108" and f.address}
    for module in rc.root.modules:
        keys = [i for r in module.dir.resources if r.type == KEY_TYPE and r.mode == "managed"
                for i in expand_resource(r, module)]
        for inst in (i for r in module.dir.resources if r.type == "alicloud_kms_key_version" and r.mode == "managed"
                     for i in expand_resource(r, module)):
            ref = config_key_reference(inst, "key_id")
            for key in _instances_of(keys, ref):
                if key.address not in flagged:
                    flagged.add(key.address)
                    rc.add("TFKMS108", key, f"{inst.address} adds versions to this key: its version ids change "
                           "after migration", line=inst.resource.block.line, file=inst.resource.file.display)
        for source in module.dir.files:
            if "primary_key_version" not in source.text:
                continue
            for block in source.blocks:
                where = ".".join(block.labels) or block.type
                for attr in _all_attributes(block):
                    for ref in references(attr.expr):
                        if not ref.endswith(".primary_key_version"):
                            continue
                        for key in _instances_of(keys, ".".join(ref.split(".")[:2])):
                            if key.address not in flagged:
                                flagged.add(key.address)
                                rc.add("TFKMS108", key, f"{block.type} {where} reads {ref} ({source.display}:"
                                       f"{attr.line}): key version ids change after migration",
                                       line=attr.line, file=source.display)


def _instances_of(keys: list[ResourceInstance], ref: str | None) -> list[ResourceInstance]:
    """Key instances a reference like `alicloud_kms_key.k` (maybe indexed) can mean."""
    if not ref or not ref.startswith(KEY_TYPE + "."):
        return []
    name = ref.split(".")[1]
    return [k for k in keys if k.resource.name == name]


def _all_attributes(block: Block) -> Iterator[Attribute]:
    yield from block.attributes.values()
    for child in block.blocks:
        yield from _all_attributes(child)


def _check_name_clashes(secrets: list[tuple[str, ResourceInstance, _RootCheck]], truth: Truth) -> None:
    """TFKMS107: names must be unique per instance in a region (clashing secrets leave the batch plan).
    Secrets clash only within one region: same-name secrets in other regions are no clash. Of secrets
    whose region is unknown, only those under one provider configuration are surely in one region
    (the region warning says the rest cannot be judged)."""
    by_name: dict[tuple[str, str], list[tuple[ResourceInstance, _RootCheck]]] = {}
    for name, inst, rc in secrets:
        by_name.setdefault((_region_group(inst), name), []).append((inst, rc))
    for (_group, name), owners in sorted(by_name.items(), key=lambda item: item[0]):
        region = owners[0][0].region
        distinct = sorted({(rc.root.display, inst.address) for inst, rc in owners})
        existing = truth.existing_secret(name, region)
        for inst, rc in owners:
            me = (rc.root.display, inst.address)
            if len(distinct) > 1:
                others = ", ".join(a if r == rc.root.display else f"{a} (root {r})"
                                   for r, a in distinct if (r, a) != me)
                where = region or f"the same region (provider {inst.provider_ref}, region unknown)"
                rc.add("TFKMS107", inst, f"secret name {name!r} is also used by {others} in "
                       f"{where}: names must be unique in the target instance")
            elif existing is not None and existing.dkms_instance_id:
                rc.add("TFKMS107", inst, f"a secret named {name!r} already exists in instance "
                       f"{existing.dkms_instance_id} ({region})")
            else:
                continue
            rc.secrets = [s for s in rc.secrets if s[0] != inst.address]


def _region_group(inst: ResourceInstance) -> str:
    """The region a secret's name must be unique in; when it is unknown, its provider configuration
    (one configuration is one region, even one tfkms cannot name)."""
    if inst.region is not None:
        return inst.region
    binding = inst.provider
    return f"?{id(binding)}" if binding is not None else f"?{inst.module.root.display}/{inst.address}"
