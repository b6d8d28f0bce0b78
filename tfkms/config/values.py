"""Values of statically evaluated expressions: Python data, or Unknown when not knowable."""
from __future__ import annotations

import json
from typing import Any, Callable


class Unknown:
    """A value tfkms cannot know statically; `refs` lists resource addresses it came from."""

    __slots__ = ("refs",)

    def __init__(self, refs: frozenset[str] = frozenset()) -> None:
        self.refs = refs

    def __repr__(self) -> str:
        return f"Unknown({sorted(self.refs)})" if self.refs else "Unknown"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown)

    def __hash__(self) -> int:
        return 0


UNKNOWN = Unknown()


def is_known(value: Any) -> bool:
    if isinstance(value, Unknown):
        return False
    if isinstance(value, dict):
        return all(is_known(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(is_known(v) for v in value)
    return True


def to_string(v: Any) -> Any:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    if isinstance(v, str):
        return v
    return UNKNOWN


def index(target: Any, key: Any) -> Any:
    if isinstance(target, Unknown):
        return target
    if not is_known(key):
        return UNKNOWN
    if isinstance(target, dict):
        return target.get(to_string(key) if not isinstance(key, str) else key, UNKNOWN)
    if isinstance(target, (list, tuple)) and isinstance(key, int) and not isinstance(key, bool):
        return target[key] if 0 <= key < len(target) else UNKNOWN
    return UNKNOWN


BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "&&": lambda a, b: a and b if isinstance(a, bool) and isinstance(b, bool) else UNKNOWN,
    "||": lambda a, b: a or b if isinstance(a, bool) and isinstance(b, bool) else UNKNOWN,
    "+": lambda a, b: a + b if numbers(a, b) else UNKNOWN,
    "-": lambda a, b: a - b if numbers(a, b) else UNKNOWN,
    "*": lambda a, b: a * b if numbers(a, b) else UNKNOWN,
    "<": lambda a, b: a < b if numbers(a, b) else UNKNOWN,
    ">": lambda a, b: a > b if numbers(a, b) else UNKNOWN,
    "<=": lambda a, b: a <= b if numbers(a, b) else UNKNOWN,
    ">=": lambda a, b: a >= b if numbers(a, b) else UNKNOWN,
}


def numbers(a: Any, b: Any) -> bool:
    return all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b))
