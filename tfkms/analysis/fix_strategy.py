"""`tfkms fix`, strategy: per resource block, which attributes get a value and which are ignored.

`auto` writes the value the cloud reports where one literal (or a per-instance lookup) can hold
it, threads a variable through a local module's call sites when several callers share it, and
falls back to `lifecycle.ignore_changes`; each choice carries the reason printed with it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tfkms.address import UNKNOWN_KEY
from tfkms.analysis.fix_needs import InstanceNeeds, Need
from tfkms.analysis.result import Finding
from tfkms.config.instances import ResourceInstance
from tfkms.config.model import ModuleCall, ResourceBlock
from tfkms.patch.literals import by_count_index, by_each_key, hcl_string
from tfkms.patch.model import Edit


@dataclass
class FixOptions:
    strategy: str | None = "auto"  # auto | instance-id | ignore-changes (None: from settings)
    ignore_rotation: bool = False


@dataclass
class FixGroup:
    """All instances (across roots) of one resource block: edits land in one place."""

    resource: ResourceBlock
    instances: list[ResourceInstance] = field(default_factory=list)
    needs: list[InstanceNeeds] = field(default_factory=list)
    thread_calls: dict[int, ModuleCall] = field(default_factory=dict)  # call sites a variable is threaded through
    findings: list[Finding] = field(default_factory=list)  # what this group's edits fix
    edits: list[Edit] = field(default_factory=list)


@dataclass
class EditPlan:
    values: dict[str, str] = field(default_factory=dict)  # attribute -> HCL expression text to write
    ignore: list[str] = field(default_factory=list)
    blocked: dict[str, str] = field(default_factory=dict)  # attribute -> why it cannot be patched
    reasons: dict[str, tuple[str, str]] = field(default_factory=dict)  # attribute -> (strategy, reason)
    thread: tuple[str, dict[int, str]] | None = None  # (variable, call-site id -> value)


def _module_instances(group: FixGroup) -> set[tuple[str, tuple]]:
    return {(i.module.root.display, i.module.steps) for i in group.instances}


def plan_edits(group: FixGroup, needs: list[Need], rotation: list[str], options: FixOptions,
          siblings: list[FixGroup]) -> EditPlan:
    plan = EditPlan(ignore=list(rotation))
    resource = group.resource
    iterated = resource.attr("count") is not None or resource.attr("for_each") is not None
    shared = len(_module_instances(group)) > 1
    by_attr: dict[str, list[Need]] = {}
    for need in needs:
        by_attr.setdefault(need.attribute, []).append(need)
    for attribute, attr_needs in by_attr.items():
        ignore_reason = None
        if options.strategy == "ignore-changes":
            ignore_reason = "--strategy ignore-changes"
        elif any(n.rule == "TFKMS204" for n in attr_needs):
            ignore_reason = "the value is an expression tfkms cannot check or rewrite"
        elif any(isinstance(n.current, str) and n.current.startswith("alias/") for n in attr_needs):
            ignore_reason = "config names the key by alias: kept as written, the key id the cloud reports is ignored"
        elif any(n.current is not None and not n.literal for n in attr_needs):
            ignore_reason = "the value comes from an expression tfkms cannot safely rewrite"
        else:
            value, why = _value_for(group, attribute, iterated, shared)
            if value is not None:
                plan.values[attribute] = value
                plan.reasons[attribute] = ("instance-id" if attribute == "dkms_instance_id" else "value", why)
                continue
            if attribute == "dkms_instance_id" and shared and not iterated and _can_thread(group):
                plan.thread = _thread_values(group, siblings)
                plan.reasons[attribute] = ("instance-id", "local module used by several callers: a variable "
                                           "threaded through each call site")
                continue
            ignore_reason = why
        if options.strategy == "instance-id":
            plan.blocked[attribute] = f"--strategy instance-id cannot express it here ({ignore_reason})"
            continue
        plan.ignore.append(attribute)
        plan.reasons[attribute] = ("ignore-changes", ignore_reason)
    return plan


def _desired_by_instance(group: FixGroup, attribute: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for inst_needs in group.needs:
        wanted = getattr(inst_needs.cloud, attribute, None)
        out[inst_needs.inst.address] = wanted
    return out


def _value_for(group: FixGroup, attribute: str, iterated: bool, shared: bool) -> tuple[str | None, str]:
    desired = _desired_by_instance(group, attribute)
    known = set(desired.values())
    if shared:
        every = {i.address for i in group.instances}
        if attribute != "dkms_instance_id" and len(known) == 1 and every <= set(desired):
            return hcl_string(known.pop()), "every caller of the module agrees on the value"
        return None, "local module used by several callers with different values"
    if not iterated:
        return hcl_string(known.pop()), "writes the value the cloud reports"
    if len(known) == 1 and {i.address for i in group.instances} <= set(desired):
        return hcl_string(known.pop()), "every instance reports the same value"
    if attribute != "dkms_instance_id":
        return None, "instances report different values"
    if group.resource.file.syntax == "json":
        return None, "instances differ and .tf.json has no place for a per-instance expression tfkms would write"
    keys = [i.key for i in group.instances]
    if any(k is UNKNOWN_KEY for k in keys):
        return None, "count/for_each tfkms cannot expand"
    values = {i.key: desired.get(i.address) for i in group.instances}
    if all(isinstance(k, int) for k in keys):
        return by_count_index(values), \
            "count instances differ (other KMS instances, or not migrated yet): a list indexed by count.index"
    return by_each_key(values), ("for_each instances differ (other KMS instances, or not migrated yet): "
                                 "a map keyed by each.key, null = not migrated")


def _can_thread(group: FixGroup) -> bool:
    """Variable threading works when every caller is a root module's call (depth 1)."""
    return all(len(i.module.steps) == 1 and i.module.calls[-1].file.syntax == "hcl" for i in group.instances)


def _per_call(group: FixGroup) -> dict[int, dict[Any, Any]]:
    """For each module call site: instance key of the call -> instance id the cloud reports."""
    desired = _desired_by_instance(group, "dkms_instance_id")
    per_call: dict[int, dict[Any, Any]] = {}
    for inst in group.instances:
        per_call.setdefault(id(inst.module.calls[-1]), {})[inst.module.steps[-1][1]] = desired.get(inst.address)
    return per_call


def _thread_name(group: FixGroup, siblings: list[FixGroup]) -> str:
    """One `dkms_instance_id` variable when every threaded resource of the module lives in the
    same instance per caller (the usual case); else one variable per resource."""
    module_dir = group.instances[0].module.dir
    threaded = [g for g in siblings if g.instances and g.instances[0].module.dir is module_dir
                and any(n.rule == "TFKMS200" for i in g.needs for n in i.needs)]
    shared = all(_per_call(g) == _per_call(group) for g in threaded)
    if shared and "dkms_instance_id" not in module_dir.variables:
        return "dkms_instance_id"
    return f"{group.resource.name}_dkms_instance_id"


def _thread_values(group: FixGroup, siblings: list[FixGroup]) -> tuple[str, dict[int, str]]:
    name = _thread_name(group, siblings)
    calls = {id(inst.module.calls[-1]): inst.module.calls[-1] for inst in group.instances}
    values: dict[int, str] = {}
    for call_id, by_key in _per_call(group).items():
        distinct = set(by_key.values())
        if len(distinct) == 1:
            value = distinct.pop()
            if value is not None:
                values[call_id] = hcl_string(value)
        elif all(isinstance(k, str) for k in by_key):
            values[call_id] = by_each_key(by_key)
        elif all(isinstance(k, int) for k in by_key):
            values[call_id] = by_count_index(by_key)
    group.thread_calls = calls
    return name, values
