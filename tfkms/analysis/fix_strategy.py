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
from tfkms.analysis.fix_sites import SiteBook
from tfkms.analysis.result import Finding
from tfkms.analysis.truth_values import REFUSED, check_values
from tfkms.analysis.value_sites import Site, is_literal_expr
from tfkms.config.instances import ResourceInstance
from tfkms.config.model import ModuleCall, ResourceBlock
from tfkms.patch.literals import by_count_index, by_each_key, by_workspace, hcl_string
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
    not_created: set[str] = field(default_factory=set)  # instances config adds and the state does not hold
    unread_workspaces: set[str] = field(default_factory=set)  # workspaces on disk whose state was not read
    findings: list[Finding] = field(default_factory=list)  # what this group's edits fix
    shared_site_files: set[str] = field(default_factory=set)  # files another group's site edit fixes it in
    edits: list[Edit] = field(default_factory=list)


@dataclass
class EditPlan:
    values: dict[str, str] = field(default_factory=dict)  # attribute -> HCL expression text to write
    ignore: list[str] = field(default_factory=list)
    blocked: dict[str, str] = field(default_factory=dict)  # attribute -> why it cannot be patched
    reasons: dict[str, tuple[str, str]] = field(default_factory=dict)  # attribute -> (strategy, reason)
    thread: tuple[str, dict[int, str]] | None = None  # (variable, call-site id -> value)
    sites: list[tuple[Site, str]] = field(default_factory=list)  # values written where a variable is set


def _module_instances(group: FixGroup) -> set[tuple[str, tuple]]:
    return {(i.module.root.display, i.module.steps) for i in group.instances}


def plan_edits(group: FixGroup, needs: list[Need], rotation: list[str], options: FixOptions,
               siblings: list[FixGroup], book: SiteBook | None = None) -> EditPlan:
    plan = EditPlan(ignore=list(rotation))
    resource = group.resource
    iterated = resource.attr("count") is not None or resource.attr("for_each") is not None
    outside = _outside_scan(group)
    shared = len(_module_instances(group)) > 1 or outside is not None
    by_attr: dict[str, list[Need]] = {}
    for need in needs:
        by_attr.setdefault(need.attribute, []).append(need)
    for attribute, attr_needs in by_attr.items():
        ignore_reason = None
        if options.strategy == "ignore-changes":
            ignore_reason = "--strategy ignore-changes"
        elif any(isinstance(n.current, str) and n.current.startswith("alias/") for n in attr_needs):
            ignore_reason = "config names the key by alias: kept as written, the key id the cloud reports is ignored"
        elif (through := _through_sites(group, attribute, book)) is not None:
            writes, why = through
            if writes:
                plan.sites += writes
                plan.reasons[attribute] = ("instance-id" if attribute == "dkms_instance_id" else "value", why)
                continue
            if why.startswith(REFUSED):
                plan.blocked[attribute] = why
                continue
            ignore_reason = why
        elif any(n.rule == "TFKMS204" for n in attr_needs):
            ignore_reason = "the value is an expression tfkms cannot check or rewrite"
        elif any(n.current is not None and not n.literal for n in attr_needs):
            ignore_reason = "the value comes from an expression tfkms cannot safely rewrite"
        elif any(n.workspace is not None for n in group.needs) and not shared:
            value, why = _workspace_value(group, attribute)
            if _settled(plan, attribute, value, why):
                continue
            ignore_reason = why
        elif attribute == "dkms_instance_id" and _below_a_unit(group):
            # Its module, and the call site, lie in the module every unit runs: a value there (a literal,
            # or one threaded to that call) would pin every unit to this one's instance.
            ignore_reason = ("the resource is in a module that a Terragrunt unit's module calls: that module and "
                             "its call site are shared by every unit running it, so no value is written there")
        else:
            value, why = _value_for(group, attribute, iterated, shared)
            if _settled(plan, attribute, value, why):
                continue
            if attribute == "dkms_instance_id" and shared and not iterated and _can_thread(group):
                plan.thread = _thread_values(group, siblings, book)
                plan.reasons[attribute] = ("instance-id", f"the module lives outside the scanned paths ({outside}), "
                                           "shared with callers tfkms did not scan: a variable (default null) "
                                           "threaded through the scanned call site" if outside else
                                           "local module used by several callers: a variable threaded through "
                                           "each call site")
                continue
            if outside is not None:  # ignore_changes there would change every other caller's module too
                plan.blocked[attribute] = (f"the module lives outside the scanned paths ({outside}) and may have "
                                           "callers tfkms did not scan: set it there by hand, or scan the module "
                                           "with all its callers")
                continue
            ignore_reason = why
        if options.strategy == "instance-id":
            plan.blocked[attribute] = f"--strategy instance-id cannot express it here ({ignore_reason})"
            continue
        plan.ignore.append(attribute)
        plan.reasons[attribute] = ("ignore-changes", ignore_reason)
    return plan


def _settled(plan: EditPlan, attribute: str, value: str | None, why: str) -> bool:
    """A value chosen for the block (written), or one the cloud reports that tfkms will not write
    (blocked: a human looks); False when neither, and another way must be found."""
    if value is not None:
        plan.values[attribute] = value
        plan.reasons[attribute] = ("instance-id" if attribute == "dkms_instance_id" else "value", why)
        return True
    if why.startswith(REFUSED):
        plan.blocked[attribute] = why
        return True
    return False


def _through_sites(group: FixGroup, attribute: str, book: SiteBook | None
                   ) -> tuple[list[tuple[Site, str]], str] | None:
    """The attribute is an expression: the writes where its value is set, or ([], why not).
    None when it is absent or a literal in the block (the block itself is the place)."""
    if book is None:
        return None
    resolutions = [book.resolution(n, attribute) for n in group.needs]
    if all(r.site is not None and r.site.kind == "resource" for r in resolutions):
        return None
    writes: dict[tuple[str, int, str], tuple[Site, str]] = {}
    reasons: dict[str, list[str]] = {}  # variable -> "file:line (how)"
    for needs, res in zip(group.needs, resolutions, strict=True):
        if res.site is None:
            wanted = getattr(needs.cloud, attribute, None)
            return [], res.why + (f"; to drop the lifecycle entry, make it evaluate to {wanted!r}" if wanted else "")
        text, why = book.value_text(res.site)
        if text is None:
            return [], why
        if res.site.key not in writes:
            writes[res.site.key] = (res.site, text)
            reasons.setdefault(res.site.variable or attribute, []).append(res.site.where + (f", {why}" if why else ""))
    return list(writes.values()), "; ".join(f"written where var.{v} is set ({'; '.join(w)})"
                                            for v, w in sorted(reasons.items()))


def _workspace_value(group: FixGroup, attribute: str) -> tuple[str | None, str]:
    """One config serves every workspace of the root: a value right for all of them. Workspaces
    that agree get one literal; else a lookup keyed by terraform.workspace whose fallback keeps
    what config says now for any workspace tfkms did not read (so no fix undoes another's)."""
    per_workspace: dict[str, set[Any]] = {}
    for inst_needs in group.needs:
        per_workspace.setdefault(inst_needs.workspace or "default", set()).add(
            getattr(inst_needs.cloud, attribute, None))
    if (refused := check_values(attribute, [v for vs in per_workspace.values() for v in vs])) is not None:
        return None, refused
    if any(len(values) > 1 for values in per_workspace.values()):
        return None, "instances of one workspace report different values"
    values = {w: next(iter(v)) for w, v in per_workspace.items()}
    attr = group.resource.attr(attribute)
    if attr is not None and not is_literal_expr(attr.expr):
        return None, "the value is an expression tfkms did not write"
    fallback = attr.expr.text.strip() if attr is not None else "null"
    unread = sorted(group.unread_workspaces - set(values))
    if len(set(values.values())) == 1 and not unread:
        return hcl_string(next(iter(values.values()))), f"every workspace ({', '.join(sorted(values))}) agrees"
    if group.resource.file.syntax == "json":
        return None, "workspaces differ and .tf.json has no place for the lookup tfkms would write"
    said = ", ".join(f"{w}: {v}" for w, v in sorted(values.items()))
    why = f"workspaces differ ({said}): a lookup by terraform.workspace"
    if unread:
        why += f"; workspaces tfkms did not read ({', '.join(unread)}) keep {fallback}"
    return by_workspace(values, fallback), why


def _desired_by_instance(group: FixGroup, attribute: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for inst_needs in group.needs:
        wanted = getattr(inst_needs.cloud, attribute, None)
        out[inst_needs.inst.address] = wanted
    return out


def _value_for(group: FixGroup, attribute: str, iterated: bool, shared: bool) -> tuple[str | None, str]:
    desired = _desired_by_instance(group, attribute)
    if (refused := check_values(attribute, list(desired.values()))) is not None:
        return None, refused  # a thread through call sites would write the same values
    known = set(desired.values())
    if shared:
        every = {i.address for i in group.instances}
        if attribute != "dkms_instance_id" and len(known) == 1 and every <= set(desired):
            return hcl_string(known.pop()), "every caller of the module agrees on the value"
        return None, "local module used by several callers with different values"
    if not iterated:
        return hcl_string(known.pop()), "writes the value the cloud reports"
    if len(known) == 1 and {i.address for i in group.instances} - group.not_created <= set(desired):
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
        return by_count_index(values), ("count instances differ (other KMS instances, or not migrated yet): "
                                        "a lookup keyed by count.index (null for an index it lacks)")
    return by_each_key(values), ("for_each instances differ (other KMS instances, or not migrated yet): "
                                 "a lookup keyed by each.key, null = not migrated or added later")


def _outside_scan(group: FixGroup) -> str | None:
    """The module folder, when it lies outside the scanned paths (other callers may use it)."""
    module = group.instances[0].module if group.instances else None
    if module is None or not module.steps:
        return None
    display = module.dir.display
    return display if display == ".." or display.startswith(("../", "/")) else None


def _below_a_unit(group: FixGroup) -> bool:
    """The resource sits in a module that a Terragrunt unit's module calls (fix_units threads only
    from the unit's module itself)."""
    return any(i.module.root.unit is not None and i.module.steps for i in group.instances)


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


def _thread_name(group: FixGroup, siblings: list[FixGroup], book: SiteBook | None) -> str:
    """One `dkms_instance_id` variable when every threaded resource of the module lives in the
    same instance per caller (the usual case); else one variable per resource. The module's own
    `dkms_instance_id` input is used, never twinned, unless what its readers need at a call site
    differs from what this resource needs there."""
    module_dir = group.instances[0].module.dir
    threaded = [g for g in siblings if g.instances and g.instances[0].module.dir is module_dir
                and any(n.rule == "TFKMS200" for i in g.needs for n in i.needs)]
    shared = all(_per_call(g) == _per_call(group) for g in threaded)
    if shared and "dkms_instance_id" not in module_dir.variables:
        return "dkms_instance_id"
    if "dkms_instance_id" in module_dir.variables and _input_agrees(group, book):
        return "dkms_instance_id"
    return f"{group.resource.name}_dkms_instance_id"


def _input_agrees(group: FixGroup, book: SiteBook | None) -> bool:
    """Every reader of the module's existing `dkms_instance_id` input needs, at each call site,
    the value this resource needs there."""
    calls = {id(inst.module.calls[-1]): inst.module.calls[-1] for inst in group.instances}
    for call_id, by_key in _per_call(group).items():
        call = calls[call_id]
        readers = book.readers(call.file, call.block, "dkms_instance_id") if book is not None else {}
        if any(by_key.get(key, value) != value for key, value in readers.values()):
            return False
    return True


def _thread_values(group: FixGroup, siblings: list[FixGroup], book: SiteBook | None = None
                   ) -> tuple[str, dict[int, str]]:
    name = _thread_name(group, siblings, book)
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
