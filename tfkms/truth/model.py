"""What the cloud says, after (or before) migration.

Every truth source (state file, inventory snapshot, live API) produces these objects.
They hold only allowlisted, non-secret attributes: no secret value can be stored here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MIGRATED_PREFIX = "kst-"


@dataclass(frozen=True)
class CloudKey:
    key_id: str
    region: str | None = None
    arn: str | None = None
    key_spec: str | None = None
    key_usage: str | None = None
    key_state: str | None = None  # Enabled | Disabled | PendingDeletion | PendingImport
    protection_level: str | None = None  # SOFTWARE | HSM
    origin: str | None = None  # Aliyun_KMS | EXTERNAL
    automatic_rotation: str | None = None  # Enabled | Disabled | Suspended
    rotation_interval: str | None = None  # "604800s"
    dkms_instance_id: str | None = None  # "kst-..." once migrated
    creator: str | None = None
    description: str | None = None
    primary_key_version: str | None = None
    version_count: int | None = None
    aliases: tuple[str, ...] = ()

    @property
    def migrated(self) -> bool:
        return bool(self.dkms_instance_id)


@dataclass(frozen=True)
class CloudSecret:
    secret_name: str
    region: str | None = None
    arn: str | None = None
    secret_type: str | None = None
    encryption_key_id: str | None = None
    dkms_instance_id: str | None = None
    automatic_rotation: str | None = None  # Enabled | Disabled | Invalid
    rotation_interval: str | None = None
    description: str | None = None

    @property
    def migrated(self) -> bool:
        return bool(self.dkms_instance_id)


@dataclass(frozen=True)
class CloudResource:
    """A resource of another type (e.g. alicloud_oos_secret_parameter) as the state reports it:
    only its allowlisted, non-sensitive attributes. Attributes read as fields
    (`cloud.dkms_instance_id`); one the state does not hold reads as None."""

    type: str
    address: str
    attributes: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.__dict__.get("attributes", {}).get(name)

    def __hash__(self) -> int:
        return hash((self.type, self.address))

    @property
    def migrated(self) -> bool:
        return bool(self.attributes.get("dkms_instance_id"))


@dataclass(frozen=True)
class CloudInstance:
    instance_id: str
    region: str | None = None
    name: str | None = None
    instance_type: str | None = None  # "software" | "hardware" | None when unknown
    status: str | None = None
    spec: str | None = None
    product_version: str | None = None
    # GetKmsInstance's KeyNum and SecretNum: the purchased quotas (how many keys / secrets the
    # instance may hold), not how many it holds. None: unknown, never guessed.
    key_num: int | None = None
    secret_num: int | None = None


@dataclass
class RegionInventory:
    keys: list[CloudKey] = field(default_factory=list)
    secrets: list[CloudSecret] = field(default_factory=list)
    instances: list[CloudInstance] = field(default_factory=list)
    # False when the instances above are not the region's whole list (a snapshot without an
    # "instances" field, a live describe of named resources): "no instance" is then unknown.
    instances_known: bool = True


@dataclass
class Inventory:
    """A snapshot of one account's KMS, region by region."""

    regions: dict[str, RegionInventory] = field(default_factory=dict)
    generated_at: str | None = None
    source: str | None = None  # "live", a file path, ...

    def region(self, name: str) -> RegionInventory:
        return self.regions.setdefault(name, RegionInventory())

    def all_keys(self) -> list[CloudKey]:
        return [k for r in self.regions.values() for k in r.keys]

    def all_secrets(self) -> list[CloudSecret]:
        return [s for r in self.regions.values() for s in r.secrets]

    def all_instances(self) -> list[CloudInstance]:
        return [i for r in self.regions.values() for i in r.instances]
