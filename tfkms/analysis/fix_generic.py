"""`tfkms fix` beyond keys and secrets: any resource type whose schema has a ForceNew attribute
that is not Computed (tfkms.knowledge.forcenew), e.g. `alicloud_oos_secret_parameter`.

Decided from the truth, not from a list of attribute names: when the state holds a non-empty
value for such an attribute (on the provider version of the root) and the configuration does
not set it, the next plan destroys and recreates the resource. The need asks for the value the
state reports, so the usual strategy (write a literal, or `lifecycle.ignore_changes`, or
TFKMS204 in a module tfkms never edits) protects it exactly as it protects a secret's
`dkms_instance_id`. Keys and secrets keep their specialised rules (fix_needs); they never come
here. A Sensitive attribute is never asked for: its value must not reach a diff.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from tfkms.analysis.fix_needs import InstanceNeeds, Need, ignored_attributes
from tfkms.analysis.fix_strategy import FixGroup
from tfkms.analysis.join import Truth
from tfkms.config.instances import ResourceInstance
from tfkms.config.model import ResourceBlock
from tfkms.knowledge.forcenew import KNOWN_TYPES, ForceNewSpan, force_new_attributes
from tfkms.knowledge.resource_types import KEY_TYPE, SECRET_TYPE
from tfkms.truth.model import CloudResource
from tfkms.truth.state import resource_from_state

GENERIC_RULE = "TFKMS209"


def handles(resource: ResourceBlock) -> bool:
    """Whether the generic path decides for this block (keys and secrets have their own)."""
    return resource.mode == "managed" and resource.type in KNOWN_TYPES and resource.type not in (KEY_TYPE, SECRET_TYPE)


def add_generic_needs(groups: dict[tuple[Path, int], FixGroup], instances: list[ResourceInstance],
                      truth: Truth) -> list[InstanceNeeds]:
    """Put one block's instances (those the state holds, and those config adds) into its FixGroup,
    with their needs; the caller drops suppressed needs from what this returns."""
    out = generic_needs(instances, truth)
    if not instances or not out:
        return out
    resource = instances[0].resource
    group = groups.setdefault((resource.file.path, resource.block.start), FixGroup(resource))
    held = {needs.inst.address for needs in out}
    for inst in instances:
        group.instances.append(inst)
        if inst.address not in held:
            group.not_created.add(inst.address)  # the root's state does not hold it
    group.needs.extend(out)
    return out


def generic_needs(instances: list[ResourceInstance], truth: Truth) -> list[InstanceNeeds]:
    """One InstanceNeeds per instance the state holds (its needs may be empty: the strategy
    compares instances of a block), none for an instance the state does not hold or a root
    whose provider version is unknown (whether an attribute is ForceNew depends on it)."""
    out: list[InstanceNeeds] = []
    for inst in instances:
        if not handles(inst.resource):
            continue
        version = inst.module.root.provider_version
        found = truth.state_instance(inst)
        if version is None or found is None:
            continue
        cloud = resource_from_state(found)
        needs = InstanceNeeds(inst, cloud)
        out.append(needs)
        spans = [s for s in force_new_attributes(inst.resource.type, version) if _candidate(s)]
        if not spans:
            continue
        ignored, ignore_all = ignored_attributes(inst)
        if ignore_all:
            continue
        for span in spans:
            if span.attribute not in ignored:
                need = _need(inst, cloud, span, str(version))
                if need is not None:
                    needs.needs.append(need)
    return out


def _candidate(span: ForceNewSpan) -> bool:
    # Required: the config always sets it (Terraform refuses it otherwise). Sensitive: never
    # written, whatever the state says (the state reader drops such values anyway).
    return not span.required and not span.sensitive


def _need(inst: ResourceInstance, cloud: CloudResource, span: ForceNewSpan, version: str) -> Need | None:
    if inst.resource.attr(span.attribute) is not None:
        return None  # set in config: a difference there is the user's own change, planned as such
    value = cloud.attributes.get(span.attribute)
    if is_empty(value) or (span.default is not None and value == span.default):
        return None  # omitted means the default, and the state agrees: no diff
    return Need(GENERIC_RULE, span.attribute, value, None,
                f"the state reports {span.attribute} = {value!r}, the config omits it: on provider {version} "
                f"{span.type}.{span.attribute} is ForceNew and not Computed, so the plan would replace it")


def is_empty(value: Any) -> bool:
    """null, "", [] and {} are what the state holds for an attribute nobody set."""
    return value is None or value == "" or value == [] or value == {}
