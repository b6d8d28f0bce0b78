"""`tfkms fix`: join each KMS instance with its truth, decide per resource block (fix_strategy),
turn the decision into edits (fix_edits) and build the patches. Computes; the service writes."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tfkms.analysis.facts import suppression
from tfkms.analysis.fix_edits import build_edits
from tfkms.analysis.fix_generic import add_generic_needs
from tfkms.analysis.fix_needs import InstanceNeeds, Need, instance_needs
from tfkms.analysis.fix_sites import SiteBook
from tfkms.analysis.fix_strategy import FixGroup, FixOptions, plan_edits
from tfkms.analysis.fix_units import is_unit_group, plan_unit_edits
from tfkms.analysis.join import Truth, alias_names_for_keys, config_key_reference
from tfkms.analysis.records import resource_records
from tfkms.analysis.result import Finding, Result
from tfkms.analysis.rules import RULES, Severity
from tfkms.analysis.state_instances import instances_from_state
from tfkms.analysis.terragrunt_findings import say_units
from tfkms.config.instances import ModuleInstance, ResourceInstance, Root, expand_resource
from tfkms.config.model import ResourceBlock
from tfkms.config.scan import Project
from tfkms.config.syntax import SourceFile
from tfkms.knowledge.resource_types import KEY_TYPE, SECRET_TYPE
from tfkms.patch.apply import build_patch
from tfkms.patch.model import Edit

__all__ = ["FixOptions", "fix_project"]


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
        migrated_here = False
        for workspace, view in truth.workspace_views(root):
            migrated_here |= _collect_root(root, view, workspace, options, groups, result)
        if migrated_here:
            _version_findings(root, result)
    edits_by_file: dict[Path, tuple[SourceFile, list[Edit]]] = {}
    all_groups = list(groups.values())
    book = SiteBook()
    for group in all_groups:
        for inst_needs in group.needs:
            book.add(inst_needs)
    written: dict[tuple[str, int, str], str] = {}
    for group in all_groups:
        if group.needs:
            _decide(group, options, result, edits_by_file, all_groups, book, written)
    _build_patches(result, edits_by_file)
    _say_outside_edits(result)
    say_units(project, result)
    # The patch an edit lands in (a file reached through two symlinked roots is one patch).
    patch_of = {id(e): source.display for source, edits in edits_by_file.values() for e in edits}
    for group in all_groups:
        for finding in group.findings:  # resolved once every file of its group's edits is written
            finding.fixed_by = tuple(sorted({patch_of.get(id(e), e.file) for e in group.edits}
                                            | group.shared_site_files))
    _say_moves(result, truth)
    result.findings.sort(key=lambda f: (f.root or "", f.file or "", f.line or 0, f.address or "", f.rule))
    return result


def _say_outside_edits(result: Result) -> None:
    """Reviewers must see that a patch reaches beyond the folders they asked tfkms to scan."""
    for patch in result.patches:
        if patch.display == ".." or patch.display.startswith(("../", "/")):
            result.findings.append(Finding(
                rule="TFKMS211", severity=Severity.INFO, hint=RULES["TFKMS211"].help,
                message=f"the fix edits {patch.display}, outside the scanned paths (a module other roots may call)",
                file=patch.display, line=1))


def _say_moves(result: Result, truth: Truth) -> None:
    """A finding about an object Terraform moves before it plans names the address it has in the state."""
    for finding in result.findings:
        previous = truth.moved.get(finding.root or "", {}).get(finding.address or "")
        if previous is not None:
            finding.message += f" (the state holds it as {previous}; Terraform moves it first)"


def _collect_root(root: Root, truth: Truth, workspace: str | None, options: FixOptions,
                  groups: dict[tuple[Path, int], FixGroup], result: Result) -> bool:
    """Join the root's KMS instances with `truth` (one workspace's, when the root has several) and
    add what each needs to its block's group. Whether any instance had cloud facts."""
    aliases = alias_names_for_keys(root)
    migrated_here = False
    others = truth.unread_workspaces.get(root.display, [])
    for module, resource in _blocks(root):
        insts, disagreement = instances_from_state(truth.state_for(root), module, resource,
                                                   expand_resource(resource, module))
        note = _disagreement(insts, disagreement, module, resource)
        if workspace is not None:  # terraform.workspace is known in this workspace's instances
            insts = [ResourceInstance(i.resource, i.module, i.key, replace(i.scope, workspace=workspace))
                     for i in insts]
        if resource.mode != "managed" or resource.type not in (KEY_TYPE, SECRET_TYPE):
            generic = add_generic_needs(groups, insts, truth)  # other types (tfkms.knowledge.forcenew)
            for needs in generic:
                needs.workspace = workspace
                _drop_suppressed(needs, result)
            if note is not None and any(needs.needs for needs in generic):
                result.findings.append(_in_workspace(note, workspace))
            continue
        if note is not None:
            result.findings.append(_in_workspace(note, workspace))
        for inst in insts:
            group = groups.setdefault((inst.resource.file.path, inst.resource.block.start), FixGroup(inst.resource))
            group.instances.append(inst)
            group.unread_workspaces.update(others)
            cloud = (truth.key(inst, aliases.get(inst.address, [])) if inst.resource.type == KEY_TYPE
                     else truth.secret(inst))
            if cloud is None:
                if truth.state_for(root) is not None and truth.state_instance(inst) is None:
                    group.not_created.add(inst.address)  # the root's state does not hold it
                if truth.has_cloud_facts and truth.state_instance(inst) is None:
                    result.findings.append(_in_workspace(_unmatched(inst), workspace))
                continue
            migrated_here = True
            needs = instance_needs(inst, cloud, root.provider_version, options.ignore_rotation,
                                   _referenced_key_id(inst, truth))
            needs.workspace = workspace
            if workspace is not None:
                for need in needs.needs:
                    need.message = f"workspace {workspace}: {need.message}"
            _drop_suppressed(needs, result)
            if not cloud.dkms_instance_id and _migration_visible(root, truth):
                if not needs.needs:
                    result.findings.append(_in_workspace(
                        _finding("TFKMS206", inst, "not migrated yet: nothing to patch"), workspace))
                needs.rotation = []  # rotation is a post-migration matter
            group.needs.append(needs)
    return migrated_here


def _in_workspace(finding: Finding, workspace: str | None) -> Finding:
    if workspace is not None:
        finding.message = f"workspace {workspace}: {finding.message}"
    return finding


def _blocks(root: Root) -> list[tuple[ModuleInstance, ResourceBlock]]:
    """Every protected resource block of every module instance, also those config expands to no
    instance (count = 0 here, or in a module call above: the state says what exists)."""
    return [(module, resource) for module in root.modules + root.dormant_modules
            for resource in module.dir.resources if resource.is_protected]


def _disagreement(insts: list[ResourceInstance], disagreement: tuple[list[str], list[str]] | None,
                  module: ModuleInstance, resource: ResourceBlock) -> Finding | None:
    if disagreement is None or not insts:
        return None
    evaluated, held = disagreement
    note = _finding("TFKMS210", insts[0],
                    f"config evaluates to {', '.join(evaluated) or 'no instance'} with the values tfkms sees "
                    "(variable defaults, terraform.tfvars, *.auto.tfvars); the state holds "
                    f"{', '.join(held)}: tfkms follows the state")
    note.address = module.address_prefix + resource.config_name  # the block here, not one instance
    return note


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
        finding = _need_finding(need.rule, needs.inst, need)
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
            edits_by_file: dict[Path, tuple[SourceFile, list[Edit]]], siblings: list[FixGroup],
            book: SiteBook, written: dict[tuple[str, int, str], str]) -> None:
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
    planner = plan_unit_edits if is_unit_group(group) else plan_edits
    plan = planner(group, needs, rotation, options, siblings, book)
    edits = build_edits(group, plan, edits_by_file, written)
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
            f = _need_finding(need.rule, inst_needs.inst, need, severity)
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


def _need_finding(rule: str, inst: ResourceInstance, need: Need, severity: Severity | None = None) -> Finding:
    """A finding about one argument, at the file and line that set it last (an override file's
    argument is reported there, not in the base block)."""
    finding = _finding(rule, inst, need.message, severity)
    found = inst.resource.attr_source(need.attribute)
    if found is not None:
        finding.file, finding.line = found[0].display, found[1].line
    return finding


def _build_patches(result: Result, edits_by_file: dict[Path, tuple[SourceFile, list[Edit]]]) -> None:
    """Build every file's patch. A fix (the edits one finding carries, maybe across files: a module
    variable and its call sites) is all or nothing: when a file it edits is refused, its edits
    leave every file, the others are rebuilt without them, it gets no edits (so it is never marked
    resolved) and a TFKMS204 says why; patches that share a fix are written together or not at all."""
    from tfkms.errors import InputProblem
    from tfkms.patch.apply import LinkedPatch, PatchRefused
    from tfkms.patch.model import FilePatch

    fixes = [f for f in result.findings if f.edits]
    file_of = {id(e): source.display for source, edits in edits_by_file.values() for e in edits}
    dropped: set[int] = set()  # ids of the edits of refused fixes
    refusals: dict[int, InputProblem] = {}  # id(fix finding) -> why it was refused

    def build(source: SourceFile, edits: list[Edit]) -> tuple[FilePatch | None, InputProblem | None]:
        return build_patch(source, [e for e in edits if id(e) not in dropped])

    while True:
        built = {path: build(*edits_by_file[path]) for path in edits_by_file}
        newly = False
        for path, (_, problem) in built.items():
            if problem is None:
                continue
            source, edits = edits_by_file[path]
            live = [f for f in fixes if id(f) not in refusals and any(id(e) in file_of and file_of[id(e)] ==
                                                                       source.display for e in f.edits)]
            alone = [f for f in live if build(source, [e for e in edits if id(e) in {id(x) for x in f.edits}])[1]
                     is not None]
            for f in alone or live:  # the fixes that fail on their own, else all that edit the file
                refusals[id(f)] = problem
                dropped.update(id(e) for e in f.edits)
                newly = True
        if not newly:
            break
    reported: set[str] = set()
    for path in sorted(built, key=lambda p: edits_by_file[p][0].display):
        patch, problem = built[path]
        if problem is not None and not isinstance(problem, PatchRefused):
            result.problems.append(problem)
            reported.add(problem.file)
        elif patch is not None:
            result.patches.append(patch)
    for f in fixes:
        problem = refusals.get(id(f))
        if problem is None:
            continue
        if not isinstance(problem, PatchRefused) and problem.file not in reported:
            result.problems.append(problem)
            reported.add(problem.file)
        why = problem.message.removesuffix("; file left unchanged").removeprefix("cannot patch here: ")
        result.findings.append(Finding(
            rule="TFKMS204", severity=Severity.ERROR, hint=RULES["TFKMS204"].help,
            message=f"cannot patch here: {why} ({problem.render()}); nothing written for this fix, fix it by hand",
            address=f.address, root=f.root, file=problem.file, line=problem.line or f.line))
        f.edits.clear()  # the same list as its group's edits: a refused fix is never marked resolved
    names = {p.display: p for p in result.patches}
    for f in fixes:  # the files of one fix are written together or not at all
        files = {file_of[id(e)] for e in f.edits if id(e) in file_of} & set(names)
        for display in files:
            patch = names[display]
            if isinstance(patch, LinkedPatch):
                patch.together = patch.together | (files - {display})
