"""Edits to native-syntax files, as text splices that look hand-made and stay `fmt`-clean.

New lines take the block's indentation (spaces or tabs) and the file's newline style, and
join the attribute group above them with `=` aligned the way `terraform fmt` aligns it.
When the new name is longer than the group's alignment allows, the line starts a group of
its own (after a blank line) instead of realigning lines the user wrote.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tfkms.config.syntax import Attribute, Block, SourceFile
from tfkms.patch.layout import (
    chains_after,
    child_indent,
    equals_column,
    indent_at,
    indent_unit,
    is_one_line,
    line_start,
)
from tfkms.patch.lexer import code_line_start, tokens
from tfkms.patch.model import Edit


class CannotEdit(Exception):
    """The construct is not something tfkms rewrites safely (the message says why)."""


@dataclass(frozen=True)
class Expectation:
    """What the re-parsed file must hold after the splice, or the patch is refused: the block that
    started at `block_start` in the original text (then its only child block of each type in `path`)
    holds the attribute `name`, with `value` as its text (whitespace aside) and listing `names`."""

    block_start: int
    name: str
    value: str | None = None
    names: tuple[str, ...] = ()
    path: tuple[str, ...] = ()


@dataclass
class CheckedEdit(Edit):
    """An edit whose intended effect `tfkms.patch.apply.build_patch` verifies on the re-parsed text."""

    expect: Expectation | None = None


def _edit(source: SourceFile, start: int, end: int, after: str, expect: Expectation | None = None) -> Edit:
    return CheckedEdit(file=source.display, line=source.line_of(start), start=start, end=end,
                       before=source.text[start:end], after=after, expect=expect)


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
    expect = Expectation(block.start, name, value_text)
    if is_one_line(source, block):
        return [_expand_one_line_block(source, block, [(name, value_text)], expect=expect)]
    indent = child_indent(source, block)
    anchor = _anchor(block)
    if anchor is None:
        at = _code_line_after(source, block, block.open_brace + 1)
        if at is None:
            return [_before_close(source, block, f"{indent}{name} = {value_text}", expect)]
        return [_edit(source, at, at, f"{indent}{name} = {value_text}{nl}", expect)]
    at = _code_line_after(source, block, anchor.end)
    separator, spaces = "", " "
    # A value that opens a bracket on this line is never aligned by `terraform fmt`. (A multi-line
    # comment after the anchor does not break its group: `fmt` aligns the line after it too.)
    chain = [] if "\n" in value_text and not value_text.startswith("<<") else _alignment_chain(source, block, anchor)
    columns = {equals_column(text, a) - len(indent_at(text, a.start)) for a in chain}
    if chain and len(columns) == 1:  # an aligned group (what `terraform fmt` leaves)
        width = columns.pop()
        if len(name) < width:
            spaces = " " * (width - len(name))
        else:
            separator = nl  # longer than the group: a group of its own, nothing realigned
    if at is None:
        return [_before_close(source, block, f"{indent}{name}{spaces}= {value_text}", expect)]
    return [_edit(source, at, at, f"{separator}{indent}{name}{spaces}= {value_text}{nl}", expect)]


def _code_line_after(source: SourceFile, block: Block, offset: int) -> int | None:
    """The first line start after `offset` that is code (not inside a comment, heredoc or string),
    still in the block's own body (not inside a nested block); None when the body has none."""
    at = code_line_start(source.text, offset, block.close_brace)
    if at is None or any(b.open_brace < at <= b.close_brace for b in block.blocks):
        return None
    return at


def _before_close(source: SourceFile, block: Block, line: str, expect: Expectation) -> Edit:
    """The block's "}" shares its line with what precedes it (`… end of comment */ }`): the new
    line goes on a line of its own, and the "}" on the next."""
    text, nl = source.text, source.newline
    start = _tight_end(text, block.close_brace)
    return _edit(source, start, block.close_brace, f"{nl}{line}{nl}{indent_at(text, block.start)}", expect)


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


def _expand_one_line_block(source: SourceFile, block: Block, attrs: list[tuple[str, str]] | None,
                           nested: tuple[str, list[str]] | None = None, expect: Expectation | None = None) -> Edit:
    """`resource "a" "b" {}` or `{ x = 1 }`: rewrite the braces' interior as a multi-line body, its
    `=` aligned the way `terraform fmt` aligns consecutive single-line arguments."""
    text, nl = source.text, source.newline
    outer = indent_at(text, block.start)
    indent = outer + indent_unit(source, outer)
    existing = text[block.open_brace + 1:block.close_brace].strip()
    pairs = list(attrs or [])
    own = _sole_attribute(source, block, existing)
    if own is not None:
        pairs.insert(0, own)
        body = []
    else:
        body = [existing] if existing else []
    single = [p for p in pairs if "\n" not in p[1] or p[1].startswith("<<")]
    width = max((len(n) for n, _ in single), default=0)
    body += [f"{n}{' ' * (width - len(n)) if (n, v) in single else ''} = {v}" for n, v in pairs]
    out = "{" + nl + "".join(f"{indent}{line}{nl}" for line in body)
    if nested is not None:
        header, lines = nested
        if body:
            out += nl
        out += _block_text(indent, indent[len(outer):], header, lines, nl)
    out += outer + "}"
    return _edit(source, block.open_brace, block.close_brace + 1, out, expect)


def _sole_attribute(source: SourceFile, block: Block, existing: str) -> tuple[str, str] | None:
    """(name, value text) when a one-line block's interior is exactly one argument and nothing else."""
    if block.blocks or len(block.attributes) != 1:
        return None
    attr = next(iter(block.attributes.values()))
    if source.text[attr.start:attr.end].strip() != existing:
        return None
    return attr.name, source.text[attr.expr.start:attr.expr.end]


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
    """Append names to an existing list, in its own style (quoting, one per line, trailing comma).
    The list is read as tokens: a comma or bracket inside a comment is not one."""
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
    if text[close] != "]":
        raise CannotEdit(f"ignore_changes at {source.display}:{attr.line}: cannot find the end of the list")
    code = [t for t in tokens(text, last_end, close) if t.kind != "comment"]
    if not any(t.kind == "newline" for t in tokens(text, attr.expr.start, close)):
        return [_edit(source, last_end, last_end, "".join(f", {r}" for r in rendered))]
    first_line = line_start(text, last.meta.start_pos) == line_start(text, node.meta.start_pos)
    indent = indent_at(text, last.meta.start_pos)
    if first_line:  # "[ tags # …": elements go one unit deeper than the line holding "["
        indent += indent_unit(source, indent)
    comma = next((t for t in code if t.kind != "newline"), None)
    if comma is not None and text[comma.start:comma.end] == ",":  # trailing comma: one line per name
        at = code_line_start(text, comma.end, close)
        if at is None:  # "last, /* … */ ]"
            return [_edit(source, comma.end, comma.end, "".join(f" {r}," for r in rendered))]
        return [_edit(source, at, at, "".join(f"{indent}{r},{nl}" for r in rendered))]
    at = code_line_start(text, last_end, close)
    if at is None:  # "last ]" on one line, or "last /* … */ ]"
        return [_edit(source, last_end, last_end, "".join(f", {r}" for r in rendered))]
    lines = f",{nl}".join(f"{indent}{r}" for r in rendered) + nl
    return [_edit(source, last_end, last_end, ","), _edit(source, at, at, lines)]


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
        edits = insert_block(source, resource, "lifecycle", [f"ignore_changes = [{', '.join(names)}]"])
        return _expecting(edits, Expectation(resource.start, "ignore_changes", names=tuple(names), path=("lifecycle",)))
    lifecycle = lifecycles[0]
    attr = lifecycle.attributes.get("ignore_changes")
    expect = Expectation(lifecycle.start, "ignore_changes", names=tuple(names))
    if attr is None:
        return _expecting(insert_attribute(source, lifecycle, "ignore_changes", "[" + ", ".join(names) + "]"), expect)
    missing = names_missing_from(source, attr, names)
    return _expecting(extend_ignore_changes(source, attr, missing), expect) if missing else []


def _expecting(edits: list[Edit], expect: Expectation) -> list[Edit]:
    """The edits, the first of them carrying what the re-parsed file must then hold."""
    if edits and isinstance(edits[0], CheckedEdit):
        edits[0].expect = expect
    return edits


def append_top_level_block(source: SourceFile, text_block: str) -> Edit:
    """A new top-level block at the end of the file (e.g. a variable), one blank line before it."""
    text, nl = source.text, source.newline
    body = text_block.replace("\n", nl)
    if not text:
        return _edit(source, 0, 0, body)
    lead = "" if text.endswith(nl + nl) else (nl if text.endswith(nl) else nl + nl)
    return _edit(source, len(text), len(text), lead + body)
