"""A unit's `inputs = { ... }` object: its items with exact spans (edits splice there), and the
value of each item that is a literal (strings, numbers, bools, null, lists and maps of literals).

Any other item (`dependency.vpc.outputs.id`, `local.x`, `get_env("X")`, a template, a function
call) is UNKNOWN: Terragrunt computes it at run time, tfkms never guesses it and never rewrites it.
"""
from __future__ import annotations

from typing import Any

from tfkms.config.evaluator import evaluate
from tfkms.config.hcl_parser import _Builder, string_literal
from tfkms.config.hcl_tree import NEWLINE_OR_COMMENT, unwrap
from tfkms.config.syntax import Attribute, Block, SourceFile
from tfkms.config.values import UNKNOWN

# The node kinds a literal is made of (an `identifier` only as an object key, checked apart).
_LITERAL_NODES = {"expr_term", "object", "object_elem", "tuple", "string", "string_part", "int_lit",
                  "float_lit", "literal_value", NEWLINE_OR_COMMENT}


def input_items(source: SourceFile, attr: Attribute) -> tuple[Block | None, dict[str, tuple[Any, Attribute]] | None]:
    """The object as a Block of its items (for hcl_edits' insertion and alignment) and each item's
    (value, attribute); (None, None) when `inputs` is not an object constructor."""
    if source.syntax != "hcl" or attr.expr.redacted:
        return None, None
    node = unwrap(attr.expr.tree())
    from lark import Token, Tree

    if not isinstance(node, Tree) or node.data != "object" or attr.expr.detached:
        return None, None
    builder = _Builder(source.text)
    items: dict[str, tuple[Any, Attribute]] = {}
    attributes: dict[str, Attribute] = {}
    for elem in node.children:
        if not isinstance(elem, Tree) or elem.data != "object_elem":
            continue
        key_node, value_node = elem.children[0], elem.children[-1]
        name = _key_name(key_node)
        if name is None:
            return None, None  # a computed key: the object is not one tfkms can edit or read
        expr = builder.expr(value_node)
        start = key_node.meta.start_pos
        item = Attribute(name=name, start=start, end=expr.end, line=key_node.meta.line,
                         end_line=expr.end_line, expr=expr)
        attributes[name] = item
        items[name] = (evaluate(expr) if _is_literal(value_node) else UNKNOWN, item)
    braces = [c for c in node.children if isinstance(c, Token)]
    open_brace = next(t.start_pos for t in braces if str(t) == "{")
    close_brace = next(t.start_pos for t in reversed(braces) if str(t) == "}")
    block = Block(type="inputs", labels=[], start=attr.start, end=attr.expr.end, line=attr.line,
                  end_line=attr.end_line, open_brace=open_brace or 0, close_brace=close_brace or 0,
                  attributes=attributes)
    return block, items


def _key_name(key_node: Any) -> str | None:
    from lark import Tree

    inner = unwrap(key_node.children[0]) if isinstance(key_node, Tree) and key_node.children else None
    if isinstance(inner, Tree) and inner.data == "identifier":
        return str(inner.children[0])
    if isinstance(inner, Tree) and inner.data == "string" and "${" not in string_literal(inner):
        return string_literal(inner)
    return None


def _is_literal(node: Any) -> bool:
    from lark import Token, Tree

    if isinstance(node, Token):
        return True
    if not isinstance(node, Tree) or node.data not in _LITERAL_NODES:
        return False
    if node.data == "string_part":
        return all(isinstance(c, Token) for c in node.children)  # no interpolation
    if node.data == "object_elem":
        return _key_name(node.children[0]) is not None and _is_literal(node.children[-1])
    return all(_is_literal(c) for c in node.children)
