"""Properties of `fix` over generated configurations: bytes outside the edits never change,
the result parses, and a second run is a no-op."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from standin import Terraform
from standin.schema import parse_version
from standin.states import CANARY, INSTANCE, key_attrs, secret_attrs
from standin.states import state as judged_state
from typer.testing import CliRunner

from tfkms.analysis.fix import FixOptions, fix_project
from tfkms.cli import app
from tfkms.config.files import parse_source
from tfkms.config.scan import build_project
from tfkms.services import StateSource, TruthOptions, load_truth

NAMES = ["description", "pending_window_in_days", "key_usage", "rotation_interval", "tags"]
VALUES = {"description": '"x"', "pending_window_in_days": "7", "key_usage": '"ENCRYPT/DECRYPT"',
          "rotation_interval": '"604800s"', "tags": '{\n    team = "a"\n  }'}


@st.composite
def resource(draw: st.DrawFn, index: int) -> tuple[str, dict]:
    kind = draw(st.sampled_from(["alicloud_kms_key", "alicloud_kms_secret"]))
    attrs = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=4))
    aligned = draw(st.booleans())
    width = max((len(a) for a in attrs), default=0)
    lines = []
    for name in attrs:
        pad = " " * (width - len(name)) if aligned else ""
        lines.append(f"  {name}{pad} = {VALUES[name]}")
    if kind == "alicloud_kms_secret":
        lines.append(f'  secret_name = "s{index}"')
        lines.append('  secret_data = "CANARY-s3cr3t-7f3a9"')
    level = draw(st.sampled_from([None, "HSM", "SOFTWARE"])) if kind == "alicloud_kms_key" else None
    if level:
        lines.append(f'  protection_level = "{level}"')
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["  # owned by the platform team", "  // 说明: 支付密钥"])))
    lifecycle = draw(st.sampled_from(["", "  lifecycle {\n    prevent_destroy = true\n  }",
                                      "  lifecycle {\n    ignore_changes = [tags]\n  }",
                                      "  lifecycle {\n    ignore_changes = [\n      tags,\n    ]\n  }"]))
    if lifecycle:
        lines += ["", lifecycle]
    body = "\n".join(lines)
    text = f'resource "{kind}" "r{index}" {{\n{body}\n}}\n'
    migrated = draw(st.booleans())
    attributes = {"id": f"id-{index}", "dkms_instance_id": "kst-abc" if migrated else ""}
    if kind == "alicloud_kms_key":
        attributes["protection_level"] = draw(st.sampled_from(["HSM", "SOFTWARE"]))
    else:
        attributes.update(secret_name=f"s{index}", secret_data="CANARY-s3cr3t-7f3a9")
    state = {"mode": "managed", "type": kind, "name": f"r{index}",
             "provider": 'provider["registry.terraform.io/aliyun/alicloud"]',
             "instances": [{"schema_version": 0, "attributes": attributes}]}
    return text, state


@st.composite
def repository(draw: st.DrawFn) -> tuple[str, dict, str]:
    count = draw(st.integers(min_value=1, max_value=4))
    parts = [draw(resource(i)) for i in range(count)]
    text = "# generated\n" + "\n".join(t for t, _ in parts)
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    if draw(st.booleans()):
        text = text.replace("  ", "\t")
    version = draw(st.sampled_from(["1.170.0", "1.230.0", "1.240.0"]))
    state = {"version": 4, "terraform_version": "1.9.0", "serial": 1, "lineage": "x", "outputs": {},
             "resources": [s for _, s in parts]}
    return text, state, version


def _run(root: Path, state: Path, version: str) -> tuple[str, list]:
    project = build_project([root], [], provider_version=None)
    for r in project.roots:
        from tfkms.knowledge.versions import ProviderVersion

        r.provider_version, r.version_origin = ProviderVersion.parse(version), "--provider-version"
    truth = load_truth(project, TruthOptions(states=[StateSource(str(state))]), [])
    result = fix_project(project, truth, FixOptions())
    return (result.patches[0].patched if result.patches else (root / "main.tf").read_bytes().decode()), \
        [e for f in result.findings for e in f.edits]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(repository())
def test_fix_is_local_parseable_and_idempotent(repo: tuple[str, dict, str]) -> None:
    text, state_data, version = repo
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        root.mkdir()
        (root / "main.tf").write_bytes(text.encode())
        state = Path(tmp) / "state.tfstate"
        state.write_text(json.dumps(state_data))
        patched, edits = _run(root, state, version)
        # Bytes outside the edits are untouched: the original, minus the replaced ranges,
        # appears in the output in order.
        pos = 0
        cursor = 0
        for edit in sorted(edits, key=lambda e: e.start):
            kept = text[pos:edit.start]
            found = patched.find(kept, cursor)
            assert found == cursor or kept == "", (kept, patched)
            cursor = found + len(kept) + len(edit.after)
            pos = edit.end
        assert patched.endswith(text[pos:])
        parse_source(Path("main.tf"), "main.tf", patched)
        if version == "1.170.0":
            assert "dkms_instance_id" not in patched  # the attribute does not exist there
        (root / "main.tf").write_bytes(patched.encode())
        again, more = _run(root, state, version)
        assert more == [] and again == patched
        assert "CANARY" not in "".join(e.after + e.before for e in edits)


# ---------------------------------------------------------------- judged by real Terraform

JUDGED_VERSIONS = ["1.170.0", "1.182.0", "1.183.0", "1.234.0", "1.235.0", "1.240.0"]
LIFECYCLES = ["", "\n  lifecycle {\n    prevent_destroy = true\n  }\n",
              "\n  lifecycle {\n    ignore_changes = [description]\n  }\n",
              "\n  lifecycle {\n    create_before_destroy = true\n    ignore_changes        = [\n      description,\n    ]\n  }\n"]


@st.composite
def judged_repository(draw: st.DrawFn) -> tuple[dict[str, str], dict, str]:
    """A root (optionally through a local module) of keys and secrets, its refreshed post-migration
    state, and the provider version its lock file pins."""
    version = draw(st.sampled_from(JUDGED_VERSIONS))
    in_module = draw(st.booleans())
    prefix = "module.kms." if in_module else ""
    blocks, resources = [], []
    for i in range(draw(st.integers(min_value=1, max_value=3))):
        kind = draw(st.sampled_from(["alicloud_kms_key", "alicloud_kms_secret"]))
        repeat = draw(st.sampled_from(["", "count", "for_each"]))
        keys: list = {"": [None], "count": [0, 1], "for_each": ["a", "b"]}[repeat]
        meta = {"": "", "count": "  count = 2\n\n", "for_each": '  for_each = toset(["a", "b"])\n\n'}[repeat]
        suffix = {"": "", "count": "-${count.index}", "for_each": "-${each.key}"}[repeat]
        level = draw(st.sampled_from([None, "HSM", "SOFTWARE"])) if kind == "alicloud_kms_key" else None
        if kind == "alicloud_kms_key":
            body = f'  description            = "k{i}"\n  pending_window_in_days = 7\n'
            body += f'  protection_level       = "{level}"\n' if level else ""
        else:
            body = f'  secret_name = "s{i}{suffix}"\n  secret_data = "{CANARY}"\n  version_id  = "v1"\n'
        blocks.append(f'resource "{kind}" "r{i}" {{\n{meta}{body}{draw(st.sampled_from(LIFECYCLES))}}}\n')
        instances = []
        for key in keys:
            migrated = draw(st.booleans())
            dkms = INSTANCE if migrated else ""
            if kind == "alicloud_kms_key":
                cloud_level = draw(st.sampled_from(["HSM", "SOFTWARE"])) if migrated else (level or "SOFTWARE")
                attrs = key_attrs(id=f"key-{i}-{key}", description=f"k{i}", dkms_instance_id=dkms,
                                  protection_level=cloud_level)
                if parse_version(version) < (1, 224, 0):  # Read fills is_enabled and policy from 1.224.0 on
                    attrs.update(is_enabled=None, policy=None)
            else:
                name = f"s{i}" + ("" if key is None else f"-{key}")
                attrs = secret_attrs(id=name, secret_name=name, dkms_instance_id=dkms)
            instances.append((key, attrs))
        resources.append((f"{prefix}{kind}.r{i}", instances))
    lock = (f'provider "registry.terraform.io/aliyun/alicloud" {{\n  version     = "{version}"\n'
            f'  constraints = "{version}"\n  hashes = [\n    "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",\n  ]\n}}\n')
    required = ('terraform {\n  required_providers {\n    alicloud = {\n      source  = "aliyun/alicloud"\n'
                f'      version = "{version}"\n    }}\n  }}\n}}\n\nprovider "alicloud" {{\n  region = "cn-hangzhou"\n}}\n')
    code = "\n".join(blocks)
    if in_module:
        files = {"main.tf": required + '\nmodule "kms" {\n  source = "./modules/kms"\n}\n',
                 "modules/kms/main.tf": code}
    else:
        files = {"main.tf": required + "\n" + code}
    files[".terraform.lock.hcl"] = lock
    return files, judged_state(*resources), version


@settings(max_examples=20, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(repo=judged_repository())
def test_patched_tree_plans_no_kms_destroy(repo: tuple[dict[str, str], dict, str], terraform: Terraform) -> None:
    files, truth, version = repo
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        state = Path(tmp) / "state.tfstate"
        state.write_text(json.dumps(truth))
        written = CliRunner().invoke(app, ["fix", str(root), "--state", str(state), "--write", "--format", "json"])
        assert written.exit_code in (0, 2), written.output
        assert CANARY not in written.output
        report = json.loads(written.stdout)
        plan = terraform.plan(root, truth)
        assert plan.ok, plan.describe()
        assert plan.version == version
        human = {f["address"] for f in report["findings"] if f["rule"] in ("TFKMS204", "TFKMS109")}
        for change in plan.destroyed_kms():
            assert change.address in human and written.exit_code == 2, \
                f"{change.address} is destroyed after `fix --write`\n{plan.describe()}\n" + \
                "".join(f"{n}:\n{(root / n).read_text()}\n" for n in files if n.endswith(".tf"))
