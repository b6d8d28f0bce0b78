"""cty numbers: how Terraform holds a number, does arithmetic on it and prints it.

A number is a binary float of 512-bit precision (64 bits for `length()`, `count.index`
and for-expression indexes), arithmetic rounds to that precision, and text is the
shortest decimal that identifies the value at it (`0.1 + 0.2` is `0.3`, `1/3` has 154
digits). A plain `int` is an exact integer held at 512 bits, `Int64` one held at 64
bits, and `Real` any other number (a fraction, -0).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from tfkms.config.values import INVALID, Unknown

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


def num_equal(a: Num, b: Num) -> bool:
    """cty's rawNumberEqual: integers by value, fractions by their text."""
    if (a.exact > 0) != (b.exact > 0) or (a.exact < 0) != (b.exact < 0):
        return False
    a_int, b_int = a.exact.denominator == 1, b.exact.denominator == 1
    if a_int or b_int:
        return a_int and b_int and a.exact == b.exact
    return format_number(a) == format_number(b)


def whole_number(n: Num | None) -> int | None:
    """The integer a number is, or None for a fraction (or no number at all)."""
    return int(n.exact) if n is not None and n.exact.denominator == 1 else None
