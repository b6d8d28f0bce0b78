"""Conversions between Terraform types, and the types values show (cty's convert and unify)."""
from __future__ import annotations

from typing import Any

from tfkms.config.numbers import Num, format_number, is_number, num, parse_number
from tfkms.config.values import INVALID, UNKNOWN, Invalid, SetValue, Unknown, text


def to_string(v: Any) -> Any:
    """cty's conversion to string (what a template interpolation makes of a value)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return text(v)
    n = num(v)
    return format_number(n) if n is not None else INVALID


def to_number(v: Any) -> Num | None:
    """A number operand: numbers, and strings that parse as one (cty converts them)."""
    if isinstance(v, str):
        v = parse_number(v)
    return num(v)


def to_bool(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    return {"true": True, "1": True, "false": False, "0": False}.get(v) if isinstance(v, str) else None


# ---------------------------------------------------------------- types, as far as values show them

PRIMITIVES = ("string", "number", "bool")


def kind(v: Any) -> Any:
    """A value's type as far as it shows: "string"/"number"/"bool", "null" (a null of
    any type), ("tuple"|"set", kinds), ("object", (key, kind)...), or None if not known."""
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, str):
        return "string"
    if v is None:
        return "null"
    if is_number(v):
        return "number"
    if isinstance(v, list):
        kinds = tuple(kind(i) for i in v)
        return None if None in kinds else ("set" if isinstance(v, SetValue) else "tuple", kinds)
    if isinstance(v, dict):
        pairs = tuple((k, kind(v[k])) for k in sorted(v))
        return None if any(p[1] is None for p in pairs) else ("object", pairs)
    return None


def unify(kinds: list[Any], dynamic: bool = True) -> Any:
    """The type values of these kinds all convert to (cty's unify), or None when
    Terraform would fail or only real types could tell. Nulls fit any type; "null"
    back means no conversion at all (cty's dynamic type), which is also what types
    that do not meet become next to a null, unless `dynamic` is off (conversions to
    list, set or map fail there instead)."""
    if any(k is None for k in kinds):
        return None
    concrete = list(dict.fromkeys(k for k in kinds if k != "null"))
    if len(concrete) <= 1:
        return concrete[0] if concrete else "null"
    fallback = "null" if dynamic and "null" in kinds else None
    if all(k in PRIMITIVES for k in concrete):
        return "string" if "string" in concrete else fallback  # number and bool do not meet
    shapes = {k[0] for k in concrete if isinstance(k, tuple)}
    if len(shapes) != 1 or any(not isinstance(k, tuple) for k in concrete) or "set" in shapes:
        return fallback
    if "null" in kinds:
        return fallback  # collections next to a null all become dynamic
    if shapes == {"tuple"}:
        return _unify_tuples(concrete, dynamic)
    return _unify_objects(concrete, dynamic)


def _unify_tuples(kinds: list[Any], dynamic: bool) -> Any:
    lengths = {len(k[1]) for k in kinds}
    if len(lengths) > 1:  # different lengths: they meet as a list
        element = unify([e for k in kinds for e in k[1]], dynamic)
        return None if element is None else ("list", element)
    elements = [unify([k[1][i] for k in kinds], dynamic) for i in range(lengths.pop())]
    return None if None in elements else ("tuple", tuple(elements))


def _unify_objects(kinds: list[Any], dynamic: bool) -> Any:
    names = {tuple(name for name, _ in k[1]) for k in kinds}
    if len(names) > 1:  # different attributes: they meet as a map
        element = unify([t for k in kinds for _, t in k[1]], dynamic)
        return None if element is None else ("map", element)
    attrs = names.pop()
    types = [unify([dict(k[1])[name] for k in kinds], dynamic) for name in attrs]
    return None if None in types else ("object", tuple(zip(attrs, types, strict=True)))


def convert(v: Any, to: Any) -> Any:
    """v converted to a type that `unify` chose."""
    if v is None or to == "null" or kind(v) == to:
        return v
    if to == "string" and kind(v) in PRIMITIVES:
        return to_string(v)
    if not isinstance(to, tuple):
        return INVALID
    shape, inner = to
    if shape == "tuple" and isinstance(v, list) and len(v) == len(inner):
        return [convert(item, t) for item, t in zip(v, inner, strict=True)]
    if shape == "list" and isinstance(v, list):
        return [convert(item, inner) for item in v]
    if shape == "object" and isinstance(v, dict):
        return {name: convert(v[name], t) for name, t in inner}
    if shape == "map" and isinstance(v, dict):
        return {name: convert(item, inner) for name, item in v.items()}
    return INVALID


def settle(value: Any, other: Any) -> Any:
    """A conditional's chosen value, converted to the type both branches unify to."""
    ours, theirs = kind(value), kind(other)
    if ours is not None and theirs is not None:
        target = unify([ours, theirs])
        return INVALID if target is None else convert(value, target)
    if isinstance(other, Invalid):  # an error (its type may still clash) or a value tfkms is unsure of
        return value if value is None or isinstance(value, str) else UNKNOWN
    # A value not known yet, or one with unknown parts: only a value no conversion could
    # change is certain (a type mismatch would be Terraform's error on a bad config).
    return value if _strings_only(value) else UNKNOWN


def branches_clash(a: Any, b: Any) -> bool:
    """Conditional branches of types that do not unify: an error whatever the condition."""
    ka, kb = kind(a), kind(b)
    return ka is not None and kb is not None and unify([ka, kb]) is None


def _strings_only(v: Any) -> bool:
    """No known leaf a conversion could change (unknown leaves stay unknown anyway)."""
    if isinstance(v, dict):
        return all(_strings_only(i) for i in v.values())
    if isinstance(v, list):
        return all(_strings_only(i) for i in v)
    return v is None or isinstance(v, (str, Unknown))

