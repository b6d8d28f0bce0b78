"""The one Terraform address grammar: module path, type, name, instance key.

    module.app["eu"].module.kms.alicloud_kms_key.this[0]

Instance keys are an int (`count`), a string (`for_each`, JSON-quoted in addresses) or
`UNKNOWN_KEY` (a count/for_each tfkms cannot expand statically, written `[*]`).
Config, truth and analysis all format and parse addresses here.
"""
from __future__ import annotations

import json
import re
from typing import Any


class _UnknownKey:
    def __repr__(self) -> str:
        return "[*]"


UNKNOWN_KEY: Any = _UnknownKey()

# One instance key in an address: ["quoted \" string"], [12] or [*].
INDEX = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|\d+|\*)\]')
# One `module.NAME` step of a module address, with its optional instance key.
MODULE_STEP = re.compile(r'module\.([A-Za-z_][A-Za-z0-9_-]*)(?:\[(?:"(?:[^"\\]|\\.)*"|[0-9]+)\])?')


def format_key(key: Any) -> str:
    """`[0]`, `["a"]`, `[*]`, or "" for an instance without a key."""
    if key is None:
        return ""
    if key is UNKNOWN_KEY:
        return "[*]"
    if isinstance(key, int):
        return f"[{key}]"
    return "[" + json.dumps(key, ensure_ascii=False) + "]"


def parse_key(index: str) -> Any:
    """The key of one `[...]` step, as format_key writes it."""
    inner = index[1:-1]
    if inner == "*":
        return UNKNOWN_KEY
    return json.loads(inner) if inner.startswith('"') else int(inner)


def without_keys(address: str) -> str:
    """The configuration address: every instance key dropped."""
    return INDEX.sub("", address)


def module_path(module_address: str) -> str:
    """`module.a["x"].module.b` -> `module.a.module.b.` (the prefix of a resource's config address)."""
    return "".join(f"module.{name}." for name in MODULE_STEP.findall(module_address or ""))
