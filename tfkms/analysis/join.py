"""The join: configuration instances x what the cloud says about them.

Identity comes from state (address -> key id / secret name) when there is one; facts come
from the freshest source: live API, then an inventory snapshot, then state. Without state,
secrets match by name and keys through their aliases; nothing is ever guessed.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from tfkms.address import UNKNOWN_KEY, without_keys
from tfkms.analysis.result import Finding
from tfkms.analysis.rules import RULES, Severity
from tfkms.config.instances import ResourceInstance, Root
from tfkms.config.scan import Project
from tfkms.config.values import Unknown
from tfkms.errors import TfkmsError
from tfkms.knowledge.resource_types import ALIAS_TYPE, KEY_TYPE, SECRET_TYPE
from tfkms.truth.model import CloudKey, CloudSecret, Inventory
from tfkms.truth.state import StateFile, StateInstance, key_from_state, secret_from_state


def _merge(base: Any, fresh: Any) -> Any:
    """Fresh facts win field by field; identity stays."""
    if base is None:
        return fresh
    if fresh is None:
        return base
    changes = {f: getattr(fresh, f) for f in fresh.__dataclass_fields__ if getattr(fresh, f) not in (None, ())}
    return replace(base, **changes)


@dataclass
class Truth:
    states: dict[str, StateFile] = field(default_factory=dict)  # root display -> state
    inventory: Inventory | None = None
    _keys: dict[str, CloudKey] = field(default_factory=dict)
    _secrets: dict[str, list[CloudSecret]] = field(default_factory=dict)  # "region/name" and "name"
    _alias_keys: dict[str, CloudKey] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.inventory is not None:
            self.index_inventory(self.inventory)

    def index_inventory(self, inventory: Inventory) -> None:
        for region, content in inventory.regions.items():
            for key in content.keys:
                key = key if key.region else replace(key, region=region)
                self._keys[key.key_id] = key
                for alias in key.aliases:
                    self._alias_keys[alias] = key
            for secret in content.secrets:
                secret = secret if secret.region else replace(secret, region=region)
                self._secrets.setdefault(f"{region}/{secret.secret_name}", []).append(secret)
                self._secrets.setdefault(secret.secret_name, []).append(secret)

    @property
    def has_cloud_facts(self) -> bool:
        return bool(self._keys or self._secrets)

    def state_for(self, root: Root) -> StateFile | None:
        return self.states.get(root.display)

    def state_instance(self, inst: ResourceInstance) -> StateInstance | None:
        state = self.state_for(inst.module.root)
        return state.instances.get(inst.address) if state else None

    def key(self, inst: ResourceInstance, aliases: list[str] | None = None) -> CloudKey | None:
        found = self.state_instance(inst)
        base = key_from_state(found) if found else None
        fresh = None
        if base is not None and base.key_id in self._keys:
            fresh = self._keys[base.key_id]
        elif base is None:
            for alias in aliases or []:
                if alias in self._alias_keys:
                    fresh = self._alias_keys[alias]
                    break
        return _merge(base, fresh)

    def _named(self, name: str, region: str | None) -> list[CloudSecret]:
        return (self._secrets.get(f"{region}/{name}") if region else None) or self._secrets.get(name, [])

    def secret(self, inst: ResourceInstance, prefer_unmigrated: bool = False) -> CloudSecret | None:
        """Before migration a KMS 1.0 secret and an instance secret may share a name: `check`
        asks for the 1.0 one (prefer_unmigrated), `fix` for the migrated one."""
        found = self.state_instance(inst)
        base = secret_from_state(found) if found else None
        name = base.secret_name if base else inst.value("secret_name")
        fresh = None
        if isinstance(name, str):
            candidates = sorted(self._named(name, inst.region),
                                key=lambda s: bool(s.dkms_instance_id) == prefer_unmigrated)
            fresh = candidates[0] if candidates else None
        return _merge(base, fresh)

    def existing_secret(self, name: str, region: str | None) -> CloudSecret | None:
        """A secret of that name already in the cloud (inventory/live), whatever manages it."""
        migrated = [s for s in self._named(name, region) if s.dkms_instance_id]
        return migrated[0] if migrated else None

    def key_by_id(self, key_id: str) -> CloudKey | None:
        return self._keys.get(key_id)


def alias_names_for_keys(root: Root) -> dict[str, list[str]]:
    """Key instance address -> alias names that config points at it (for matching without state)."""
    out: dict[str, list[str]] = {}
    instances = list(root.resource_instances())
    keys_by_config: dict[tuple[str, str], list[ResourceInstance]] = {}
    for inst in instances:
        if inst.resource.type == KEY_TYPE and inst.resource.mode == "managed":
            keys_by_config.setdefault((inst.module.address_prefix, inst.resource.name), []).append(inst)
    for inst in instances:
        if inst.resource.type != ALIAS_TYPE or inst.resource.mode != "managed":
            continue
        alias = inst.value("alias_name")
        target = inst.value("key_id")
        if not isinstance(alias, str) or not isinstance(target, Unknown):
            continue
        for ref in target.refs:
            parts = ref.split(".")
            if len(parts) == 2 and parts[0] == KEY_TYPE:
                candidates = keys_by_config.get((inst.module.address_prefix, parts[1]), [])
                matched = [k for k in candidates if k.key == inst.key] or (candidates if len(candidates) == 1 else [])
                for key_inst in matched:
                    out.setdefault(key_inst.address, []).append(alias)
    return out


def config_key_reference(inst: ResourceInstance, attr: str) -> str | None:
    """`encryption_key_id = alicloud_kms_key.k.id` -> "alicloud_kms_key.k" (same module)."""
    value = inst.value(attr)
    if isinstance(value, Unknown):
        for ref in sorted(value.refs):
            if ref.startswith(KEY_TYPE + "."):
                return ref
    return None


def state_coverage(project: Project, states: dict[str, StateFile], named: set[str]) -> list[Finding]:
    """Does each named state belong to its root? None of the config's KMS resources in a state that
    holds KMS resources: another root's state, the run stops. Some missing: a warning for each
    (a resource not created yet is absent from state too), with the coverage in the message."""
    kinds = (KEY_TYPE, SECRET_TYPE)
    notes: list[Finding] = []
    for root in project.roots:
        state = states.get(root.display)
        if root.display not in named or state is None:
            continue
        held = {a for a, i in state.instances.items() if i.mode == "managed" and i.type in kinds}
        shapes = {without_keys(a) for a in held}
        wanted = [inst for inst in root.resource_instances()
                  if inst.resource.mode == "managed" and inst.resource.type in kinds]
        if not wanted:
            continue
        missing = []
        for inst in wanted:
            if inst.key is UNKNOWN_KEY or "[*]" in inst.address:  # keys unknown here: match the resource
                found = inst.config_address in shapes
            else:
                found = inst.address in held
            if not found:
                missing.append(inst)
        if not missing:
            continue
        total, hits = len(wanted), len(wanted) - len(missing)
        if hits == 0 and held:
            raise TfkmsError(f"{state.display} holds none of the {total} KMS resources of {root.display} "
                             f"(it holds {len(held)} others): does this state belong to another root?")
        spec = RULES["TFKMS204"]
        for inst in missing:
            notes.append(Finding(
                rule="TFKMS204", severity=Severity.WARNING,
                message=(f"not in state {state.display} (state holds {hits} of {total} KMS resources of "
                         f"{root.display}): not created yet, or the state is another root's; tfkms judges "
                         "nothing here without its state"),
                hint=spec.help, address=inst.address, root=root.display, file=inst.resource.file.display,
                line=inst.resource.block.line))
    return notes
