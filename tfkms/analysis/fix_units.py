"""`tfkms fix` for Terragrunt units: a module every unit runs gets a variable, each unit its value.

A unit's module is shared by every unit whose `terraform.source` names it, scanned or not: a
literal written into the module would pin every other unit's key or secret to this unit's KMS
instance (their next plan replaces it). So, as for a local module with several callers, the
resource reads `var.dkms_instance_id` (declared `default = null`: the provider's behaviour for an
absent argument, Computed for keys >= 1.235.0, no diff for secrets whose state holds none), and the
value goes into each migrated unit's own `inputs` (never an included parent such as root.hcl).
Units that are not migrated, or not scanned, keep null: their plans do not change.
"""
from __future__ import annotations

from typing import Any

from tfkms.analysis.fix_needs import Need
from tfkms.analysis.fix_sites import SiteBook
from tfkms.analysis.fix_strategy import EditPlan, FixGroup, FixOptions, plan_edits
from tfkms.analysis.truth_values import REFUSED, check_values
from tfkms.analysis.value_sites import Site, unit_input_resolution
from tfkms.config.instances import ModuleInstance
from tfkms.patch.literals import hcl_string

ATTRIBUTE = "dkms_instance_id"


def is_unit_group(group: FixGroup) -> bool:
    """The resource sits in the module a Terragrunt unit runs (not in a module that module calls)."""
    return bool(group.instances) and all(i.module.root.unit is not None and not i.module.steps
                                         for i in group.instances)


def plan_unit_edits(group: FixGroup, needs: list[Need], rotation: list[str], options: FixOptions,
                    siblings: list[FixGroup], book: SiteBook | None) -> EditPlan:
    """The usual plan for everything but a missing `dkms_instance_id`, which is threaded: the
    module's variable, each unit's inputs entry."""
    absent = [n for n in needs if n.attribute == ATTRIBUTE and group.resource.attr(ATTRIBUTE) is None]
    plan = plan_edits(group, [n for n in needs if not any(n is a for a in absent)], rotation, options,
                      siblings, book)
    _drop_unchanged_inserts(group, plan)
    if not absent:
        return plan
    per_unit = _per_unit(group)
    why = _why_not_threaded(group, per_unit, options)
    if why is None:
        name = _variable_name(group, siblings)
        writes: list[tuple[Site, str]] = []
        for display, value in sorted(per_unit.items()):
            resolution = unit_input_resolution(_unit_module(group, display), name)
            if resolution.site is None:
                why = resolution.why
                break
            writes.append((resolution.site, hcl_string(value)))
        else:
            plan.thread, group.thread_calls = (name, {}), {}
            plan.sites += writes
            units = ", ".join(sorted({i.module.root.display for i in group.instances}))
            module = group.instances[0].module.dir.display
            plan.reasons[ATTRIBUTE] = ("instance-id", f"the module {module} is shared by every Terragrunt unit whose "
                                       f"source names it (scanned: {units}): a variable (default null) in the "
                                       "module, the value in each migrated unit's inputs; other units keep null")
            return plan
    if why.startswith(REFUSED) or options.strategy == "instance-id":
        plan.blocked[ATTRIBUTE] = why if why.startswith(REFUSED) else \
            f"--strategy instance-id cannot express it here ({why})"
        return plan
    plan.ignore.append(ATTRIBUTE)
    plan.reasons[ATTRIBUTE] = ("ignore-changes", why)
    return plan


def _drop_unchanged_inserts(group: FixGroup, plan: EditPlan) -> None:
    """A unit that is not migrated already reads the value it needs (null when nothing sets the
    input, else what an included parent sets): no entry restating it is added to its file (nothing
    to write for an unmigrated unit), and the reason does not name it."""
    units = {str(i.module.root.unit.file.path): i.module.root.unit for i in group.instances
             if i.module.root.unit is not None}
    for site, text in list(plan.sites):
        unit = units.get(str(site.file.path))
        if site.kind != "input" or site.attr is not None or unit is None:
            continue
        entry = unit.inputs.get(site.name)
        current = entry.value if entry is not None else None
        if not (current is None or isinstance(current, str)) or hcl_string(current) != text:
            continue
        plan.sites.remove((site, text))
        for attribute, (strategy, why) in plan.reasons.items():
            why = why.replace(f"{site.where}; ", "").replace(f"; {site.where}", "")
            plan.reasons[attribute] = (strategy, why)


def _per_unit(group: FixGroup) -> dict[str, Any]:
    """Unit display -> the instance id its instances need (units needing none are left out)."""
    out: dict[str, set[Any]] = {}
    for inst_needs in group.needs:
        for need in inst_needs.needs:
            if need.attribute == ATTRIBUTE:
                out.setdefault(inst_needs.inst.module.root.display, set()).add(need.desired)
    return {display: values.pop() if len(values) == 1 else values for display, values in out.items()}


def _why_not_threaded(group: FixGroup, per_unit: dict[str, Any], options: FixOptions) -> str | None:
    if options.strategy == "ignore-changes":
        return "--strategy ignore-changes"
    if any(n.workspace is not None for n in group.needs):
        return "a unit with several workspaces: one inputs entry cannot hold each workspace's value"
    split = sorted(d for d, v in per_unit.items() if isinstance(v, set))
    if split:
        return (f"instances of {', '.join(split)} sit in different KMS instances: one inputs entry cannot "
                "hold them")
    refused = check_values(ATTRIBUTE, list(per_unit.values()))
    if refused is not None:
        return refused
    if group.resource.file.syntax != "hcl":
        return "the resource is in .tf.json, where tfkms does not thread a variable"
    return None


def _unit_module(group: FixGroup, display: str) -> ModuleInstance:
    return next(i.module for i in group.instances if i.module.root.display == display)


def _variable_name(group: FixGroup, siblings: list[FixGroup]) -> str:
    """`dkms_instance_id` when the module does not declare it and every resource of the module threaded
    this way needs the same value in each unit (a key and its secrets, as usual); else one per resource."""
    module_dir = group.instances[0].module.dir
    mine = _per_unit(group)
    own = f"{group.resource.type.removeprefix('alicloud_')}_{group.resource.name}_{ATTRIBUTE}"
    for other in siblings:
        if other is group or not is_unit_group(other) or other.instances[0].module.dir is not module_dir:
            continue
        if other.resource.attr(ATTRIBUTE) is not None:
            continue
        theirs = _per_unit(other)
        if any(theirs[d] != v for d, v in mine.items() if d in theirs):
            return own
    return own if ATTRIBUTE in module_dir.variables else ATTRIBUTE
