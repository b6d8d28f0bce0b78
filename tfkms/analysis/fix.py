"""`tfkms fix`: join each KMS instance with its truth, decide per resource block (fix_strategy),
turn the decision into edits (fix_edits) and build the patches. Computes; the service writes."""
from __future__ import annotations

from pathlib import Path

from tfkms.address import UNKNOWN_KEY, format_key, parse_key
from tfkms.analysis.facts import suppression
from tfkms.analysis.fix_edits import build_edits
from tfkms.analysis.fix_needs import InstanceNeeds, Need, instance_needs
from tfkms.analysis.fix_strategy import FixGroup, FixOptions, plan_edits
from tfkms.analysis.join import Truth, alias_names_for_keys, config_key_reference
from tfkms.analysis.records import resource_records
from tfkms.analysis.result import Finding, Result
from tfkms.analysis.rules import RULES, Severity
from tfkms.config.instances import ResourceInstance, Root
from tfkms.config.scan import Project
from tfkms.config.syntax import SourceFile
from tfkms.knowledge.resource_types import KEY_TYPE, SECRET_TYPE
from tfkms.patch.apply import build_patch
from tfkms.patch.model import Edit

__all__ = ["FixOptions", "fix_project"]


def _state_instances(root: Root, truth: Truth, inst: ResourceInstance) -> list[ResourceInstance]:
    """A count/for_each tfkms cannot evaluate: take the instance keys from state instead."""
    state = truth.state_for(root)
    if inst.key is not UNKNOWN_KEY or state is None:
        return [inst]
    prefix = inst.address[: -len(format_key(UNKNOWN_KEY))]
    if "[*]" in prefix:  # an unexpandable module call above: addresses cannot be matched
        return [inst]
    out = []
    for address in state.instances:
        if address.startswith(prefix + "[") and address.count("[") == prefix.count("[") + 1:
            key = parse_key(address[len(prefix):])
            scope = (inst.scope.with_each(key, inst.scope.each_value) if isinstance(key, str)
                     else inst.scope.with_count(key))
            out.append(ResourceInstance(inst.resource, inst.module, key, scope))
    return out or [inst]


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
    groups: dict[tuple[Path, int], FixGroup] = {}
    for root in project.roots:
        result.resources.extend(resource_records(root))
        aliases = alias_names_for_keys(root)
        migrated_here = False
        for config_inst in root.resource_instances():
            if config_inst.resource.mode != "managed" or config_inst.resource.type not in (KEY_TYPE, SECRET_TYPE):
                continue
            for inst in _state_instances(root, truth, config_inst):
                group = groups.setdefault((inst.resource.file.path, inst.resource.block.start), FixGroup(inst.resource))
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
    _build_patches(result, edits_by_file)
    # The patch an edit lands in (a file reached through two symlinked roots is one patch).
    patch_of = {id(e): source.display for source, edits in edits_by_file.values() for e in edits}
    for group in all_groups:
        for finding in group.findings:  # resolved once every file of its group's edits is written
            finding.fixed_by = tuple(sorted({patch_of.get(id(e), e.file) for e in group.edits}))
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
                                   hint=RULES["TFKMS109"].help,
                                   address='provider["registry.terraform.io/aliyun/alicloud"]',
                                   root=root.display, file=root.version_file, line=root.version_line))


def _decide(group: FixGroup, options: FixOptions, result: Result,
            edits_by_file: dict[Path, tuple[SourceFile, list[Edit]]], siblings: list[FixGroup]) -> None:
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
        from tfkms.knowledge.versions import KEY_DKMS_COMPUTED_SINCE

        kind = first.module.owner_kind or "remote"
        for inst_needs in group.needs:
            version = inst_needs.inst.module.root.provider_version
            for need in inst_needs.needs:
                upgrade = ""
                if (inst_needs.inst.resource.type == KEY_TYPE and need.rule == "TFKMS200"
                        and version is not None and version < KEY_DKMS_COMPUTED_SINCE):
                    upgrade = (f", or upgrade the alicloud provider to >= {KEY_DKMS_COMPUTED_SINCE}, which makes "
                               "a key's dkms_instance_id Computed (no module change needed)")
                f = _finding("TFKMS204", inst_needs.inst,
                             f"{need.message}; the resource lives in a {kind} module ({first.module.source}) "
                             f"that tfkms never edits: fix it in the module's source or ask its owners{upgrade}",
                             Severity.ERROR)
                result.findings.append(f)
        return
    plan = plan_edits(group, needs, rotation, options, siblings)
    edits = build_edits(group, plan, edits_by_file)
    before = len(result.findings)
    attached = False
    unfixed: set[int] = set()  # blocked findings: no edit fixes them, a human must
    for inst_needs in group.needs:
        for need in inst_needs.needs:
            blocked = plan.blocked.get(need.attribute)
            if blocked is not None:
                f = _finding("TFKMS204", inst_needs.inst, f"{need.message}; {blocked}", Severity.ERROR)
                unfixed.add(id(f))
                result.findings.append(f)
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
    # Every finding an edit answers (a literal or an ignore_changes entry, whatever the strategy)
    # is resolved once those edits are written.
    group.findings = [f for f in result.findings[before:] if id(f) not in unfixed] + rotation_findings
    group.edits = edits


def _need_line(inst: ResourceInstance, need: Need) -> int:
    attr = inst.resource.attr(need.attribute)
    return attr.line if attr is not None else inst.resource.block.line


def _build_patches(result: Result, edits_by_file: dict[Path, tuple[SourceFile, list[Edit]]]) -> None:
    for path in sorted(edits_by_file, key=lambda p: edits_by_file[p][0].display):
        source, edits = edits_by_file[path]
        patch, problem = build_patch(source, edits)
        if problem is not None:
            result.problems.append(problem)
        elif patch is not None:
            result.patches.append(patch)
