"""Evaluate what is safe and certain in an HCL expression; everything else is Unknown.

Known: literals, strings and templates over known values, tuples/objects, variables
(defaults, tfvars, module arguments), locals, each/count, indexing, conditionals and a
few pure functions. Unknown: resource attributes, data sources, module outputs, for
expressions, splats, anything we cannot be sure of. A guess is never returned.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from tfkms.config.functions import FUNCTIONS
from tfkms.config.syntax import Expr
from tfkms.config.values import BINARY, UNKNOWN, Unknown, index, is_known, to_string

__all__ = ["UNKNOWN", "Scope", "Unknown", "evaluate", "is_known", "references", "traversal_of"]


class Deferred:
    """A variable value computed only if something reads it (most never are)."""

    __slots__ = ("compute",)

    def __init__(self, compute: Callable[[], Any]) -> None:
        self.compute = compute


@dataclass
class Scope:
    """What names mean where an expression is evaluated (one module instance)."""

    variables: dict[str, Any] = field(default_factory=dict)
    local_exprs: dict[str, Expr] = field(default_factory=dict)
    each_key: Any = None
    each_value: Any = None
    count_index: Any = None
    has_each: bool = False
    has_count: bool = False
    bindings: dict[str, Any] = field(default_factory=dict)  # symbols of an enclosing for expression
    _locals: dict[str, Any] = field(default_factory=dict)
    _evaluating: set[str] = field(default_factory=set)

    def local(self, name: str) -> Any:
        if name in self._locals:
            return self._locals[name]
        expr = self.local_exprs.get(name)
        if expr is None or name in self._evaluating:  # undefined or a cycle
            return UNKNOWN
        self._evaluating.add(name)
        try:
            value = evaluate(expr, self.without_iteration())
        finally:
            self._evaluating.discard(name)
        self._locals[name] = value
        return value

    def variable(self, name: str) -> Any:
        value = self.variables.get(name, UNKNOWN)
        if isinstance(value, Deferred):  # evaluated on first use, once
            value = self.variables[name] = value.compute()
        return value

    # The copies below share the locals cache on purpose: locals do not depend on each/count.
    def without_iteration(self) -> "Scope":
        if not (self.has_each or self.has_count or self.bindings):
            return self
        return replace(self, each_key=None, each_value=None, count_index=None, has_each=False, has_count=False,
                       bindings={})

    def with_each(self, key: Any, value: Any) -> "Scope":
        return replace(self, each_key=key, each_value=value, has_each=True, count_index=None, has_count=False)

    def with_count(self, index: Any) -> "Scope":
        return replace(self, count_index=index, has_count=True, each_key=None, each_value=None, has_each=False)

    def bind(self, symbols: dict[str, Any]) -> "Scope":
        return replace(self, bindings={**self.bindings, **symbols})


EMPTY_SCOPE = Scope()


def evaluate(expr: Expr | None, scope: Scope = EMPTY_SCOPE) -> Any:
    if expr is None:
        return None
    node = expr.tree()
    if expr.redacted or node is None:
        return UNKNOWN
    try:
        if expr.syntax == "json":
            return _eval_json(node, scope)
        return _Eval(scope).node(node)
    except RecursionError:
        return UNKNOWN


# ---------------------------------------------------------------- traversals


Traversal = tuple[str, tuple[Any, ...]]  # (root name, steps: str attribute names or index values)


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
            steps.append(_name(get_attr.children[1]))
            node = target
            continue
        if data == "index_expr_term":
            target, index = node.children
            steps.append(("index", index))
            node = target
            continue
        return None


def _name(node: Any) -> str:
    from lark import Token

    return str(node) if isinstance(node, Token) else str(node.children[0])


def references(expr: Expr | None) -> list[str]:
    """Dotted names of every traversal in an expression (`alicloud_kms_key.k.id`, `var.x`)."""
    if expr is None or expr.redacted or expr.tree() is None:
        return []
    if expr.syntax == "json":
        out: list[str] = []
        for text in _json_strings(expr.node):
            if "${" in text:
                sub = _template_expr(text)
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


# ---------------------------------------------------------------- HCL evaluation

class _Eval:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def node(self, node: Any) -> Any:
        from lark import Token, Tree

        if isinstance(node, Token):
            return UNKNOWN
        assert isinstance(node, Tree)
        method = getattr(self, "_" + node.data, None)
        if method is None:
            return UNKNOWN
        return method(node)

    # -- terms
    def _expr_term(self, node: Any) -> Any:
        from lark import Tree

        inner = [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]
        return self.node(inner[0]) if len(inner) == 1 else UNKNOWN

    def _int_lit(self, node: Any) -> Any:
        return int(str(node.children[0]))

    def _float_lit(self, node: Any) -> Any:
        return float(str(node.children[0]))

    def _literal_value(self, node: Any) -> Any:
        return {"true": True, "false": False, "null": None}[str(node.children[0])]

    def _string(self, node: Any) -> Any:
        from lark import Tree

        from tfkms.config.hcl_parser import unescape

        parts: list[str] = []
        for part in node.children:
            if not (isinstance(part, Tree) and part.data == "string_part"):
                continue
            inner = part.children[0]
            if isinstance(inner, Tree):
                if inner.data != "interpolation":
                    return UNKNOWN  # template directives
                value = self.node(inner.children[1])
                # A lone interpolation keeps the value's own type ("${var.list}").
                if len(node.children) == 3:
                    return value
                text = to_string(value) if value is not None else UNKNOWN
                if isinstance(text, Unknown):
                    return value if isinstance(value, Unknown) else UNKNOWN
                parts.append(text)
            elif inner.type == "ESCAPED_INTERPOLATION":
                parts.append(str(inner)[1:])
            elif inner.type == "ESCAPED_DIRECTIVE":
                parts.append(str(inner)[1:])
            else:
                parts.append(unescape(str(inner)))
        return "".join(parts)

    def _heredoc_template(self, node: Any) -> Any:
        return self._heredoc(str(node.children[0]), trim=False)

    def _heredoc_template_trim(self, node: Any) -> Any:
        return self._heredoc(str(node.children[0]), trim=True)

    @staticmethod
    def _heredoc(raw: str, trim: bool) -> Any:
        lines = raw.splitlines(keepends=True)[1:-1]
        body = "".join(lines)
        if "${" in body.replace("$${", "") or "%{" in body.replace("%%{", ""):
            return UNKNOWN
        if trim:
            indents = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()]
            cut = min(indents) if indents else 0
            body = "".join(line[cut:] if line.strip() else line.lstrip(" \t") for line in lines)
        return body.replace("$${", "${").replace("%%{", "%{")

    def _tuple(self, node: Any) -> Any:
        from lark import Tree

        return [self.node(c) for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]

    def _object(self, node: Any) -> Any:
        from lark import Tree

        out: dict[str, Any] = {}
        for elem in node.children:
            if not (isinstance(elem, Tree) and elem.data == "object_elem"):
                continue
            key_node, _sep, value_node = elem.children
            key = self.object_key(key_node)
            if not isinstance(key, str):
                return UNKNOWN
            out[key] = self.node(value_node)
        return out

    def object_key(self, key_node: Any) -> Any:
        from lark import Tree

        inner = key_node.children[0]
        if isinstance(inner, Tree) and inner.data == "keyword":
            return str(inner.children[0])
        trav = traversal_of(inner)
        if trav is not None and len(trav) == 1:
            return trav[0]  # a bare word is a literal key
        value = self.node(inner)
        return to_string(value) if is_known(value) else UNKNOWN

    def _conditional(self, node: Any) -> Any:
        from lark import Tree

        parts = [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]
        cond = self.node(parts[0])
        if not isinstance(cond, bool):
            return UNKNOWN
        return self.node(parts[1] if cond else parts[2])

    def _binary_op(self, node: Any) -> Any:
        from lark import Tree

        left = self.node(node.children[0])
        term = next(c for c in node.children[1:] if isinstance(c, Tree) and c.data == "binary_term")
        op = str(term.children[0].children[0])
        right = self.node([c for c in term.children[1:] if isinstance(c, Tree) and c.data != "new_line_or_comment"][0])
        if not (is_known(left) and is_known(right)):
            return UNKNOWN
        try:
            return BINARY[op](left, right)
        except (KeyError, TypeError, ZeroDivisionError):
            return UNKNOWN

    def _unary_op(self, node: Any) -> Any:
        op = str(node.children[0])
        value = self.node(node.children[1])
        if op == "!" and isinstance(value, bool):
            return not value
        if op == "-" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value
        return UNKNOWN

    def _function_call(self, node: Any) -> Any:
        from lark import Tree

        name = _name(node.children[0])
        if len([c for c in node.children if isinstance(c, Tree) and c.data == "identifier"]) > 1:
            return UNKNOWN  # provider::ns::fn
        fn = FUNCTIONS.get(name)
        if fn is None:
            return UNKNOWN
        args_node = next((c for c in node.children if isinstance(c, Tree) and c.data == "arguments"), None)
        args = []
        if args_node is not None:
            if any(str(c) == "..." for c in args_node.children if not isinstance(c, Tree)):
                return UNKNOWN
            args = [self.node(c) for c in args_node.children
                    if isinstance(c, Tree) and c.data != "new_line_or_comment"]
        if any(isinstance(a, Unknown) for a in args):
            return UNKNOWN
        try:
            return fn(*args)
        except TypeError:
            return UNKNOWN

    # -- for expressions: [for k, v in coll : expr if cond] and {for ... : k => v (...) if cond}
    def _for_tuple_expr(self, node: Any) -> Any:
        out = self._for_items(node)
        return UNKNOWN if out is None else [value for _, value in out]

    def _for_object_expr(self, node: Any) -> Any:
        from lark import Token

        grouped = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in node.children)
        items = self._for_items(node)
        if items is None:
            return UNKNOWN
        out: dict[str, Any] = {}
        for key, value in items:
            key = to_string(key) if not isinstance(key, str) else key
            if not isinstance(key, str):
                return UNKNOWN
            if grouped:
                out.setdefault(key, []).append(value)
            elif key in out:
                return UNKNOWN  # Terraform rejects duplicate keys without "..."
            else:
                out[key] = value
        return out

    def _for_items(self, node: Any) -> list[tuple[Any, Any]] | None:
        """(key, value) results of a for expression; the key is the object key (objects only)."""
        from lark import Tree

        parts = [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]
        intro, cond = parts[0], parts[-1] if parts[-1].data == "for_cond" else None
        bodies = [p for p in parts[1:] if p is not cond]
        names = [_name(c) for c in intro.children if isinstance(c, Tree) and c.data == "identifier"]
        source = next(c for c in intro.children if isinstance(c, Tree) and c.data not in ("identifier",
                                                                                        "new_line_or_comment"))
        collection = self.node(source)
        if isinstance(collection, dict):
            pairs = [(k, collection[k]) for k in sorted(collection)]
        elif isinstance(collection, list):
            pairs = list(enumerate(collection))
        else:
            return None
        out = []
        for key, value in pairs:
            symbols = {names[-1]: value, **({names[0]: key} if len(names) == 2 else {})}
            inner = _Eval(self.scope.bind(symbols))
            if cond is not None:
                keep = inner.node([c for c in cond.children if isinstance(c, Tree)
                                   and c.data != "new_line_or_comment"][0])
                if not isinstance(keep, bool):
                    return None
                if not keep:
                    continue
            values = [inner.node(b) for b in bodies]
            out.append((values[0], values[-1]) if len(values) == 2 else (None, values[0]))
        return out

    # -- references
    def _identifier(self, node: Any) -> Any:
        return self.reference(node)

    def _get_attr_expr_term(self, node: Any) -> Any:
        return self.reference(node)

    def _index_expr_term(self, node: Any) -> Any:
        trav = traversal_of(node)
        if trav is None:  # indexing a literal: {a = 1}["a"], ["x"][count.index]
            target = self.node(node.children[0])
            key = self.index_value(node.children[1])
            return index(target, key)
        return self.reference(node)

    def index_value(self, index: Any) -> Any:
        from lark import Tree

        if index.data == "short_index":
            return int(str(index.children[1]))
        inner = [c for c in index.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]
        return self.node(inner[0])

    def reference(self, node: Any) -> Any:
        trav = traversal_of(node)
        if trav is None:
            return UNKNOWN
        root, steps = trav[0], trav[1:]
        scope = self.scope
        if root in scope.bindings:
            value, rest = scope.bindings[root], steps
        elif root == "var" and steps and isinstance(steps[0], str):
            value = scope.variable(steps[0])
            rest = steps[1:]
        elif root == "local" and steps and isinstance(steps[0], str):
            value = scope.local(steps[0])
            rest = steps[1:]
        elif root == "each" and scope.has_each and steps and steps[0] in ("key", "value"):
            value = scope.each_key if steps[0] == "key" else scope.each_value
            rest = steps[1:]
        elif root == "count" and scope.has_count and steps and steps[0] == "index":
            value = scope.count_index
            rest = steps[1:]
        else:
            names = [s for s in trav if isinstance(s, str)]
            address = ".".join(names[:3] if root == "data" else names[:2])
            return Unknown(frozenset({address}))
        for step in rest:
            key = self.index_value(step[1]) if isinstance(step, tuple) else step
            value = index(value, key)
        return value


# ---------------------------------------------------------------- JSON syntax


def _template_expr(text: str) -> Expr | None:
    """A JSON string holding `${...}` is an HCL template: parse it as one."""
    from tfkms.config.hcl_parser import HclSyntaxError, parse_hcl

    source = "x = " + json.dumps(text, ensure_ascii=False) + "\n"
    try:
        attributes, _, _ = parse_hcl(source, "<template>")
    except HclSyntaxError:
        return None
    return attributes["x"].expr


def _eval_json(node: Any, scope: Scope) -> Any:
    if node.kind == "object":
        return {k: _eval_json(v, scope) for k, _, v in node.members}
    if node.kind == "array":
        return [_eval_json(i, scope) for i in node.items]
    if node.kind == "string" and "${" in node.value:
        sub = _template_expr(node.value)
        return evaluate(sub, scope) if sub is not None else UNKNOWN
    if node.kind == "string" and "%{" in node.value:
        return UNKNOWN
    if node.kind == "string":
        return node.value.replace("$${", "${").replace("%%{", "%{")
    return node.value


def _json_strings(node: Any) -> list[str]:
    if node.kind == "object":
        return [s for _, _, v in node.members for s in _json_strings(v)]
    if node.kind == "array":
        return [s for i in node.items for s in _json_strings(i)]
    return [node.value] if node.kind == "string" else []
