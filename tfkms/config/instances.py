"""Roots, module instances and resource instances: the Terraform side, fully addressed
(addresses are written with the one grammar in tfkms.address)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfkms.address import UNKNOWN_KEY, format_key
from tfkms.config.evaluator import evaluate
from tfkms.config.model import PROVIDER_NAME, ModuleCall, ModuleDir, ProviderBlock, ResourceBlock
from tfkms.config.scope import Scope
from tfkms.config.syntax import Attribute
from tfkms.config.traversal import traversal_of
from tfkms.config.values import UNKNOWN, Unknown
from tfkms.knowledge.versions import ProviderVersion


@dataclass
class ProviderBinding:
    ref: str
    region: str | None
    block: ProviderBlock | None


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
    def provider(self) -> ProviderBinding | None:
        attr = self.resource.attr("provider")
        ref = PROVIDER_NAME
        if attr is not None:
            ref = _provider_ref(attr) or ref
        return self.module.providers.get(ref)

    @property
    def region(self) -> str | None:
        binding = self.provider
        return binding.region if binding else None

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

    @property
    def display(self) -> str:
        return self.dir.display

    def resource_instances(self, kms_only: bool = True) -> Iterator[ResourceInstance]:
        for module in self.modules:
            for resource in module.dir.resources:
                if kms_only and not resource.is_kms:
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
