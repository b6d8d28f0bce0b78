"""Terraform's operators on values: equality, indexing, arithmetic, comparison and logic."""
from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from tfkms.config.conversions import PRIMITIVES, kind, to_bool, to_number, to_string
from tfkms.config.numbers import Num, add, make, mod, mul, neg, num, num_equal, quo, whole_number
from tfkms.config.values import INVALID, UNKNOWN, SetValue, Unknown, is_known, text, unknown_of


def equal(a: Any, b: Any) -> Any:
    """cty's Equals: never across types, never an error; True, False or Unknown."""
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return unknown_of(a, b)
    if a is None or b is None:
        return a is None and b is None
    ka, kb = kind(a), kind(b)
    if ka is None or kb is None:  # unknown parts
        return unknown_of(a, b)
    if ka in PRIMITIVES or kb in PRIMITIVES:
        if ka != kb:
            return False
        if ka == "number":
            na, nb = num(a), num(b)
            assert na is not None and nb is not None
            return num_equal(na, nb)
        return text(a) == text(b) if ka == "string" else a == b
    return _containers_equal(a, b)


def _containers_equal(a: Any, b: Any) -> Any:
    """Only a difference is certain: equal contents still differ in Terraform when one
    is a list and the other a tuple, which these values do not record."""
    if isinstance(a, dict) != isinstance(b, dict) or len(a) != len(b):
        return False
    if isinstance(a, dict):
        if set(a) != set(b):
            return False
        pairs = [(a[k], b[k]) for k in a]
    else:
        pairs = list(zip(a, b, strict=True))
    if any(equal(x, y) is False for x, y in pairs):
        return False
    return UNKNOWN


def index(target: Any, key: Any) -> Any:
    if isinstance(target, Unknown):
        return target
    if not is_known(key):
        return unknown_of(key)
    if isinstance(target, dict):
        name = to_string(key) if key is not None else INVALID
        return target.get(name, INVALID) if isinstance(name, str) else INVALID
    if isinstance(target, list) and not isinstance(target, SetValue):
        position = whole_number(to_number(key))
        return target[position] if position is not None and 0 <= position < len(target) else INVALID
    return INVALID



def _arithmetic(op: Callable[[Num, Num], Num | None]) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        na, nb = to_number(a), to_number(b)
        result = op(na, nb) if na is not None and nb is not None else None
        return make(result) if result is not None else INVALID
    return apply


def _compare(test: Callable[[Fraction, Fraction], bool]) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        na, nb = to_number(a), to_number(b)
        return test(na.exact, nb.exact) if na is not None and nb is not None else INVALID
    return apply


def _logic(op: Callable[[bool, bool], bool]) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        ba, bb = to_bool(a), to_bool(b)
        return op(ba, bb) if ba is not None and bb is not None else INVALID
    return apply


def misfits(op: str, operand: Any) -> bool:
    """A known operand the operator cannot take (Terraform's error, whatever the other is)."""
    if isinstance(operand, Unknown) or op in ("==", "!="):
        return False
    if op in ("&&", "||"):
        return to_bool(operand) is None
    return to_number(operand) is None


def _not_equal(a: Any, b: Any) -> Any:
    same = equal(a, b)
    return not same if isinstance(same, bool) else same


BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "==": equal,
    "!=": _not_equal,
    "&&": _logic(lambda a, b: a and b),
    "||": _logic(lambda a, b: a or b),
    "+": _arithmetic(add),
    "-": _arithmetic(lambda a, b: add(a, neg(b))),  # cty: a + (-b)
    "*": _arithmetic(mul),
    "/": _arithmetic(quo),
    "%": _arithmetic(mod),
    "<": _compare(lambda a, b: a < b),
    ">": _compare(lambda a, b: a > b),
    "<=": _compare(lambda a, b: a <= b),
    ">=": _compare(lambda a, b: a >= b),
}


def negate(v: Any) -> Any:
    n = to_number(v)
    return make(neg(n)) if n is not None else INVALID
