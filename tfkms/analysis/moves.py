"""Terraform's moves, applied to a state before it is joined with the config.

`terraform plan` renames state objects before it compares anything: first by the `moved` blocks
(in declaration order, each module's relative to that module), then implicitly, when a resource
gained or lost `count` (no key <-> `[0]`; Terraform's implied moves cover resources, not module
calls). A tfkms that matched addresses literally would miss `alicloud_kms_key.audit` once the
config says `count = 1`, and say "nothing to do" for a key the plan then replaces.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from tfkms.config.instances import Root
from tfkms.truth.state import StateFile, StateInstance

Move = Callable[[str], "str | None"]


def moved_address(address: str, source: str, target: str) -> str | None:
    """`address` renamed by `moved { from = source  to = target }` (absolute), else None.
    A source without a key also moves each of its instances; a module, everything in it."""
    if address == source:
        return target
    if address.startswith(source + "."):
        return target + address[len(source):]
    if address.startswith(source + "[") and not source.endswith("]") and not target.endswith("]"):
        return target + address[len(source):]
    return None


class _Renamer:
    def __init__(self, instances: dict[str, StateInstance]) -> None:
        self.instances = dict(instances)
        self.origin = {a: a for a in instances}  # current address -> address in the state file

    def step(self, move: Move) -> None:
        out: dict[str, StateInstance] = {}
        origin: dict[str, str] = {}
        for address, inst in self.instances.items():
            new = move(address)
            if new is None or new in self.instances or new in out:  # never onto an existing object
                new = address
            out[new] = inst if new == address else replace(inst, address=new)
            origin[new] = self.origin[address]
        self.instances, self.origin = out, origin


def _moved_block(source: str, target: str) -> Move:
    return lambda address: moved_address(address, source, target)


def _to_index_zero(name: str) -> Move:
    return lambda address: name + "[0]" if address == name else None


def _from_index_zero(name: str) -> Move:
    return lambda address: name if address == name + "[0]" else None


def apply_moves(state: StateFile, root: Root) -> tuple[StateFile, dict[str, str]]:
    """The state as `terraform plan` sees it after its moves, and new address -> address in the file."""
    renamer = _Renamer(state.instances)
    for module in root.modules:  # explicit moved blocks, each relative to its module instance
        prefix = module.address_prefix
        for block in getattr(module.dir, "moved", []):
            if block.from_address is None or block.to_address is None:
                continue
            source, target = prefix + block.from_address, prefix + block.to_address
            renamer.step(_moved_block(source, target))
    for module in root.modules:  # implied: count added (no key -> [0]) or removed ([0] -> no key)
        prefix = module.address_prefix
        for resource in module.dir.resources:
            if resource.attr("for_each") is not None:
                continue
            name = prefix + resource.config_name
            counted = resource.attr("count") is not None
            renamer.step(_to_index_zero(name) if counted else _from_index_zero(name))
    moved = {new: old for new, old in renamer.origin.items() if new != old}
    return replace(state, instances=renamer.instances), moved
