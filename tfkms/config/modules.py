"""Module expansion: a root module and every module instance below it, each with the scope
its expressions evaluate in and the provider configurations it sees."""
from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfkms.address import UNKNOWN_KEY
from tfkms.config.evaluator import evaluate
from tfkms.config.instances import ModuleInstance, ProviderBinding, Root, expand_keys
from tfkms.config.loader import Loader, read_modules_json
from tfkms.config.model import PROVIDER_NAME, ModuleCall, ModuleDir
from tfkms.config.scope import Deferred, Scope
from tfkms.config.syntax import Expr
from tfkms.config.traversal import traversal_of
from tfkms.config.values import UNKNOWN

if TYPE_CHECKING:
    from tfkms.config.terragrunt import TerragruntUnit

MAX_MODULE_DEPTH = 32


def source_kind(source: str) -> str:
    if source.startswith(("./", "../", ".\\", "..\\")):
        return "local"
    if source.startswith(("git::", "git@", "github.com/", "bitbucket.org/")) or ".git" in source:
        return "git"
    if re.match(r"^([\w.-]+/)?[\w-]+/[\w-]+/[\w-]+(//.*)?$", source):
        return "registry"
    return "remote"


def call_source(call: ModuleCall) -> str | None:
    """A module call's `source`, when it is a string (Terraform requires a literal one)."""
    attr = call.attr("source")
    source = evaluate(attr.expr) if attr else None
    return source if isinstance(source, str) else None


def local_call_target(module_dir: ModuleDir, call: ModuleCall) -> Path | None:
    """The directory a call with a local `source` loads, resolved; None for other sources."""
    source = call_source(call)
    if source is None or source_kind(source) != "local":
        return None
    return (module_dir.path / source).resolve()


def _module_scope(module_dir: ModuleDir, arguments: dict[str, Deferred]) -> Scope:
    """Variables from their defaults, overridden by `arguments` (tfvars or a module call's)."""
    variables: dict[str, Any] = {name: _default(decl.default) for name, decl in module_dir.variables.items()}
    variables.update(arguments)
    return Scope(variables=variables, local_exprs=dict(module_dir.locals))


def _default(default: Expr | None) -> Any:
    return Deferred(partial(evaluate, default)) if default is not None else UNKNOWN


def _root_scope(module_dir: ModuleDir) -> Scope:
    tfvars = {name: Deferred(partial(evaluate, attr.expr))
              for source in module_dir.tfvars for name, attr in source.attributes.items()}
    return _module_scope(module_dir, tfvars)


def _unit_scope(module_dir: ModuleDir, unit: TerragruntUnit) -> Scope:
    """A Terragrunt unit's module: its `inputs` arrive as TF_VAR_ environment variables, which
    the module's own tfvars files override (Terraform reads the environment first)."""
    arguments: dict[str, Any] = {name: entry.value for name, entry in unit.inputs.items()}
    arguments.update({name: Deferred(partial(evaluate, attr.expr))
                      for source in module_dir.tfvars for name, attr in source.attributes.items()})
    return _module_scope(module_dir, arguments)


def _child_scope(module_dir: ModuleDir, call: ModuleCall, parent_scope: Scope) -> Scope:
    arguments = {name: Deferred(partial(evaluate, attr.expr, parent_scope)) for name, attr in call.arguments.items()}
    return _module_scope(module_dir, arguments)


def _bind_providers(module_dir: ModuleDir, scope: Scope, inherited: dict[str, ProviderBinding],
                    default_region: str | None) -> dict[str, ProviderBinding]:
    """The configurations a module sees: those passed or inherited from its caller, overridden by
    the module's own `provider "alicloud"` blocks. A block without `region` gets the provider's
    environment default (`default_region`, from ALIBABA_CLOUD_REGION / ALICLOUD_REGION); a `region`
    tfkms cannot evaluate is unknown (None), never the environment's."""
    bindings = dict(inherited)
    for provider in module_dir.providers:
        if provider.name != PROVIDER_NAME:
            continue
        attr = provider.attr("region")
        if attr is None:
            bindings[provider.ref] = ProviderBinding(provider.ref, default_region, provider,
                                                     "environment" if default_region else "unset")
            continue
        region = evaluate(attr.expr, scope)
        known = isinstance(region, str) and region != ""
        bindings[provider.ref] = ProviderBinding(provider.ref, region if known else None, provider,
                                                 "config" if known else "expression")
    return bindings


def _root_providers(module_dir: ModuleDir, scope: Scope, default_region: str | None) -> dict[str, ProviderBinding]:
    """A root without a `provider "alicloud"` block still has the default configuration: Terraform
    makes an empty one, whose region comes from the environment."""
    implicit = ProviderBinding(PROVIDER_NAME, default_region, None, "environment" if default_region else "unset")
    return _bind_providers(module_dir, scope, {PROVIDER_NAME: implicit}, default_region)


def _call_providers(call: ModuleCall, parent: dict[str, ProviderBinding]) -> dict[str, ProviderBinding]:
    attr = call.attr("providers")
    if attr is None:  # only the default (unaliased) configuration is inherited implicitly
        return {PROVIDER_NAME: parent[PROVIDER_NAME]} if PROVIDER_NAME in parent else {}
    mapping: dict[str, str] = {}
    if attr.expr.syntax == "json":
        value = evaluate(attr.expr)
        if isinstance(value, dict):
            mapping = {k: v for k, v in value.items() if isinstance(v, str)}
    else:
        from lark import Tree

        for elem in attr.expr.tree().iter_subtrees():
            if isinstance(elem, Tree) and elem.data == "object_elem":
                key = traversal_of(elem.children[0].children[0])
                target = traversal_of(elem.children[2])
                if key and target:
                    mapping[".".join(map(str, key))] = ".".join(map(str, target))
    out: dict[str, ProviderBinding] = {}
    for child_ref, parent_ref in mapping.items():
        if parent_ref in parent:
            out[child_ref] = parent[parent_ref]
    return out


class ModuleExpander:
    """Builds roots from module directories, loading called modules through one Loader."""

    def __init__(self, loader: Loader, default_region: str | None = None) -> None:
        self.loader = loader
        self.default_region = default_region  # the provider's environment default (ALICLOUD_REGION)

    def root(self, module_dir: ModuleDir, base: Path, unit: TerragruntUnit | None = None) -> Root:
        """`unit`: the Terragrunt unit that runs `module_dir` (its inputs set the variables)."""
        root = Root(dir=module_dir, base=base, modules_json=read_modules_json(module_dir.path), unit=unit)
        scope = _unit_scope(module_dir, unit) if unit is not None else _root_scope(module_dir)
        top = ModuleInstance(root=root, steps=(), dir=module_dir, scope=scope,
                             providers=_root_providers(module_dir, scope, self.default_region), kinds=(), calls=())
        self.expand(root, top, ())
        return root

    def expand(self, root: Root, parent: ModuleInstance, call_names: tuple[str, ...], dormant: bool = False) -> None:
        """`dormant`: a module instance config expands to none of (count = 0, for_each = [] with the
        values tfkms sees); kept apart in root.dormant_modules, where `fix` matches it with the state."""
        (root.dormant_modules if dormant else root.modules).append(parent)
        if len(parent.steps) >= MAX_MODULE_DEPTH:
            return
        for call in sorted(parent.dir.module_calls.values(), key=lambda c: c.name):
            resolved = self.resolve(root, parent, call, call_names + (call.name,))
            if resolved is None:
                continue
            kind, source, child_dir = resolved
            if any(m.dir.path.resolve() == child_dir.path.resolve() for m in _ancestors(root, parent)):
                continue  # a module calling itself: Terraform rejects it; do not loop
            keys = expand_keys(call.attr("count"), call.attr("for_each"), parent.scope)
            asleep = dormant or not keys
            if not keys:  # stand-in for the instances a pipeline's own variables may give it
                keys = [(UNKNOWN_KEY, parent.scope.with_count(UNKNOWN) if call.attr("count") is not None
                         else parent.scope.with_each(UNKNOWN, UNKNOWN))]
            for key, call_scope in keys:
                scope = _child_scope(child_dir, call, call_scope)
                providers = _bind_providers(child_dir, scope, _call_providers(call, parent.providers),
                                            self.default_region)
                child = ModuleInstance(root=root, steps=parent.steps + ((call.name, key),), dir=child_dir,
                                       scope=scope, providers=providers, kinds=parent.kinds + (kind,),
                                       calls=parent.calls + (call,), source=source)
                self.expand(root, child, call_names + (call.name,), asleep)

    def resolve(self, root: Root, parent: ModuleInstance, call: ModuleCall, key: tuple[str, ...]
                ) -> tuple[str, str, ModuleDir] | None:
        """(source kind, source, directory) of a call; None when its module is not on disk."""
        source = call_source(call)
        if source is None:
            return None
        kind = source_kind(source)
        if kind == "local":
            path = (parent.dir.path / source).resolve()
            if not path.is_dir() or _symlinked_out(parent.dir.path, source, path, root.base):
                return None
            return kind, source, self.loader.load(path)
        entry = root.modules_json.get(".".join(key))
        if entry is None or not entry[1].is_dir():
            return None
        return kind, source, self.loader.load(entry[1])


def _symlinked_out(caller: Path, source: str, resolved: Path, base: Path) -> bool:
    """A local module reached through a symlink in its `source` path that leads out of the scanned
    tree is not read (a PR could point `./mods` anywhere); `../../modules` without one is the
    user's own code, wherever it lies."""
    step = caller
    for part in Path(source).parts:
        step = step / part
        if part not in (".", "..") and step.is_symlink():
            return not resolved.is_relative_to(base.resolve())
    return False


def _ancestors(root: Root, module: ModuleInstance) -> list[ModuleInstance]:
    return [m for m in root.modules + root.dormant_modules
            if module.steps[:len(m.steps)] == m.steps and m is not module]
