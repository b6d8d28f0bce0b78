"""Values of statically evaluated expressions: Python data, or Unknown when not knowable.

Values are plain Python data so the rest of tfkms can read them: str, bool, None (a
null), int, dict (object or map), list (tuple or list), plus a few subclasses that keep
what Terraform would know and a plain Python value would lose:

* Numbers follow cty: a number is a binary float of 512-bit precision (64 bits for
  `length()`, `count.index` and for-expression indexes), arithmetic rounds to that
  precision, and text is the shortest decimal that identifies the value at it
  (`0.1 + 0.2` is `0.3`, `1/3` has 154 digits). A plain `int` is an exact integer held
  at 512 bits, `Int64` one held at 64 bits, and `Real` any other number (a fraction,
  -0). A plain `float` did not come from this evaluator (its decimal origin is lost),
  so nothing numeric is derived from it.
* `SetValue` is a list that came from `toset()`: Terraform neither indexes a set nor
  counts its elements as keys.
* Strings are NFC-normalized, as cty does for every string it makes.

Where Terraform's answer depends on something these values do not record (a list versus
a tuple, a map versus an object, a declared variable type), the answer is Unknown; where
Terraform would fail (or might), it is `Invalid`, an Unknown that spoils what holds it.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any


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


class Invalid(Unknown):
    """Unknown because Terraform would reject the expression here, or might (tfkms cannot
    be sure it would not). Unlike a value that is merely not known yet, it spoils what
    holds it: Terraform has no `{a = <error>, b = 1}` whose `b` one could read."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Invalid"


INVALID = Invalid()


def spoiled(value: Any) -> bool:
    if isinstance(value, Invalid):
        return True
    if isinstance(value, dict):
        return any(spoiled(v) for v in value.values())
    if isinstance(value, list):
        return any(spoiled(v) for v in value)
    return False


def unknown_of(*values: Any) -> Unknown:
    """What an operation on these not-all-known operands is: Invalid if one is."""
    return INVALID if any(spoiled(v) for v in values) else UNKNOWN


def is_known(value: Any) -> bool:
    if isinstance(value, Unknown):
        return False
    if isinstance(value, dict):
        return all(is_known(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(is_known(v) for v in value)
    return True


class SetValue(list):  # type: ignore[type-arg]
    """The elements of a Terraform set, in Terraform's order."""

    __slots__ = ()


def text(s: str) -> str:
    """A string as cty holds it (NFC); ASCII, the usual case, is already normal."""
    return s if s.isascii() else unicodedata.normalize("NFC", s)


# ---------------------------------------------------------------- numbers

FULL_PREC = 512  # cty.ParseNumberVal: every literal, tfvars value and operation on them
INT_PREC = 64  # cty.NumberIntVal: length(), count.index, for-expression indexes


class Int64(int):
    """An integer Terraform holds at 64-bit precision (it matters once it is divided)."""

    __slots__ = ()

    def __reduce__(self) -> Any:
        return Int64, (int(self),)


class Real(float):
    """A number that is not a plain integer: `float(self)` is the nearest double, for
    readers; `exact` is the binary fraction Terraform holds, at `prec` bits."""

    __slots__ = ("exact", "prec")
    exact: Fraction
    prec: int

    def __reduce__(self) -> Any:
        return real, (self.exact, self.prec, math.copysign(1.0, self) < 0)


def real(exact: Fraction, prec: int, negative_zero: bool = False) -> Real:
    value = Real(-0.0 if negative_zero else _nearest_double(exact))
    value.exact = exact
    value.prec = prec
    return value


def _nearest_double(x: Fraction) -> float:
    try:
        return float(x)
    except OverflowError:
        return float("inf") if x > 0 else float("-inf")


@dataclass(frozen=True)
class Num:
    """A cty number: exact value, precision, and the sign bit (which only shows on zero)."""

    exact: Fraction
    prec: int
    neg: bool


def num(v: Any) -> Num | None:
    """The cty number a value stands for, or None when it is not a trustworthy number."""
    if isinstance(v, (bool, Unknown)):
        return None
    if isinstance(v, Real):
        return Num(v.exact, v.prec, math.copysign(1.0, v) < 0)
    if isinstance(v, int):
        prec = INT_PREC if isinstance(v, Int64) else FULL_PREC
        exact = Fraction(int(v))
        if abs(int(v)).bit_length() > prec:  # an int from elsewhere, wider than Terraform holds
            exact = _round(exact, prec)
        return Num(exact, prec, v < 0)
    return None


def make(n: Num) -> Any:
    """The Python value for a cty number (plain int whenever one says it all)."""
    if n.exact.denominator == 1 and not (n.exact == 0 and n.neg):
        if n.prec == FULL_PREC:
            return int(n.exact)
        if n.prec == INT_PREC:
            return Int64(int(n.exact))
    return real(n.exact, n.prec, negative_zero=n.exact == 0 and n.neg)


def is_number(v: Any) -> bool:
    return num(v) is not None


def _round(x: Fraction, prec: int) -> Fraction:
    """x rounded to `prec` significant bits, ties to even (big.Float's ToNearestEven)."""
    if x == 0:
        return x
    sign = -1 if x < 0 else 1
    a = abs(x)
    # e such that 2**(prec-1) <= a / 2**e < 2**prec
    e = a.numerator.bit_length() - a.denominator.bit_length() - prec
    scaled = a / (Fraction(2) ** e)
    if scaled >= 2 ** prec:
        e += 1
        scaled /= 2
    elif scaled < 2 ** (prec - 1):
        e -= 1
        scaled *= 2
    q, r = divmod(scaled.numerator, scaled.denominator)
    twice = 2 * r
    if twice > scaled.denominator or (twice == scaled.denominator and q % 2 == 1):
        q += 1
    return sign * q * Fraction(2) ** e


def _min_prec(x: Fraction) -> int:
    """Bits needed to hold x exactly (big.Float.MinPrec)."""
    if x == 0:
        return 0
    a = abs(x)
    if a.denominator != 1:  # a dyadic fraction: odd numerator over a power of two
        return a.numerator.bit_length()
    n = a.numerator
    return (n >> ((n & -n).bit_length() - 1)).bit_length()


_NUMBER = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?")
_MAX_EXP5 = 248  # big.Float.Parse computes 5**n exactly (hence rounds once) up to here


def parse_number(literal: str) -> Any:
    """cty.ParseNumberVal: a decimal string as a 512-bit number, or Invalid."""
    if literal.isdigit() and len(literal) < 20:  # the usual literal, exact at any precision
        return int(literal)
    match = _NUMBER.fullmatch(literal)
    if match is None or not (match.group(2) or match.group(3)):
        return INVALID
    sign, whole, frac, exp = match.group(1), match.group(2), match.group(3) or "", match.group(4)
    exp10 = int(exp or 0) - len(frac)
    if abs(exp10) > _MAX_EXP5:  # Go rounds 5**n first there: we could be one ulp off
        return INVALID
    exact = _round(Fraction(int(whole + frac or "0")) * Fraction(10) ** exp10, FULL_PREC)
    negative = sign == "-"
    return make(Num(-exact if negative else exact, FULL_PREC, negative))


# -- arithmetic, as cty's Value methods do it on big.Float


def neg(a: Num) -> Num:
    return Num(-a.exact, a.prec, not a.neg)


def add(a: Num, b: Num, prec: int | None = None) -> Num:
    prec = prec or max(a.prec, b.prec)
    if a.exact == 0 and b.exact == 0:
        return Num(Fraction(0), prec, a.neg and b.neg)
    total = a.exact + b.exact
    if total == 0:  # exact cancellation is +0
        return Num(total, prec, False)
    rounded = _round(total, prec)
    return Num(rounded, prec, rounded < 0)


def mul(a: Num, b: Num, prec: int | None = None) -> Num:
    negative = a.neg != b.neg
    if prec is not None:  # into an operand of fixed precision (Modulo's work value)
        return Num(_round(a.exact * b.exact, prec), prec, negative)
    product = _round(a.exact * b.exact, FULL_PREC)  # cty multiplies at 512 bits ...
    # ... then keeps the larger operand precision, or what the product needs.
    return Num(product, max(a.prec, b.prec, _min_prec(product)), negative)


def quo(a: Num, b: Num) -> Num | None:
    if b.exact == 0:
        return None  # infinity, or a NaN panic
    prec = max(a.prec, b.prec)
    return Num(_round(a.exact / b.exact, prec), prec, a.neg != b.neg)


def mod(a: Num, b: Num) -> Num | None:
    """cty's Modulo: a - b * trunc(a / b), worked at a's precision; x % 0 is x."""
    if b.exact == 0:
        return a
    ratio = quo(a, b)
    assert ratio is not None
    whole = int(ratio.exact)  # big.Float.Int truncates toward zero
    work = Num(_round(Fraction(whole), a.prec), a.prec, whole < 0)
    work = mul(b, work, prec=a.prec)
    # a - work, with big.Float.Sub's zero rules
    if a.exact == 0 and work.exact == 0:
        return Num(Fraction(0), a.prec, a.neg and not work.neg)
    return add(a, neg(work), prec=a.prec)


# -- text: big.Float.Text('f', -1), the shortest decimal that identifies the value


@dataclass
class _Decimal:
    """big's decimal: value = 0.digits * 10**exp, no leading or trailing zeros."""

    digits: str
    exp: int

    @classmethod
    def of(cls, x: Fraction) -> _Decimal:
        if x == 0:
            return cls("", 0)
        k = x.denominator.bit_length() - 1  # x is n / 2**k
        digits = str(x.numerator * 5 ** k)
        d = cls(digits, len(digits) - k)
        d.trim()
        return d

    def at(self, i: int) -> str:
        return self.digits[i] if 0 <= i < len(self.digits) else "0"

    def trim(self) -> None:
        self.digits = self.digits.rstrip("0")
        if not self.digits:
            self.exp = 0

    def round_down(self, n: int) -> None:
        if 0 <= n < len(self.digits):
            self.digits = self.digits[:n]
            self.trim()

    def round_up(self, n: int) -> None:
        if not 0 <= n < len(self.digits):
            return
        while n > 0 and self.digits[n - 1] >= "9":
            n -= 1
        if n == 0:
            self.digits, self.exp = "1", self.exp + 1
            return
        self.digits = self.digits[:n - 1] + chr(ord(self.digits[n - 1]) + 1)

    def round(self, n: int) -> None:
        if not 0 <= n < len(self.digits):
            return
        if self.digits[n] == "5" and n + 1 == len(self.digits):
            up = n > 0 and int(self.digits[n - 1]) % 2 == 1
        else:
            up = self.digits[n] >= "5"
        self.round_up(n) if up else self.round_down(n)


def _shortest(x: Fraction, prec: int) -> _Decimal:
    """Go 1.23's roundShortest, kept faithful (it is what Terraform prints)."""
    d = _Decimal.of(x)
    if not d.digits:
        return d
    # mant with prec+1 bits, its lowest bit worth half an ulp
    e2 = x.numerator.bit_length() - x.denominator.bit_length()
    if Fraction(2) ** e2 > x:
        e2 -= 1
    shift = e2 + 1 - (prec + 1)  # x = mant * 2**shift
    mant = int(x / Fraction(2) ** shift)
    lower = _Decimal.of((mant - 1) * Fraction(2) ** shift)
    upper = _Decimal.of((mant + 1) * Fraction(2) ** shift)
    inclusive = mant & 2 == 0
    for i, m in enumerate(d.digits):
        low, up = lower.at(i), upper.at(i)
        ok_down = low != m or (inclusive and i + 1 == len(lower.digits))
        ok_up = m != up and (inclusive or chr(ord(m) + 1) < up or i + 1 < len(upper.digits))
        if ok_down and ok_up:
            d.round(i + 1)
            break
        if ok_down:
            d.round_down(i + 1)
            break
        if ok_up:
            d.round_up(i + 1)
            break
    return d


def format_number(n: Num) -> str:
    sign = "-" if n.neg else ""
    a = abs(n.exact)
    if a.denominator == 1 and int(a).bit_length() <= n.prec:  # exact integers print as such
        return sign + str(int(a))
    d = _shortest(a, n.prec)
    whole = (d.digits[:d.exp] + "0" * (d.exp - len(d.digits))) if d.exp > 0 else "0"
    places = max(len(d.digits) - d.exp, 0)
    return sign + whole + ("." + "".join(d.at(d.exp + i) for i in range(places)) if places else "")


def _num_equal(a: Num, b: Num) -> bool:
    """cty's rawNumberEqual: integers by value, fractions by their text."""
    if (a.exact > 0) != (b.exact > 0) or (a.exact < 0) != (b.exact < 0):
        return False
    a_int, b_int = a.exact.denominator == 1, b.exact.denominator == 1
    if a_int or b_int:
        return a_int and b_int and a.exact == b.exact
    return format_number(a) == format_number(b)


# ---------------------------------------------------------------- conversions


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
    return None if None in types else ("object", tuple(zip(attrs, types)))


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
        return [convert(item, t) for item, t in zip(v, inner)]
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


# ---------------------------------------------------------------- operations


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
            return _num_equal(na, nb)
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
        pairs = list(zip(a, b))
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


def whole_number(n: Num | None) -> int | None:
    return int(n.exact) if n is not None and n.exact.denominator == 1 else None


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
