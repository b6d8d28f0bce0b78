"""HCL literals tfkms writes: strings, and per-instance values that survive count/for_each."""
from __future__ import annotations

import json
from typing import Any


def hcl_string(value: Any) -> str:
    """A string literal (JSON string syntax is HCL string syntax), or null."""
    return "null" if value is None else json.dumps(value, ensure_ascii=False)


def by_count_index(values: dict[int, Any]) -> str:
    """`["a", null][count.index]`: one entry per index up to the highest, null where unknown."""
    return "[" + ", ".join(hcl_string(values.get(i)) for i in range(max(values) + 1)) + "][count.index]"


def by_each_key(values: dict[str, Any]) -> str:
    """A map keyed by each.key, one aligned line per key (null = not migrated)."""
    width = max(len(json.dumps(k, ensure_ascii=False)) for k in values)
    lines = [f"{json.dumps(k, ensure_ascii=False).ljust(width)} = {hcl_string(values[k])}" for k in sorted(values)]
    return "{\n" + "\n".join(lines) + "\n}[each.key]"


def indent_multiline(value: str, indent: str, nl: str) -> str:
    """Lay a multi-line value out under an attribute: inner lines one level in, the last at `indent`."""
    lines = value.split("\n")
    if len(lines) == 1:
        return value
    unit = "\t" if indent.startswith("\t") else "  "
    return lines[0] + "".join(nl + indent + (unit if 0 < i < len(lines) - 1 else "") + line
                              for i, line in enumerate(lines[1:], start=1))
