"""Edits to `.tf.json` files, in place, keeping the file's own indentation."""
from __future__ import annotations

import json
from typing import Any

from tfkms.config.syntax import Attribute, Block, SourceFile
from tfkms.patch.layout import indent_at, line_end
from tfkms.patch.model import Edit


def _edit(source: SourceFile, start: int, end: int, after: str) -> Edit:
    return Edit(file=source.display, line=source.line_of(start), start=start, end=end,
                before=source.text[start:end], after=after)


def json_value(value: Any) -> str:
    """A JSON value for a .tf.json file. Terraform reads a JSON string in a resource or a module
    call as a template, so every string's `${` / `%{` is doubled (`$${`): the value Terraform sees
    is the string itself. A `PlainJSON` string (a variable default, a .tfvars.json entry: read as
    data, never as a template) is written as it is."""
    from tfkms.patch.literals import PlainJSON, template_escape

    def literal(v: Any) -> Any:
        if isinstance(v, PlainJSON):
            return str(v)
        if isinstance(v, str):
            return template_escape(v)
        if isinstance(v, list):
            return [literal(x) for x in v]
        if isinstance(v, dict):
            return {k: literal(x) for k, x in v.items()}
        return v

    return json.dumps(literal(value), ensure_ascii=False)


def replace_value(source: SourceFile, attr: Attribute, value: Any) -> Edit:
    return _edit(source, attr.expr.start, attr.expr.end, json_value(value))


def _insert_member(source: SourceFile, obj: Any, key: str, value_text: str) -> Edit:
    """Add `"key": value` as the last member of a JSON object node."""
    text, nl = source.text, source.newline
    member = f"{json_value(key)}: {value_text}"
    if not obj.members:
        return _edit(source, obj.start + 1, obj.end - 1, member)
    _, key_start, last = obj.members[-1]
    if "\n" not in text[obj.start:obj.end]:
        return _edit(source, last.end, last.end, f", {member}")
    indent = indent_at(text, key_start)
    return _edit(source, last.end, last.end, f",{nl}{indent}{member}")


def insert_attribute(source: SourceFile, block: Block, name: str, value: Any) -> list[Edit]:
    return [_insert_member(source, block.json_node, name, json_value(value))]


def add_ignore_changes(source: SourceFile, resource: Block, names: list[str]) -> list[Edit]:
    from tfkms.patch.hcl_edits import names_missing_from

    lifecycles = resource.child_blocks("lifecycle")
    if not lifecycles:
        text, nl = source.text, source.newline
        body = resource.json_node
        if body.members and "\n" in text[body.start:body.end]:
            indent = indent_at(text, body.members[-1][1])
            unit = indent[len(indent_at(text, body.start)):] or "  "
            inner = f"{{{nl}{indent}{unit}\"ignore_changes\": {json_value(names)}{nl}{indent}}}"
            return [_insert_member(source, body, "lifecycle", inner)]
        return [_insert_member(source, body, "lifecycle", json_value({"ignore_changes": names}))]
    lifecycle = lifecycles[0]
    attr = lifecycle.attributes.get("ignore_changes")
    if attr is None:
        return [_insert_member(source, lifecycle.json_node, "ignore_changes", json_value(names))]
    missing = names_missing_from(source, attr, names)
    if not missing:
        return []
    array = attr.expr.node
    if not array.items:
        return [replace_value(source, attr, missing)]
    last = array.items[-1]
    text, nl = source.text, source.newline
    if "\n" in text[array.start:array.end]:
        indent = indent_at(text, last.start)
        return [_edit(source, last.end, last.end, "".join(f",{nl}{indent}{json_value(n)}" for n in missing))]
    return [_edit(source, last.end, last.end, "".join(f", {json_value(n)}" for n in missing))]


__all__ = ["add_ignore_changes", "insert_attribute", "json_value", "line_end", "replace_value"]
