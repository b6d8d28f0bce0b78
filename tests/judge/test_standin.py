"""The stand-in provider plans like the real one (reference facts from provider-kms.md, copied
into tests/standin/alicloud-schema.json), judged by real `terraform plan`.

Each scenario: config, refreshed state, provider version -> what Terraform plans per address
("no-op", "update", "replace") or the error Terraform reports.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from standin import PlanResult, Terraform
from standin.states import CANARY, INSTANCE, key_attrs, secret_attrs, state

KEY = '''resource "alicloud_kms_key" "app" {
  description            = "app key"
  pending_window_in_days = 7
%s}
'''
SECRET = f'''resource "alicloud_kms_secret" "db" {{
  secret_name = "app/db-password"
  secret_data = "{CANARY}"
  version_id  = "v1"
%s}}
'''
IGNORE = "\n  lifecycle {\n    ignore_changes = [%s]\n  }\n"
KEY_STATE = state(("alicloud_kms_key.app", [(None, key_attrs())]))
SECRET_STATE = state(("alicloud_kms_secret.db", [(None, secret_attrs())]))
HSM_STATE = state(("alicloud_kms_key.app", [(None, key_attrs(protection_level="HSM"))]))
NOT_MIGRATED = state(("alicloud_kms_key.app", [(None, key_attrs(dkms_instance_id=""))]))
OLD_KEY = {k: v for k, v in key_attrs().items() if k not in ("dkms_instance_id", "policy", "timeouts")}
POLICY = '{"Version":"1","Statement":[{"Effect":"Allow","Action":["kms:*"],"Resource":["*"]}]}'
K, S = "alicloud_kms_key.app", "alicloud_kms_secret.db"

# name -> (config, state, provider version, {address: action} or "error: <text Terraform reports>")
SCENARIOS: dict[str, tuple[str, dict[str, Any], str, Any]] = {
    "key without instance id is replaced on 1.230": (KEY % "", KEY_STATE, "1.230.0", {K: "replace"}),
    "key without instance id is replaced on 1.183": (KEY % "", KEY_STATE, "1.183.0", {K: "replace"}),
    "key without instance id is safe from 1.235 (Computed)": (KEY % "", KEY_STATE, "1.235.0", {K: "no-op"}),
    "secret without instance id is replaced on 1.240": (SECRET % "", SECRET_STATE, "1.240.0", {S: "replace"}),
    "secret without instance id is replaced on 1.289": (SECRET % "", SECRET_STATE, "1.289.0", {S: "replace"}),
    "the right literal is harmless": (KEY % f'  dkms_instance_id = "{INSTANCE}"\n', KEY_STATE, "1.230.0",
                                      {K: "no-op"}),
    "a stale literal replaces even when Computed": (KEY % '  dkms_instance_id = "kst-old"\n', KEY_STATE, "1.240.0",
                                                    {K: "replace"}),
    "ignore_changes protects the key": (KEY % (IGNORE % "dkms_instance_id"), KEY_STATE, "1.230.0", {K: "no-op"}),
    "ignore_changes protects the secret": (SECRET % (IGNORE % "dkms_instance_id"), SECRET_STATE, "1.240.0",
                                           {S: "no-op"}),
    "not migrated: empty string and null are no diff": (KEY % "", NOT_MIGRATED, "1.230.0", {K: "no-op"}),
    "no dkms_instance_id argument before 1.183": (KEY % '  dkms_instance_id = "x"\n', state((K, [(None, OLD_KEY)])),
                                                  "1.170.0", "error: Unsupported argument"),
    "no dkms_instance_id in ignore_changes before 1.183": (KEY % (IGNORE % "dkms_instance_id"),
                                                           state((K, [(None, OLD_KEY)])), "1.170.0",
                                                           "error: Unsupported attribute"),
    "HSM in config, SOFTWARE in the cloud, replaces": (KEY % '  protection_level = "HSM"\n', KEY_STATE, "1.240.0",
                                                       {K: "replace"}),
    "omitted protection_level defaults to SOFTWARE and replaces an HSM key": (
        KEY % f'  dkms_instance_id = "{INSTANCE}"\n', HSM_STATE, "1.240.0", {K: "replace"}),
    "protection_level in ignore_changes": (KEY % (IGNORE % "protection_level, dkms_instance_id"), HSM_STATE,
                                           "1.230.0", {K: "no-op"}),
    "rotation is an in-place update": (KEY % f'  dkms_instance_id   = "{INSTANCE}"\n  automatic_rotation = "Enabled"\n',
                                       KEY_STATE, "1.240.0", {K: "update"}),
    "omitted automatic_rotation defaulted to Disabled before 1.207": (
        KEY % "", state((K, [(None, key_attrs(automatic_rotation="Enabled", dkms_instance_id=""))])), "1.206.0",
        {K: "update"}),
    "equivalent policy JSON is no diff": (KEY % f"  dkms_instance_id = \"{INSTANCE}\"\n  policy = jsonencode({{\n"
                                          '    Version = "1", Statement = [{Effect = "Allow", Action = ["kms:*"], '
                                          'Resource = ["*"]}]\n  })\n',
                                          state((K, [(None, key_attrs(policy=POLICY))])), "1.240.0", {K: "no-op"}),
    "secret encryption_key_id from the cloud replaces when missing": (
        SECRET % f'  dkms_instance_id = "{INSTANCE}"\n', state((S, [(None, secret_attrs(encryption_key_id="key-x"))])),
        "1.240.0", {S: "replace"}),
    "a wrong protection_level value is rejected like the real provider": (
        KEY % '  protection_level = "Software"\n', KEY_STATE, "1.240.0", "error: expected protection_level"),
}


@pytest.fixture(scope="module")
def plans(terraform: Terraform) -> dict[str, PlanResult]:
    base = Path(tempfile.mkdtemp(prefix="standin-scenarios-", dir=terraform.home))
    jobs = []
    for i, (config, truth, version, _) in enumerate(SCENARIOS.values()):
        root = base / str(i)
        root.mkdir()
        (root / "main.tf").write_text(config)
        jobs.append({"config_dir": root, "state": truth, "provider_version": version})
    return dict(zip(SCENARIOS, terraform.plan_many(jobs)))


def _kind(actions: tuple[str, ...]) -> str:
    return {("no-op",): "no-op", ("update",): "update", ("delete", "create"): "replace",
            ("create", "delete"): "replace"}.get(actions, "/".join(actions))


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario(name: str, plans: dict[str, PlanResult]) -> None:
    plan, expected = plans[name], SCENARIOS[name][3]
    if isinstance(expected, str):
        assert not plan.ok and any(expected.removeprefix("error: ") in e for e in plan.errors), plan.describe()
        return
    assert plan.ok, plan.describe()
    assert {a: _kind(actions) for a, actions in plan.actions().items()} == expected, plan.describe()


def test_replace_paths_name_the_force_new_attribute(plans: dict[str, PlanResult]) -> None:
    (change,) = plans["omitted protection_level defaults to SOFTWARE and replaces an HSM key"].changes
    assert change.replace_paths == (("protection_level",),)


def test_version_comes_from_the_lock_file_and_show_json_is_a_truth(terraform: Terraform, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(KEY % "")
    (tmp_path / ".terraform.lock.hcl").write_text(
        'provider "registry.terraform.io/aliyun/alicloud" {\n  version = "1.235.0"\n  hashes = ["h1:real"]\n}\n')
    show = {"format_version": "1.0", "values": {"root_module": {"resources": [
        {"address": K, "mode": "managed", "type": "alicloud_kms_key", "name": "app",
         "provider_name": "registry.terraform.io/aliyun/alicloud", "schema_version": 0, "values": key_attrs()}]}}}
    plan = terraform.plan(tmp_path, show)
    assert plan.ok and plan.version == "1.235.0" and plan.actions() == {K: ("no-op",)}, plan.describe()


def test_without_a_lock_init_takes_the_newest_release_the_constraint_admits(terraform: Terraform,
                                                                           tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('terraform {\n  required_providers {\n    alicloud = {\n'
                                      '      source  = "aliyun/alicloud"\n      version = "< 1.235.0"\n    }\n  }\n}\n'
                                      + KEY % "")
    plan = terraform.plan(tmp_path, KEY_STATE)
    assert plan.version == "1.234.0" and plan.actions() == {K: ("delete", "create")}, plan.describe()


def test_a_backend_in_the_config_is_never_contacted(terraform: Terraform, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('terraform {\n  backend "oss" {\n    bucket = "tfstate-bucket"\n'
                                      '    region = "cn-hangzhou"\n  }\n}\n' + KEY % "")
    plan = terraform.plan(tmp_path, KEY_STATE, "1.240.0")
    assert plan.ok and plan.actions() == {K: ("no-op",)}, plan.describe()
