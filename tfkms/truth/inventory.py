"""Inventory snapshots: the JSON file `tfkms inventory` writes and `--inventory` reads.

Format (version 1, JSON Schema in `tfkms/schemas/inventory.schema.json`):

    {"version": 1, "generated_at": "...", "source": "live",
     "regions": {"cn-hangzhou": {"keys": [...], "secrets": [...], "instances": [...]}}}

Objects carry the non-secret attributes of the truth model; absent means unknown (None).
The region is implied by the enclosing map, so items do not repeat it. The loader is
strict: an unknown field is an error, because a misspelt `dkms_instance_id` would make a
migrated key look unmigrated and lead to exactly the replacement tfkms exists to prevent.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
from dataclasses import fields
from pathlib import Path
from typing import Any

from tfkms.errors import InputFileError, InputProblem
from tfkms.jsonio import JsonError, decode_json
from tfkms.truth.model import (
    CloudInstance,
    CloudKey,
    CloudSecret,
    Inventory,
    RegionInventory,
)

FORMAT_VERSION = 1

# collection name in the file -> (model class, identifying field)
_COLLECTIONS: dict[str, tuple[type, str]] = {
    "keys": (CloudKey, "key_id"),
    "secrets": (CloudSecret, "secret_name"),
    "instances": (CloudInstance, "instance_id"),
}
_TOP_LEVEL = {"version", "generated_at", "source", "regions"}


def _field_kinds(model: type) -> dict[str, str]:
    """Field name -> "str" | "int" | "str-list", from the dataclass annotations."""
    kinds: dict[str, str] = {}
    for f in fields(model):
        if f.name == "region":
            continue  # implied by the enclosing region map
        annotation = str(f.type).replace(" ", "")
        if annotation.startswith("int"):
            kinds[f.name] = "int"
        elif annotation.startswith("tuple[str"):
            kinds[f.name] = "str-list"
        elif annotation.startswith("bool"):
            kinds[f.name] = "bool"
        else:
            kinds[f.name] = "str"
    return kinds


FIELD_KINDS: dict[str, dict[str, str]] = {name: _field_kinds(cls) for name, (cls, _) in _COLLECTIONS.items()}
# closed vocabularies (the schema's "enum"); other strings are kept as the API reported them
_ENUMS: dict[tuple[str, str], frozenset[str]] = {("instances", "instance_type"): frozenset({"software", "hardware"})}


class _Invalid(Exception):
    """A validation failure at a JSON path (list of keys and indexes)."""

    def __init__(self, path: list[str | int], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


# ---------------------------------------------------------------- reading


def load_inventory(path: Path) -> Inventory:
    """Read and validate a snapshot; errors name the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(InputProblem(str(path), None, None, f"cannot read inventory: {exc}")) from None
    try:
        tree = decode_json(text)
    except JsonError as exc:
        raise InputFileError(InputProblem(str(path), exc.line, exc.column, exc.message)) from None
    try:
        return inventory_from_dict(tree, source=str(path))
    except _Invalid as exc:
        line, col = _locate(text, exc.path)
        where = _render_path(exc.path)
        message = f"{where}: {exc.message}" if where else exc.message
        raise InputFileError(InputProblem(str(path), line, col, message)) from None


def inventory_from_dict(tree: Any, source: str | None = None) -> Inventory:
    """Build an Inventory from a parsed snapshot; raises _Invalid with the failing path."""
    if not isinstance(tree, dict):
        raise _Invalid([], "an inventory snapshot is a JSON object")
    version = tree.get("version")
    if "version" not in tree:
        raise _Invalid([], 'missing "version" (expected 1); is this a tfkms inventory snapshot?')
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise _Invalid(
            ["version"], f"unsupported snapshot version {version!r}; this tfkms reads version {FORMAT_VERSION}"
        )
    _reject_unknown(tree, _TOP_LEVEL, [])
    for name in ("generated_at", "source"):
        if tree.get(name) is not None and not isinstance(tree[name], str):
            raise _Invalid([name], "must be a string")
    regions = tree.get("regions")
    if not isinstance(regions, dict):
        raise _Invalid(
            ["regions"] if "regions" in tree else [], 'missing "regions" object (region name -> keys/secrets/instances)'
        )
    inventory = Inventory(generated_at=tree.get("generated_at"), source=tree.get("source") or source)
    for region_name, body in regions.items():
        inventory.regions[region_name] = _region_from_dict(region_name, body, ["regions", region_name])
    return inventory


def _region_from_dict(region: str, body: Any, path: list[str | int]) -> RegionInventory:
    if not isinstance(body, dict):
        raise _Invalid(path, 'a region is an object with "keys", "secrets" and "instances" lists')
    _reject_unknown(body, set(_COLLECTIONS), path)
    # No "instances" list: the snapshot does not say which instances the region has (not: none).
    result = RegionInventory(instances_known="instances" in body)
    for collection, (model, id_field) in _COLLECTIONS.items():
        items = body.get(collection, [])
        if not isinstance(items, list):
            raise _Invalid(path + [collection], "must be a list")
        seen: set[str] = set()
        for index, item in enumerate(items):
            obj = _item_from_dict(collection, model, id_field, region, item, path + [collection, index])
            ident = getattr(obj, id_field)
            if ident in seen:
                raise _Invalid(path + [collection, index, id_field], f"duplicate {id_field} {ident!r} in {region}")
            seen.add(ident)
            getattr(result, collection).append(obj)
    return result


def _item_from_dict(collection: str, model: type, id_field: str, region: str, item: Any, path: list[str | int]) -> Any:
    if not isinstance(item, dict):
        raise _Invalid(path, "must be an object")
    kinds = FIELD_KINDS[collection]
    _reject_unknown(item, set(kinds), path)
    if not isinstance(item.get(id_field), str) or not item[id_field]:
        raise _Invalid(
            path if id_field not in item else path + [id_field], f'missing "{id_field}" (a non-empty string)'
        )
    values: dict[str, Any] = {"region": region}
    for name, value in item.items():
        values[name] = _checked_value(kinds[name], value, path + [name])
        allowed = _ENUMS.get((collection, name))
        if allowed is not None and value is not None and value not in allowed:
            raise _Invalid(path + [name], f"must be one of {', '.join(sorted(allowed))}, got {value!r}")
    return model(**values)


def _checked_value(kind: str, value: Any, path: list[str | int]) -> Any:
    if value is None:
        return () if kind == "str-list" else None
    if kind == "str" and isinstance(value, str):
        return value
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if kind == "bool" and isinstance(value, bool):
        return value
    if kind == "str-list" and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    expected = {
        "str": "a string",
        "int": "a non-negative integer",
        "bool": "true or false",
        "str-list": "a list of strings",
    }[kind]
    raise _Invalid(path, f"must be {expected}, got {json.dumps(value)[:40]}")


def _reject_unknown(obj: dict, allowed: set[str], path: list[str | int]) -> None:
    for name in obj:
        if name not in allowed:
            hint = ", ".join(sorted(allowed))
            raise _Invalid(path + [name], f'unknown field "{name}" (allowed: {hint})')


def _render_path(path: list[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _locate(text: str, path: list[str | int]) -> tuple[int | None, int | None]:
    """Line and column of the value at `path` (or of its nearest located ancestor).

    Only called on the error path: it re-parses with the pure-Python scanner, which
    lets us record where each object starts.
    """
    starts: dict[int, int] = {}
    decoder = json.JSONDecoder()

    def parse_object(s_and_end: tuple[str, int], *args: Any) -> tuple[Any, int]:
        obj, end = json.decoder.JSONObject(s_and_end, *args)  # type: ignore[attr-defined]
        starts[id(obj)] = s_and_end[1] - 1
        return obj, end

    decoder.parse_object = parse_object  # type: ignore[attr-defined]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    try:
        node: Any = decoder.decode(text)
    except ValueError:
        return None, None
    offset = starts.get(id(node), 0)
    for part in path:
        if isinstance(node, dict) and part in node:
            child = node[part]
            if id(child) in starts:
                offset = starts[id(child)]
            else:  # a scalar or list: point at its key inside the parent object
                found = text.find(json.dumps(part), offset)
                offset = found if found >= 0 else offset
            node = child
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            offset = starts.get(id(node), offset)
        else:
            break
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


# ---------------------------------------------------------------- writing


def inventory_to_dict(inv: Inventory) -> dict[str, Any]:
    """The snapshot as plain JSON data: items sorted by id, None fields left out."""
    regions: dict[str, Any] = {}
    for region_name in sorted(inv.regions):
        region = inv.regions[region_name]
        body: dict[str, Any] = {}
        for collection, (_, id_field) in _COLLECTIONS.items():
            if collection == "instances" and not region.instances_known and not region.instances:
                continue  # unknown stays unknown: an empty list would say "none"
            items = sorted(getattr(region, collection), key=lambda obj: getattr(obj, id_field))
            body[collection] = [_item_to_dict(collection, obj) for obj in items]
        regions[region_name] = body
    out: dict[str, Any] = {"version": FORMAT_VERSION}
    if inv.generated_at is not None:
        out["generated_at"] = inv.generated_at
    if inv.source is not None:
        out["source"] = inv.source
    out["regions"] = regions
    return out


def _item_to_dict(collection: str, obj: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, kind in FIELD_KINDS[collection].items():
        value = getattr(obj, name)
        if kind == "str-list":
            data[name] = sorted(value)
        elif value is not None:
            data[name] = value
    return data


def dumps_inventory(inv: Inventory) -> str:
    """Stable text: sorted keys, indent 2, trailing newline (diffs stay small)."""
    return json.dumps(inventory_to_dict(inv), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_inventory_atomic(inv: Inventory, path: Path) -> None:
    """Temp file in the same folder, fsync, rename over `path` (raises TfkmsError)."""
    from tfkms.atomic import write_bytes_atomic

    write_bytes_atomic(Path(path), dumps_inventory(inv).encode("utf-8"))
