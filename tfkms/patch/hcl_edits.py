"""Edits to native-syntax files, as text splices that look hand-made and stay `fmt`-clean.

New lines take the block's indentation (spaces or tabs) and the file's newline style, and
join the attribute group above them with `=` aligned the way `terraform fmt` aligns it.
When the new name is longer than the group's alignment allows, the line starts a group of
its own (after a blank line) instead of realigning lines the user wrote.
"""
from __future__ import annotations

from typing import Any

from tfkms.config.syntax import Attribute, Block, SourceFile
from tfkms.patch.layout import (
    chains_after,
    child_indent,
    equals_column,
    indent_at,
    is_one_line,
    line_end,
    line_start,
    next_line_start,
)
from tfkms.patch.model import Edit


class CannotEdit(Exception):
    """The construct is not something tfkms rewrites safely (the message says why)."""


def _edit(source: SourceFile, start: int, end: int, after: str) -> Edit:
    return Edit(file=source.display, line=source.line_of(start), start=start, end=end,
                before=source.text[start:end], after=after)


def replace_value(source: SourceFile, attr: Attribute, value_text: str) -> Edit:
    return _edit(source, attr.expr.start, attr.expr.end, value_text)


def _anchor(block: Block) -> Attribute | None:
    """The attribute new arguments go after: the last one before the first nested block."""
    attrs = sorted(block.attributes.values(), key=lambda a: a.start)
    if not attrs:
        return None
    first_block = min((b.start for b in block.blocks), default=None)
    before = [a for a in attrs if first_block is None or a.start < first_block]
    return (before or attrs)[-1]


def insert_attribute(source: SourceFile, block: Block, name: str, value_text: str) -> list[Edit]:
    text, nl = source.text, source.newline
    if is_one_line(source, block):
        return [_expand_one_line_block(source, block, [f"{name} = {value_text}"])]
    indent = child_indent(source, block)
    anchor = _anchor(block)
    if anchor is None:
        at = next_line_start(text, block.open_brace)
        return [_edit(source, at, at, f"{indent}{name} = {value_text}{nl}")]
    at = next_line_start(text, anchor.end)
    separator, spaces = "", " "
    # A value that opens a bracket on this line is never aligned by `terraform fmt`.
    chain = [] if "\n" in value_text and not value_text.startswith("<<") else _alignment_chain(source, block, anchor)
    columns = {equals_column(text, a) - len(indent_at(text, a.start)) for a in chain}
    if chain and len(columns) == 1:  # an aligned group (what `terraform fmt` leaves)
        width = columns.pop()
        if len(name) < width:
            spaces = " " * (width - len(name))
        else:
            separator = nl  # longer than the group: a group of its own, nothing realigned
    return [_edit(source, at, at, f"{separator}{indent}{name}{spaces}= {value_text}{nl}")]


def _alignment_chain(source: SourceFile, block: Block, anchor: Attribute) -> list[Attribute]:
    """The attributes `terraform fmt` aligns together with the anchor: consecutive lines, each a
    single-line value or a heredoc. Empty when the anchor cannot start or continue a chain."""
    text = source.text
    if not chains_after(anchor) or line_start(text, anchor.start) == line_start(text, block.open_brace):
        return []
    ordered = sorted(block.attributes.values(), key=lambda a: a.start)
    chain = [anchor]
    for attr in reversed(ordered[:ordered.index(anchor)]):
        if not chains_after(attr) or attr.end_line + 1 != chain[-1].line:
            break
        chain.append(attr)
    return chain


def insert_block(source: SourceFile, block: Block, header: str, lines: list[str]) -> list[Edit]:
    """Append `header { lines }` at the end of the block's body."""
    text, nl = source.text, source.newline
    if is_one_line(source, block):
        return [_expand_one_line_block(source, block, None, (header, lines))]
    indent = child_indent(source, block)
    unit = _unit(source, indent, block)
    at = line_start(text, block.close_brace)
    if text[at:block.close_brace].strip():  # "}" shares its line with content: put it on its own line
        body = nl + _block_text(indent, unit, header, lines, nl)
        return [_edit(source, block.close_brace, block.close_brace, body + indent_at(text, block.start))]
    previous = text[line_start(text, max(at - 1, 0)):at].strip()
    blank = nl if previous and at - 1 > block.open_brace and not previous.endswith("{") else ""
    return [_edit(source, at, at, blank + _block_text(indent, unit, header, lines, nl))]


def _unit(source: SourceFile, indent: str, block: Block) -> str:
    outer = indent_at(source.text, block.start)
    unit = indent[len(outer):] if indent.startswith(outer) and len(indent) > len(outer) else ""
    return unit or ("\t" if "\t" in indent else "  ")


def _block_text(indent: str, unit: str, header: str, lines: list[str], nl: str) -> str:
    inner = "".join(f"{indent}{unit}{line}{nl}" for line in lines)
    return f"{indent}{header} {{{nl}{inner}{indent}}}{nl}"


def _expand_one_line_block(source: SourceFile, block: Block, attr_lines: list[str] | None,
                           nested: tuple[str, list[str]] | None = None) -> Edit:
    """`resource "a" "b" {}` or `{ x = 1 }`: rewrite the braces' interior as a multi-line body."""
    text, nl = source.text, source.newline
    outer = indent_at(text, block.start)
    from tfkms.patch.layout import indent_unit

    indent = outer + indent_unit(source, outer)
    existing = text[block.open_brace + 1:block.close_brace].strip()
    body = [existing] if existing else []
    body += attr_lines or []
    out = "{" + nl + "".join(f"{indent}{line}{nl}" for line in body)
    if nested is not None:
        header, lines = nested
        if body:
            out += nl
        out += _block_text(indent, indent[len(outer):], header, lines, nl)
    out += outer + "}"
    return _edit(source, block.open_brace, block.close_brace + 1, out)


# ------------------------------------------------------------------ ignore_changes

def ignore_changes_names(attr: Attribute) -> tuple[set[str], bool] | None:
    """(names listed, all?) of an ignore_changes expression, None when it is not a plain list."""
    from lark import Tree

    from tfkms.config.traversal import traversal_of

    node = attr.expr.tree()
    if attr.expr.syntax == "json":
        if node.kind == "string":
            return set(), node.value == "all"
        if node.kind != "array":
            return None
        return {i.value for i in node.items if i.kind == "string"}, False
    inner = _unwrap(node)
    trav = traversal_of(inner)
    if trav == ["all"]:
        return set(), True
    if isinstance(inner, Tree) and inner.data == "string" and _string_text(inner) == "all":
        return set(), True
    if not (isinstance(inner, Tree) and inner.data == "tuple"):
        return None
    names: set[str] = set()
    for element in _elements(inner):
        value = _unwrap(element)
        trav = traversal_of(value)
        if trav and isinstance(trav[0], str):
            names.add(str(trav[0]))
        elif isinstance(value, Tree) and value.data == "string":
            names.add(_string_text(value))
    return names, False


def _unwrap(node: Any) -> Any:
    from lark import Tree

    while isinstance(node, Tree) and node.data == "expr_term" and len(node.children) == 1:
        node = node.children[0]
    return node


def _string_text(node: Any) -> str:
    from tfkms.config.hcl_parser import string_literal

    return string_literal(node)


def _elements(tuple_node: Any) -> list[Any]:
    from lark import Tree

    return [c for c in tuple_node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]


def extend_ignore_changes(source: SourceFile, attr: Attribute, names: list[str]) -> list[Edit]:
    """Append names to an existing list, in its own style (quoting, one per line, trailing comma)."""
    from lark import Tree

    text, nl = source.text, source.newline
    node = _unwrap(attr.expr.node)
    elements = _elements(node)
    quoted = bool(elements) and all(isinstance(_unwrap(e), Tree) and _unwrap(e).data == "string" for e in elements)
    rendered = [f'"{n}"' if quoted else n for n in names]
    if not elements:
        return [replace_value(source, attr, "[" + ", ".join(rendered) + "]")]
    last = elements[-1]
    last_end = _tight_end(text, last.meta.end_pos)
    close = node.meta.end_pos - 1  # the "]"
    if "\n" not in text[attr.expr.start:attr.expr.end]:
        return [_edit(source, last_end, last_end, "".join(f", {r}" for r in rendered))]
    indent = indent_at(text, last.meta.start_pos)
    tail = text[last_end:close]
    comma = tail.find(",")
    if comma != -1 and "\n" not in tail[:comma]:  # trailing comma: add one line per name
        eol = line_end(text, last_end + comma)
        return [_edit(source, eol, eol, "".join(f"{nl}{indent}{r}," for r in rendered))]
    eol = line_end(text, last_end)
    if eol > close:  # "last ]" on one line
        eol = last_end
    edits = [_edit(source, last_end, last_end, ",")]
    edits.append(_edit(source, eol, eol, ",".join(f"{nl}{indent}{r}" for r in rendered)))
    return edits


def _tight_end(text: str, end: int) -> int:
    while end > 0 and text[end - 1] in " \t\r\n":
        end -= 1
    return end


def names_missing_from(source: SourceFile, attr: Attribute, names: list[str]) -> list[str]:
    """Which names an existing ignore_changes still lacks (none when it says `all`)."""
    listed = ignore_changes_names(attr)
    if listed is None:
        raise CannotEdit(f"ignore_changes at {source.display}:{attr.line} is not a plain list")
    present, covers_all = listed
    return [] if covers_all else [n for n in names if n not in present]


def add_ignore_changes(source: SourceFile, resource: Block, names: list[str]) -> list[Edit]:
    """Merge names into the resource's lifecycle.ignore_changes (one lifecycle block, never two)."""
    lifecycles = resource.child_blocks("lifecycle")
    if not lifecycles:
        return insert_block(source, resource, "lifecycle", [f"ignore_changes = [{', '.join(names)}]"])
    lifecycle = lifecycles[0]
    attr = lifecycle.attributes.get("ignore_changes")
    if attr is None:
        return insert_attribute(source, lifecycle, "ignore_changes", "[" + ", ".join(names) + "]")
    missing = names_missing_from(source, attr, names)
    return extend_ignore_changes(source, attr, missing) if missing else []


def append_top_level_block(source: SourceFile, text_block: str) -> Edit:
    """A new top-level block at the end of the file (e.g. a variable), one blank line before it."""
    text, nl = source.text, source.newline
    body = text_block.replace("\n", nl)
    if not text:
        return _edit(source, 0, 0, body)
    lead = "" if text.endswith(nl + nl) else (nl if text.endswith(nl) else nl + nl)
    return _edit(source, len(text), len(text), lead + body)
