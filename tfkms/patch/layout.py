"""Reading the layout of a file: lines, indentation, newline style, alignment columns."""
from __future__ import annotations

from tfkms.config.syntax import Attribute, Block, SourceFile


def line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def line_end(text: str, offset: int) -> int:
    """Offset of the line's terminator ("\\r\\n" or "\\n"), or len(text)."""
    end = text.find("\n", offset)
    if end == -1:
        return len(text)
    return end - 1 if end > 0 and text[end - 1] == "\r" else end


def next_line_start(text: str, offset: int) -> int:
    end = text.find("\n", offset)
    return len(text) if end == -1 else end + 1


def indent_at(text: str, offset: int) -> str:
    start = line_start(text, offset)
    i = start
    while i < len(text) and text[i] in " \t":
        i += 1
    return text[start:i]


def indent_unit(source: SourceFile, block_indent: str) -> str:
    if "\t" in block_indent:
        return "\t"
    for line in source.text.splitlines():
        stripped = line.lstrip(" \t")
        if stripped and line != stripped:
            return "\t" if line[0] == "\t" else "  "
    return "  "


def child_indent(source: SourceFile, block: Block) -> str:
    """Indentation of the block's own children, or the block's plus one unit."""
    text = source.text
    children = sorted([a.start for a in block.attributes.values()] + [b.start for b in block.blocks])
    for start in children:
        if line_start(text, start) > block.open_brace:  # child on its own line
            return indent_at(text, start)
    base = indent_at(text, block.start)
    return base + indent_unit(source, base)


def is_one_line(source: SourceFile, block: Block) -> bool:
    return "\n" not in source.text[block.open_brace:block.close_brace]


def chains_after(attr: Attribute) -> bool:
    """Whether `terraform fmt` keeps an alignment chain going after this attribute: single-line
    values do, and so do heredocs (their body lines do not break the chain)."""
    return attr.line == attr.end_line or attr.expr.heredoc


def equals_column(text: str, attr: Attribute) -> int:
    """Characters between the start of the attribute's line and its "="."""
    eq = text.index("=", attr.start + len(attr.name))
    return eq - line_start(text, attr.start)
