"""The syntax tree tfkms works on: blocks and attributes with exact source spans.

Offsets are character offsets into `SourceFile.text`, which is the file's bytes decoded
losslessly (UTF-8, newlines untranslated), so a splice at these offsets re-encodes to a
byte-exact splice.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Expr:
    """An attribute's value: the parser's node plus its raw text."""

    syntax: str  # "hcl" (node is a lark Tree) | "json" (node is a JsonNode)
    node: Any
    start: int
    end: int
    line: int
    end_line: int
    text: str
    heredoc: bool = False
    redacted: bool = False  # a sensitive argument: value dropped at parse time, spans kept
    detached: bool = False  # node dropped to keep the file cheap to ship and cache; re-parsed on use
    # Text -> node, given by the parser that made this expression (a module function, so it
    # pickles by name): the model re-parses a detached expression without knowing any parser.
    reparse: Callable[[str], Any] | None = field(default=None, repr=False, compare=False)

    def tree(self) -> Any:
        """The parser node. A detached expression is parsed again from its text on first use
        (its node's positions are then relative to the text, so only its shape is used)."""
        if self.node is None and self.detached and not self.redacted and self.reparse is not None:
            self.node, self.detached = self.reparse(self.text), False
        return self.node


@dataclass
class Attribute:
    name: str
    start: int  # first character of the name
    end: int  # just after the value (no trailing comment or newline)
    line: int
    end_line: int
    expr: Expr


@dataclass
class Block:
    type: str
    labels: list[str]
    start: int  # first character of the type keyword
    end: int  # just after the closing brace
    line: int
    end_line: int
    open_brace: int  # offset of "{"
    close_brace: int  # offset of "}"
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    syntax: str = "hcl"
    json_node: Any = None  # the body's JsonNode, for .tf.json blocks

    def child_blocks(self, block_type: str) -> list[Block]:
        return [b for b in self.blocks if b.type == block_type]


def with_nested(blocks: Iterable[Block]) -> Iterator[Block]:
    """Each block and every block nested in it, at any depth (in no particular order)."""
    stack = list(blocks)
    while stack:
        block = stack.pop()
        stack.extend(block.blocks)
        yield block


ShallowHeader = tuple[str, tuple[str, ...], int]


@dataclass
class SourceFile:
    path: Path
    display: str  # relative to the scanned PATH, forward slashes
    text: str
    syntax: str  # "hcl" | "json"
    blocks: list[Block] = field(default_factory=list)
    attributes: dict[str, Attribute] = field(default_factory=dict)  # top level (tfvars)
    comments: list[tuple[int, str]] = field(default_factory=list)  # (line, text) for suppressions
    # (type, labels, line) of the top-level blocks read for their header only: resources, data
    # sources and outputs tfkms never evaluates (config.block_scope); not in `blocks`
    shallow: list[ShallowHeader] = field(default_factory=list)
    sensitive_refs: set[str] = field(default_factory=set)  # "local.x"/"var.y" read by sensitive arguments
    mtime_ns: int = 0
    size: int = 0

    @property
    def newline(self) -> str:
        return "\r\n" if "\r\n" in self.text else "\n"

    def line_of(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1
