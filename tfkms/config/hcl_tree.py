"""Reading python-hcl2's Lark tree: the node shapes that the parser, the evaluator and the
traversal reader all walk.

lark is imported inside each helper, not here: importing it is slow, and commands that
never parse a file (or `--help`) should not pay for it.
"""
from __future__ import annotations

from typing import Any

NEWLINE_OR_COMMENT = "new_line_or_comment"


def name_of(node: Any) -> str:
    """A name's text: a NAME token, or the token inside an identifier or keyword node."""
    from lark import Token

    return str(node) if isinstance(node, Token) else str(node.children[0])


def significant(node: Any) -> list[Any]:
    """A node's child trees, without the newlines and comments the grammar keeps between them."""
    from lark import Tree

    return [c for c in node.children if isinstance(c, Tree) and c.data != NEWLINE_OR_COMMENT]


def unwrap(node: Any) -> Any:
    """The node inside the single-child expr_term wrappers the grammar puts around terms."""
    from lark import Tree

    while isinstance(node, Tree) and node.data == "expr_term" and len(node.children) == 1:
        node = node.children[0]
    return node


def is_null_literal(node: Any) -> bool:
    from lark import Tree

    node = unwrap(node)
    return isinstance(node, Tree) and node.data == "literal_value" and str(node.children[0]) == "null"


def binary_parts(node: Any) -> tuple[str, Any]:
    """A binary_op's operator and right operand (the grammar nests both in a binary_term)."""
    from lark import Tree

    term = next(c for c in node.children[1:] if isinstance(c, Tree) and c.data == "binary_term")
    right = next(c for c in term.children[1:] if isinstance(c, Tree) and c.data != NEWLINE_OR_COMMENT)
    return str(term.children[0].children[0]), right


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def unescape(chars: str) -> str:
    """A quoted string's characters with HCL's escapes (\\n, \\", \\uNNNN, \\UNNNNNNNN) read."""
    if "\\" not in chars:
        return chars
    out: list[str] = []
    i = 0
    while i < len(chars):
        c = chars[i]
        if c == "\\" and i + 1 < len(chars):
            nxt = chars[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            if nxt == "u" and i + 6 <= len(chars):
                out.append(chr(int(chars[i + 2:i + 6], 16)))
                i += 6
                continue
            if nxt == "U" and i + 10 <= len(chars):
                out.append(chr(int(chars[i + 2:i + 10], 16)))
                i += 10
                continue
        out.append(c)
        i += 1
    return "".join(out)
