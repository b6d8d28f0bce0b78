"""Blocks read without Lark: a `variable` or `provider` whose body is simple (issue 18).

Most `variable` and `provider` blocks hold one value per line (`type = string`, `default =
"prod"`, `region = var.region`), and in a generated monorepo they are most of what Lark reads.
Such a body is read here, one regular expression per line, into the Block Lark's tree gives, every
value detached (`Expr.detached`: its tree is built from its text on first use, without the grammar
for the commonest forms: `simple_values.simple_tree`). Exact by construction: a line is taken only
when its value has one of the forms in `simple_values`, always valid HCL. Anything else (a comment,
a heredoc, a multi-line value, a nested block tfkms reads, a duplicate name, a one-line block)
sends the whole block to Lark, which reads or reports it as before.
"""
from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from typing import Any

from tfkms.config.hcl_structure import TopBlock
from tfkms.config.simple_values import VALUE
from tfkms.config.syntax import Attribute, Block, Expr

SIMPLE_TYPES = ("variable", "provider")

# an argument on one line, ending it
_ARGUMENT = re.compile(rf"([A-Za-z_][A-Za-z0-9_-]*)[ \t]*=[ \t]*({VALUE})[ \t]*(?=\r?\n)")
_BLANK = re.compile(r"[ \t\r\n]*")
_OPENING = re.compile(r"\{[ \t]*\r?\n")


def read_simple_blocks(text: str, blocks: list[TopBlock], shallow: set[int], unread: list[tuple[int, int]],
                       reparse: Callable[[str], Any]) -> dict[int, Block]:
    """The blocks of the file (by index) read here, as Lark would read them; `unread`: the
    nested spans Lark never reads (a variable's `validation`), skipped here too; `reparse`: the
    parser's text-to-tree function, which each detached value carries (`Expr.reparse`)."""
    out: dict[int, Block] = {}
    spans = sorted(unread)
    starts = [start for start, _ in spans]
    for i, top in enumerate(blocks):
        if top.type in SIMPLE_TYPES and i not in shallow:
            inside = spans[bisect.bisect_right(starts, top.open_brace):bisect.bisect_left(starts, top.close_brace)]
            block = simple_block(text, top, inside, reparse)
            if block is not None:
                out[i] = block
    return out


def simple_block(text: str, top: TopBlock, unread: list[tuple[int, int]],
                 reparse: Callable[[str], Any]) -> Block | None:
    """The block as Lark would read it, or None when its body is not simple."""
    if _OPENING.match(text, top.open_brace) is None:
        return None
    attributes: dict[str, Attribute] = {}
    skips = iter(unread)
    next_skip = next(skips, None)
    pos, close, line, counted = top.open_brace + 1, top.close_brace, top.line, top.start
    while True:
        blank_end = _BLANK.match(text, pos, close).end()  # type: ignore[union-attr]
        if next_skip is not None and blank_end == next_skip[0]:
            pos, next_skip = next_skip[1], next(skips, None)
            continue
        if blank_end == close:
            break
        found = _ARGUMENT.match(text, blank_end, close)
        if found is None or found.group(1) in attributes:
            return None  # something this reader does not take (or a duplicate): Lark reads the block
        name, start, value_start, end = found.group(1), found.start(1), found.start(2), found.end(2)
        line += text.count("\n", counted, start)
        counted = start
        expr = Expr(syntax="hcl", node=None, start=value_start, end=end, line=line, end_line=line,
                    text=found.group(2), detached=True, reparse=reparse)
        attributes[name] = Attribute(name=name, start=start, end=end, line=line, end_line=line, expr=expr)
        pos = end
    return Block(type=top.type, labels=list(top.labels), start=top.start, end=top.end, line=top.line,
                 end_line=top.end_line, open_brace=top.open_brace, close_brace=top.close_brace,
                 attributes=attributes)

