"""Provider versions and Terraform version constraints."""
from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?$")


@dataclass(frozen=True, order=True)
class ProviderVersion:
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> ProviderVersion:
        m = _VERSION.match(text.strip())
        if not m:
            raise ValueError(f"not a version: {text!r}")
        return cls(int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


# The facts that decide patches (reference/provider-kms.md).
DKMS_INSTANCE_ID_SINCE = ProviderVersion(1, 183, 0)  # kms_key + kms_secret, Optional+ForceNew
KEY_DKMS_COMPUTED_SINCE = ProviderVersion(1, 235, 0)  # kms_key only: Optional+Computed+ForceNew
KEY_ROTATION_SINCE = ProviderVersion(1, 85, 0)
SECRET_ROTATION_SINCE = ProviderVersion(1, 124, 0)
SECRET_ROTATION_READ_SINCE = ProviderVersion(1, 224, 0)
KEY_AUTOMATIC_ROTATION_COMPUTED_SINCE = ProviderVersion(1, 207, 0)

_CONSTRAINT = re.compile(r"^\s*(>=|<=|~>|!=|=|>|<)?\s*(\S+)\s*$")


class ConstraintError(ValueError):
    pass


def lowest_admitted(constraints: list[str]) -> ProviderVersion | None:
    """The lowest release the constraints admit (None when they admit nothing or say nothing).

    Terraform would pick the newest; tfkms reasons about the lowest because a patch must
    stay valid for any version the configuration allows.
    """
    lower = ProviderVersion(0, 0, 0)
    uppers: list[tuple[str, ProviderVersion]] = []
    excluded: set[ProviderVersion] = set()
    exact: set[ProviderVersion] = set()
    saw_any = False
    for constraint in constraints:
        for part in constraint.split(","):
            if not part.strip():
                continue
            m = _CONSTRAINT.match(part)
            if not m:
                raise ConstraintError(f"cannot read version constraint {constraint!r}")
            op, raw = m.group(1) or "=", m.group(2)
            try:
                version = ProviderVersion.parse(raw)
            except ValueError:
                raise ConstraintError(f"cannot read version constraint {constraint!r}") from None
            saw_any = True
            if op in (">=", "~>"):
                lower = max(lower, version)
                if op == "~>":
                    uppers.append(("<", _pessimistic_ceiling(raw, version)))
            elif op == ">":
                lower = max(lower, ProviderVersion(version.major, version.minor, version.patch + 1))
            elif op == "=":
                exact.add(version)
            elif op == "!=":
                excluded.add(version)
            else:
                uppers.append((op, version))
    if not saw_any:
        return None
    if exact:
        if len(exact) > 1:
            return None
        candidate = next(iter(exact))
        return candidate if _admits(candidate, lower, uppers, excluded) else None
    candidate = lower
    while candidate in excluded:
        candidate = ProviderVersion(candidate.major, candidate.minor, candidate.patch + 1)
    return candidate if _admits(candidate, lower, uppers, excluded) else None


def _pessimistic_ceiling(raw: str, version: ProviderVersion) -> ProviderVersion:
    parts = raw.lstrip("v").split("-")[0].split(".")
    if len(parts) >= 3:
        return ProviderVersion(version.major, version.minor + 1, 0)
    return ProviderVersion(version.major + 1, 0, 0)


def _admits(v: ProviderVersion, lower: ProviderVersion, uppers: list[tuple[str, ProviderVersion]],
            excluded: set[ProviderVersion]) -> bool:
    if v < lower or v in excluded:
        return False
    return all((op != "<" or v < bound) and (op != "<=" or v <= bound) for op, bound in uppers)
