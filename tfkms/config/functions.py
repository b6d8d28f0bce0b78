"""The pure Terraform functions tfkms evaluates (when every argument is known).

Each gives Terraform's answer or Invalid: for a Terraform error (wrong type, missing
key, empty list), and for any case where the answer depends on something the values do
not record (see tfkms.config.values), which may be an error too.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tfkms.config.conversions import PRIMITIVES, convert, kind, to_number, to_string, unify
from tfkms.config.numbers import Int64, num, whole_number
from tfkms.config.operators import equal
from tfkms.config.values import INVALID, SetValue, Unknown, text, unknown_of

FUNCTIONS: dict[str, Callable[..., Any]] = {}


def _function(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        FUNCTIONS[name] = fn
        return fn
    return register


def _sequence(v: Any) -> bool:
    """A list or tuple (a set is neither: Terraform will not index or concatenate it)."""
    return isinstance(v, list) and not isinstance(v, SetValue)


def _string_arg(v: Any) -> Any:
    """A `string` parameter: numbers and bools convert, null is an error."""
    return to_string(v) if v is not None else INVALID


@_function("tostring")
def _tostring(v: Any) -> Any:
    return None if v is None else to_string(v)


def _converted_elements(items: list[Any]) -> Any:
    """Elements converted to their common type, as a conversion to list/set/map does."""
    target = unify([kind(i) for i in items], dynamic=False)
    if target is None:
        return INVALID
    out = [convert(i, target) for i in items]
    return INVALID if any(isinstance(i, Unknown) for i in out) else out


@_function("tolist")
def _tolist(v: Any) -> Any:
    if v is None:
        return None
    return _converted_elements(list(v)) if isinstance(v, list) else INVALID


@_function("toset")
def _toset(v: Any) -> Any:
    if v is None:
        return None
    items = _converted_elements(list(v)) if isinstance(v, list) else INVALID
    if isinstance(items, Unknown) or any(kind(i) not in PRIMITIVES for i in items):
        return INVALID  # nulls and nested collections: cty orders those by hash
    out: list[Any] = []
    for item in items:
        if not any(equal(item, seen) is True for seen in out):
            out.append(item)
    return SetValue(sorted(out, key=_set_order))


def _set_order(v: Any) -> Any:
    """cty's set order: false before true, numbers by value, strings by code point."""
    n = num(v)
    return n.exact if n is not None else v


@_function("tomap")
def _tomap(v: Any) -> Any:
    if v is None:
        return None
    if not isinstance(v, dict):
        return INVALID
    keys = sorted(v)
    values = _converted_elements([v[k] for k in keys])
    return INVALID if isinstance(values, Unknown) else dict(zip(keys, values, strict=True))


@_function("lookup")
def _lookup(m: Any, key: Any, *default: Any) -> Any:
    name = _string_arg(key)
    if not isinstance(m, dict) or not isinstance(name, str) or len(default) > 1:
        return INVALID
    if name in m:
        return m[name]
    if not default:
        return INVALID
    return _lookup_default(m, default[0])


def _lookup_default(m: dict[str, Any], fallback: Any) -> Any:
    """An object returns the default as it is; a map converts it to its element type.
    Values of different types make an object; values of one type may be either."""
    kinds = {kind(v) for v in m.values() if v is not None}
    if None in kinds:
        return INVALID
    if fallback is None or len(kinds) > 1 or kinds == {kind(fallback)}:
        return fallback
    if not kinds and isinstance(fallback, str):
        return fallback  # an empty map: only a map(number|bool) typed elsewhere would convert a string
    return INVALID


@_function("merge")
def _merge(*maps: Any) -> Any:
    out: dict[str, Any] = {}
    for m in maps:
        if m is None:
            continue
        if not isinstance(m, dict):
            return INVALID
        out.update(m)
    return out


@_function("concat")
def _concat(*lists: Any) -> Any:
    if not lists or not all(_sequence(item) for item in lists):
        return INVALID
    out = [element for item in lists for element in item]
    # Lists would be converted to one element type, tuples not: only equal types are certain.
    if len({kind(e) for e in out if e is not None}) > 1:
        return INVALID
    return out


# Where Python's Unicode data is known to agree with Terraform's (each checked against
# Terraform 1.11.4, character by character): CJK punctuation, kana, the CJK unified
# ideographs and fullwidth ASCII are each a grapheme cluster of their own, NFC-stable,
# and case-map like Go.
_CJK = ((0x3001, 0x3029), (0x3030, 0x303F), (0x3041, 0x3096), (0x309B, 0x30FF), (0x4E00, 0x9FEF),
        (0xFF01, 0xFF5E))


def _cjk(c: str) -> bool:
    return any(low <= ord(c) <= high for low, high in _CJK)


# Go's strings.ToUpper/ToLower map rune by rune (simple case mapping). Python agrees
# with it below U+0530 (Latin, Greek, Cyrillic), except lower("İ"), which Python makes
# two characters; elsewhere Unicode versions and special casing differ.
_CASE_SAFE_BELOW = 0x530


def _case_map(v: Any, mapping: Callable[[str], str], unsafe: str) -> Any:
    s = _string_arg(v)
    if not isinstance(s, str) or any((ord(c) >= _CASE_SAFE_BELOW and not _cjk(c)) or c in unsafe for c in s):
        return INVALID
    return text("".join(m if len(m := mapping(c)) == 1 else c for c in s))


@_function("lower")
def _lower(v: Any) -> Any:
    return _case_map(v, str.lower, unsafe="\u0130")


@_function("upper")
def _upper(v: Any) -> Any:
    return _case_map(v, str.upper, unsafe="")


@_function("keys")
def _keys(v: Any) -> Any:
    return sorted(v) if isinstance(v, dict) else INVALID


@_function("contains")
def _contains(collection: Any, value: Any) -> Any:
    if not isinstance(collection, list) or value is None:
        return INVALID
    answers = [equal(value, item) for item in collection]
    if True in answers:
        return True
    return False if all(a is False for a in answers) else unknown_of(*answers)


# Grapheme clusters: below U+0300 (no combining marks, joiners or Hangul) and in _CJK,
# every character is one, except that CR LF is one together.
_GRAPHEME_SAFE_BELOW = 0x300


def _string_length(s: str) -> Any:
    if any(ord(c) >= _GRAPHEME_SAFE_BELOW and not _cjk(c) for c in s):
        return INVALID
    return Int64(len(s) - s.count("\r\n"))


@_function("length")
def _length(v: Any) -> Any:
    if isinstance(v, str):
        return _string_length(text(v))
    return Int64(len(v)) if isinstance(v, (list, dict)) else INVALID


@_function("element")
def _element(v: Any, position: Any) -> Any:
    at = whole_number(to_number(position))
    # A negative index: Terraform 1.11 wraps it on a list but fails on a tuple.
    if not _sequence(v) or not v or at is None or not 0 <= at < 2 ** 63:
        return INVALID
    return v[at % len(v)]


@_function("join")
def _join(sep: Any, *lists: Any) -> Any:
    separator = _string_arg(sep)
    if not isinstance(separator, str) or not lists or not all(isinstance(item, list) for item in lists):
        return INVALID
    parts: list[str] = []
    for element in (e for item in lists for e in item):
        piece = _string_arg(element) if kind(element) in PRIMITIVES else INVALID  # null or nested: an error
        if not isinstance(piece, str):
            return INVALID
        parts.append(piece)
    return text(separator.join(parts))


@_function("values")
def _values(v: Any) -> Any:
    return [v[k] for k in sorted(v)] if isinstance(v, dict) else INVALID


@_function("coalesce")
def _coalesce(*values: Any) -> Any:
    """The first argument that is not null (nor "" when all are strings), after
    converting all of them to their common type."""
    target = unify([kind(v) for v in values])
    if target is None:
        return INVALID
    for v in values:
        converted = convert(v, target)
        if converted is None or (target == "string" and converted == ""):
            continue
        return converted
    return INVALID
