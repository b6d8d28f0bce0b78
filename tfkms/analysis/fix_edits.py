"""`tfkms fix`, edits: turn a resource block's EditPlan into text splices (HCL or .tf.json),
including the variable threaded through a local module's call sites."""
from __future__ import annotations

from pathlib import Path

from tfkms.analysis.fix_strategy import EditPlan, FixGroup
from tfkms.analysis.value_sites import Site
from tfkms.config.model import ResourceBlock
from tfkms.config.syntax import Attribute, SourceFile
from tfkms.patch import hcl_edits, json_edits
from tfkms.patch.hcl_edits import CannotEdit
from tfkms.patch.literals import PlainJSON, indent_multiline, literal_value
from tfkms.patch.model import Edit


def build_edits(group: FixGroup, plan: EditPlan, edits_by_file: dict[Path, tuple[SourceFile, list[Edit]]],
                written: dict[tuple[str, int, str], str] | None = None) -> list[Edit]:
    """`written`: site key -> value already written by another group (a site is edited once)."""
    resource, source = group.resource, group.resource.file
    out: list[Edit] = []
    sources = _sources(group) + [site.file for site, _ in plan.sites]
    try:
        if source.syntax == "json":
            out += _json_edits(source, resource, plan)
        else:
            out += _hcl_edits(source, resource, plan)
            if plan.thread is not None:
                out += _thread_edits(group, plan)
        for site, text in plan.sites:
            if written is not None and site.key in written:
                group.shared_site_files.add(site.file.display)  # written by another group's edits
                continue
            out += _site_edits(site, text)
    except CannotEdit as exc:
        for attribute in list(plan.reasons):
            plan.blocked[attribute] = str(exc)
        return []
    if written is not None:
        written.update({site.key: text for site, text in plan.sites})
    for edit in out:
        path = _path_of(edit, sources)
        # Keyed by the real file: two roots reaching one file through symlinks patch it once.
        edits_by_file.setdefault(path[0].resolve(), (path[1], []))[1].append(edit)
    return out


def _path_of(edit: Edit, sources: list[SourceFile]) -> tuple[Path, SourceFile]:
    for source in sources:
        if source.display == edit.file:
            return source.path, source
    raise AssertionError(edit.file)


def _sources(group: FixGroup) -> list[SourceFile]:
    out = [group.resource.file, _variables_file(group), *group.resource.override_files]
    for call in group.thread_calls.values():
        out.append(call.file)
    return out


def _hcl_edits(source: SourceFile, resource: ResourceBlock, plan: EditPlan) -> list[Edit]:
    from tfkms.patch.layout import child_indent

    out: list[Edit] = []
    block = resource.block
    indent = child_indent(source, block)
    for attribute, value in plan.values.items():
        text = indent_multiline(value, indent, source.newline)
        found = resource.attr_source(attribute)  # the file that sets it last (an override file, maybe)
        out += [_replace(resource, found, value)] if found else hcl_edits.insert_attribute(
            source, block, attribute, text)
    if plan.thread is not None:
        variable, _ = plan.thread
        found = resource.attr_source("dkms_instance_id")
        value = f"var.{variable}"
        out += [_replace(resource, found, value)] if found else hcl_edits.insert_attribute(
            source, block, "dkms_instance_id", value)
    if plan.ignore:
        out += _add_ignore_changes(resource, plan.ignore)
    return out


def _replace(resource: ResourceBlock, found: tuple[SourceFile, Attribute], value: str) -> Edit:
    """Replace an argument's value where Terraform takes it from: the resource's own file, or the
    override file (`*_override.tf`, `.tf.json`) that sets it last, in that file's syntax. `value`
    is HCL text."""
    from tfkms.patch.layout import child_indent

    where, attr = found
    if where.syntax == "json":
        try:
            parsed = literal_value(value)  # HCL text, not JSON: `$${` is HCL's, json.loads would keep it
        except ValueError:
            raise CannotEdit(f"{where.display}: this value is not written into .tf.json "
                             f"({resource.config_name} takes it from there); use --strategy ignore-changes") from None
        return json_edits.replace_value(where, attr, parsed)
    block = next((b for s, b in resource.overrides if s is where and attr in b.attributes.values()), resource.block)
    return hcl_edits.replace_value(where, attr, indent_multiline(value, child_indent(where, block), where.newline))


def _add_ignore_changes(resource: ResourceBlock, names: list[str]) -> list[Edit]:
    """Into the lifecycle whose ignore_changes Terraform uses: the last override file setting it
    (lifecycle merges argument by argument), else the resource's own block."""
    where, block = resource.lifecycle_target("ignore_changes")
    edits = json_edits if where.syntax == "json" else hcl_edits
    return edits.add_ignore_changes(where, block, names)


def _thread_edits(group: FixGroup, plan: EditPlan) -> list[Edit]:
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
        text = indent_multiline(value, child_indent(call.file, call.block), call.file.newline)
        out += [hcl_edits.replace_value(call.file, existing, text)] if existing else hcl_edits.insert_attribute(
            call.file, call.block, variable, text)
    return out


def _site_edits(site: Site, text: str) -> list[Edit]:
    """The value written where a variable is set: a tfvars entry, a default, a module call argument."""
    from tfkms.patch.layout import child_indent

    source = site.file
    if source.syntax == "json":
        try:
            value = literal_value(text)  # HCL text, not JSON: `$${` is HCL's, json.loads would keep it
        except ValueError:
            raise CannotEdit(f"{source.display}: per-instance values are not written into .tf.json; "
                             "use --strategy ignore-changes") from None
        if isinstance(value, str) and site.kind in ("default", "tfvars"):
            value = PlainJSON(value)  # read as data, not as a template
        if site.attr is not None:
            return [json_edits.replace_value(source, site.attr, value)]
        assert site.block is not None
        return json_edits.insert_attribute(source, site.block, site.name, value)
    if site.kind == "input":
        return _input_edits(site, text)
    indent = child_indent(source, site.block) if site.block is not None else ""
    text = indent_multiline(text, indent, source.newline)
    if site.attr is not None:
        return [hcl_edits.replace_value(source, site.attr, text)]
    assert site.block is not None
    return hcl_edits.insert_attribute(source, site.block, site.name, text)


def _input_edits(site: Site, text: str) -> list[Edit]:
    """A Terragrunt unit's `inputs` entry: replaced in place, inserted into the object (aligned as
    `terraform fmt` / `terragrunt hclfmt` align object items), or a new `inputs = { ... }` at the end
    of the unit's file. The object is not a block, so the edits carry no block expectation: the
    re-parse checks them."""
    from tfkms.patch.layout import child_indent

    source = site.file
    if site.block is None:
        return [hcl_edits.append_top_level_block(source, f"inputs = {{\n  {site.name} = {text}\n}}\n")]
    text = indent_multiline(text, child_indent(source, site.block), source.newline)
    edits = ([hcl_edits.replace_value(source, site.attr, text)] if site.attr is not None
             else hcl_edits.insert_attribute(source, site.block, site.name, text))
    return [Edit(e.file, e.line, e.start, e.end, e.before, e.after) for e in edits]


def _variables_file(group: FixGroup) -> SourceFile:
    """Where a new variable goes: the module's variables.tf if it has one, else beside the resource."""
    for source in group.instances[0].module.dir.files:
        if source.path.name == "variables.tf":
            return source
    return group.resource.file


def _json_edits(source: SourceFile, resource: ResourceBlock, plan: EditPlan) -> list[Edit]:
    out: list[Edit] = []
    block = resource.block
    for attribute, value in plan.values.items():
        try:
            parsed = literal_value(value)  # HCL text, not JSON: `$${` is HCL's, json.loads would keep it
        except ValueError:
            raise CannotEdit(f"{source.display}: per-instance values are not written into .tf.json; "
                             "use --strategy ignore-changes") from None
        found = resource.attr_source(attribute)  # the file that sets it last (an override file, maybe)
        out += [_replace(resource, found, value)] if found else json_edits.insert_attribute(
            source, block, attribute, parsed)
    if plan.ignore:
        out += _add_ignore_changes(resource, plan.ignore)
    return out
