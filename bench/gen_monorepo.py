#!/usr/bin/env python3
"""Generate a deterministic synthetic Terraform monorepo, the kind a platform team runs tfkms on.

    python bench/gen_monorepo.py OUT --stacks 1000 [--seed 0]
    python bench/gen_monorepo.py OUT --fix-variant --stacks 75   # every stack migrated, with state

Layout (``--stacks N``)::

    OUT/stacks/<team>/<env>-<i>/{main,variables,outputs,versions}.tf   one Terraform root each
    OUT/stacks/<team>/<env>-<i>/.terraform.lock.hcl                    in about a third of them
    OUT/modules/kms-key/main.tf                                        shared module: key + alias
    OUT/manifest.json                                                  expected (root, address) pairs

Every stack has a VPC, vswitches (count), a security group with rules (for_each), ECS
instances with a heredoc ``user_data`` script, locals, and in some stacks an SLB or a NAT
gateway. About 2% of the stacks hold KMS resources (keys, aliases, secrets, key versions,
ciphertexts, data sources, with count/for_each) and about 1% call ``modules/kms-key``
through a relative ``source``. A few others only *mention* KMS (an ECS disk's
``kms_key_id``, a comment naming ``alicloud_kms_key``): decoys for a byte-level pre-filter.

``manifest.json`` is written by this generator from what it emitted (never by tfkms): one
``{"root", "address"}`` pair per KMS resource or data-source block per root, module-qualified,
without instance keys, sorted.

The output is a pure function of (stacks, seed): same arguments, same bytes. Standard
library only.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script or imported by path

from monorepo_templates import (DATA_DISK, DECOY_COMMENT, ECS, FIX_KMS, FIX_PROVIDER_VERSION,  # noqa: E402
                                KMS_VARIANTS, LOCK, MAIN_HEAD, MODULE_ADDRESSES, MODULE_CALLS, MODULE_DIR,
                                MODULE_MAIN, NAT, OUT_NAT, OUT_SLB, OUTPUTS, PROVIDER_DR, RULES, SLB, VAR_DISK_KEY,
                                VAR_SLB, VARIABLES, VERSIONS, KmsContent)

TEAMS = ("payments", "identity", "search", "checkout", "ledger", "messaging", "catalog", "risk",
         "analytics", "platform", "mobile-api", "fulfilment")
ENVS = ("dev", "staging", "prod", "qa", "perf")
REGIONS = ("cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen", "cn-zhangjiakou", "ap-southeast-1")
INSTANCE_TYPES = ("ecs.g7.large", "ecs.g7.xlarge", "ecs.c7.large", "ecs.r7.large", "ecs.g6.large")
REGION_SHORT = {"cn-hangzhou": "hzz", "cn-shanghai": "shh", "cn-beijing": "bjj", "cn-shenzhen": "szz",
                "cn-zhangjiakou": "zjk", "ap-southeast-1": "sgp"}
PROVIDER_VERSIONS = ("1.205.0", "1.214.1", "1.220.1", "1.226.0", "1.231.0", "1.235.0", "1.240.0")
KMS_SHARE = 0.02     # stacks holding KMS resources
MODULE_SHARE = 0.01  # stacks calling modules/kms-key
LOCK_SHARE = 0.35    # stacks with a .terraform.lock.hcl
DECOY_SHARE = 0.03   # stacks whose outputs.tf names alicloud_kms_key in a comment (no KMS block)
FILE_MIN, FILE_MAX = 1024, 4096

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def fill(template: str, **values: object) -> str:
    """Replace {{name}}; an unknown name is a bug in this generator, not silently left."""
    def sub(m: re.Match[str]) -> str:
        if m.group(1) not in values:
            raise KeyError(f"template placeholder {m.group(1)!r} has no value")
        return str(values[m.group(1)])
    return _PLACEHOLDER.sub(sub, template)


# --------------------------------------------------------------------------- generation

@dataclass
class Stack:
    index: int
    team: str
    env: str
    idx: str
    kms: KmsContent | None = None
    module_call: int | None = None
    lock: bool = False
    slb: bool = False
    nat: bool = False
    disk_key: bool = False
    decoy_comment: bool = False
    facts: dict[str, object] = field(default_factory=dict)

    @property
    def rel(self) -> str:
        return f"stacks/{self.team}/{self.env}-{self.idx}"


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _b64ish(rng: random.Random, n: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    return "".join(rng.choice(alphabet) for _ in range(n))


def _plan_stacks(n: int, seed: int, kms_share: float = KMS_SHARE, module_share: float = MODULE_SHARE
                 ) -> list[Stack]:
    top = random.Random(f"tfkms-bench:{seed}:plan")
    width = max(4, len(str(max(n - 1, 0))))
    stacks = []
    for i in range(n):
        rng = random.Random(f"tfkms-bench:{seed}:stack:{i}")
        stacks.append(Stack(index=i, team=rng.choice(TEAMS), env=rng.choice(ENVS), idx=f"{i:0{width}d}"))
    if n == 0:
        return stacks
    k_kms = max(1, round(n * kms_share))
    k_mod = max(1, round(n * module_share))
    order = list(range(n))
    top.shuffle(order)
    kms_ids = order[:k_kms]
    rest = order[k_kms:] or order  # a tiny repo: the one stack both holds keys and calls the module
    mod_ids = rest[:k_mod]
    for j, i in enumerate(sorted(kms_ids)):
        stacks[i].kms = KMS_VARIANTS[j % len(KMS_VARIANTS)]
    for j, i in enumerate(sorted(mod_ids)):
        stacks[i].module_call = j % len(MODULE_CALLS)
    return stacks


def _stack_files(st: Stack, seed: int, fix: bool = False, decoy_share: float = DECOY_SHARE) -> dict[str, str]:
    rng = random.Random(f"tfkms-bench:{seed}:stack:{st.index}:content")
    region = rng.choice(REGIONS)
    dr_region = rng.choice([r for r in REGIONS if r != region])
    st.slb = rng.random() < 0.6
    st.nat = rng.random() < 0.35
    st.disk_key = rng.random() < 0.10
    st.decoy_comment = rng.random() < decoy_share
    st.lock = fix or rng.random() < LOCK_SHARE
    port = rng.choice((8080, 8000, 9000, 3000))
    n_rules = rng.randint(2, len(RULES))
    width = max(len(r[0]) for r in RULES[:n_rules])
    rules = "".join(f"    {name:<{width}} = {{ port = {p}, cidr = {c}, priority = {prio} }}\n"
                    for name, p, c, prio in RULES[:n_rules])
    service = st.team.replace("-", "")
    common = dict(team=st.team, env=st.env, idx=st.idx)

    zone_count = rng.choice((2, 3))
    image = rng.choice(("ubuntu_22_04_x64", "aliyun_3_x64", "ubuntu_20_04_x64"))
    packages = rng.choice(("nginx jq chrony", "nginx jq", "haproxy jq chrony awscli"))
    units = rng.choice(("nginx chrony", "nginx", "haproxy chrony"))

    def assemble() -> str:
        text = fill(MAIN_HEAD, **common, zone_count=zone_count, rules=rules, image=image)
        text += fill(ECS, data_disk=DATA_DISK if st.disk_key else "", service=service, port=port,
                     packages=packages, units=units)
        if st.slb:
            text += fill(SLB, port=port)
        if st.nat:
            text += NAT
        if st.kms is not None:
            text += st.kms.main
        if st.module_call is not None:
            text += fill(MODULE_CALLS[st.module_call][0], rel=f"../../../{MODULE_DIR}")
        return text

    main = assemble()
    for optional in ("nat", "slb", "disk_key"):  # keep main.tf within FILE_MAX, dropping extras in this order
        if len(main.encode()) <= FILE_MAX:
            break
        setattr(st, optional, False)
        main = assemble()

    cidr = f"10.{rng.randint(0, 255)}.0.0/16"
    instance_type, instance_count = rng.choice(INSTANCE_TYPES), rng.randint(1, 6)
    variables = fill(VARIABLES, **common, region=region, cidr=cidr, instance_type=instance_type,
                     instance_count=instance_count, disk_size=rng.choice((40, 60, 80, 100)),
                     cost_center=f"cc-{rng.randint(1000, 9999)}")
    if st.slb:
        variables += VAR_SLB
    if st.disk_key:
        variables += fill(VAR_DISK_KEY, disk_key=_hex(rng, 24))
    if st.kms is not None:
        variables += st.kms.variables
    if st.module_call is not None:
        variables += MODULE_CALLS[st.module_call][2]

    outputs = fill(OUTPUTS, decoy=DECOY_COMMENT if st.decoy_comment else "")
    if st.slb:
        outputs += OUT_SLB
    if st.nat:
        outputs += OUT_NAT
    if st.kms is not None:
        outputs += st.kms.outputs

    version = FIX_PROVIDER_VERSION if fix else rng.choice(PROVIDER_VERSIONS)
    minor = int(version.split(".")[1])
    constraint = rng.choice((f">= 1.{minor - rng.randint(0, 20)}.0, < 2.0.0", f"~> 1.{minor}"))
    if fix:
        constraint = f"~> 1.{minor}.0"
    versions = fill(VERSIONS, **common, constraint=constraint, account=f"{rng.randint(0, 10**12 - 1):012d}")
    if (st.kms is not None and st.kms.needs_dr_provider) or rng.random() < 0.1:
        versions += fill(PROVIDER_DR, dr_region=dr_region)

    files = {"main.tf": main, "variables.tf": variables, "outputs.tf": outputs, "versions.tf": versions}
    if st.lock:
        zh = sorted(_hex(rng, 64) for _ in range(6))  # terraform writes them sorted
        hashes = f'    "h1:{_b64ish(rng, 43)}=",\n' + "".join(f'    "zh:{h}",\n' for h in zh)
        files[".terraform.lock.hcl"] = fill(LOCK, version=version, constraint=constraint, hashes=hashes)
    st.facts = {"region": region, "dr_region": dr_region, "port": port, "n_rules": n_rules, "cidr": cidr,
                "zones": zone_count, "instance_type": instance_type, "instances": instance_count,
                "version": version}
    return files


def _check_size(rel: str, text: str) -> None:
    size = len(text.encode("utf-8"))
    if not FILE_MIN <= size <= FILE_MAX:
        raise AssertionError(f"generator bug: {rel} is {size} bytes, outside {FILE_MIN}-{FILE_MAX}")


def _write(out: Path, rel: str, text: str) -> None:
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def _prepare(out: Path) -> None:
    if out.exists():
        if not out.is_dir():
            raise SystemExit(f"{out}: exists and is not a directory")
        if any(out.iterdir()):
            if not (out / "manifest.json").is_file():
                raise SystemExit(f"{out}: not empty and not a generated monorepo; refusing to overwrite")
            shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def generate(out: Path, stacks: int, seed: int = 0, kms_share: float = KMS_SHARE,
             module_share: float = MODULE_SHARE, decoy_share: float = DECOY_SHARE) -> list[dict[str, str]]:
    """Write the monorepo under OUT and return the manifest (also written to OUT/manifest.json).

    At least one stack holds KMS resources and at least one calls the module, whatever N."""
    out = Path(out)
    _prepare(out)
    manifest: list[dict[str, str]] = []
    for st in _plan_stacks(stacks, seed, kms_share, module_share):
        for name, text in _stack_files(st, seed, decoy_share=decoy_share).items():
            rel = f"{st.rel}/{name}"
            if name.endswith(".tf"):
                _check_size(rel, text)
            _write(out, rel, text)
        addresses: list[str] = []
        if st.kms is not None:
            addresses.extend(st.kms.addresses)
        if st.module_call is not None:
            for call in MODULE_CALLS[st.module_call][1]:
                addresses.extend(f"module.{call}.{a}" for a in MODULE_ADDRESSES)
        manifest.extend({"root": st.rel, "address": a} for a in addresses)
    _check_size(f"{MODULE_DIR}/main.tf", MODULE_MAIN)
    _write(out, f"{MODULE_DIR}/main.tf", MODULE_MAIN)
    manifest.sort(key=lambda p: (p["root"], p["address"]))
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


# --------------------------------------------------------------------------- fix variant + state

def _state_resource(mode: str, rtype: str, name: str, instances: list[tuple[object, dict[str, object]]]
                    ) -> dict[str, object]:
    out_instances = []
    for key, attrs in instances:
        inst: dict[str, object] = {"schema_version": 0, "attributes": attrs, "sensitive_attributes": []}
        if key is not None:
            inst = {"index_key": key, **inst}
        if rtype == "alicloud_kms_secret":
            inst["sensitive_attributes"] = [[{"type": "get_attr", "value": "secret_data"}]]
        inst["private"] = "bnVsbA=="
        out_instances.append(inst)
    return {"mode": mode, "type": rtype, "name": name,
            "provider": 'provider["registry.terraform.io/aliyun/alicloud"]', "instances": out_instances}


def _fix_state(st: Stack, seed: int) -> dict[str, object]:
    """A post-migration terraform.tfstate (v4) for a fix-variant stack: every resource, KMS migrated."""
    rng = random.Random(f"tfkms-bench:{seed}:state:{st.index}")
    f = st.facts
    region, name = f["region"], f"{st.team}-{st.env}-{st.env}-{st.idx}"
    account = f"{rng.randint(10**15, 10**16 - 1)}"
    tags = {"Team": st.team, "Environment": st.env, "Stack": f"{st.env}-{st.idx}", "ManagedBy": "terraform"}
    vpc_id, sg_id = f"vpc-{_hex(rng, 20)}", f"sg-{_hex(rng, 20)}"
    zones = [f"{region}-{z}" for z in "abcdefghijk"[: int(f["zones"])]]
    vsw = [f"vsw-{_hex(rng, 20)}" for _ in zones]
    short = REGION_SHORT[str(region)]
    key_id = f"key-{short}{_hex(rng, 21)}"
    kst = f"kst-{short}{_hex(rng, 21)}"
    resources = [
        _state_resource("data", "alicloud_zones", "available", [(None, {
            "id": _hex(rng, 10), "available_resource_creation": "VSwitch",
            "zones": [{"id": z, "local_name": "", "multi_zone_ids": [], "slb_slave_zone_ids": []} for z in zones]})]),
        _state_resource("data", "alicloud_images", "base", [(None, {
            "id": _hex(rng, 10), "most_recent": True, "owners": "system", "name_regex": "^ubuntu_22_04_x64",
            "images": [{"id": "ubuntu_22_04_x64_20G_alibase_20240130.vhd", "architecture": "x86_64",
                        "os_type": "linux", "size": 20}]})]),
        _state_resource("managed", "alicloud_vpc", "main", [(None, {
            "id": vpc_id, "cidr_block": f["cidr"], "vpc_name": f"{name}-vpc",
            "route_table_id": f"vtb-{_hex(rng, 20)}", "router_id": f"vrt-{_hex(rng, 20)}", "status": "Available",
            "tags": tags})]),
        _state_resource("managed", "alicloud_vswitch", "private", [(i, {
            "id": v, "vpc_id": vpc_id, "zone_id": zones[i], "vswitch_name": f"{name}-private-{i}",
            "cidr_block": f"10.0.{i}.0/24", "status": "Available", "tags": tags}) for i, v in enumerate(vsw)]),
        _state_resource("managed", "alicloud_security_group", "app", [(None, {
            "id": sg_id, "vpc_id": vpc_id, "security_group_name": f"{name}-app", "inner_access_policy": "Accept",
            "security_group_type": "normal", "tags": tags})]),
        _state_resource("managed", "alicloud_security_group_rule", "ingress", [(r[0], {
            "id": f"{sg_id}:ingress:tcp:{r[1].strip(chr(34))}:intranet:{r[2].strip(chr(34))}:accept:{r[3]}",
            "type": "ingress", "ip_protocol": "tcp", "nic_type": "intranet", "policy": "accept",
            "port_range": r[1].strip('"'), "priority": r[3], "security_group_id": sg_id})
            for r in sorted(RULES[: int(f["n_rules"])])]),
        _state_resource("managed", "alicloud_instance", "app", [(i, {
            "id": f"i-{_hex(rng, 20)}", "instance_name": f"{name}-app-{i}", "instance_type": f["instance_type"],
            "private_ip": f"10.0.0.{10 + i}", "status": "Running", "vswitch_id": vsw[i % len(vsw)],
            "security_groups": [sg_id], "system_disk_category": "cloud_essd", "user_data": _b64ish(rng, 600),
            "tags": tags}) for i in range(int(f["instances"]))]),
        _state_resource("managed", "alicloud_kms_key", "app", [(None, {
            "id": key_id, "arn": f"acs:kms:{region}:{account}:key/{key_id}", "automatic_rotation": "Disabled",
            "creation_date": "2023-05-11T08:13:02Z", "creator": account, "deletion_protection": "Disabled",
            "description": f"Envelope key for {name}", "dkms_instance_id": kst, "key_spec": "Aliyun_AES_256",
            "key_state": "Enabled", "key_usage": "ENCRYPT/DECRYPT", "origin": "Aliyun_KMS",
            "pending_window_in_days": 30, "protection_level": "SOFTWARE", "rotation_interval": "",
            "status": "Enabled", "tags": tags})]),
        _state_resource("managed", "alicloud_kms_secret", "db", [(None, {
            "id": f"{name}-db-password", "arn": f"acs:kms:{region}:{account}:secret/{name}-db-password",
            "description": "Database master password", "dkms_instance_id": kst, "enable_automatic_rotation": False,
            "encryption_key_id": key_id, "force_delete_without_recovery": False, "planned_delete_time": "",
            "recovery_window_in_days": 30, "secret_data": f"CANARY-{_hex(rng, 16)}", "secret_data_type": "text",
            "secret_name": f"{name}-db-password", "secret_type": "Generic", "tags": {}, "version_id": "v1",
            "version_stages": ["ACSCurrent"]})]),
    ]
    return {"version": 4, "terraform_version": "1.9.8", "serial": rng.randint(5, 90),
            "lineage": f"{_hex(rng, 8)}-{_hex(rng, 4)}-{_hex(rng, 4)}-{_hex(rng, 4)}-{_hex(rng, 12)}",
            "outputs": {}, "resources": resources, "check_results": None}


def generate_fix(out: Path, stacks: int = 75, seed: int = 0) -> dict[str, object]:
    """A migrated monorepo for `tfkms fix --write`: every stack holds a key and a secret that were
    moved into a KMS instance (provider pinned below 1.235.0), with its own terraform.tfstate.

    75 stacks give 300 .tf files and 150 resources that need a patch.
    """
    out = Path(out)
    _prepare(out)
    manifest: list[dict[str, str]] = []
    for st in _plan_stacks(stacks, seed):
        st.kms, st.module_call = FIX_KMS, None
        files = _stack_files(st, seed, fix=True)
        for name, text in files.items():
            rel = f"{st.rel}/{name}"
            if name.endswith(".tf"):
                _check_size(rel, text)
            _write(out, rel, text)
        state = _fix_state(st, seed)
        _write(out, f"{st.rel}/terraform.tfstate", json.dumps(state, indent=2) + "\n")
        manifest.extend({"root": st.rel, "address": a} for a in FIX_KMS.addresses)
    manifest.sort(key=lambda p: (p["root"], p["address"]))
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return {"stacks": stacks, "tf_files": stacks * 4, "patchable": len(manifest), "manifest": manifest}


def tree_digest(out: Path) -> str:
    """sha256 over every generated file (path and bytes): proof of determinism."""
    h = hashlib.sha256()
    for path in sorted(p for p in Path(out).rglob("*") if p.is_file()):
        h.update(path.relative_to(out).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="output directory (created; a previous generated repo is replaced)")
    parser.add_argument("--stacks", type=int, default=1000, help="number of stacks (Terraform roots), default 1000")
    parser.add_argument("--seed", type=int, default=0, help="random seed, default 0")
    parser.add_argument("--kms-share", type=float, default=KMS_SHARE,
                        help=f"share of stacks holding KMS resources (default {KMS_SHARE})")
    parser.add_argument("--module-share", type=float, default=MODULE_SHARE,
                        help=f"share of stacks calling {MODULE_DIR} (default {MODULE_SHARE})")
    parser.add_argument("--decoy-share", type=float, default=DECOY_SHARE,
                        help=f"share of stacks that mention alicloud_kms only in a comment (default {DECOY_SHARE})")
    parser.add_argument("--fix-variant", action="store_true",
                        help="every stack migrated (key + secret to patch) with a terraform.tfstate; "
                             "use --stacks 75 for 300 files")
    args = parser.parse_args(argv)
    if args.stacks < 1:
        parser.error("--stacks must be at least 1")
    if args.fix_variant:
        info = generate_fix(args.out, args.stacks, args.seed)
        print(f"{args.out}: {info['stacks']} migrated stacks, {info['tf_files']} .tf files, "
              f"{info['patchable']} KMS resources to patch")
        return 0
    manifest = generate(args.out, args.stacks, args.seed, args.kms_share, args.module_share, args.decoy_share)
    roots = len({p["root"] for p in manifest})
    print(f"{args.out}: {args.stacks} stacks, {args.stacks * 4 + 1} .tf files, "
          f"{len(manifest)} KMS (root, address) pairs in {roots} roots -> manifest.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
