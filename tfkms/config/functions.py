"""The pure Terraform functions tfkms evaluates (when every argument is known)."""
from __future__ import annotations

from typing import Any, Callable

from tfkms.config.values import UNKNOWN, Unknown, is_known, to_string

FUNCTIONS: dict[str, Callable[..., Any]] = {}


def _function(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        FUNCTIONS[name] = fn
        return fn
    return register


@_function("tostring")
def _tostring(v: Any) -> Any:
    return to_string(v)


@_function("tolist")
def _tolist(v: Any) -> Any:
    return list(v) if isinstance(v, (list, tuple)) else UNKNOWN


@_function("toset")
def _toset(v: Any) -> Any:
    if not isinstance(v, (list, tuple)):
        return UNKNOWN
    out: list[Any] = []
    for item in v:
        if item not in out:
            out.append(item)
    return sorted(out, key=str)


@_function("tomap")
def _tomap(v: Any) -> Any:
    return dict(v) if isinstance(v, dict) else UNKNOWN


@_function("lookup")
def _lookup(m: Any, key: Any, *default: Any) -> Any:
    if not isinstance(m, dict) or not is_known(key):
        return UNKNOWN
    if key in m:
        return m[key]
    return default[0] if default else UNKNOWN


@_function("merge")
def _merge(*maps: Any) -> Any:
    out: dict[str, Any] = {}
    for m in maps:
        if m is None:
            continue
        if not isinstance(m, dict):
            return UNKNOWN
        out.update(m)
    return out


@_function("concat")
def _concat(*lists: Any) -> Any:
    out: list[Any] = []
    for item in lists:
        if not isinstance(item, (list, tuple)):
            return UNKNOWN
        out.extend(item)
    return out


@_function("lower")
def _lower(v: Any) -> Any:
    return v.lower() if isinstance(v, str) else UNKNOWN


@_function("upper")
def _upper(v: Any) -> Any:
    return v.upper() if isinstance(v, str) else UNKNOWN


@_function("keys")
def _keys(v: Any) -> Any:
    return sorted(v) if isinstance(v, dict) else UNKNOWN


@_function("contains")
def _contains(collection: Any, value: Any) -> Any:
    return value in collection if isinstance(collection, (list, tuple)) else UNKNOWN


@_function("length")
def _length(v: Any) -> Any:
    return len(v) if isinstance(v, (list, tuple, dict, str)) else UNKNOWN


@_function("element")
def _element(v: Any, index: Any) -> Any:
    if isinstance(v, (list, tuple)) and v and isinstance(index, int) and not isinstance(index, bool):
        return v[index % len(v)]
    return UNKNOWN


@_function("join")
def _join(sep: Any, items: Any) -> Any:
    if isinstance(sep, str) and isinstance(items, (list, tuple)) and all(isinstance(i, str) for i in items):
        return sep.join(items)
    return UNKNOWN


@_function("values")
def _values(v: Any) -> Any:
    return [v[k] for k in sorted(v)] if isinstance(v, dict) else UNKNOWN


@_function("coalesce")
def _coalesce(*values: Any) -> Any:
    for v in values:
        if isinstance(v, Unknown):
            return UNKNOWN
        if v is not None and v != "":
            return v
    return UNKNOWN
