"""HCL literals tfkms writes: strings, and per-instance values that survive count/for_each."""
from __future__ import annotations

import json
from typing import Any


def hcl_string(value: Any) -> str:
    """A string literal (JSON string syntax is HCL string syntax), or null."""
    return "null" if value is None else json.dumps(value, ensure_ascii=False)


def by_count_index(values: dict[int, Any]) -> str:
    """`lookup({ "0" = "kst-a", "1" = null }, count.index, null)`: one entry per index up to the
    highest, null where unknown. A lookup, not `[...][count.index]`: an index the map lacks (the
    team raised `count`) gives null instead of Terraform's "Invalid index"."""
    return _lookup({str(i): values.get(i) for i in range(max(values) + 1)}, "count.index")


def by_each_key(values: dict[str, Any]) -> str:
    """`lookup({ "a" = "kst-a", "b" = null }, each.key, null)`, one aligned line per key for
    several keys (null = not migrated). A lookup, not `{...}[each.key]`: a key the map lacks (a
    tenant added later) gives null instead of Terraform's "Invalid index"."""
    return _lookup({k: values[k] for k in sorted(values)}, "each.key")


def by_workspace(values: dict[str, Any], fallback: str = "null") -> str:
    """`lookup({ "dev" = null, "prod" = "kst-a" }, terraform.workspace, FALLBACK)`: one config, a
    value per workspace; a workspace the map lacks gets FALLBACK (HCL text: what config said)."""
    return _lookup({k: values[k] for k in sorted(values)}, "terraform.workspace", fallback)


def _lookup(entries: dict[str, Any], key: str, fallback: str = "null") -> str:
    """`lookup(MAP, KEY, null)` over entries in their order; MAP on one line for one entry, else
    one line per entry with the `=` aligned (as `terraform fmt` lays it out)."""
    keys = {k: json.dumps(k, ensure_ascii=False) for k in entries}
    if len(entries) == 1:
        (k, v), = entries.items()
        return f"lookup({{ {keys[k]} = {hcl_string(v)} }}, {key}, {fallback})"
    width = max(len(q) for q in keys.values())
    lines = [f"{keys[k].ljust(width)} = {hcl_string(v)}" for k, v in entries.items()]
    return "lookup({\n" + "\n".join(lines) + f"\n}}, {key}, {fallback})"


def indent_multiline(value: str, indent: str, nl: str) -> str:
    """Lay a multi-line value out under an attribute: inner lines one level in, the last at `indent`."""
    lines = value.split("\n")
    if len(lines) == 1:
        return value
    unit = "\t" if indent.startswith("\t") else "  "
    return lines[0] + "".join(nl + indent + (unit if 0 < i < len(lines) - 1 else "") + line
                              for i, line in enumerate(lines[1:], start=1))
