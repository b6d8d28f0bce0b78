"""A small JSON parser that keeps positions, for `.tf.json` files.

The stdlib decoder gives no positions, and tfkms must splice edits into the user's
`.tf.json` keeping its layout, so it needs the span of every object and member.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tfkms.config.syntax import Attribute, Block, Expr

_WS = " \t\r\n"
# Members of a Terraform JSON resource that are nested blocks, not arguments.
_NESTED_BLOCKS = {"lifecycle", "provisioner", "connection", "dynamic", "timeouts", "required_providers"}


class JsonSyntaxError(Exception):
    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message


@dataclass
class JsonNode:
    kind: str  # object | array | string | number | true | false | null
    start: int
    end: int
    value: Any = None  # python value for scalars
    members: list[tuple[str, int, JsonNode]] = field(default_factory=list)  # object: (key, key_start, node)
    items: list[JsonNode] = field(default_factory=list)  # array


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0

    def error(self, message: str, pos: int | None = None) -> JsonSyntaxError:
        at = self.pos if pos is None else pos
        line = self.text.count("\n", 0, at) + 1
        column = at - (self.text.rfind("\n", 0, at) + 1) + 1
        return JsonSyntaxError(line, column, message)

    def skip_ws(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos] in _WS:
            pos += 1
        self.pos = pos

    def parse(self) -> JsonNode:
        self.skip_ws()
        node = self.value()
        self.skip_ws()
        if self.pos != len(self.text):
            raise self.error("unexpected content after the JSON value")
        return node

    def value(self) -> JsonNode:
        self.skip_ws()
        if self.pos >= len(self.text):
            raise self.error("unexpected end of file")
        c = self.text[self.pos]
        if c == "{":
            return self.obj()
        if c == "[":
            return self.arr()
        if c == '"':
            start = self.pos
            return JsonNode("string", start, self.string_end(), value=self.string_value(start))
        for word, val in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, self.pos):
                start = self.pos
                self.pos += len(word)
                return JsonNode(word, start, self.pos, value=val)
        return self.number()

    def enter(self) -> None:
        self.depth += 1
        if self.depth > 500:
            raise self.error("nesting too deep")

    # obj and arr recurse through value() directly, one frame each per nesting level, so the
    # depth limit in enter() is met before Python's recursion limit.
    def obj(self) -> JsonNode:
        node, more = self.open("object", "}")
        while more:
            self.skip_ws()
            if not self.text.startswith('"', self.pos):
                raise self.error("expected a quoted property name")
            key_start = self.pos
            self.string_end()
            key = self.string_value(key_start)
            self.skip_ws()
            if not self.text.startswith(":", self.pos):
                raise self.error("expected ':'")
            self.pos += 1
            node.members.append((key, key_start, self.value()))
            more = self.after_element("}")
        return self.close(node)

    def arr(self) -> JsonNode:
        node, more = self.open("array", "]")
        while more:
            node.items.append(self.value())
            more = self.after_element("]")
        return self.close(node)

    def open(self, kind: str, close: str) -> tuple[JsonNode, bool]:
        """Step over an object's or array's opening bracket; True when an element follows."""
        self.enter()
        node = JsonNode(kind, self.pos, -1)
        self.pos += 1
        self.skip_ws()
        return node, not self.text.startswith(close, self.pos)

    def after_element(self, close: str) -> bool:
        """True after a comma (another element follows), False at the closing bracket."""
        self.skip_ws()
        if self.text.startswith(",", self.pos):
            self.pos += 1
            return True
        if self.text.startswith(close, self.pos):
            return False
        raise self.error(f"expected ',' or '{close}'")

    def close(self, node: JsonNode) -> JsonNode:
        self.pos += 1
        node.end = self.pos
        self.depth -= 1
        return node

    def string_end(self) -> int:
        text, pos = self.text, self.pos + 1
        while pos < len(text):
            c = text[pos]
            if c == "\\":
                pos += 2
                continue
            if c == '"':
                self.pos = pos + 1
                return self.pos
            if c == "\n":
                break
            pos += 1
        raise self.error("unterminated string")

    def string_value(self, start: int) -> str:
        try:
            return json.loads(self.text[start:self.pos])
        except json.JSONDecodeError as exc:
            raise self.error(f"bad string: {exc.msg}", start) from None

    def number(self) -> JsonNode:
        start = self.pos
        text = self.text
        while self.pos < len(text) and text[self.pos] in "+-0123456789.eE":
            self.pos += 1
        raw = text[start:self.pos]
        try:
            value = json.loads(raw)
        except (json.JSONDecodeError, ValueError):
            raise self.error("unexpected content (expected a value)", start) from None
        return JsonNode("number", start, self.pos, value=value)


def parse_json(text: str) -> JsonNode:
    parser = _Parser(text)
    if text.startswith("\ufeff"):
        parser.pos = 1
    return parser.parse()


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _expr(text: str, node: JsonNode) -> Expr:
    return Expr(syntax="json", node=node, start=node.start, end=node.end, line=_line(text, node.start),
                end_line=_line(text, node.end), text=text[node.start:node.end])


def _attribute(text: str, key: str, key_start: int, value: JsonNode) -> Attribute:
    return Attribute(name=key, start=key_start, end=value.end, line=_line(text, key_start),
                     end_line=_line(text, value.end), expr=_expr(text, value))


def _block(text: str, block_type: str, labels: list[str], key_start: int, body: JsonNode) -> Block:
    attributes: dict[str, Attribute] = {}
    blocks: list[Block] = []
    if body.kind == "object":
        for key, kstart, value in body.members:
            if key in _NESTED_BLOCKS and value.kind in ("object", "array"):
                bodies = value.items if value.kind == "array" else [value]
                for sub in bodies:
                    if sub.kind == "object":
                        blocks.append(_block(text, key, [], kstart, sub))
                continue
            attributes[key] = _attribute(text, key, kstart, value)
    return Block(type=block_type, labels=labels, start=key_start, end=body.end, line=_line(text, key_start),
                 end_line=_line(text, body.end), open_brace=body.start, close_brace=body.end - 1,
                 attributes=attributes, blocks=blocks, syntax="json", json_node=body)


def _bodies(node: JsonNode) -> list[JsonNode]:
    return [i for i in node.items if i.kind == "object"] if node.kind == "array" else [node]


# Top-level block types and how many labels each takes. In HCL's JSON syntax every level (the
# block type's value, each label's value, the body) may be one object or an array of objects:
# `{"resource": [{"alicloud_kms_key": [{"k": [{...}]}]}]}` is the same block as the plain form.
_LABELS = {"resource": 2, "data": 2, "variable": 1, "module": 1, "provider": 1, "output": 1,
           "locals": 0, "terraform": 0}


def _labelled(value: JsonNode, wanted: int, labels: list[str], key_start: int,
              ) -> list[tuple[list[str], int, JsonNode]]:
    """(labels, start, body) of every block under `value`, which still needs `wanted` labels.
    A body that is an array element starts at its own brace (so two bodies never share a start)."""
    out: list[tuple[list[str], int, JsonNode]] = []
    in_array = value.kind == "array"
    for obj in _bodies(value):
        if wanted == 0:
            if obj.kind == "object":
                out.append((labels, obj.start if in_array else key_start, obj))
            continue
        if obj.kind != "object":
            continue
        for key, kstart, inner in obj.members:
            out += _labelled(inner, wanted - 1, [*labels, key], kstart)
    return out


def json_to_blocks(text: str, root: JsonNode) -> tuple[dict[str, Attribute], list[Block]]:
    """Map Terraform's JSON configuration syntax onto blocks (two-label, one-label, no-label)."""
    blocks: list[Block] = []
    attributes: dict[str, Attribute] = {}
    if root.kind != "object":
        raise JsonSyntaxError(1, 1, "a Terraform JSON file must hold an object")
    for key, kstart, value in root.members:
        if key in _LABELS:
            for labels, start, body in _labelled(value, _LABELS[key], [], kstart):
                blocks.append(_block(text, key, labels, start, body))
        else:
            attributes[key] = _attribute(text, key, kstart, value)
    return attributes, blocks
