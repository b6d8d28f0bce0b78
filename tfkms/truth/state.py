"""Terraform state (v4, or `terraform show -json`) read through an attribute allowlist.

`secret_data` sits in state in plain text. The JSON decoder hook drops it (and every
attribute not on the allowlist) the moment an object is decoded, so no secret value is
ever held by tfkms beyond the decoder's own buffer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfkms.address import INDEX, format_key
from tfkms.errors import InputFileError, InputProblem
from tfkms.jsonio import JsonError, decode_json
from tfkms.knowledge.forcenew import state_attribute_names
from tfkms.truth.model import CloudKey, CloudResource, CloudSecret

ALLOWED_ATTRIBUTES = frozenset({
    "id", "key_id", "arn", "dkms_instance_id", "protection_level", "key_spec", "key_usage", "origin",
    "status", "key_state", "is_enabled", "automatic_rotation", "rotation_interval", "encryption_key_id",
    "secret_name", "secret_type", "enable_automatic_rotation", "alias_name", "key_version_id",
    "primary_key_version",
}) | (state_attribute_names() - {"private_key_data_file"})  # ForceNew attributes of other protected types
# Structural keys of the two state shapes; everything else is dropped while decoding.
# OpenTofu's state and plan encryption wraps the document in {"meta", "encrypted_data",
# "encryption_version"}: only this key is kept, to say so (the ciphertext is never read).
ENCRYPTION_MARK = "encryption_version"
ENCRYPTED_MESSAGE = ("is encrypted with OpenTofu state encryption; tfkms does not decrypt it: pass the plain "
                     "state (`tofu state pull` or `tofu show -json`, run where the key is configured)")
_STRUCTURE = frozenset({
    "version", "terraform_version", "serial", "lineage", "resources", "module", "mode", "type", "name",
    "provider", "instances", "index_key", "attributes", "format_version", "values", "root_module",
    "child_modules", "address", "index", "provider_name", "schema_version",
    # `terraform show -json` of a saved plan: its prior_state is the refreshed state (the other two mark a plan)
    "prior_state", "planned_values", "resource_changes",
    ENCRYPTION_MARK,
})
INDEX_AT_END = re.compile(INDEX.pattern + r"$")
_PLAN_MARKS = ("prior_state", "planned_values", "resource_changes")
_SECRET_KEYS = frozenset({"secret_data", "plaintext", "password", "private_key_data_file", "sensitive_attributes",
                          "sensitive_values", "private", "outputs"})


@dataclass
class StateInstance:
    address: str
    type: str
    mode: str
    attributes: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        return self.attributes.get(name)


@dataclass
class StateFile:
    path: Path
    display: str
    instances: dict[str, StateInstance] = field(default_factory=dict)

    def kms(self) -> list[StateInstance]:
        return [i for i in self.instances.values() if i.type.startswith("alicloud_kms_")]


def _filtering_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Called for every JSON object as it is decoded: anything not structural or
    # allowlisted (secret_data above all) is discarded before it is ever stored.
    return {key: value for key, value in pairs
            if key not in _SECRET_KEYS and (key in _STRUCTURE or key in ALLOWED_ATTRIBUTES)}


def load_state(path: Path, display: str, raw: bytes | None = None) -> StateFile:
    """Read a state file, or `raw` (the bytes of stdin for `--state -`) when given."""
    if raw is None:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise InputFileError(InputProblem(display, None, None,
                                              f"cannot read state: {exc.strerror or exc}")) from None
    try:
        data = decode_json(raw.decode("utf-8-sig"), _filtering_hook)
    except UnicodeDecodeError:
        raise InputFileError(InputProblem(display, None, None, "state is not UTF-8 JSON")) from None
    except JsonError as exc:
        raise InputFileError(InputProblem(display, exc.line, exc.column, f"state is {exc.message}")) from None
    if not isinstance(data, dict):
        raise InputFileError(InputProblem(display, 1, None, "state must be a JSON object"))
    state = StateFile(path=path, display=display)
    if ENCRYPTION_MARK in data:
        raise InputFileError(InputProblem(display, 1, None, f"state {ENCRYPTED_MESSAGE}"))
    if any(mark in data for mark in _PLAN_MARKS):
        prior = data.get("prior_state")
        if not isinstance(prior, dict):
            raise InputFileError(InputProblem(display, 1, None,
                                              "a `terraform show -json` of a plan without 'prior_state': "
                                              "tfkms reads the refreshed state a plan holds; pass the state "
                                              "itself (terraform state pull, or terraform show -json)"))
        values = prior.get("values")
        _read_show_json({} if values is None else values, state)
    elif "values" in data or ("format_version" in data and "resources" not in data):
        values = data.get("values")
        _read_show_json({} if values is None else values, state)
    elif "resources" in data:
        version = data.get("version")
        if version != 4:
            raise InputFileError(InputProblem(display, 1, None,
                                              f"state format version {version!r} is not supported "
                                              "(tfkms reads version 4, Terraform >= 0.12)"))
        _read_v4(data, state)
    elif "version" in data and data.get("version") != 4:
        raise InputFileError(InputProblem(display, 1, None,
                                          f"state format version {data.get('version')!r} is not supported "
                                          "(tfkms reads version 4, Terraform >= 0.12)"))
    else:
        raise InputFileError(InputProblem(display, 1, None,
                                          "not a Terraform state: expected a tfstate (version 4) or "
                                          "`terraform show -json` output"))
    return state


def _list(value: Any, what: str, state: StateFile) -> list[Any]:
    """Container fields must have the shape Terraform writes; anything else is a clear error."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputFileError(InputProblem(state.display, None, None, f"state {what} must be a list"))
    return value


def _read_v4(data: dict[str, Any], state: StateFile) -> None:
    for res in _list(data.get("resources"), "'resources'", state):
        if not isinstance(res, dict) or not all(isinstance(res.get(k), str) for k in ("type", "name")):
            raise InputFileError(InputProblem(state.display, None, None, "state resource without type/name"))
        mode = res.get("mode", "managed")
        prefix = (res["module"] + ".") if isinstance(res.get("module"), str) and res["module"] else ""
        base = f"{prefix}{'data.' if mode == 'data' else ''}{res['type']}.{res['name']}"
        for inst in _list(res.get("instances"), f"{base} 'instances'", state):
            if not isinstance(inst, dict):
                raise InputFileError(InputProblem(state.display, None, None,
                                                  f"state {base}: an instance is not an object"))
            key = inst.get("index_key")
            if not isinstance(key, (str, int, type(None))) or isinstance(key, bool):
                raise InputFileError(InputProblem(state.display, None, None, f"state {base}: bad index_key"))
            address = base + format_key(key)
            state.instances[address] = StateInstance(address, res["type"], mode,
                                                     _allowed(inst.get("attributes"), state, address, res["type"]))


def _show_address(res: dict[str, Any]) -> str:
    """`terraform show -json` prints an instance key as a template (`db["$${path.cwd}"]` for the
    key `${path.cwd}`): the address is rebuilt from the raw `index`, as the v4 reader builds it."""
    address, index = res["address"], res.get("index")
    if index is None or isinstance(index, bool) or not isinstance(index, (str, int)):
        return address
    match = INDEX_AT_END.search(address)
    return (address[:match.start()] if match else address) + format_key(index)


def _read_show_json(values: Any, state: StateFile) -> None:
    if not isinstance(values, dict):
        raise InputFileError(InputProblem(state.display, None, None,
                                          "`terraform show -json` 'values' must be an object"))
    root = values.get("root_module", values)
    stack = [root]
    while stack:
        mod = stack.pop()
        if not isinstance(mod, dict):
            raise InputFileError(InputProblem(state.display, None, None, "state module must be an object"))
        for res in _list(mod.get("resources"), "module 'resources'", state):
            if isinstance(res, dict) and isinstance(res.get("address"), str) and isinstance(res.get("type"), str):
                address = _show_address(res)
                state.instances[address] = StateInstance(address, res["type"], res.get("mode", "managed"),
                                                         _allowed(res.get("values"), state, address, res["type"]))
        stack.extend(_list(mod.get("child_modules"), "'child_modules'", state))


# Attributes the provider stores as strings and tfkms decides on: another type is a malformed state,
# never "not migrated" (a number where dkms_instance_id belongs must not read as "no instance id").
_STRING_ATTRIBUTES = frozenset({
    "id", "key_id", "arn", "dkms_instance_id", "protection_level", "key_spec", "key_usage", "origin", "status",
    "key_state", "automatic_rotation", "rotation_interval", "encryption_key_id", "secret_name", "secret_type",
    "alias_name", "key_version_id", "primary_key_version",
})


def _allowed(attrs: Any, state: StateFile, address: str, kind: str) -> dict[str, Any]:
    if not isinstance(attrs, dict):
        return {}
    strict = kind.startswith("alicloud_kms_") or kind == "alicloud_oos_secret_parameter"  # types tfkms decides on
    for name in (_STRING_ATTRIBUTES & attrs.keys()) if strict else ():
        value = attrs[name]
        if value is not None and not isinstance(value, str):
            raise InputFileError(InputProblem(state.display, None, None,
                                              f"state {address}: {name} must be a string, not "
                                              f"{type(value).__name__} (a malformed state)"))
    return {k: v for k, v in attrs.items() if k in ALLOWED_ATTRIBUTES and isinstance(v, (str, bool, int, type(None)))}


# ----------------------------------------------------------------- facts a state holds

def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value != "" else None


def key_from_state(inst: StateInstance) -> CloudKey:
    state = _text(inst.get("status")) or _text(inst.get("key_state"))
    if state is None and isinstance(inst.get("is_enabled"), bool):
        state = "Enabled" if inst.get("is_enabled") else "Disabled"
    return CloudKey(
        key_id=_text(inst.get("id")) or _text(inst.get("key_id")) or inst.address,
        arn=_text(inst.get("arn")), key_spec=_text(inst.get("key_spec")), key_usage=_text(inst.get("key_usage")),
        key_state=state, protection_level=_text(inst.get("protection_level")), origin=_text(inst.get("origin")),
        automatic_rotation=_text(inst.get("automatic_rotation")),
        rotation_interval=_text(inst.get("rotation_interval")),
        dkms_instance_id=_text(inst.get("dkms_instance_id")),
        primary_key_version=_text(inst.get("primary_key_version")),
    )


def resource_from_state(inst: StateInstance) -> CloudResource:
    """Any other resource type: the allowlisted attributes the state holds (never a secret)."""
    return CloudResource(type=inst.type, address=inst.address, attributes=dict(inst.attributes))


def secret_from_state(inst: StateInstance) -> CloudSecret:
    rotation = inst.get("enable_automatic_rotation")
    return CloudSecret(
        secret_name=_text(inst.get("secret_name")) or _text(inst.get("id")) or inst.address,
        arn=_text(inst.get("arn")), secret_type=_text(inst.get("secret_type")),
        encryption_key_id=_text(inst.get("encryption_key_id")),
        dkms_instance_id=_text(inst.get("dkms_instance_id")),
        automatic_rotation=("Enabled" if rotation else "Disabled") if isinstance(rotation, bool) else None,
        rotation_interval=_text(inst.get("rotation_interval")),
    )
