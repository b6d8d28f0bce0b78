"""`tfkms fix`: choose a strategy per resource, turn needs into edits, build the patch."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfkms.analysis.facts import suppression
from tfkms.analysis.fix_needs import InstanceNeeds, Need, instance_needs
from tfkms.analysis.records import resource_records
from tfkms.analysis.result import Edit, Finding, Result
from tfkms.analysis.rules import RULES, Severity
from tfkms.config.model import ModuleCall, ResourceBlock
from tfkms.config.project import (
    UNKNOWN_KEY,
    Project,
    ResourceInstance,
    Root,
    format_key,
)
from tfkms.config.syntax import SourceFile
from tfkms.patch import hcl_edits, json_edits
from tfkms.patch.apply import build_patch, remove_stale_temp_files, write_patch
from tfkms.patch.hcl_edits import CannotEdit
from tfkms.truth.index import (
    KEY_TYPE,
    SECRET_TYPE,
    Truth,
    alias_names_for_keys,
    config_key_reference,
)


@dataclass
class FixOptions:
    strategy: str | None = "auto"  # auto | instance-id | ignore-changes (None: from settings)
    write: bool = False
    ignore_rotation: bool = False


@dataclass
class _Group:
    """All instances (across roots) of one resource block: edits land in one place."""

    resource: ResourceBlock
    instances: list[ResourceInstance] = field(default_factory=list)
    needs: list[InstanceNeeds] = field(default_factory=list)
    thread_calls: dict[int, ModuleCall] = field(default_factory=dict)  # call sites a variable is threaded through
    findings: list[Finding] = field(default_factory=list)  # what this group's edits fix
    edits: list[Edit] = field(default_factory=list)


def _hcl_string(value: Any) -> str:
    return "null" if value is None else json.dumps(value, ensure_ascii=False)


def _state_instances(root: Root, truth: Truth, inst: ResourceInstance) -> list[ResourceInstance]:
    """A count/for_each tfkms cannot evaluate: take the instance keys from state instead."""
    state = truth.state_for(root)
    if inst.key is not UNKNOWN_KEY or state is None:
        return [inst]
    prefix = inst.address[: -len(format_key(UNKNOWN_KEY))]
    if "[*]" in prefix:  # an unexpandable module call above: addresses cannot be matched
        return [inst]
    out = []
    for address, found in state.instances.items():
        if address.startswith(prefix + "[") and address.count("[") == prefix.count("[") + 1:
            key = _key_from_address(address[len(prefix):])
            scope = inst.scope.with_each(key, inst.scope.each_value) if isinstance(key, str) else inst.scope.with_count(key)
            out.append(ResourceInstance(inst.resource, inst.module, key, scope))
    return out or [inst]


def _key_from_address(suffix: str) -> Any:
    inner = suffix[1:-1]
    return json.loads(inner) if inner.startswith('"') else int(inner)


def _referenced_key_id(inst: ResourceInstance, truth: Truth) -> str | None:
    ref = config_key_reference(inst, "encryption_key_id")
    state = truth.state_for(inst.module.root)
    if ref is None or state is None:
        return None
    candidates = [s for a, s in state.instances.items()
                  if a == inst.module.address_prefix + ref or a.startswith(inst.module.address_prefix + ref + "[")]
    ids = {c.get("id") for c in candidates}
    only = ids.pop() if len(ids) == 1 else None
    return only if isinstance(only, str) else None


def fix_project(project: Project, truth: Truth, options: FixOptions) -> Result:
    result = Result(command="fix", problems=list(project.problems))
    groups: dict[tuple[Path, int], _Group] = {}
    for root in project.roots:
        result.resources.extend(resource_records(root))
        aliases = alias_names_for_keys(root)
        migrated_here = False
        for config_inst in root.resource_instances():
            if config_inst.resource.mode != "managed" or config_inst.resource.type not in (KEY_TYPE, SECRET_TYPE):
                continue
            for inst in _state_instances(root, truth, config_inst):
                group = groups.setdefault((inst.resource.file.path, inst.resource.block.start), _Group(inst.resource))
                group.instances.append(inst)
                cloud = (truth.key(inst, aliases.get(inst.address, [])) if inst.resource.type == KEY_TYPE
                         else truth.secret(inst))
                if cloud is None:
                    if truth.has_cloud_facts and truth.state_instance(inst) is None:
                        result.findings.append(_unmatched(inst))
                    continue
                migrated_here = True
                needs = instance_needs(inst, cloud, root.provider_version, options.ignore_rotation,
                                       _referenced_key_id(inst, truth))
                _drop_suppressed(needs, result)
                if not cloud.dkms_instance_id and _migration_visible(root, truth):
                    if not needs.needs:
                        result.findings.append(_finding("TFKMS206", inst, "not migrated yet: nothing to patch"))
                    needs.rotation = []  # rotation is a post-migration matter
                group.needs.append(needs)
        if migrated_here:
            _version_findings(root, result)
    edits_by_file: dict[Path, tuple[SourceFile, list[Edit]]] = {}
    all_groups = list(groups.values())
    for group in all_groups:
        if group.needs:
            _decide(group, options, result, edits_by_file, all_groups)
    _build_patches(result, edits_by_file, options, list(project.loader_by_base))
    written_paths = {p.path.resolve() for p in result.patches if p.written}
    written = {e.file for path, (_, edits) in edits_by_file.items() if path in written_paths for e in edits}
    for group in all_groups:
        if group.edits and all(e.file in written for e in group.edits):
            for finding in group.findings:
                finding.resolved = True
    result.findings.sort(key=lambda f: (f.root or "", f.file or "", f.line or 0, f.address or "", f.rule))
    return result


def _migration_visible(root: Root, truth: Truth) -> bool:
    """Whether a missing instance id means "not migrated": providers < 1.183.0 never store it
    in state, so only the API (inventory/live) can tell there."""
    from tfkms.knowledge.versions import DKMS_INSTANCE_ID_SINCE

    version = root.provider_version
    return truth.has_cloud_facts or (version is not None and version >= DKMS_INSTANCE_ID_SINCE)


def _drop_suppressed(needs: InstanceNeeds, result: Result) -> None:
    """`# tfkms:ignore TFKMS200 reason` on a resource: report it as suppressed, patch nothing."""
    block, source = needs.inst.resource.block, needs.inst.resource.file
    kept = []
    for need in needs.needs:
        reason = suppression(source, block.line, block.end_line, need.rule)
        if reason is None:
            kept.append(need)
            continue
        finding = _finding(need.rule, needs.inst, need.message, line=_need_line(needs.inst, need))
        finding.suppressed = reason
        result.findings.append(finding)
    needs.needs = kept


def _unmatched(inst: ResourceInstance) -> Finding:
    how = ("through an alias (alicloud_kms_alias with a literal alias_name)" if inst.resource.type == KEY_TYPE
           else "by its secret_name")
    return _finding("TFKMS204", inst, f"no state names this resource and the cloud answers did not match it {how}: "
                    "tfkms does not guess; pass --state for this root", Severity.WARNING)


def _finding(rule: str, inst: ResourceInstance, message: str, severity: Severity | None = None,
             line: int | None = None) -> Finding:
    spec = RULES[rule]
    return Finding(rule=rule, severity=severity or spec.severity, message=message, hint=spec.help,
                   address=inst.address, root=inst.module.root.display, file=inst.resource.file.display,
                   line=line or inst.resource.block.line)


def _version_findings(root: Root, result: Result) -> None:
    from tfkms.knowledge.versions import DKMS_INSTANCE_ID_SINCE

    version = root.provider_version
    if version is not None and version >= DKMS_INSTANCE_ID_SINCE:
        return
    message = (f"alicloud provider {version} ({root.version_origin}) has no dkms_instance_id: tfkms adds neither "
               "the argument nor an ignore_changes entry (Terraform would reject both); upgrade the provider"
               if version is not None else
               "alicloud provider version unknown (no .terraform.lock.hcl, no required_providers constraint): "
               "tfkms cannot tell whether dkms_instance_id exists; pass --provider-version")
    result.findings.append(Finding(rule="TFKMS109", severity=Severity.WARNING, message=message,
                                   hint=RULES["TFKMS109"].help, address='provider["registry.terraform.io/aliyun/alicloud"]',
                                   root=root.display, file=root.version_file, line=root.version_line))


# ------------------------------------------------------------------ strategy


@dataclass
class _Plan:
    values: dict[str, str] = field(default_factory=dict)  # attribute -> HCL expression text to write
    ignore: list[str] = field(default_factory=list)
    blocked: dict[str, str] = field(default_factory=dict)  # attribute -> why it cannot be patched
    reasons: dict[str, tuple[str, str]] = field(default_factory=dict)  # attribute -> (strategy, reason)
    thread: tuple[str, dict[int, str]] | None = None  # (variable, call-site id -> value)


def _module_instances(group: _Group) -> set[tuple[str, tuple]]:
    return {(i.module.root.display, i.module.steps) for i in group.instances}


def _decide(group: _Group, options: FixOptions, result: Result,
            edits_by_file: dict[Path, tuple[SourceFile, list[Edit]]], siblings: list[_Group]) -> None:
    needs = [n for inst_needs in group.needs for n in inst_needs.needs]
    rotation = sorted({r for inst_needs in group.needs for r in inst_needs.rotation})
    first = group.needs[0].inst
    rotation_findings = []
    for inst_needs in group.needs:
        if inst_needs.rotation_notes:
            ignored = f"; ignored in lifecycle ({', '.join(inst_needs.rotation)})" if inst_needs.rotation else ""
            rotation_findings.append(_finding("TFKMS205", inst_needs.inst,
                                              "rotation differs after migration (in-place update): "
                                              + "; ".join(inst_needs.rotation_notes) + ignored))
    result.findings.extend(rotation_findings)
    if not needs and not rotation:
        return
    if not first.module.editable:
        kind = first.module.owner_kind or "remote"
        for inst_needs in group.needs:
            for need in inst_needs.needs:
                f = _finding("TFKMS204", inst_needs.inst,
                             f"{need.message}; the resource lives in a {kind} module ({first.module.source}) "
                             "that tfkms never edits: fix it in the module's source or ask its owners",
                             Severity.ERROR)
                result.findings.append(f)
        return
    plan = _plan(group, needs, rotation, options, siblings)
    edits = _edits(group, plan, edits_by_file)
    before = len(result.findings)
    attached = False
    for inst_needs in group.needs:
        for need in inst_needs.needs:
            blocked = plan.blocked.get(need.attribute)
            if blocked is not None:
                result.findings.append(_finding("TFKMS204", inst_needs.inst, f"{need.message}; {blocked}",
                                                Severity.ERROR))
                continue
            strategy, reason = plan.reasons.get(need.attribute, ("", ""))
            severity = RULES[need.rule].severity if need.rule != "TFKMS204" else Severity.WARNING
            f = _finding(need.rule, inst_needs.inst, need.message, severity, _need_line(inst_needs.inst, need))
            f.strategy, f.reason = strategy or None, reason or None
            if not attached:
                f.edits, attached = edits, True
            result.findings.append(f)
    if not attached and edits:  # rotation-only group
        if rotation_findings:
            f = rotation_findings[0]
        else:
            f = _finding("TFKMS205", first, f"--ignore-rotation: {', '.join(rotation)} ignored in lifecycle")
            result.findings.append(f)
        f.strategy, f.reason, f.edits = "ignore-changes", "--ignore-rotation", edits
    group.findings = [f for f in result.findings[before:] if f.rule != "TFKMS204"] + rotation_findings
    group.edits = edits


def _need_line(inst: ResourceInstance, need: Need) -> int:
    attr = inst.resource.attr(need.attribute)
    return attr.line if attr is not None else inst.resource.block.line


def _plan(group: _Group, needs: list[Need], rotation: list[str], options: FixOptions,
          siblings: list[_Group]) -> _Plan:
    plan = _Plan(ignore=list(rotation))
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


def _desired_by_instance(group: _Group, attribute: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for inst_needs in group.needs:
        wanted = getattr(inst_needs.cloud, attribute, None)
        out[inst_needs.inst.address] = wanted
    return out


def _value_for(group: _Group, attribute: str, iterated: bool, shared: bool) -> tuple[str | None, str]:
    desired = _desired_by_instance(group, attribute)
    known = set(desired.values())
    if shared:
        every = {i.address for i in group.instances}
        if attribute != "dkms_instance_id" and len(known) == 1 and every <= set(desired):
            return _hcl_string(known.pop()), "every caller of the module agrees on the value"
        return None, "local module used by several callers with different values"
    if not iterated:
        return _hcl_string(known.pop()), "writes the value the cloud reports"
    if len(known) == 1 and {i.address for i in group.instances} <= set(desired):
        return _hcl_string(known.pop()), "every instance reports the same value"
    if attribute != "dkms_instance_id":
        return None, "instances report different values"
    if group.resource.file.syntax == "json":
        return None, "instances differ and .tf.json has no place for a per-instance expression tfkms would write"
    keys = [i.key for i in group.instances]
    if any(k is UNKNOWN_KEY for k in keys):
        return None, "count/for_each tfkms cannot expand"
    values = {i.key: desired.get(i.address) for i in group.instances}
    if all(isinstance(k, int) for k in keys):
        items = [values.get(i) for i in range(max(keys) + 1)]
        return "[" + ", ".join(_hcl_string(v) for v in items) + "][count.index]", \
            "count instances differ (other KMS instances, or not migrated yet): a list indexed by count.index"
    width = max(len(json.dumps(k, ensure_ascii=False)) for k in keys)
    lines = [f"{json.dumps(k, ensure_ascii=False).ljust(width)} = {_hcl_string(values[k])}" for k in sorted(keys)]
    return "{\n" + "\n".join(lines) + "\n}[each.key]", \
        "for_each instances differ (other KMS instances, or not migrated yet): a map keyed by each.key, null = not migrated"


def _can_thread(group: _Group) -> bool:
    """Variable threading works when every caller is a root module's call (depth 1)."""
    return all(len(i.module.steps) == 1 and i.module.calls[-1].file.syntax == "hcl" for i in group.instances)


def _per_call(group: _Group) -> dict[int, dict[Any, Any]]:
    """For each module call site: instance key of the call -> instance id the cloud reports."""
    desired = _desired_by_instance(group, "dkms_instance_id")
    per_call: dict[int, dict[Any, Any]] = {}
    for inst in group.instances:
        per_call.setdefault(id(inst.module.calls[-1]), {})[inst.module.steps[-1][1]] = desired.get(inst.address)
    return per_call


def _thread_name(group: _Group, siblings: list[_Group]) -> str:
    """One `dkms_instance_id` variable when every threaded resource of the module lives in the
    same instance per caller (the usual case); else one variable per resource."""
    module_dir = group.instances[0].module.dir
    threaded = [g for g in siblings if g.instances and g.instances[0].module.dir is module_dir
                and any(n.rule == "TFKMS200" for i in g.needs for n in i.needs)]
    shared = all(_per_call(g) == _per_call(group) for g in threaded)
    if shared and "dkms_instance_id" not in module_dir.variables:
        return "dkms_instance_id"
    return f"{group.resource.name}_dkms_instance_id"


def _thread_values(group: _Group, siblings: list[_Group]) -> tuple[str, dict[int, str]]:
    name = _thread_name(group, siblings)
    calls = {id(inst.module.calls[-1]): inst.module.calls[-1] for inst in group.instances}
    values: dict[int, str] = {}
    for call_id, by_key in _per_call(group).items():
        distinct = set(by_key.values())
        if len(distinct) == 1:
            value = distinct.pop()
            if value is not None:
                values[call_id] = _hcl_string(value)
        elif all(isinstance(k, str) for k in by_key):
            width = max(len(json.dumps(k)) for k in by_key)
            lines = [f"{json.dumps(k).ljust(width)} = {_hcl_string(by_key[k])}" for k in sorted(by_key)]
            values[call_id] = "{\n" + "\n".join(lines) + "\n}[each.key]"
        elif all(isinstance(k, int) for k in by_key):
            values[call_id] = "[" + ", ".join(_hcl_string(by_key.get(i)) for i in range(max(by_key) + 1)) + "][count.index]"
    group.thread_calls = calls
    return name, values


# ------------------------------------------------------------------ edits


def _indent_multiline(value: str, indent: str, nl: str) -> str:
    lines = value.split("\n")
    if len(lines) == 1:
        return value
    unit = "\t" if indent.startswith("\t") else "  "
    return lines[0] + "".join(nl + indent + (unit if 0 < i < len(lines) - 1 else "") + line
                              for i, line in enumerate(lines[1:], start=1))


def _edits(group: _Group, plan: _Plan, edits_by_file: dict[Path, tuple[SourceFile, list[Edit]]]) -> list[Edit]:
    resource, source = group.resource, group.resource.file
    out: list[Edit] = []
    try:
        if source.syntax == "json":
            out += _json_edits(source, resource, plan)
        else:
            out += _hcl_edits(source, resource, plan)
            if plan.thread is not None:
                out += _thread_edits(group, plan)
    except CannotEdit as exc:
        for attribute in list(plan.reasons):
            plan.blocked[attribute] = str(exc)
        return []
    for edit in out:
        path = _path_of(edit, group)
        # Keyed by the real file: two roots reaching one file through symlinks patch it once.
        edits_by_file.setdefault(path[0].resolve(), (path[1], []))[1].append(edit)
    return out


def _path_of(edit: Edit, group: _Group) -> tuple[Path, SourceFile]:
    for source in _sources(group):
        if source.display == edit.file:
            return source.path, source
    raise AssertionError(edit.file)


def _sources(group: _Group) -> list[SourceFile]:
    out = [group.resource.file, _variables_file(group)]
    for call in group.thread_calls.values():
        out.append(call.file)
    return out


def _hcl_edits(source: SourceFile, resource: ResourceBlock, plan: _Plan) -> list[Edit]:
    from tfkms.patch.layout import child_indent

    out: list[Edit] = []
    block = resource.block
    indent = child_indent(source, block)
    for attribute, value in plan.values.items():
        text = _indent_multiline(value, indent, source.newline)
        attr = block.attributes.get(attribute)
        out += [hcl_edits.replace_value(source, attr, text)] if attr else hcl_edits.insert_attribute(
            source, block, attribute, text)
    if plan.thread is not None:
        variable, _ = plan.thread
        attr = block.attributes.get("dkms_instance_id")
        value = f"var.{variable}"
        out += [hcl_edits.replace_value(source, attr, value)] if attr else hcl_edits.insert_attribute(
            source, block, "dkms_instance_id", value)
    if plan.ignore:
        out += hcl_edits.add_ignore_changes(source, block, plan.ignore)
    return out


def _thread_edits(group: _Group, plan: _Plan) -> list[Edit]:
    from tfkms.patch.layout import child_indent

    assert plan.thread is not None
    variable, values = plan.thread
    out: list[Edit] = []
    module_dir = group.instances[0].module.dir
    if variable not in module_dir.variables:
        what = (f"{group.resource.config_name} was" if variable != "dkms_instance_id"
                else "this module's keys and secrets were")
        out.append(hcl_edits.append_top_level_block(_variables_file(group), (
            f'variable "{variable}" {{\n'
            f'  description = "KMS 3.0 instance (kst-...) {what} migrated into; null until then"\n'
            f"  type        = string\n"
            f"  default     = null\n"
            f"}}\n")))
    for call_id, value in values.items():
        call = group.thread_calls[call_id]
        existing = call.block.attributes.get(variable)
        text = _indent_multiline(value, child_indent(call.file, call.block), call.file.newline)
        out += [hcl_edits.replace_value(call.file, existing, text)] if existing else hcl_edits.insert_attribute(
            call.file, call.block, variable, text)
    return out


def _variables_file(group: _Group) -> SourceFile:
    """Where a new variable goes: the module's variables.tf if it has one, else beside the resource."""
    for source in group.instances[0].module.dir.files:
        if source.path.name == "variables.tf":
            return source
    return group.resource.file


def _json_edits(source: SourceFile, resource: ResourceBlock, plan: _Plan) -> list[Edit]:
    out: list[Edit] = []
    block = resource.block
    for attribute, value in plan.values.items():
        if "\n" in value or "[" in value:
            raise CannotEdit(f"{source.display}: per-instance values are not written into .tf.json; "
                             "use --strategy ignore-changes")
        parsed = json.loads(value)
        attr = block.attributes.get(attribute)
        out += [json_edits.replace_value(source, attr, parsed)] if attr else json_edits.insert_attribute(
            source, block, attribute, parsed)
    if plan.ignore:
        out += json_edits.add_ignore_changes(source, block, plan.ignore)
    return out


def _build_patches(result: Result, edits_by_file: dict[Path, tuple[SourceFile, list[Edit]]],
                   options: FixOptions, bases: list[Path]) -> None:
    if options.write:
        remove_stale_temp_files({path.parent for path in edits_by_file})
    for path in sorted(edits_by_file, key=lambda p: edits_by_file[p][0].display):
        source, edits = edits_by_file[path]
        patch, problem = build_patch(source, edits)
        if problem is not None:
            result.problems.append(problem)
            continue
        if patch is None:
            continue
        if options.write:
            problem = write_patch(patch, source, bases)
            if problem is not None:
                result.problems.append(problem)
        result.patches.append(patch)
