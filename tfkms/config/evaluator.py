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

`.tf.json` expressions are read by tfkms.config.json_eval; their `${...}` templates are
HCL, evaluated here.
"""
from __future__ import annotations

from typing import Any

from tfkms.config.conversions import branches_clash, kind, settle, to_bool, to_string, unify
from tfkms.config.functions import FUNCTIONS
from tfkms.config.hcl_tree import binary_parts, is_null_literal, name_of, significant, unescape, unwrap
from tfkms.config.json_eval import evaluate_json
from tfkms.config.numbers import Int64, parse_number
from tfkms.config.operators import BINARY, index, misfits, negate
from tfkms.config.scope import EMPTY_SCOPE, Scope
from tfkms.config.syntax import Expr
from tfkms.config.traversal import traversal_of
from tfkms.config.values import INVALID, UNKNOWN, Invalid, SetValue, Unknown, is_known, spoiled, text, unknown_of


def evaluate(expr: Expr | None, scope: Scope = EMPTY_SCOPE) -> Any:
    if expr is None:
        return None
    node = expr.tree()
    if expr.redacted or node is None:
        return UNKNOWN
    try:
        if expr.syntax == "json":
            return evaluate_json(node, expr, lambda template: evaluate(template, scope))
        return _HclEvaluator(scope).node(node)
    except RecursionError:
        return UNKNOWN


class _HclEvaluator:
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
        inner = significant(node)
        return self.node(inner[0]) if len(inner) == 1 else UNKNOWN

    def _int_lit(self, node: Any) -> Any:
        return _number_literal(str(node.children[0]))

    def _float_lit(self, node: Any) -> Any:
        return _number_literal(str(node.children[0]))

    def _literal_value(self, node: Any) -> Any:
        return {"true": True, "false": False, "null": None}[str(node.children[0])]

    def _string(self, node: Any) -> Any:
        from lark import Tree

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
        items = [self.node(c) for c in significant(node)]
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
        parts = significant(node)
        condition = self.node(parts[0])
        cond = to_bool(condition)
        if isinstance(condition, Unknown) and not spoiled(condition):
            # Terraform still unifies the branch types first: a clash is an error anyway.
            clash = not any(is_null_literal(p) for p in parts[1:]) and branches_clash(*map(self.node, parts[1:]))
            return INVALID if clash else UNKNOWN
        if cond is None:
            return INVALID
        chosen, other = (parts[1], parts[2]) if cond else (parts[2], parts[1])
        value = self.node(chosen)
        if isinstance(value, Unknown) or is_null_literal(other):
            return value  # a literal null takes the other branch's type: nothing converts
        # Both branches are converted to one type ("1" for `c ? 1 : "a"`).
        return settle(value, self.node(other))

    def _binary_op(self, node: Any) -> Any:
        left = self.node(node.children[0])
        op, right_node = binary_parts(node)
        right = self.node(right_node)
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

        name = name_of(node.children[0])
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
            args = [self.node(c) for c in significant(args_node)]
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
        parts = significant(node)
        intro, cond = parts[0], parts[-1] if parts[-1].data == "for_cond" else None
        bodies = [p for p in parts[1:] if p is not cond]
        names = [name_of(c) for c in significant(intro) if c.data == "identifier"]
        source = next(c for c in significant(intro) if c.data != "identifier")
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
            trial = _HclEvaluator(self.scope.bind({n: UNKNOWN for n in names}))
            if not trial.could_be_bool(significant(cond)[0]):
                return INVALID
        out = []
        for key, value in pairs:
            symbols = {names[-1]: value, **({names[0]: key} if len(names) == 2 else {})}
            inner = _HclEvaluator(self.scope.bind(symbols))
            if cond is not None:
                test = inner.node(significant(cond)[0])
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
        node = unwrap(node)
        if isinstance(node, Tree) and node.data == "binary_op":  # arithmetic makes a number
            return binary_parts(node)[0] not in ("+", "-", "*", "/", "%")
        if isinstance(node, Tree) and node.data == "conditional":  # its type is the branches' type
            branches = significant(node)[1:]
            kinds = [kind(self.node(b)) for b in branches]
            return None in kinds or unify(kinds) in ("bool", "string", "null")
        return True

    # -- references
    def _identifier(self, node: Any) -> Any:
        return self.reference(node)

    def _get_attr_expr_term(self, node: Any) -> Any:
        if traversal_of(node) is None:  # an attribute of a literal: {a = 1}.a
            target, get_attr = node.children
            return index(self.node(target), name_of(get_attr.children[1]))
        return self.reference(node)

    def _index_expr_term(self, node: Any) -> Any:
        trav = traversal_of(node)
        if trav is None:  # indexing a literal: {a = 1}["a"], ["x"][count.index]
            target = self.node(node.children[0])
            key = self.index_value(node.children[1])
            return index(target, key)
        return self.reference(node)

    def index_value(self, index: Any) -> Any:
        if index.data == "short_index":
            return int(str(index.children[1]))
        return self.node(significant(index)[0])

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
            value = scope.local(steps[0], evaluate)
            rest = steps[1:]
        elif root == "each" and scope.has_each and steps and steps[0] in ("key", "value"):
            value = scope.each_key if steps[0] == "key" else scope.each_value
            rest = steps[1:]
        elif root == "count" and scope.has_count and steps and steps[0] == "index":
            value = _count_index(scope.count_index)
            rest = steps[1:]
        elif root == "terraform" and len(steps) == 1 and steps[0] == "workspace" and is_known(scope.workspace):
            value, rest = scope.workspace, []
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


def _count_index(value: Any) -> Any:
    """count.index is a 64-bit cty number (it shows once it is divided)."""
    return Int64(value) if type(value) is int else value
