"""Which instances of a resource block exist: the ones the state holds (after Terraform's moves).

Config evaluation sees variable defaults and auto-loaded tfvars, not the -var-file a pipeline
passes: `count = var.enabled ? 1 : 0` may evaluate to no instance while production has `db[0]`,
and a module call with `count = 0` here may have instances there. The state's instances are
mapped to their block (and module call) and the config's own answer is kept as a cross-check.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from tfkms.address import INDEX, UNKNOWN_KEY, format_key, parse_key
from tfkms.config.instances import ModuleInstance, ResourceInstance
from tfkms.config.model import ResourceBlock
from tfkms.config.values import UNKNOWN
from tfkms.truth.state import StateFile

_ANY_KEY = f"({INDEX.pattern})"


def instances_from_state(state: StateFile | None, module: ModuleInstance, resource: ResourceBlock,
                         config: list[ResourceInstance]
                         ) -> tuple[list[ResourceInstance], tuple[list[str], list[str]] | None]:
    """The instances that exist (config's own, for instances the state lacks: not created yet),
    and, when config evaluated to other instances than the state holds, (config's keys, state's)."""
    if state is None:
        return config, None
    held = _held(state, module, resource)
    if not held:
        return config, None
    by_key = {inst.key: inst for inst in config if inst.module is module}
    out = []
    for steps, key in held:
        inst = by_key.get(key) if steps == module.steps else None
        if inst is None:
            home = module if steps == module.steps else replace(module, steps=steps)
            scope = home.scope.with_count(key) if isinstance(key, int) else (
                home.scope.with_each(key, UNKNOWN) if isinstance(key, str) else home.scope)
            inst = ResourceInstance(resource, home, key, scope)
        out.append(inst)
    held_keys = {key for steps, key in held if steps == module.steps}
    out += [inst for inst in config if inst.key not in held_keys and inst.key is not UNKNOWN_KEY
            and "[*]" not in inst.module.address_prefix]
    known = [i for i in config if i.key is not UNKNOWN_KEY and "[*]" not in i.module.address_prefix]
    if (UNKNOWN_KEY in by_key and "[*]" not in module.address_prefix) or (
            "[*]" not in module.address_prefix and held_keys <= set(by_key)):
        return out, None
    evaluated = sorted(format_key(i.key) or "(no key)" for i in known)
    said = [_instance_label(steps, key, module, resource) for steps, key in held]
    return out, (evaluated, said)


def _held(state: StateFile, module: ModuleInstance, resource: ResourceBlock) -> list[tuple[tuple, Any]]:
    """(module steps, resource key) of every instance of this block the state holds, module keys
    that config could not tell ([*]) filled in from the state's addresses."""
    kind: type = (int if resource.attr("count") is not None else
                  str if resource.attr("for_each") is not None else type(None))
    prefix = module.address_prefix + resource.config_name
    pattern = re.compile(re.escape(prefix).replace(re.escape("[*]"), _ANY_KEY) + f"{_ANY_KEY}?")
    wild = [i for i, (_, key) in enumerate(module.steps) if key is UNKNOWN_KEY]
    out = []
    for address in state.instances:
        match = pattern.fullmatch(address)
        if match is None:
            continue
        groups = match.groups()
        steps = list(module.steps)
        for position, text in zip(wild, groups[:-1], strict=True):
            steps[position] = (steps[position][0], parse_key(text))
        key = parse_key(groups[-1]) if groups[-1] else None
        if isinstance(key, kind) and not (kind is int and isinstance(key, bool)):
            out.append((tuple(steps), key))
    return out


def _instance_label(steps: tuple, key: Any, module: ModuleInstance, resource: ResourceBlock) -> str:
    if steps == module.steps:
        return format_key(key) or "(no key)"
    return "".join(f"module.{name}{format_key(k)}." for name, k in steps) + resource.config_name + format_key(key)
