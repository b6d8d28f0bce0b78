"""Properties of `fix` over generated configurations: bytes outside the edits never change,
the result parses, and a second run is a no-op."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tfkms.analysis.fix import FixOptions, fix_project
from tfkms.config.files import parse_source
from tfkms.config.project import build_project
from tfkms.services import TruthOptions, load_truth

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
    truth = load_truth(project, TruthOptions(states=[str(state)]), [])
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
