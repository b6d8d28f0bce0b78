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


# Freshness of a cloud source: on the same resource the fresher one's facts win (state, the oldest,
# is the base they merge into, field by field).
INVENTORY, LIVE = 1, 2


@dataclass
class Truth:
    """Every cloud lookup is by region: (region, key id), (region, alias), (region, secret name).
    An instance whose region tfkms cannot tell gets no cloud facts (region_notes says so)."""

    states: dict[str, StateFile] = field(default_factory=dict)  # root display -> state
    inventory: Inventory | None = None
    live_inventory: Inventory | None = None  # the --live answers as collected (check reads their instances)
    moved: dict[str, dict[str, str]] = field(default_factory=dict)  # root -> address -> address in the state file
    # A root with several workspaces: one state each; and workspaces on disk whose state was not read.
    workspaces: dict[str, dict[str, StateFile]] = field(default_factory=dict)
    unread_workspaces: dict[str, list[str]] = field(default_factory=dict)
    _keys: dict[tuple[str, str], CloudKey] = field(default_factory=dict)  # (region, key id)
    _secrets: dict[tuple[str, str], list[CloudSecret]] = field(default_factory=dict)  # (region, name)
    _alias_keys: dict[tuple[str, str], CloudKey] = field(default_factory=dict)  # (region, alias)
    _freshness: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (kind, region, id) -> source

    def __post_init__(self) -> None:
        if self.inventory is not None:
            self.index_inventory(self.inventory)

    def index_inventory(self, inventory: Inventory, live: bool = False) -> None:
        """Index a snapshot (or, `live`, the API's answers). Whatever order sources come in, on each
        key, alias and secret name the freshest source wins; two answers of one source both stay
        (a KMS 1.0 secret and its migrated copy may share a name)."""
        rank = LIVE if live else INVENTORY
        taken: set[tuple[str, str, str]] = set()  # entries this source has already replaced
        for region, content in inventory.regions.items():
            for key in content.keys:
                where = key.region or region
                key = key if key.region else replace(key, region=where)
                if self._takes(("key", where, key.key_id), rank, taken):
                    self._keys[(where, key.key_id)] = key
                for alias in key.aliases:
                    if self._takes(("alias", where, alias), rank, taken):
                        self._alias_keys[(where, alias)] = key
            for secret in content.secrets:
                where = secret.region or region
                secret = secret if secret.region else replace(secret, region=where)
                entry = ("secret", where, secret.secret_name)
                fresh = entry not in taken
                if self._takes(entry, rank, taken):
                    if fresh:
                        self._secrets[(where, secret.secret_name)] = []
                    self._secrets[(where, secret.secret_name)].append(secret)

    def _takes(self, entry: tuple[str, str, str], rank: int, taken: set[tuple[str, str, str]]) -> bool:
        """Whether a source of freshness `rank` may write `entry` (an older source's answer is replaced)."""
        if entry in taken:
            return True
        if self._freshness.get(entry, 0) > rank:
            return False
        self._freshness[entry] = rank
        taken.add(entry)
        return True

    @property
    def has_cloud_facts(self) -> bool:
        return bool(self._keys or self._secrets)

    def workspace_views(self, root: Root) -> list[tuple[str | None, Truth]]:
        """One view per workspace of the root (its state in place of the root's), else [(None, self)]."""
        import copy

        spaces = self.workspaces.get(root.display)
        if not spaces:
            return [(None, self)]
        views: list[tuple[str | None, Truth]] = []
        for name, state in sorted(spaces.items()):
            view = copy.copy(self)  # shares the cloud indexes; only the root's state differs
            view.states = {**self.states, root.display: state}
            views.append((name, view))
        return views

    def state_for(self, root: Root) -> StateFile | None:
        return self.states.get(root.display)

    def state_instance(self, inst: ResourceInstance) -> StateInstance | None:
        state = self.state_for(inst.module.root)
        return state.instances.get(inst.address) if state else None

    def key(self, inst: ResourceInstance, aliases: list[str] | None = None) -> CloudKey | None:
        """State's facts, overridden by the cloud's for the same key id in the instance's region
        (without state: the key one of its aliases names in that region)."""
        found = self.state_instance(inst)
        base = key_from_state(found) if found else None
        region = inst.region
        fresh = None
        if region is not None:
            if base is not None:
                fresh = self._keys.get((region, base.key_id))
            else:
                fresh = next((self._alias_keys[(region, a)] for a in aliases or [] if (region, a) in self._alias_keys),
                             None)
        return _merge(base, fresh)

    def _named(self, name: str, region: str | None) -> list[CloudSecret]:
        return self._secrets.get((region, name), []) if region else []

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
        """A migrated secret of that name already in the cloud (inventory/live) of `region`, whatever
        manages it; None when the region is unknown."""
        migrated = [s for s in self._named(name, region) if s.dkms_instance_id]
        return migrated[0] if migrated else None

    def key_by_id(self, key_id: str, region: str) -> CloudKey | None:
        return self._keys.get((region, key_id))

    def regions_holding(self, kind: str, ident: str) -> list[str]:
        """The regions whose cloud answers hold a key id ("key"), an alias ("alias") or a secret
        name ("secret"): for messages only (a lookup never leaves its region)."""
        tables: dict[str, dict[tuple[str, str], Any]] = {"key": self._keys, "alias": self._alias_keys,
                                                         "secret": self._secrets}
        table = tables[kind]
        return sorted(region for region, name in table if name == ident)


def region_notes(project: Project, truth: Truth) -> list[Finding]:
    """With cloud answers (inventory or live) to look things up in: a warning for each KMS key or
    secret whose region tfkms cannot tell (it gets no cloud facts: tfkms never guesses a region),
    and a note for each whose name or id the answers hold only in other regions (not used)."""
    if not truth.has_cloud_facts:
        return []
    spec = RULES["TFKMS204"]
    notes: list[Finding] = []
    for root in project.roots:
        for inst in root.resource_instances():
            if inst.resource.mode != "managed" or inst.resource.type not in (KEY_TYPE, SECRET_TYPE):
                continue
            severity, message = Severity.WARNING, None
            reason = inst.region_unknown_reason
            if reason is not None:
                message = (f"region unknown: {reason}; tfkms looks cloud facts up by region and never guesses "
                           "one: set `region` in that provider block (or ALICLOUD_REGION for a block without it)")
            else:
                message, has_state = _other_regions(inst, truth)
                if has_state:
                    severity = Severity.INFO
            if message is None:
                continue
            notes.append(Finding(rule="TFKMS204", severity=severity, message=message, hint=spec.help,
                                 address=inst.address, root=root.display, file=inst.resource.file.display,
                                 line=inst.resource.block.line))
    return notes


def _other_regions(inst: ResourceInstance, truth: Truth) -> tuple[str | None, bool]:
    """("not in REGION (the cloud answers hold it in OTHER only)", whether state has it) when the
    instance's key id / secret name is absent from its region but present elsewhere."""
    region = inst.region
    found = truth.state_instance(inst)
    if inst.resource.type == KEY_TYPE:
        base = key_from_state(found) if found else None
        if base is None:
            return None, False  # matched through aliases: alias_names_for_keys knows them, not here
        kind, ident, what = "key", base.key_id, f"key {base.key_id}"
    else:
        secret = secret_from_state(found) if found else None
        name = secret.secret_name if secret else inst.value("secret_name")
        if not isinstance(name, str):
            return None, False
        kind, ident, what = "secret", name, f"secret {name!r}"
    held = truth.regions_holding(kind, ident)
    if not held or region in held:
        return None, False
    then = ("facts from state only" if found is not None
            else "nothing is known of this resource there")
    return (f"{what} is not in the cloud answers for {region}, its provider's region (they hold it in "
            f"{', '.join(held)}, another region: not used, lookups never cross regions); {then}"), found is not None


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
