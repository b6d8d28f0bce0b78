"""`tfkms fix`, sites: one book of every value a fix would write outside a resource block.

A variable's default, a tfvars entry or a module call argument can feed several resource
instances. Each instance that reads a site asks for a value (the one the cloud reports when it
needs a change, else what config says now); the site is written only when they all agree, or,
at a module call with count/for_each, as a lookup keyed per call instance. Otherwise a fix
through the site would repair one resource and replace another.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tfkms.analysis.fix_needs import InstanceNeeds
from tfkms.analysis.truth_values import check_values
from tfkms.analysis.value_sites import Resolution, Site, resolve
from tfkms.config.syntax import Block, SourceFile
from tfkms.config.values import Unknown
from tfkms.patch.literals import by_count_index, by_each_key, hcl_string

# The attributes a fix may write (the ones fix_needs judges).
SITE_ATTRIBUTES = ("dkms_instance_id", "protection_level", "encryption_key_id")


@dataclass
class _Demands:
    site: Site
    by_address: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # address -> (call key, value)
    attributes: set[str] = field(default_factory=set)  # what the site's value is read as (checked before written)


@dataclass
class SiteBook:
    demands: dict[tuple[str, int, str], _Demands] = field(default_factory=dict)
    resolutions: dict[tuple[str, str, str], Resolution] = field(default_factory=dict)  # (root, address, attribute)

    def resolution(self, needs: InstanceNeeds, attribute: str) -> Resolution:
        # The same in every workspace; two roots (Terragrunt units of one module) share addresses.
        found = self.resolutions.get((needs.inst.module.root.display, needs.inst.address, attribute))
        return found if found is not None else resolve(needs.inst, attribute)

    def add(self, needs: InstanceNeeds) -> None:
        wanted = {n.attribute: n.desired for n in needs.needs}
        for attribute in SITE_ATTRIBUTES:
            if needs.inst.resource.attr(attribute) is None:
                continue
            res = resolve(needs.inst, attribute)
            self.resolutions[(needs.inst.module.root.display, needs.inst.address, attribute)] = res
            if res.site is None or res.site.kind == "resource":
                continue
            value = wanted[attribute] if attribute in wanted else needs.inst.value(attribute)
            call_key = needs.inst.module.steps[-1][1] if needs.inst.module.steps else None
            entry = self.demands.setdefault(res.site.key, _Demands(res.site))
            entry.attributes.add(attribute)
            reader = needs.inst.address + (f" (workspace {needs.workspace})" if needs.workspace else "")
            entry.by_address[reader] = (call_key, value)

    def readers(self, file: SourceFile, block: Block, name: str) -> dict[str, tuple[Any, Any]]:
        """Instances reading `name` at this module call: address -> (call key, value they need)."""
        entry = self.demands.get((str(file.path), block.start, name))
        return entry.by_address if entry is not None else {}

    def value_text(self, site: Site) -> tuple[str | None, str]:
        """The HCL text to write at `site` and how it is keyed ("" for one value), or None and why not."""
        entry = self.demands[site.key]
        values = {v for _, v in entry.by_address.values()}
        if any(isinstance(v, Unknown) for v in values):
            return None, f"{site.where} also feeds instances whose value tfkms cannot evaluate"
        for attribute in sorted(entry.attributes):
            if (refused := check_values(attribute, list(values))) is not None:
                return None, f"{refused}, at {site.where}"
        if len(values) == 1:
            return hcl_string(values.pop()), ""
        per_key: dict[Any, Any] = {}
        for key, value in entry.by_address.values():
            if per_key.setdefault(key, value) != value:
                break
        else:
            if site.kind == "call" and all(isinstance(k, str) for k in per_key):
                return by_each_key(per_key), "a lookup by each.key"
            if site.kind == "call" and all(isinstance(k, int) and not isinstance(k, bool) for k in per_key):
                return by_count_index(per_key), "a lookup by count.index"
        wants = ", ".join(f"{a} needs {v!r}" for a, (_, v) in sorted(entry.by_address.items()))
        return None, f"{site.where} feeds instances that need different values ({wants})"
