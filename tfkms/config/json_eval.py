"""Values of `.tf.json` expressions: JSON as Terraform reads it, where a string holding
`${...}` is an HCL template (evaluated by the caller's HCL evaluator)."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tfkms.config.hcl_parser import parse_expression
from tfkms.config.json_parser import JsonNode
from tfkms.config.numbers import parse_number
from tfkms.config.syntax import Expr
from tfkms.config.values import UNKNOWN, Unknown, text


def template_expr(template: str) -> Expr | None:
    """A JSON string holding `${...}` is an HCL template: parse it as one."""
    return parse_expression(json.dumps(template, ensure_ascii=False))


def evaluate_json(node: JsonNode, expr: Expr, evaluate_template: Callable[[Expr], Any]) -> Any:
    """The value of a JSON node of `expr`; templates are evaluated by `evaluate_template`."""
    if node.kind == "object":
        return {k: evaluate_json(v, expr, evaluate_template) for k, _, v in node.members}
    if node.kind == "array":
        return [evaluate_json(i, expr, evaluate_template) for i in node.items]
    if node.kind == "string" and "${" in node.value:
        sub = template_expr(node.value)
        return evaluate_template(sub) if sub is not None else UNKNOWN
    if node.kind == "string" and "%{" in node.value:
        return UNKNOWN
    if node.kind == "string":
        return text(node.value.replace("$${", "${").replace("%%{", "%{"))
    if node.kind == "number":
        return _json_number(node, expr)
    return node.value


def _json_number(node: JsonNode, expr: Expr) -> Any:
    """A JSON number as Terraform reads its text (a Python float has lost digits)."""
    if type(node.value) is int:
        return parse_number(str(node.value))
    literal = expr.text[node.start - expr.start:node.end - expr.start]
    value = parse_number(literal)
    # Offsets that do not point at this number (a re-parsed expression): say nothing.
    return value if not isinstance(value, Unknown) and float(value) == node.value else UNKNOWN


def json_strings(node: JsonNode) -> list[str]:
    """Every string in a JSON value, depth first."""
    if node.kind == "object":
        return [s for _, _, v in node.members for s in json_strings(v)]
    if node.kind == "array":
        return [s for i in node.items for s in json_strings(i)]
    return [node.value] if node.kind == "string" else []
