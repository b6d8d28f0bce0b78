"""Per-instance facts: what config says, what the cloud says, and which wins."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tfkms.config.instances import ResourceInstance
from tfkms.config.syntax import SourceFile
from tfkms.config.values import Unknown
from tfkms.knowledge.matrix import DEFAULT_KEY_SPEC, DEFAULT_PROTECTION_LEVEL
from tfkms.truth.model import CloudKey

UNKNOWN_FACT = "unknown"


@dataclass
class Fact:
    value: str  # UNKNOWN_FACT when not knowable
    source: str  # "config" | "default" | "cloud"
    line: int | None  # config line that sets it, when from config

    @property
    def known(self) -> bool:
        return self.value != UNKNOWN_FACT


def _config_fact(inst: ResourceInstance, names: list[str]) -> tuple[Any, int | None]:
    for name in names:
        attr = inst.resource.attr(name)
        if attr is not None:
            return inst.value(name), attr.line
    return None, None


def _fact(cloud_value: str | None, config_value: Any, line: int | None, default: str | None) -> Fact:
    if cloud_value:
        return Fact(cloud_value, "cloud", line)
    if isinstance(config_value, Unknown):
        return Fact(UNKNOWN_FACT, "config", line)
    if isinstance(config_value, str) and config_value:
        return Fact(config_value, "config", line)
    if default is None:
        return Fact(UNKNOWN_FACT, "default", None)
    return Fact(default, "default", None)


def key_state_fact(inst: ResourceInstance, cloud: CloudKey | None) -> Fact:
    value, line = _config_fact(inst, ["status", "key_state"])
    if value is None:
        enabled, line = _config_fact(inst, ["is_enabled"])
        if isinstance(enabled, bool):
            value = "Enabled" if enabled else "Disabled"
        elif isinstance(enabled, Unknown):
            value = enabled
    return _fact(cloud.key_state if cloud else None, value, line, "Enabled")


def key_fact(inst: ResourceInstance, cloud: CloudKey | None, name: str) -> Fact:
    defaults = {"key_spec": DEFAULT_KEY_SPEC, "protection_level": DEFAULT_PROTECTION_LEVEL,
                "origin": "Aliyun_KMS", "automatic_rotation": "Disabled"}
    value, line = _config_fact(inst, [name])
    return _fact(getattr(cloud, name) if cloud else None, value, line, defaults.get(name))


def secret_rotation_fact(inst: ResourceInstance, cloud_rotation: str | None) -> Fact:
    value, line = _config_fact(inst, ["enable_automatic_rotation"])
    if cloud_rotation:
        return Fact(cloud_rotation, "cloud", line)
    if isinstance(value, Unknown):
        return Fact(UNKNOWN_FACT, "config", line)
    return Fact("Enabled" if value is True else "Disabled", "config" if value is not None else "default", line)


def suppression(source: SourceFile, first_line: int, last_line: int, rule: str) -> str | None:
    """`# tfkms:ignore TFKMS102[,TFKMS103] reason` inside the block or on the line above it."""
    for line, text in source.comments:
        if not (first_line - 1 <= line <= last_line):
            continue
        body = text.lstrip("#/* ").split("tfkms:ignore", 1)[1].strip().rstrip("*/").strip()
        ids, _, reason = body.partition(" ")
        if rule in {i.strip() for i in ids.split(",")}:
            return reason.strip() or "suppressed inline"
    return None

