"""Roots, module instances and resource instances: the Terraform side, fully addressed
(addresses are written with the one grammar in tfkms.address)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfkms.address import UNKNOWN_KEY, format_key
from tfkms.config.evaluator import evaluate
from tfkms.config.model import PROVIDER_NAME, ModuleCall, ModuleDir, ProviderBlock, ResourceBlock
from tfkms.config.scope import Scope
from tfkms.config.syntax import Attribute
from tfkms.config.traversal import traversal_of
from tfkms.config.values import UNKNOWN, Unknown
from tfkms.knowledge.versions import ProviderVersion

if TYPE_CHECKING:
    from tfkms.config.terragrunt import TerragruntUnit


@dataclass
class ProviderBinding:
    """One alicloud provider configuration as a module sees it: `ref` is its name in the module that
    declared it (`alicloud`, `alicloud.sh`); `block` is None for the implicit default configuration of
    a root that declares none. `region_source` says where `region` came from: "config" (the block's
    `region`), "environment" (ALIBABA_CLOUD_REGION / ALICLOUD_REGION, which Terraform's provider reads
    when the block leaves `region` out), "expression" (a `region` tfkms cannot evaluate: region None),
    "unset" (no `region`, no environment default: region None)."""

    ref: str
    region: str | None
    block: ProviderBlock | None
    region_source: str = "config"

    @property
    def why_unknown(self) -> str:
        """Why `region` is None, for messages."""
        where = (f"provider {self.ref} ({self.block.file.display}:{self.block.block.line})" if self.block
                 else f"the implicit default provider {self.ref} (no provider block)")
        if self.region_source == "expression":
            return f"{where} sets region to a value tfkms cannot evaluate"
        return f"{where} sets no region and ALIBABA_CLOUD_REGION / ALICLOUD_REGION is not set"


@dataclass
class ModuleInstance:
    root: Root
    steps: tuple[tuple[str, Any], ...]
    dir: ModuleDir
    scope: Scope
    providers: dict[str, ProviderBinding]
    kinds: tuple[str, ...]  # source kind of each call on the way from the root
    calls: tuple[ModuleCall, ...]
    source: str | None = None

    @property
    def address_prefix(self) -> str:
        return "".join(f"module.{name}{format_key(key)}." for name, key in self.steps)

    @property
    def config_prefix(self) -> str:
        return "".join(f"module.{name}." for name, _ in self.steps)

    @property
    def editable(self) -> bool:
        return all(kind == "local" for kind in self.kinds)

    @property
    def owner_kind(self) -> str | None:
        """The first non-local source on the way down (registry/git/remote), else local/None."""
        for kind in self.kinds:
            if kind != "local":
                return kind
        return "local" if self.kinds else None


@dataclass
class ResourceInstance:
    resource: ResourceBlock
    module: ModuleInstance
    key: Any
    scope: Scope

    @property
    def address(self) -> str:
        return f"{self.module.address_prefix}{self.resource.config_name}{format_key(self.key)}"

    @property
    def config_address(self) -> str:
        return f"{self.module.config_prefix}{self.resource.config_name}"

    @property
    def provider_ref(self) -> str:
        """The provider configuration the resource names (`provider = alicloud.sh`), else the default."""
        attr = self.resource.attr("provider")
        ref = _provider_ref(attr) if attr is not None else None
        return ref or PROVIDER_NAME

    @property
    def provider(self) -> ProviderBinding | None:
        """The configuration it is bound to; None when its module has none of that name."""
        return self.module.providers.get(self.provider_ref)

    @property
    def region(self) -> str | None:
        """The region its provider configuration targets; None when tfkms cannot tell (never a guess)."""
        binding = self.provider
        return binding.region if binding else None

    @property
    def region_unknown_reason(self) -> str | None:
        """Why `region` is None (None when the region is known)."""
        binding = self.provider
        if binding is None:
            where = self.module.config_prefix.rstrip(".") or "the root module"
            return f"{where} has no provider configuration {self.provider_ref}"
        return None if binding.region else binding.why_unknown

    def value(self, name: str) -> Any:
        """The evaluated argument, None when absent, Unknown when not statically known."""
        attr = self.resource.attr(name)
        return evaluate(attr.expr, self.scope) if attr is not None else None


@dataclass
class Root:
    dir: ModuleDir
    base: Path
    modules_json: dict[str, tuple[str, Path]] = field(default_factory=dict)
    provider_version: ProviderVersion | None = None
    version_origin: str = "unknown"  # lock file | constraint | --provider-version | unknown
    version_file: str | None = None
    version_line: int | None = None
    modules: list[ModuleInstance] = field(default_factory=list)
    dormant_modules: list[ModuleInstance] = field(default_factory=list)  # calls config expands to no instance
    # A Terragrunt unit whose module `dir` is: the root is the unit (its display, folder, inputs, state).
    unit: TerragruntUnit | None = None

    @property
    def display(self) -> str:
        return self.unit.display if self.unit is not None else self.dir.display

    @property
    def path(self) -> Path:
        """The folder the root is run in: the unit's for a Terragrunt unit, else its configuration's."""
        return self.unit.path if self.unit is not None else self.dir.path

    def resource_instances(self, kms_only: bool = True, protected: bool = False) -> Iterator[ResourceInstance]:
        """KMS resource instances; with `protected`, also the other types `fix` protects
        (tfkms.knowledge.forcenew); with `kms_only=False`, every resource."""
        for module in self.modules:
            for resource in module.dir.resources:
                if kms_only and not (resource.is_protected if protected else resource.is_kms):
                    continue
                yield from expand_resource(resource, module)


def _provider_ref(attr: Attribute) -> str | None:
    """`provider = alicloud.eu` -> "alicloud.eu" (a quoted string in .tf.json)."""
    if attr.expr.syntax == "json":
        value = evaluate(attr.expr)
        return value if isinstance(value, str) else None
    trav = traversal_of(attr.expr.tree())
    if trav and all(isinstance(s, str) for s in trav):
        return ".".join(trav)
    return None


def expand_keys(attr_count: Attribute | None, attr_for_each: Attribute | None, scope: Scope
                ) -> list[tuple[Any, Scope]]:
    """Instance keys with the scope each instance evaluates in."""
    if attr_count is not None:
        n = evaluate(attr_count.expr, scope)
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            return [(UNKNOWN_KEY, scope.with_count(UNKNOWN))]
        return [(i, scope.with_count(i)) for i in range(n)]
    if attr_for_each is not None:
        value = evaluate(attr_for_each.expr, scope)
        if isinstance(value, dict) and not isinstance(value, Unknown):
            return [(k, scope.with_each(k, value[k])) for k in sorted(value)]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [(k, scope.with_each(k, k)) for k in sorted(set(value))]
        return [(UNKNOWN_KEY, scope.with_each(UNKNOWN, UNKNOWN))]
    return [(None, scope)]


def expand_resource(resource: ResourceBlock, module: ModuleInstance) -> list[ResourceInstance]:
    keys = expand_keys(resource.attr("count"), resource.attr("for_each"), module.scope)
    return [ResourceInstance(resource, module, key, scope) for key, scope in keys]
