"""State files: both shapes, module/index addresses, the allowlist, clear errors."""
from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from conftest import CANARY
from tfkms.errors import InputFileError
from tfkms.truth.state import load_state

V4 = {
    "version": 4, "terraform_version": "1.9.8", "serial": 12, "lineage": "3f1c", "outputs": {
        "db_password": {"value": CANARY, "type": "string", "sensitive": True}},
    "resources": [
        {"module": 'module.kms["prod"]', "mode": "managed", "type": "alicloud_kms_key", "name": "this",
         "provider": 'provider["registry.terraform.io/aliyun/alicloud"]',
         "instances": [{"index_key": 0, "schema_version": 0, "attributes": {
             "id": "key-1", "dkms_instance_id": "kst-a", "protection_level": "SOFTWARE", "tags": {"a": "b"},
             "policy": "{}"}, "sensitive_attributes": []}]},
        {"mode": "managed", "type": "alicloud_kms_secret", "name": "db",
         "provider": 'provider["registry.terraform.io/aliyun/alicloud"]',
         "instances": [{"schema_version": 0, "attributes": {
             "id": "db", "secret_name": "db", "secret_data": CANARY, "version_id": "v1",
             "dkms_instance_id": "kst-a", "encryption_key_id": "key-1"},
             "sensitive_attributes": [[{"type": "get_attr", "value": "secret_data"}]]}]},
    ],
}

SHOW = {
    "format_version": "1.0", "terraform_version": "1.9.8",
    "values": {"root_module": {
        "resources": [{"address": "alicloud_kms_secret.db", "mode": "managed", "type": "alicloud_kms_secret",
                       "name": "db", "provider_name": "registry.terraform.io/aliyun/alicloud", "schema_version": 0,
                       "values": {"secret_name": "db", "secret_data": CANARY, "dkms_instance_id": "kst-a"},
                       "sensitive_values": {"secret_data": True}}],
        "child_modules": [{"address": 'module.kms["prod"]', "resources": [
            {"address": 'module.kms["prod"].alicloud_kms_key.this[0]', "mode": "managed",
             "type": "alicloud_kms_key", "name": "this", "index": 0,
             "values": {"id": "key-1", "dkms_instance_id": "kst-a"}}]}]}},
}


@pytest.mark.parametrize("data", [V4, SHOW], ids=["tfstate-v4", "show-json"])
def test_both_shapes_give_the_same_addresses(tmp_path: Path, data: dict) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data))
    state = load_state(path, "s.json")
    assert set(state.instances) == {'module.kms["prod"].alicloud_kms_key.this[0]', "alicloud_kms_secret.db"}
    assert state.instances["alicloud_kms_secret.db"].get("dkms_instance_id") == "kst-a"
    assert CANARY.encode() not in pickle.dumps(state), "a secret value was kept in memory"
    assert "tags" not in state.instances['module.kms["prod"].alicloud_kms_key.this[0]'].attributes


@pytest.mark.parametrize("content,message", [
    ('{"version": 3, "resources": []}', "version 3 is not supported"),
    ('{"a": 1}', "not a Terraform state"),
    ('{\n  "version": 4,\n  "resources": [\n}', "s.json:4:1: state is not valid JSON"),
    ("[]", "must be a JSON object"),
])
def test_bad_state_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "s.json"
    path.write_text(content)
    with pytest.raises(InputFileError, match=message):
        load_state(path, "s.json")


def test_secret_literals_are_masked_in_diffs() -> None:
    from tfkms.analysis.result import FilePatch

    original = 'resource "alicloud_kms_secret" "s" {\n  secret_data = "hunter2"\n  ref = "${var.x}"\n}\n'
    patched = original.replace("}\n", '  dkms_instance_id = "kst-1"\n}\n')
    diff = FilePatch("main.tf", Path("main.tf"), original, patched).unified_diff()
    assert "hunter2" not in diff and 'secret_data = "(redacted by tfkms)"' in diff
    assert '+  dkms_instance_id = "kst-1"' in diff


@pytest.mark.parametrize("value", [42, {"id": "kst-a"}, ["kst-a"], True])
def test_a_wrongly_typed_instance_id_is_a_malformed_state(tmp_path: Path, value: object) -> None:
    """A number or an object where dkms_instance_id belongs must not read as "not migrated"."""
    data = json.loads(json.dumps(V4))
    data["resources"][0]["instances"][0]["attributes"]["dkms_instance_id"] = value
    path = tmp_path / "s.tfstate"
    path.write_text(json.dumps(data))
    with pytest.raises(InputFileError) as err:
        load_state(path, "s.tfstate")
    assert 'module.kms["prod"].alicloud_kms_key.this[0]: dkms_instance_id must be a string' in str(err.value.problem)


def test_a_wrongly_typed_instance_id_stops_fix_before_any_write(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tfkms.cli import app

    (tmp_path / "main.tf").write_text('resource "alicloud_kms_secret" "db" {\n  secret_name = "db"\n'
                                      '  secret_data = "x"\n}\n')
    (tmp_path / ".terraform.lock.hcl").write_text('provider "registry.terraform.io/aliyun/alicloud" {\n'
                                                  '  version = "1.240.0"\n}\n')
    data = json.loads(json.dumps(V4))
    data["resources"] = data["resources"][1:]
    data["resources"][0]["instances"][0]["attributes"]["dkms_instance_id"] = 7
    (tmp_path / "s.tfstate").write_text(json.dumps(data))
    before = (tmp_path / "main.tf").read_bytes()
    result = CliRunner().invoke(app, ["fix", str(tmp_path), "--state", str(tmp_path / "s.tfstate"), "--write"])
    assert result.exit_code == 1 and "must be a string" in result.output and "Traceback" not in result.output
    assert (tmp_path / "main.tf").read_bytes() == before
