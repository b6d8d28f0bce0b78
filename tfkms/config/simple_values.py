"""Simple HCL values, recognised and turned into python-hcl2's tree without its grammar (issue 18).

A value of one of these forms is always valid HCL: a quoted string without templates and
without escapes but `\\n \\t \\" \\\\`, a decimal number, a name or traversal (`string`,
`var.region`), a type (`list(string)`, `map(list(string))`), `{}`, or a one-line list of such
strings. `simple_blocks` reads whole blocks made of them without Lark, and `simple_tree` builds the
exact tree Lark gives the commonest of them, so that re-parsing a detached value (a variable's
default, a lock file's version) needs no grammar: the parent process of a scan then never loads it.
"""
from __future__ import annotations

import re
from typing import Any

NAME = r"(?!(?:for|in|if|else|endif|endfor)\b)[A-Za-z_][A-Za-z0-9_]*"  # keywords left to Lark
_STRING_CHARS = r'(?:[^"\\\x00-\x1f$%]|[$%](?![{$%])|\\[nt"\\])*'
_STRING = rf'"{_STRING_CHARS}"'
_TYPE = rf"{NAME}\((?:{NAME}|{NAME}\({NAME}\))\)"
_STRINGS = rf"\[(?:{_STRING}(?:, {_STRING})*)?\]"
VALUE = rf"{_STRING}|-?\d+(?:\.\d+)?(?![\w.])|{_TYPE}|{NAME}(?:\.{NAME})*(?![\w(.])|{_STRINGS}|\{{\}}"

_STRING_VALUE = re.compile(rf'"({_STRING_CHARS})"')
_STRING_LIST = re.compile(_STRINGS)
_STRING_ITEM = re.compile(rf'"{_STRING_CHARS}"')
_TRAVERSAL = re.compile(rf"{NAME}(?:\.{NAME})*")
_LITERALS = {"true": "TRUE", "false": "FALSE", "null": "NULL"}


def simple_tree(text: str) -> Any:
    """The tree python-hcl2's grammar gives `text`, for a string, an unsigned integer,
    true/false/null, a name or traversal, or a one-line list of strings; None for anything else."""
    from lark import Token, Tree

    if text.startswith('"'):
        string = _STRING_VALUE.fullmatch(text)
        return Tree("expr_term", [_string(string.group(1))]) if string is not None else None
    if text.startswith("["):
        if _STRING_LIST.fullmatch(text) is None:
            return None
        children: list[Any] = [Token("LSQB", "[")]
        for i, item in enumerate(_STRING_ITEM.findall(text)):
            if i:
                children.append(Token("COMMA", ","))
            children.append(Tree("expr_term", [_string(item[1:-1])]))
        return Tree("expr_term", [Tree("tuple", [*children, Token("RSQB", "]")])])
    if text.isdigit() and text.isascii():
        return Tree("expr_term", [Tree("int_lit", [Token("INT_LITERAL", text)])])
    if text in _LITERALS:
        return Tree("expr_term", [Tree("literal_value", [Token(_LITERALS[text], text)])])
    if _TRAVERSAL.fullmatch(text) is None:
        return None
    first, *rest = names = text.split(".")
    if any(name in _LITERALS for name in names):
        return None  # the grammar reads `var.null` with a literal inside: Lark builds that tree
    node: Any = Tree("expr_term", [Tree("identifier", [Token("NAME", first)])])
    for name in rest:
        step = Tree("get_attr", [Token("DOT", "."), Tree("identifier", [Token("NAME", name)])])
        node = Tree("expr_term", [Tree("get_attr_expr_term", [node, step])])
    return node


def _string(chars: str) -> Any:
    from lark import Token, Tree

    inner = [Tree("string_part", [Token("STRING_CHARS", chars)])] if chars else []
    return Tree("string", [Token("DBLQUOTE", '"'), *inner, Token("DBLQUOTE", '"')])
