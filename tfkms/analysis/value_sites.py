"""Where an argument's value is set: the place a fix writes to.

`dkms_instance_id = var.kms_instance` is the team's own input: its value is set in a tfvars file,
a variable's default, or at a module call, and that is where a literal belongs; replacing the
reference with a literal would silently cut the input off. An expression tfkms cannot trace to
one literal (a conditional, a local, a function) is never rewritten: the caller falls back to
`ignore_changes` and says what a human would set.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from tfkms.config.instances import ModuleInstance, ResourceInstance
from tfkms.config.syntax import Attribute, Block, Expr, SourceFile
from tfkms.config.traversal import traversal_of

_LITERAL_TEXT = re.compile(r'"[^"$%\\]*"|null')


@dataclass(frozen=True)
class Site:
    """One place a value is written: `name` inside `block` (top level of a tfvars file when None)."""

    kind: str  # resource | tfvars | default | call | input (a Terragrunt unit's `inputs` entry)
    file: SourceFile
    block: Block | None
    name: str
    attr: Attribute | None  # the attribute there now; None: it is inserted
    variable: str | None = None  # the input the value flows through (var.NAME)

    @property
    def key(self) -> tuple[str, int, str]:
        return (str(self.file.path), self.block.start if self.block else -1, self.name)

    @property
    def where(self) -> str:
        line = self.attr.line if self.attr else (self.block.line if self.block else 1)
        return f"{self.file.display}:{line}"


@dataclass(frozen=True)
class Resolution:
    site: Site | None
    why: str = ""  # no site: what the expression is and what a human would set


def is_literal_expr(expr: Expr) -> bool:
    if expr.syntax == "json":
        return expr.node.kind in ("string", "null") and "${" not in str(expr.node.value or "")
    return not expr.heredoc and bool(_LITERAL_TEXT.fullmatch(expr.text.strip()))


def _variable_ref(expr: Expr) -> str | None:
    """`var.NAME` exactly (in HCL; .tf.json strings are templates tfkms does not trace)."""
    if expr.syntax != "hcl" or expr.redacted:
        return None
    trav = traversal_of(expr.tree())
    if trav and len(trav) == 2 and trav[0] == "var" and isinstance(trav[1], str):
        return trav[1]
    return None


def resolve(inst: ResourceInstance, attribute: str) -> Resolution:
    """The site of `attribute` for this instance (the resource block itself when absent or literal)."""
    resource = inst.resource
    attr = resource.attr(attribute)
    if attr is None or is_literal_expr(attr.expr):
        return Resolution(Site("resource", resource.file, resource.block, attribute, attr))
    variable = _variable_ref(attr.expr)
    if variable is None:
        return Resolution(None, f"{attribute} = {_short(attr.expr)} is an expression tfkms did not write "
                                "(kept as the team wrote it)")
    return _resolve_variable(inst.module, variable, attribute)


def _resolve_variable(module: ModuleInstance, name: str, attribute: str) -> Resolution:
    decl = module.dir.variables.get(name)
    if decl is None:
        return Resolution(None, f"var.{name} is not declared in {module.dir.display}")
    if not module.steps and module.root.unit is not None:
        return unit_input_resolution(module, name)
    if not module.steps:  # the root: tfvars (the last one setting it wins), else the default
        for source in reversed(module.dir.tfvars):
            found = source.attributes.get(name)
            if found is not None:
                if is_literal_expr(found.expr):
                    return Resolution(Site("tfvars", source, None, name, found, name))
                return Resolution(None, f"var.{name} is set by an expression in {source.display}")
        default = decl.attr("default")
        if default is not None and is_literal_expr(default.expr):
            return Resolution(Site("default", decl.file, decl.block, "default", default, name))
        where = "has no default" if default is None else "has a default tfkms cannot rewrite"
        return Resolution(None, f"var.{name} {where} and no terraform.tfvars/*.auto.tfvars sets it: set it where "
                                f"the pipeline passes variables (-var-file, TF_VAR_{name})")
    call = module.calls[-1]
    if not all(kind == "local" for kind in module.kinds[:-1]):
        return Resolution(None, f"var.{name} is set by module.{call.name} in a module tfkms never edits")
    argument = call.block.attributes.get(name)
    if argument is None:  # the caller leaves it to the default: the value goes at this call site
        return Resolution(Site("call", call.file, call.block, name, None, name))
    if is_literal_expr(argument.expr):
        return Resolution(Site("call", call.file, call.block, name, argument, name))
    upstream = _variable_ref(argument.expr)
    parent = _parent(module)
    if upstream is not None and parent is not None:
        return _resolve_variable(parent, upstream, attribute)
    return Resolution(None, f"module.{call.name} sets {name} = {_short(argument.expr)} "
                            f"({call.file.display}:{argument.line}), an expression tfkms did not write")


def _parent(module: ModuleInstance) -> ModuleInstance | None:
    for candidate in module.root.modules:
        if candidate.steps == module.steps[:-1]:
            return candidate
    return None


def _short(expr: Expr) -> str:
    text = " ".join(expr.text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def unit_input_resolution(module: ModuleInstance, name: str) -> Resolution:
    """A Terragrunt unit's module: a tfvars file inside the module wins over the unit's inputs
    (TF_VAR_ environment variables) but is read by every unit running the module, so tfkms does not
    write it; else the unit's own `inputs` entry (a literal: replaced; none, or only an included
    parent's: inserted, the child's entry wins), never the shared module's default."""
    unit = module.root.unit
    assert unit is not None
    for source in reversed(module.dir.tfvars):
        if name in source.attributes:
            return Resolution(None, f"var.{name} is set in {source.display}, inside the module every unit running it "
                                    "reads: set it there by hand, or move it to the units' inputs")
    entry = unit.inputs.get(name)
    if entry is not None and entry.attr is not None:
        if is_literal_expr(entry.attr.expr):
            return Resolution(Site("input", unit.file, unit.inputs_block, name, entry.attr, name))
        return Resolution(None, f"inputs.{name} = {_short(entry.attr.expr)} ({unit.file.display}:{entry.attr.line}) "
                                "is an expression tfkms did not write (kept as the team wrote it)")
    if unit.inputs_block is None and "inputs" in unit.file.attributes:
        return Resolution(None, f"inputs in {unit.file.display} is an expression tfkms cannot add an entry to")
    return Resolution(Site("input", unit.file, unit.inputs_block, name, None, name))
