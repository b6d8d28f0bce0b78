"""A stand-in `aliyun/alicloud` Terraform provider for the test suite (never for users).

Terraform core does the real work (config decoding, expressions, `ignore_changes`, the choice
between update and replace); this provider answers the plugin protocol the way the real one
does for planning, from schemas by provider version (`schema.py`):

* Read returns the prior state: the state a test feeds in is the refreshed, post-migration truth.
* Plan follows terraform-plugin-sdk v1 (the real provider's SDK): a value set in config is
  planned as is; null + Computed keeps the prior value; null + not Computed takes the schema
  Default, or the zero value (null and "" are no diff for a string); every ForceNew attribute
  whose planned value differs from the prior goes into `requires_replace`. Like SDK v1 it
  declares the legacy type system, so core tolerates a default planned over a null config.
* Apply and import are refused: the suite only ever plans.

Run by Terraform through the mirror's launcher: `python provider.py VERSION`.
The gRPC plumbing (go-plugin handshake, TLS, stdio) is the `tf` package's; its planning is not
used, because it cannot express defaults, zero values or per-version schemas.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import msgpack

sys.path.insert(0, str(Path(__file__).resolve().parent))

from schema import PROVIDER, Attr, Block, data_source_schemas, parse_version, resource_schemas
from tf import provider as tf_provider
from tf.gen import tfplugin_pb2 as pb
from tf.runner import run_provider
from tf.types import Unknown
from tf.utils import read_dynamic_value

_NESTING = {"single": pb.Schema.NestedBlock.SINGLE, "list": pb.Schema.NestedBlock.LIST,
            "set": pb.Schema.NestedBlock.SET}
_ZERO = {"string": "", "number": 0, "bool": False}


# ----------------------------------------------------------------------------- wire helpers

def _pack(value: Any) -> pb.DynamicValue:
    return pb.DynamicValue(msgpack=msgpack.packb(value, default=_unknown_ext))


def _unknown_ext(obj: Any) -> Any:
    if obj is Unknown:
        return msgpack.ExtType(0, b"\x00")
    raise TypeError(f"cannot encode {obj!r}")


def _diag(summary: str, detail: str = "", attribute: str | None = None) -> pb.Diagnostic:
    path = pb.AttributePath(steps=[pb.AttributePath.Step(attribute_name=attribute)]) if attribute else None
    return pb.Diagnostic(severity=pb.Diagnostic.ERROR, summary=summary, detail=detail, attribute=path)


def _schema_pb(block: Block) -> pb.Schema.Block:
    attrs = []
    for a in block.attributes.values():
        optional = a.optional or not (a.required or a.computed)
        attrs.append(pb.Schema.Attribute(name=a.name, type=json.dumps(a.type).encode(), required=a.required,
                                         optional=optional and not a.required, computed=a.computed,
                                         sensitive=a.sensitive, description=""))
    nested = [pb.Schema.NestedBlock(type_name=name, block=_schema_pb(inner), nesting=_NESTING[nesting],
                                    )
              for name, (nesting, inner) in block.blocks.items()]
    return pb.Schema.Block(version=0, attributes=attrs, block_types=nested)


def _cty_type(value: Any) -> Any:
    """The cty type (JSON form) of a JSON value, for a `dynamic` attribute read from state."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return ["tuple", [_cty_type(v) for v in value]]
    if isinstance(value, dict):
        return ["object", {k: _cty_type(v) for k, v in value.items()}]
    return "dynamic"


def _from_state_json(block: Block, raw: dict[str, Any]) -> dict[str, Any]:
    """SDK v1's upgrade: keep the schema's attributes (others are dropped), wrap dynamic values."""
    out: dict[str, Any] = {}
    for name, attr in block.attributes.items():
        value = raw.get(name)
        if attr.type == "dynamic" and value is not None:
            value = [json.dumps(_cty_type(value)).encode(), value]
        out[name] = value
    for name, (nesting, inner) in block.blocks.items():
        value = raw.get(name)
        if value is None:
            out[name] = None if nesting == "single" else []
        elif nesting == "single":
            out[name] = _from_state_json(inner, value)
        else:
            out[name] = [_from_state_json(inner, v) for v in value]
    return out


# ----------------------------------------------------------------------------- planning (SDK v1)

def _same(attr: Attr, prior: Any, planned: Any) -> bool:
    if prior is Unknown or planned is Unknown:
        return False
    if attr.json_equivalent and isinstance(prior, str) and isinstance(planned, str):
        try:
            return bool(json.loads(prior) == json.loads(planned))
        except ValueError:
            pass
    kind = attr.type[0] if isinstance(attr.type, list) else attr.type
    if kind in _ZERO:
        zero = _ZERO[kind]
        return (zero if prior is None else prior) == (zero if planned is None else planned)
    if kind == "set":
        return sorted(prior or [], key=repr) == sorted(planned or [], key=repr)
    if kind in ("list", "map"):  # SDK v1 keeps no difference between null and empty collections
        return (prior or None) == (planned or None)
    return bool(prior == planned)


def plan_update(block: Block, prior: dict[str, Any], config: dict[str, Any],
                proposed: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Planned state and the ForceNew attributes that changed, for an existing object."""
    planned = dict(proposed)
    replace: list[str] = []
    for name, attr in block.attributes.items():
        if block.permissive or name == "id" or not (attr.optional or attr.required):
            continue  # computed-only: the prior value stands
        value = config.get(name)
        if value is None:
            value = attr.default if attr.default is not None else (prior.get(name) if attr.computed else None)
        if _same(attr, prior.get(name), value):
            planned[name] = prior.get(name)
        else:
            planned[name] = value
            if attr.force_new:
                replace.append(name)
    if "timeouts" in block.blocks:  # SDK v1 keeps timeouts out of the diff
        planned["timeouts"] = prior.get("timeouts")
    return planned, replace


def plan_create(block: Block, config: dict[str, Any]) -> dict[str, Any]:
    planned = dict(config)
    for name, attr in block.attributes.items():
        if config.get(name) is None:
            planned[name] = attr.default if attr.default is not None else (Unknown if attr.computed else None)
    return planned


def validate(block: Block, config: dict[str, Any]) -> list[pb.Diagnostic]:
    diags = []
    for name, attr in block.attributes.items():
        value = config.get(name)
        if attr.values and isinstance(value, str) and value not in attr.values:
            diags.append(_diag(f"expected {name} to be one of {list(attr.values)}, got {value}", attribute=name))
    return diags


# ----------------------------------------------------------------------------- the servicer

class StandInServicer(tf_provider.ProviderServicer):
    version = (1, 0, 0)

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.resources = resource_schemas(self.version)
        self.data_sources = data_source_schemas(self.version)

    def GetMetadata(self, request: Any, context: Any) -> Any:
        return pb.GetMetadata.Response(server_capabilities=pb.ServerCapabilities(plan_destroy=True))

    def GetProviderSchema(self, request: Any, context: Any) -> Any:
        def schema(block: Block) -> pb.Schema:
            return pb.Schema(version=0, block=_schema_pb(block))
        return pb.GetProviderSchema.Response(
            provider=schema(PROVIDER), provider_meta=schema(Block({})),
            resource_schemas={n: schema(b) for n, b in self.resources.items()},
            data_source_schemas={n: schema(b) for n, b in self.data_sources.items()})

    def ValidateProviderConfig(self, request: Any, context: Any) -> Any:
        return pb.ValidateProviderConfig.Response()

    def ConfigureProvider(self, request: Any, context: Any) -> Any:
        return pb.ConfigureProvider.Response()

    def ValidateResourceConfig(self, request: Any, context: Any) -> Any:
        config = read_dynamic_value(request.config) or {}
        return pb.ValidateResourceConfig.Response(diagnostics=validate(self.resources[request.type_name], config))

    def ValidateDataResourceConfig(self, request: Any, context: Any) -> Any:
        return pb.ValidateDataResourceConfig.Response()

    def UpgradeResourceState(self, request: Any, context: Any) -> Any:
        if not request.raw_state.json:
            return pb.UpgradeResourceState.Response(diagnostics=[_diag("flatmap state is not supported")])
        raw = json.loads(request.raw_state.json)
        upgraded = _from_state_json(self.resources[request.type_name], raw)
        return pb.UpgradeResourceState.Response(upgraded_state=_pack(upgraded))

    def ReadResource(self, request: Any, context: Any) -> Any:
        return pb.ReadResource.Response(new_state=request.current_state, private=request.private)

    def PlanResourceChange(self, request: Any, context: Any) -> Any:
        block = self.resources[request.type_name]
        prior = read_dynamic_value(request.prior_state)
        proposed = read_dynamic_value(request.proposed_new_state)
        config = read_dynamic_value(request.config) or {}
        if proposed is None:  # destroy
            return pb.PlanResourceChange.Response(planned_state=_pack(None), legacy_type_system=True)
        if prior is None:
            return pb.PlanResourceChange.Response(planned_state=_pack(plan_create(block, config)),
                                                  legacy_type_system=True)
        planned, replace = plan_update(block, prior, config, proposed)
        paths = [pb.AttributePath(steps=[pb.AttributePath.Step(attribute_name=n)]) for n in replace]
        return pb.PlanResourceChange.Response(planned_state=_pack(planned), requires_replace=paths,
                                              planned_private=request.prior_private, legacy_type_system=True)

    def ApplyResourceChange(self, request: Any, context: Any) -> Any:
        return pb.ApplyResourceChange.Response(diagnostics=[_diag("the stand-in provider never applies")])

    def ImportResourceState(self, request: Any, context: Any) -> Any:
        return pb.ImportResourceState.Response(diagnostics=[_diag("the stand-in provider never imports")])

    def ReadDataSource(self, request: Any, context: Any) -> Any:
        block = self.data_sources[request.type_name]
        config = read_dynamic_value(request.config) or {}
        state = {n: config.get(n) if config.get(n) is not None else a.default for n, a in block.attributes.items()}
        state["id"] = f"standin-{request.type_name}"
        return pb.ReadDataSource.Response(state=_pack(state))


class _App:
    """The bits of `tf.iface.Provider` that `run_provider` itself uses."""

    def full_name(self) -> str:
        return "registry.terraform.io/aliyun/alicloud"


def main(argv: list[str]) -> None:
    StandInServicer.version = parse_version(argv[1])
    tf_provider.ProviderServicer = StandInServicer  # run_provider looks it up at call time
    run_provider(_App(), argv[:1] + argv[2:])  # type: ignore[arg-type]


if __name__ == "__main__":
    main(sys.argv)
