"""Values of statically evaluated expressions: Python data, or Unknown when not knowable.

Values are plain Python data so the rest of tfkms can read them: str, bool, None (a
null), int, dict (object or map), list (tuple or list), plus a few subclasses that keep
what Terraform would know and a plain Python value would lose:

* Numbers follow cty (see tfkms.config.numbers): `Int64` and `Real` keep the precision
  and the exact binary value Terraform holds; a plain `float` did not come from this
  evaluator (its decimal origin is lost), so nothing numeric is derived from it.
* `SetValue` is a list that came from `toset()`: Terraform neither indexes a set nor
  counts its elements as keys.
* Strings are NFC-normalized, as cty does for every string it makes.

Where Terraform's answer depends on something these values do not record (a list versus
a tuple, a map versus an object, a declared variable type), the answer is Unknown; where
Terraform would fail (or might), it is `Invalid`, an Unknown that spoils what holds it.
"""
from __future__ import annotations

import unicodedata
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

