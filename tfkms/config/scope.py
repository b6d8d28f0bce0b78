"""Scopes: what the names in an expression mean where it is evaluated."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from tfkms.config.syntax import Expr
from tfkms.config.values import UNKNOWN

# How a local's expression becomes its value: the evaluator passes itself in, so a scope
# (data) never imports the evaluator (which reads scopes).
Evaluate = Callable[[Expr, "Scope"], Any]


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
    workspace: Any = UNKNOWN  # terraform.workspace: known when the truth is one workspace's state
    _locals: dict[str, Any] = field(default_factory=dict)
    _evaluating: set[str] = field(default_factory=set)

    def local(self, name: str, evaluate: Evaluate) -> Any:
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
