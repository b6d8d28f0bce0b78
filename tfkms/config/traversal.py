"""Traversals (`a.b["c"][0]`) in HCL trees, and the names an expression references."""
from __future__ import annotations

from typing import Any

from tfkms.config.hcl_tree import name_of
from tfkms.config.json_eval import json_strings, template_expr
from tfkms.config.syntax import Expr


def traversal_of(node: Any) -> list[Any] | None:
    """`a.b["c"][0]` -> ["a", "b", ("index", node)...] or None when not a plain traversal."""
    from lark import Tree

    steps: list[Any] = []
    while True:
        if not isinstance(node, Tree):
            return None
        data = node.data
        if data == "expr_term" and len(node.children) == 1:
            node = node.children[0]
            continue
        if data == "identifier":
            return [str(node.children[0])] + list(reversed(steps))
        if data == "get_attr_expr_term":
            target, get_attr = node.children
            steps.append(name_of(get_attr.children[1]))
            node = target
            continue
        if data == "index_expr_term":
            target, index = node.children
            steps.append(("index", index))
            node = target
            continue
        return None


def references(expr: Expr | None) -> list[str]:
    """Dotted names of every traversal in an expression (`alicloud_kms_key.k.id`, `var.x`)."""
    if expr is None or expr.redacted or expr.tree() is None:
        return []
    if expr.syntax == "json":
        out: list[str] = []
        for text in json_strings(expr.node):
            if "${" in text:
                sub = template_expr(text)
                if sub is not None:
                    out.extend(references(sub))
        return out
    from lark import Tree

    found: list[str] = []

    def visit(node: Any) -> None:
        if not isinstance(node, Tree):
            return
        if node.data == "function_call":
            for child in node.children[1:]:
                visit(child)
            return
        if node.data == "object_elem":
            key = node.children[0].children[0]
            if traversal_of(key) is None or len(traversal_of(key) or []) > 1:
                visit(key)
            visit(node.children[2])
            return
        trav = traversal_of(node)
        if trav is not None and node.data != "expr_term":
            found.append(".".join(str(s) if not isinstance(s, tuple) else "[]" for s in trav))
            for step in trav[1:]:
                if isinstance(step, tuple):
                    visit(step[1])
            return
        for child in node.children:
            visit(child)

    visit(expr.tree())
    return found
