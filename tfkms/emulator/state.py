"""The emulator's account: keys, aliases, secrets and instances per region, in memory.

Loaded from an inventory snapshot, dumped back as one, and changed by `migrate`, which
does to the state what the KMS 1.0 -> 3.0 migration does to the real account.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from tfkms.truth.model import (
    CloudInstance,
    CloudKey,
    CloudSecret,
    Inventory,
    RegionInventory,
)

DEFAULT_ACCOUNT = "1234567890123456"
_EPOCH = "2024-01-15T08:00:00Z"  # creation dates the snapshot does not carry


class MigrationError(ValueError):
    """The migration request cannot be carried out; the message lists every reason."""


@dataclass
class KeyRecord:
    key: CloudKey
    versions: list[tuple[str, str]]  # (KeyVersionId, CreationDate), oldest first


@dataclass
class RegionState:
    keys: dict[str, KeyRecord] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # alias name -> key id
    secrets: dict[str, CloudSecret] = field(default_factory=dict)
    instances: dict[str, CloudInstance] = field(default_factory=dict)


class EmulatorState:
    """Thread-safe in-memory KMS account. Reads and `migrate` take one lock."""

    def __init__(self, regions: dict[str, RegionState], account: str = DEFAULT_ACCOUNT, seed: int = 0) -> None:
        self.regions = regions
        self.account = account
        self.lock = threading.RLock()
        self._rng = random.Random(seed)

    # ------------------------------------------------------------ building

    @classmethod
    def from_inventory(cls, inventory: Inventory, seed: int = 0) -> EmulatorState:
        state = cls({}, account=_account_of(inventory), seed=seed)
        for name in sorted(inventory.regions):
            state.regions[name] = state._region_from(inventory.regions[name])
        return state

    def _region_from(self, region: RegionInventory) -> RegionState:
        out = RegionState()
        for key in sorted(region.keys, key=lambda k: k.key_id):
            count = max(1, key.version_count or 1)
            versions = [(self._new_version_id(), _EPOCH) for _ in range(count)]
            if key.primary_key_version:
                versions[-1] = (key.primary_key_version, _EPOCH)
            out.keys[key.key_id] = KeyRecord(
                key=replace(key, version_count=count, primary_key_version=versions[-1][0]), versions=versions
            )
            for alias in key.aliases:
                out.aliases[alias] = key.key_id
        out.secrets = {s.secret_name: s for s in sorted(region.secrets, key=lambda s: s.secret_name)}
        out.instances = {i.instance_id: i for i in sorted(region.instances, key=lambda i: i.instance_id)}
        return out

    def _new_version_id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def to_inventory(self) -> Inventory:
        """The current state as a snapshot (what a perfect `tfkms inventory` would return)."""
        with self.lock:
            inventory = Inventory(generated_at=_now(), source="emulator")
            for name, region in self.regions.items():
                by_key: dict[str, list[str]] = {}
                for alias, key_id in region.aliases.items():
                    by_key.setdefault(key_id, []).append(alias)
                keys = [
                    replace(r.key, aliases=tuple(sorted(by_key.get(key_id, [])))) for key_id, r in region.keys.items()
                ]
                inventory.regions[name] = RegionInventory(
                    keys=keys, secrets=list(region.secrets.values()), instances=list(region.instances.values())
                )
            return inventory

    def region(self, name: str) -> RegionState:
        """A region the snapshot does not hold is simply empty, as in a real unused region."""
        with self.lock:
            return self.regions.get(name) or RegionState()

    # ------------------------------------------------------------ migration

    def migrate(self, *, instance_id: str, key_ids: Sequence[str] = (), secret_names: Sequence[str] = ()) -> dict:
        """Move keys and secrets into instance `instance_id`, as the KMS migration does.

        Each key gets the instance id and new key version ids; an HSM key moved into a
        software instance reports SOFTWARE. Checks the vendor's preconditions first and
        changes nothing when any fails. Already migrated into this instance is a no-op.
        """
        with self.lock:
            region_name, instance = self._find_instance(instance_id)
            region = self.regions[region_name]
            problems: list[str] = []
            keys = [self._check_key(region, region_name, key_id, instance_id, problems) for key_id in key_ids]
            batch = {record.key.key_id for record in keys if record is not None}
            secrets = [
                self._check_secret(region, region_name, name, instance_id, batch, problems) for name in secret_names
            ]
            if problems:
                raise MigrationError("; ".join(problems))
            report: dict = {"instance_id": instance_id, "region": region_name, "keys": [], "secrets": []}
            for record in keys:
                assert record is not None
                if record.key.dkms_instance_id == instance_id:
                    report["keys"].append({"key_id": record.key.key_id, "changed": False})
                    continue
                self._move_key(record, instance)
                report["keys"].append(
                    {
                        "key_id": record.key.key_id,
                        "changed": True,
                        "protection_level": record.key.protection_level,
                        "primary_key_version": record.key.primary_key_version,
                    }
                )
            for secret in secrets:
                assert secret is not None
                changed = secret.dkms_instance_id != instance_id
                region.secrets[secret.secret_name] = replace(secret, dkms_instance_id=instance_id)
                report["secrets"].append({"secret_name": secret.secret_name, "changed": changed})
            return report

    def _find_instance(self, instance_id: str) -> tuple[str, CloudInstance]:
        for name, region in self.regions.items():
            if instance_id in region.instances:
                return name, region.instances[instance_id]
        raise MigrationError(f"KMS instance {instance_id!r} is not in the emulator's inventory")

    def _check_key(
        self, region: RegionState, region_name: str, key_id: str, instance_id: str, problems: list[str]
    ) -> KeyRecord | None:
        record = region.keys.get(region.aliases.get(key_id, key_id))
        if record is None:
            problems.append(f"key {key_id} is not in {region_name} (migration stays within a region)")
            return None
        key = record.key
        if key.dkms_instance_id and key.dkms_instance_id != instance_id:
            problems.append(f"key {key.key_id} is already in instance {key.dkms_instance_id}")
        elif key.dkms_instance_id != instance_id:
            if key.key_state != "Enabled":
                problems.append(f"key {key.key_id} is {key.key_state}; only Enabled keys can be migrated")
            if key.automatic_rotation == "Enabled":
                problems.append(f"key {key.key_id} has automatic rotation on; disable it before migrating")
            refusal = _matrix_refusal(key, region_name, region.instances[instance_id].instance_type)
            if refusal:
                problems.append(f"key {key.key_id}: {refusal}")
        return record

    def _check_secret(
        self, region: RegionState, region_name: str, name: str, instance_id: str, batch: set[str], problems: list[str]
    ) -> CloudSecret | None:
        secret = region.secrets.get(name)
        if secret is None:
            problems.append(f"secret {name} is not in {region_name}")
            return None
        if secret.dkms_instance_id and secret.dkms_instance_id != instance_id:
            problems.append(f"secret {name} is already in instance {secret.dkms_instance_id}")
            return secret
        key_id = secret.encryption_key_id
        if key_id and not key_id.startswith("alias/acs/"):
            key_id = region.aliases.get(key_id, key_id)
            record = region.keys.get(key_id)
            in_instance = record is not None and record.key.dkms_instance_id == instance_id
            if not in_instance and key_id not in batch:
                problems.append(
                    f"secret {name} is encrypted by key {secret.encryption_key_id}, which must be migrated to "
                    f"{instance_id} first or in the same batch"
                )
        return secret

    def _move_key(self, record: KeyRecord, instance: CloudInstance) -> None:
        key = record.key
        level = key.protection_level
        if instance.instance_type == "software" and level == "HSM":
            level = "SOFTWARE"
        now = _now()
        # the vendor's guide: key version ids change on migration
        record.versions = [(self._new_version_id(), now) for _ in record.versions]
        record.key = replace(
            key,
            dkms_instance_id=instance.instance_id,
            protection_level=level,
            primary_key_version=record.versions[-1][0],
        )


# The vendor guide's explicit refusals (kms-migration-guide.txt, "Notes on key migration").
_SOFTWARE_KEYS_NOT_FOR_HARDWARE = frozenset({"RSA_2048", "EC_P256", "EC_P256K"})
_HSM_KEYS_NOT_FOR_SOFTWARE = frozenset({"Aliyun_SM4", "EC_SM2"})


def _matrix_refusal(key: CloudKey, region: str, instance_type: str | None) -> str | None:
    if key.protection_level == "HSM":
        if not region.startswith("cn-") or region == "cn-hongkong":
            return "HSM keys outside the Chinese mainland cannot be migrated"
        if key.origin == "EXTERNAL":
            return "BYOK keys at HSM level cannot be migrated"
        if instance_type == "software" and key.key_spec in _HSM_KEYS_NOT_FOR_SOFTWARE:
            return f"an HSM {key.key_spec} key cannot move to a software instance"
    elif instance_type == "hardware" and key.key_spec in _SOFTWARE_KEYS_NOT_FOR_HARDWARE:
        return f"a software-protected {key.key_spec} key cannot move to a hardware instance"
    return None


def _account_of(inventory: Inventory) -> str:
    """The account uid, read from any ARN in the snapshot (acs:kms:<region>:<uid>:...)."""
    for region in inventory.regions.values():
        objects: list[CloudKey | CloudSecret] = [*region.keys, *region.secrets]
        for obj in objects:
            parts = (obj.arn or "").split(":")
            if len(parts) >= 5 and parts[3].isdigit():
                return parts[3]
    return DEFAULT_ACCOUNT


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
