"""What one migrated resource instance needs so that the next plan does not replace it.

The rules come from the provider's schema (reference/provider-kms.md): a ForceNew attribute
whose config value (or schema default) differs from what the refreshed state holds plans a
replacement, unless the attribute is Computed and omitted, or listed in ignore_changes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tfkms.analysis.value_sites import is_literal_expr
from tfkms.config.instances import ResourceInstance
from tfkms.config.values import Unknown
from tfkms.knowledge.resource_types import KEY_TYPE
from tfkms.knowledge.versions import (
    DKMS_INSTANCE_ID_SINCE,
    KEY_AUTOMATIC_ROTATION_COMPUTED_SINCE,
    KEY_DKMS_COMPUTED_SINCE,
    KEY_ROTATION_SINCE,
    SECRET_ROTATION_READ_SINCE,
    SECRET_ROTATION_SINCE,
    ProviderVersion,
)
from tfkms.patch.hcl_edits import ignore_changes_names
from tfkms.truth.model import CloudKey, CloudResource, CloudSecret


@dataclass
class Need:
    rule: str
    attribute: str
    desired: Any  # the value the cloud reports (what config must say)
    current: Any  # what config says now (None when absent, Unknown when an expression)
    message: str
    literal: bool = False  # the current value is a plain literal tfkms may rewrite


@dataclass
class InstanceNeeds:
    inst: ResourceInstance
    cloud: CloudKey | CloudSecret | CloudResource  # CloudResource: other protected types (fix_generic)
    needs: list[Need] = field(default_factory=list)
    rotation: list[str] = field(default_factory=list)  # rotation attributes to ignore (--ignore-rotation)
    rotation_notes: list[str] = field(default_factory=list)
    workspace: str | None = None  # the workspace whose state this is, when the root has several


def ignored_attributes(inst: ResourceInstance) -> tuple[set[str], bool]:
    # The merged lifecycle: an override file's ignore_changes replaces the base's (argument by argument).
    found = inst.resource.lifecycle_source("ignore_changes")
    if found is not None:
        listed = ignore_changes_names(found[2])
        if listed is not None:
            return listed
    return set(), False


def is_literal(inst: ResourceInstance, name: str) -> bool:
    attr = inst.resource.attr(name)
    return attr is not None and is_literal_expr(attr.expr)


def _seconds(interval: Any) -> int | None:
    if not isinstance(interval, str):
        return None
    m = re.fullmatch(r"\s*(\d+)\s*([dhms])\s*", interval)
    if not m:
        return None
    return int(m.group(1)) * {"d": 86400, "h": 3600, "m": 60, "s": 1}[m.group(2)]


def instance_needs(inst: ResourceInstance, cloud: CloudKey | CloudSecret, version: ProviderVersion | None,
                   ignore_rotation: bool, referenced_key_id: str | None = None) -> InstanceNeeds:
    out = InstanceNeeds(inst, cloud)
    ignored, ignore_all = ignored_attributes(inst)
    if ignore_all:
        return out
    is_key = inst.resource.type == KEY_TYPE
    if version is not None and version >= DKMS_INSTANCE_ID_SINCE and "dkms_instance_id" not in ignored:
        _dkms_need(out, is_key, version)
    if is_key and "protection_level" not in ignored:
        _level_need(out)
    if not is_key and "encryption_key_id" not in ignored:
        _encryption_key_need(out, referenced_key_id)
    if version is not None:
        _rotation(out, is_key, version, ignored, ignore_rotation)
    return out


def _dkms_need(out: InstanceNeeds, is_key: bool, version: ProviderVersion) -> None:
    inst, wanted = out.inst, out.cloud.dkms_instance_id
    current = inst.value("dkms_instance_id")
    if not wanted or current == wanted:
        return  # not migrated (or unknowable): nothing the instance id can break yet
    literal = is_literal(inst, "dkms_instance_id")
    if current is None:
        if is_key and version >= KEY_DKMS_COMPUTED_SINCE:
            return  # Computed since 1.235.0: omitting it is safe for keys
        why = ("keys on provider < 1.235.0" if is_key else "secrets on every provider") + \
              " replace the resource when dkms_instance_id is missing"
        out.needs.append(Need("TFKMS200", "dkms_instance_id", wanted, None,
                              f"migrated into {wanted}; {why}"))
    elif isinstance(current, Unknown):
        out.needs.append(Need("TFKMS204", "dkms_instance_id", wanted, current,
                              f"dkms_instance_id is an expression tfkms cannot evaluate; the cloud reports {wanted}"))
    else:
        out.needs.append(Need("TFKMS203", "dkms_instance_id", wanted, current,
                              f"config says {current!r}, the cloud reports {wanted}: the plan would replace it",
                              literal=literal))


def _level_need(out: InstanceNeeds) -> None:
    inst = out.inst
    wanted = getattr(out.cloud, "protection_level", None)
    if not wanted:
        return
    current = inst.value("protection_level")
    if isinstance(current, Unknown):
        out.needs.append(Need("TFKMS204", "protection_level", wanted, current,
                              f"protection_level is an expression tfkms cannot evaluate; the cloud reports {wanted}"))
        return
    configured = current if isinstance(current, str) else "SOFTWARE"  # schema default
    if configured.upper() == wanted.upper():
        return
    said = f"config says {current!r}" if current is not None else "config omits it (default SOFTWARE)"
    out.needs.append(Need("TFKMS201", "protection_level", wanted, current,
                          f"{said}, the cloud reports {wanted}: protection_level is ForceNew",
                          literal=current is None or is_literal(inst, "protection_level")))


def _encryption_key_need(out: InstanceNeeds, referenced_key_id: str | None) -> None:
    inst = out.inst
    wanted = getattr(out.cloud, "encryption_key_id", None)
    if not wanted:
        return
    current = inst.value("encryption_key_id")
    if isinstance(current, Unknown):
        if referenced_key_id is None or referenced_key_id == wanted:
            return  # a reference to a key whose id we cannot compare: no evidence of a change
        out.needs.append(Need("TFKMS202", "encryption_key_id", wanted, current,
                              f"encryption_key_id refers to key {referenced_key_id}, the cloud reports {wanted}"))
        return
    if current == wanted:
        return
    said = f"config says {current!r}" if current is not None else "config omits it"
    # A key named by alias is the user's intent: keep it, do not overwrite it with an id.
    by_alias = isinstance(current, str) and current.startswith("alias/")
    out.needs.append(Need("TFKMS202", "encryption_key_id", wanted, current,
                          f"{said}, the cloud reports {wanted}: encryption_key_id is ForceNew and not Computed",
                          literal=not by_alias and (current is None or is_literal(inst, "encryption_key_id"))))


def _rotation(out: InstanceNeeds, is_key: bool, version: ProviderVersion, ignored: set[str],
              ignore_rotation: bool) -> None:
    inst, cloud = out.inst, out.cloud
    if is_key:
        if version < KEY_ROTATION_SINCE:
            return
        names = ["automatic_rotation", "rotation_interval"]
        current = inst.value("automatic_rotation")
        if current is None and version < KEY_AUTOMATIC_ROTATION_COMPUTED_SINCE:
            current = "Disabled"
        cloud_on = cloud.automatic_rotation
        if cloud_on and isinstance(current, str) and current != cloud_on:
            out.rotation_notes.append(f"automatic_rotation: config {current}, cloud {cloud_on}")
    else:
        if version < SECRET_ROTATION_SINCE:
            return
        names = ["enable_automatic_rotation", "rotation_interval"]
        if version >= SECRET_ROTATION_READ_SINCE and cloud.automatic_rotation in ("Enabled", "Disabled"):
            enabled = inst.value("enable_automatic_rotation")
            cloud_enabled = cloud.automatic_rotation == "Enabled"
            if isinstance(enabled, bool) and enabled != cloud_enabled or (enabled is None and cloud_enabled):
                out.rotation_notes.append(f"enable_automatic_rotation: config {enabled}, cloud {cloud_enabled}")
    interval = inst.value("rotation_interval")
    cloud_interval = cloud.rotation_interval
    read = (is_key or version >= SECRET_ROTATION_READ_SINCE) and not isinstance(interval, Unknown)
    differs = (interval is None and cloud_interval) or (
        interval is not None and _seconds(interval) != _seconds(cloud_interval))
    if read and differs and (interval is not None or cloud_interval):
        out.rotation_notes.append(f"rotation_interval: config {interval}, cloud {cloud_interval}")
    if ignore_rotation:
        out.rotation = [n for n in names if n not in ignored]
