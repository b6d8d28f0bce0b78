"""Which alicloud provider version a root is checked against, and where that came from:
--provider-version, else the lock file, else the lowest version the constraints admit."""
from __future__ import annotations

from tfkms.config.instances import Root
from tfkms.config.model import VersionConstraint
from tfkms.errors import InputProblem
from tfkms.knowledge.versions import ConstraintError, ProviderVersion, lowest_admitted


def assign_provider_version(root: Root, override: ProviderVersion | None, problems: list[InputProblem]) -> None:
    """Set the root's provider version and origin; a version or constraint that cannot be
    read is a problem (and the version stays unknown)."""
    if override is not None:
        root.provider_version, root.version_origin = override, "--provider-version"
        return
    # A Terragrunt unit runs terraform init beside its own terragrunt.hcl: its lock file pins the version.
    lock = root.unit.lock_file if root.unit is not None else root.dir.lock_file
    pinned = _lock_version(root)
    if pinned is not None and lock is not None:
        try:
            root.provider_version = ProviderVersion.parse(pinned[0])
        except ValueError:
            problems.append(InputProblem(lock.display, pinned[1], None,
                                         f"cannot read provider version {pinned[0]!r}"))
            return
        root.version_origin = "lock file"
        root.version_file, root.version_line = lock.display, pinned[1]
        return
    constraints = _constraints(root)
    if not constraints:
        return
    try:
        version = lowest_admitted([c.constraint for c in constraints])
    except ConstraintError as exc:
        first = constraints[0]
        problems.append(InputProblem(first.file.display, first.line, None, str(exc)))
        return
    if version is not None:
        root.provider_version, root.version_origin = version, "constraint"
        root.version_file, root.version_line = constraints[0].file.display, constraints[0].line


def _constraints(root: Root) -> list[VersionConstraint]:
    """The alicloud constraints of every module directory under the root, each directory once."""
    constraints: list[VersionConstraint] = []
    seen: set[int] = set()
    for module in root.modules:
        if id(module.dir) in seen:
            continue
        seen.add(id(module.dir))
        constraints.extend(module.dir.alicloud_constraints)
    return constraints


def _lock_version(root: Root) -> tuple[str, int] | None:
    if root.unit is None:
        return root.dir.lock_version()
    from tfkms.config.model import ModuleDir

    # ModuleDir reads the pin; the unit's lock file stands in for the module's.
    return ModuleDir(path=root.unit.path, display=root.unit.display, lock_file=root.unit.lock_file).lock_version()
