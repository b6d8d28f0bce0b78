"""The stand-in provider's schemas, resolved for one provider version.

Data: `alicloud-schema.json` beside this file, condensed from the project's research of
terraform-provider-alicloud (flags at HEAD plus each flag's history by version). Everything here
is plain data; `provider.py` turns it into protocol messages and plans with it.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("alicloud-schema.json")
Version = tuple[int, int, int]


def parse_version(text: str) -> Version:
    match = re.match(r"^v?(\d+)\.(\d+)\.(\d+)", text.strip())
    if not match:
        raise ValueError(f"not a provider version: {text!r}")
    major, minor, patch = (int(g) for g in match.groups())
    return major, minor, patch


@dataclass(frozen=True)
class Attr:
    name: str
    type: Any  # cty type in its JSON form: "string", ["map", "string"], "dynamic", ...
    required: bool = False
    optional: bool = False
    computed: bool = False
    force_new: bool = False
    sensitive: bool = False
    default: Any = None
    values: tuple[str, ...] = ()
    json_equivalent: bool = False  # DiffSuppressFunc: equivalent JSON documents are no diff


@dataclass(frozen=True)
class Block:
    attributes: dict[str, Attr]
    blocks: dict[str, tuple[str, Block]] = field(default_factory=dict)  # name -> (nesting, block)
    permissive: bool = False  # a type the fixtures use beside KMS: accept anything, plan as proposed


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    return json.loads(DATA.read_text())


def _attr(name: str, spec: dict[str, Any], version: Version) -> Attr | None:
    if version < parse_version(spec["since"]):
        return None
    if "removed" in spec and version >= parse_version(spec["removed"]):
        return None
    flags = spec["flags"]
    resolved: dict[str, Any] = {"computed": "C" in flags, "force_new": "F" in flags, "default": spec.get("default")}
    for since, change in spec.get("history", []):
        if version >= parse_version(since):
            resolved.update(change)
    return Attr(name, spec["type"], required="R" in flags, optional="O" in flags, sensitive="S" in flags,
                values=tuple(spec.get("values") or ()), json_equivalent=spec.get("suppress") == "json", **resolved)


def _block(spec: dict[str, Any], version: Version) -> Block:
    attrs = {name: a for name, s in spec["attributes"].items() if (a := _attr(name, s, version))}
    blocks = {name: (b["nesting"], _block(b, version)) for name, b in spec.get("blocks", {}).items()
              if version >= parse_version(b["since"])}
    return Block(attrs, blocks)


_ID = Attr("id", "string", optional=True, computed=True)  # SDK v1 keeps `id` as an attribute


def _timeouts(ops: list[str]) -> Block:
    return Block({op: Attr(op, "string", optional=True) for op in ops})


def _permissive(names: list[str]) -> Block:
    attrs = {n: Attr(n, "dynamic", optional=True, computed=True) for n in names}
    attrs.setdefault("id", _ID)
    return Block(attrs, permissive=True)


def resource_schemas(version: Version) -> dict[str, Block]:
    data = _data()
    out: dict[str, Block] = {}
    for name, spec in data["resources"].items():
        if version < parse_version(spec["since"]):
            continue
        block = _block(spec, version)
        block.attributes.setdefault("id", _ID)
        timeouts = spec.get("timeouts")
        if timeouts and version >= parse_version(timeouts["since"]):
            block.blocks["timeouts"] = ("single", _timeouts(timeouts["ops"]))
        out[name] = block
    for name, names in data["permissive"]["resources"].items():
        out.setdefault(name, _permissive(names))
    return out


def data_source_schemas(version: Version) -> dict[str, Block]:
    data = _data()
    out: dict[str, Block] = {}
    for name, spec in data["data_sources"].items():
        if version >= parse_version(spec["since"]):
            block = _block(spec, version)
            block.attributes.setdefault("id", _ID)
            out[name] = block
    for name, names in data["permissive"]["data_sources"].items():
        out.setdefault(name, _permissive(names))
    return out


def _strings(*names: str) -> dict[str, Attr]:
    return {n: Attr(n, "string", optional=True) for n in names}


# The alicloud provider block as users write it: credentials, region, assume_role, endpoints.
PROVIDER = Block(
    {
        **_strings("region", "profile", "access_key", "secret_key", "security_token", "shared_credentials_file",
                   "credentials_uri", "ecs_role_name", "configuration_source", "protocol", "source_ip",
                   "security_transport", "account_id", "account_type", "ots_instance_name", "log_endpoint",
                   "mns_endpoint", "fc", "sign_version"),
        "skip_region_validation": Attr("skip_region_validation", "bool", optional=True),
        "max_retry_timeout": Attr("max_retry_timeout", "number", optional=True),
        "client_read_timeout": Attr("client_read_timeout", "number", optional=True),
        "client_connect_timeout": Attr("client_connect_timeout", "number", optional=True),
    },
    {
        "assume_role": ("list", Block({**_strings("role_arn", "session_name", "policy", "external_id"),
                                       "session_expiration": Attr("session_expiration", "number", optional=True)})),
        "assume_role_with_oidc": ("list", Block({**_strings("role_arn", "oidc_provider_arn", "oidc_token",
                                                            "oidc_token_file", "role_session_name", "policy"),
                                                 "duration_seconds": Attr("duration_seconds", "number",
                                                                          optional=True)})),
        "endpoints": ("set", Block(_strings("kms", "ecs", "vpc", "ram", "sts", "oss", "oos", "rds", "slb", "location",
                                            "resourcemanager", "actiontrail", "cms", "log", "alikafka", "ots",
                                            "polardb", "r_kvstore", "bssopenapi", "cs", "cr", "fc", "dns", "alidns",
                                            "nas", "ess", "eci", "elasticsearch", "edas", "mns", "mse", "sls"))),
    },
)
