"""HCL literals tfkms writes: strings, and per-instance values that survive count/for_each."""
from __future__ import annotations

import json
import re
from typing import Any

# What HCL's quoted-string scanner must not see raw: every C0/C1 control character, DEL, and the
# Unicode line/paragraph separators and BOM. HCL knows only \n \r \t \" \\ \uNNNN \UNNNNNNNN
# (no \b, no \f: JSON's escapes are not all HCL's).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\\\\\"]")
_SHORT = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# A template introducer, `${` or `%{`: doubling its first character makes it a literal (`$${`),
# as hclwrite does; a `$` not followed by `{` stays as it is.
_INTRODUCER = re.compile(r"([$%])(?=\{)")
_UNDOUBLE = re.compile(r"([$%])\1(?=\{)")


class PlainJSON(str):
    """A string a .tf.json writer must not template-escape: Terraform reads it as data (a variable
    default, a .tfvars.json entry), so `$${` there would stay `$${`."""


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    return _SHORT.get(char) or f"\\u{ord(char):04x}"


def template_escape(text: str) -> str:
    """`${` -> `$${` and `%{` -> `%%{`: a string Terraform reads as a template stays literal."""
    return _INTRODUCER.sub(r"\1\1", text)


def hcl_string(value: Any) -> str:
    """The one writer of HCL literals tfkms emits: a quoted string whose value, as Terraform reads
    it, is exactly `value` (no interpolation, no directive, no raw control character), or null.
    Numbers and booleans are written as themselves."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if not isinstance(value, str):
        raise TypeError(f"tfkms writes strings, numbers, booleans or null, not {type(value).__name__}")
    return '"' + template_escape(_UNSAFE.sub(_escape, value)) + '"'


def literal_value(text: str) -> Any:
    """The value of a literal `hcl_string` wrote (its inverse), for writers that need the value
    itself (.tf.json). ValueError for anything else: a lookup, an expression, a raw newline."""
    text = text.strip()
    keywords = {"null": None, "true": True, "false": False}
    if text in keywords:
        return keywords[text]
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return json.loads(text)
    try:
        value = json.loads(_UNDOUBLE.sub(r"\1", text)) if text.startswith('"') else None
    except ValueError:
        value = None
    if not isinstance(value, str) or hcl_string(value) != text:  # only what the writer itself writes
        raise ValueError(f"not a literal tfkms writes: {text[:60]!r}")
    return value


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
    keys = {k: hcl_string(str(k)) for k in entries}  # a key is a template too: `"${x}"` would interpolate
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
