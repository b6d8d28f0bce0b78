"""Evaluate what is safe and certain in an HCL expression; everything else is Unknown.

Known: literals, strings and templates over known values, tuples/objects, variables
(defaults, tfvars, module arguments), locals, each/count, indexing, operators,
conditionals, for expressions and a few pure functions, all as Terraform evaluates them
(see tfkms.config.values). Unknown: resource attributes, data sources, module outputs,
splats, template directives, other functions, anything we cannot be sure of. A guess is
never returned.

What Terraform would reject (a type error, a missing key, `element(l, -1)`) is Invalid,
an Unknown that also makes any tuple, object or call holding it Invalid: Terraform has
no value there at all, so not even the other parts of it can be read.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from tfkms.config.functions import FUNCTIONS
from tfkms.config.syntax import Expr
from tfkms.config.values import (
    BINARY,
    INVALID,
    UNKNOWN,
    Int64,
    Invalid,
    SetValue,
    Unknown,
    branches_clash,
    index,
    is_known,
    kind,
    misfits,
    negate,
    parse_number,
    settle,
    spoiled,
    text,
    to_bool,
    to_string,
    unify,
    unknown_of,
)

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
    def without_iteration(self) -> Scope:
        if not (self.has_each or self.has_count or self.bindings):
            return self
        return replace(self, each_key=None, each_value=None, count_index=None, has_each=False, has_count=False,
                       bindings={})

    def with_each(self, key: Any, value: Any) -> Scope:
        return replace(self, each_key=key, each_value=value, has_each=True, count_index=None, has_count=False)

    def with_count(self, index: Any) -> Scope:
        return replace(self, count_index=index, has_count=True, each_key=None, each_value=None, has_each=False)

    def bind(self, symbols: dict[str, Any]) -> Scope:
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
            return _eval_json(node, scope, expr)
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
        return _number_literal(str(node.children[0]))

    def _float_lit(self, node: Any) -> Any:
        return _number_literal(str(node.children[0]))

    def _literal_value(self, node: Any) -> Any:
        return {"true": True, "false": False, "null": None}[str(node.children[0])]

    def _string(self, node: Any) -> Any:
        from lark import Tree

        from tfkms.config.hcl_parser import unescape

        parts: list[Any] = []
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
                # null and collections do not interpolate: Terraform's error
                parts.append(value if isinstance(value, Unknown) else to_string(value) if value is not None
                             else INVALID)
            elif inner.type in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
                parts.append(str(inner)[1:])
            else:
                parts.append(unescape(str(inner)))
        unknown = [p for p in parts if isinstance(p, Unknown)]
        if unknown:  # the first unknown part keeps its references, unless a part is an error
            return INVALID if any(spoiled(p) for p in unknown) else unknown[0]
        return text("".join(parts))

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
        return text(body.replace("$${", "${").replace("%%{", "%{"))

    def _tuple(self, node: Any) -> Any:
        from lark import Tree

        items = [self.node(c) for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]
        return INVALID if spoiled(items) else items

    def _object(self, node: Any) -> Any:
        from lark import Tree

        out: dict[str, Any] = {}
        values: list[Any] = []  # all of them: a repeated key wins, but an error it hides still counts
        for elem in node.children:
            if not (isinstance(elem, Tree) and elem.data == "object_elem"):
                continue
            key_node, _sep, value_node = elem.children
            key = self.object_key(key_node)
            if not isinstance(key, str):
                return key if isinstance(key, Unknown) else INVALID
            out[key] = self.node(value_node)
            values.append(out[key])
        return INVALID if spoiled(values) else out

    def object_key(self, key_node: Any) -> Any:
        from lark import Tree

        inner = key_node.children[0]
        if isinstance(inner, Tree) and inner.data == "keyword":
            return str(inner.children[0])
        trav = traversal_of(inner)
        if trav is not None and len(trav) == 1:
            return trav[0]  # a bare word is a literal key
        value = self.node(inner)
        if not is_known(value):
            return unknown_of(value)
        return to_string(value) if value is not None else INVALID

    def _conditional(self, node: Any) -> Any:
        from lark import Tree

        parts = [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]
        condition = self.node(parts[0])
        cond = to_bool(condition)
        if isinstance(condition, Unknown) and not spoiled(condition):
            # Terraform still unifies the branch types first: a clash is an error anyway.
            clash = not any(_is_null_literal(p) for p in parts[1:]) and branches_clash(*map(self.node, parts[1:]))
            return INVALID if clash else UNKNOWN
        if cond is None:
            return INVALID
        chosen, other = (parts[1], parts[2]) if cond else (parts[2], parts[1])
        value = self.node(chosen)
        if isinstance(value, Unknown) or _is_null_literal(other):
            return value  # a literal null takes the other branch's type: nothing converts
        # Both branches are converted to one type ("1" for `c ? 1 : "a"`).
        return settle(value, self.node(other))

    def _binary_op(self, node: Any) -> Any:
        from lark import Tree

        left = self.node(node.children[0])
        term = next(c for c in node.children[1:] if isinstance(c, Tree) and c.data == "binary_term")
        op = str(term.children[0].children[0])
        right = self.node(next(c for c in term.children[1:]
                               if isinstance(c, Tree) and c.data != "new_line_or_comment"))
        if not (is_known(left) and is_known(right)):
            return INVALID if misfits(op, left) or misfits(op, right) else unknown_of(left, right)
        return BINARY[op](left, right)

    def _unary_op(self, node: Any) -> Any:
        op = str(node.children[0])
        value = self.node(node.children[1])
        if isinstance(value, Unknown):
            return unknown_of(value)
        if op == "!":
            flag = to_bool(value)
            return INVALID if flag is None else not flag
        return negate(value)

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
        if spoiled(args):
            return INVALID
        if any(isinstance(a, Unknown) for a in args):
            return UNKNOWN
        try:
            result = fn(*args)
        except TypeError:  # the wrong number of arguments
            return INVALID
        # A failure over partly unknown arguments: Terraform would wait for their values.
        return UNKNOWN if isinstance(result, Invalid) and not is_known(args) else result

    # -- for expressions: [for k, v in coll : expr if cond] and {for ... : k => v (...) if cond}
    def _for_tuple_expr(self, node: Any) -> Any:
        out = self._for_items(node)
        return out if isinstance(out, Unknown) else [value for _, value in out]

    def _for_object_expr(self, node: Any) -> Any:
        from lark import Token

        grouped = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in node.children)
        items = self._for_items(node)
        if isinstance(items, Unknown):
            return items
        out: dict[str, Any] = {}
        for key, value in items:
            if isinstance(key, Unknown):
                return unknown_of(key)
            name = to_string(key) if key is not None else INVALID
            if not isinstance(name, str):
                return INVALID
            if grouped:
                out.setdefault(name, []).append(value)
            elif name in out:
                return INVALID  # Terraform rejects duplicate keys without "..."
            else:
                out[name] = value
        return out

    def _for_items(self, node: Any) -> list[tuple[Any, Any]] | Unknown:
        """(key, value) results of a for expression; the key is the object key (objects only)."""
        from lark import Tree

        parts = [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]
        intro, cond = parts[0], parts[-1] if parts[-1].data == "for_cond" else None
        bodies = [p for p in parts[1:] if p is not cond]
        names = [_name(c) for c in intro.children if isinstance(c, Tree) and c.data == "identifier"]
        source = next(c for c in intro.children if isinstance(c, Tree) and c.data not in ("identifier",
                                                                                        "new_line_or_comment"))
        collection = self.node(source)
        if isinstance(collection, Unknown):
            return unknown_of(collection)
        if isinstance(collection, dict):
            pairs = [(k, collection[k]) for k in sorted(collection)]
        elif isinstance(collection, SetValue):  # a set's key is the element itself
            pairs = [(v, v) for v in collection]
        elif isinstance(collection, list):
            pairs = [(Int64(i), v) for i, v in enumerate(collection)]  # indexes are 64-bit in cty
        else:
            return INVALID  # not a collection
        if cond is not None:
            # Terraform tries the condition once with unknown symbols, even over nothing.
            trial = _Eval(self.scope.bind({n: UNKNOWN for n in names}))
            if not trial.could_be_bool(_cond_expr(cond)):
                return INVALID
        out = []
        for key, value in pairs:
            symbols = {names[-1]: value, **({names[0]: key} if len(names) == 2 else {})}
            inner = _Eval(self.scope.bind(symbols))
            if cond is not None:
                test = inner.node(_cond_expr(cond))
                keep = to_bool(test)
                if keep is None:
                    return unknown_of(test) if isinstance(test, Unknown) else INVALID
                if not keep:
                    continue
            values = [inner.node(b) for b in bodies]
            if spoiled(values):
                return INVALID
            out.append((values[0], values[-1]) if len(values) == 2 else (None, values[0]))
        return out

    def could_be_bool(self, node: Any) -> bool:
        """Whether a condition may be true or false: not an error, not null, not a value of
        another type, known or (for arithmetic and conditionals) unknown."""
        from lark import Tree

        value = self.node(node)
        if not isinstance(value, Unknown):
            return value is not None and to_bool(value) is not None
        if spoiled(value):
            return False
        while isinstance(node, Tree) and node.data == "expr_term" and len(node.children) == 1:
            node = node.children[0]
        if isinstance(node, Tree) and node.data == "binary_op":  # arithmetic makes a number
            term = next(c for c in node.children[1:] if isinstance(c, Tree) and c.data == "binary_term")
            return str(term.children[0].children[0]) not in ("+", "-", "*", "/", "%")
        if isinstance(node, Tree) and node.data == "conditional":  # its type is the branches' type
            branches = [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"][1:]
            kinds = [kind(self.node(b)) for b in branches]
            return None in kinds or unify(kinds) in ("bool", "string", "null")
        return True

    # -- references
    def _identifier(self, node: Any) -> Any:
        return self.reference(node)

    def _get_attr_expr_term(self, node: Any) -> Any:
        if traversal_of(node) is None:  # an attribute of a literal: {a = 1}.a
            target, get_attr = node.children
            return index(self.node(target), _name(get_attr.children[1]))
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
            value = _count_index(scope.count_index)
            rest = steps[1:]
        else:
            names = [s for s in trav if isinstance(s, str)]
            address = ".".join(names[:3] if root == "data" else names[:2])
            return Unknown(frozenset({address}))
        for step in rest:
            key = self.index_value(step[1]) if isinstance(step, tuple) else step
            value = index(value, key)
        return value


def _number_literal(literal: str) -> Any:
    # The lexer folds a leading minus into the literal; in HCL it negates (so -0 is -0).
    return negate(parse_number(literal[1:])) if literal.startswith("-") else parse_number(literal)


def _cond_expr(cond: Any) -> Any:
    from lark import Tree

    return next(c for c in cond.children if isinstance(c, Tree) and c.data != "new_line_or_comment")


def _is_null_literal(node: Any) -> bool:
    from lark import Tree

    while isinstance(node, Tree) and node.data == "expr_term" and len(node.children) == 1:
        node = node.children[0]
    return isinstance(node, Tree) and node.data == "literal_value" and str(node.children[0]) == "null"


def _count_index(value: Any) -> Any:
    """count.index is a 64-bit cty number (it shows once it is divided)."""
    return Int64(value) if type(value) is int else value


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


def _eval_json(node: Any, scope: Scope, expr: Expr) -> Any:
    if node.kind == "object":
        return {k: _eval_json(v, scope, expr) for k, _, v in node.members}
    if node.kind == "array":
        return [_eval_json(i, scope, expr) for i in node.items]
    if node.kind == "string" and "${" in node.value:
        sub = _template_expr(node.value)
        return evaluate(sub, scope) if sub is not None else UNKNOWN
    if node.kind == "string" and "%{" in node.value:
        return UNKNOWN
    if node.kind == "string":
        return text(node.value.replace("$${", "${").replace("%%{", "%{"))
    if node.kind == "number":
        return _json_number(node, expr)
    return node.value


def _json_number(node: Any, expr: Expr) -> Any:
    """A JSON number as Terraform reads its text (a Python float has lost digits)."""
    if type(node.value) is int:
        return parse_number(str(node.value))
    literal = expr.text[node.start - expr.start:node.end - expr.start]
    value = parse_number(literal)
    # Offsets that do not point at this number (a re-parsed expression): say nothing.
    return value if not isinstance(value, Unknown) and float(value) == node.value else UNKNOWN


def _json_strings(node: Any) -> list[str]:
    if node.kind == "object":
        return [s for _, _, v in node.members for s in _json_strings(v)]
    if node.kind == "array":
        return [s for i in node.items for s in _json_strings(i)]
    return [node.value] if node.kind == "string" else []
