"""`fix --state PRE --live` and `fix --live`: identity from a pre-migration state (or from
aliases and secret names), facts from the real SDK talking to the loopback emulator."""
from __future__ import annotations

import json
from pathlib import Path

from conftest import CANARY
from live_support import kms_env, running  # noqa: F401  (kms_env is a fixture)
from standin import Terraform
from typer.testing import CliRunner

from tfkms.cli import app
from tfkms.truth.model import CloudInstance, CloudKey, CloudSecret, Inventory

REGION = "cn-hangzhou"
CONFIG = '''provider "alicloud" {
  region = "cn-hangzhou"
}

resource "alicloud_kms_key" "app" {
  description            = "app data key"
  pending_window_in_days = 7
}

resource "alicloud_kms_alias" "app" {
  alias_name = "alias/app"
  key_id     = alicloud_kms_key.app.id
}

# HSM in KMS 1.0; moves into the software instance.
resource "alicloud_kms_key" "vault" {
  description            = "vault key"
  protection_level       = "HSM"
  pending_window_in_days = 30
}

resource "alicloud_kms_key" "later" {
  description            = "migrated in the next batch"
  pending_window_in_days = 7
}

resource "alicloud_kms_secret" "db" {
  secret_name       = "app/db"
  secret_data       = var.db_password
  version_id        = "v1"
  encryption_key_id = alicloud_kms_key.app.id
}

variable "db_password" {
  type      = string
  sensitive = true
}
'''
LOCK = '''provider "registry.terraform.io/aliyun/alicloud" {
  version     = "1.230.0"
  constraints = "~> 1.230"
}
'''


def _inventory() -> Inventory:
    inv = Inventory(generated_at="2026-11-28T00:00:00Z", source="test")
    body = inv.region(REGION)
    body.instances = [CloudInstance("kst-hzz0software", REGION, "apps", "software", "Connected")]
    body.keys = [
        CloudKey("key-app", REGION, key_spec="Aliyun_AES_256", key_state="Enabled", protection_level="SOFTWARE",
                 origin="Aliyun_KMS", automatic_rotation="Disabled", aliases=("alias/app",)),
        CloudKey("key-vault", REGION, key_spec="Aliyun_AES_256", key_state="Enabled", protection_level="HSM",
                 origin="Aliyun_KMS", automatic_rotation="Disabled"),
        CloudKey("key-later", REGION, key_spec="Aliyun_AES_256", key_state="Enabled", protection_level="SOFTWARE",
                 origin="Aliyun_KMS", automatic_rotation="Disabled"),
    ]
    body.secrets = [CloudSecret("app/db", REGION, secret_type="Generic", encryption_key_id="key-app",
                                automatic_rotation="Disabled")]
    return inv


def _state(keys: dict[str, tuple[str, str]], secret_instance: str) -> dict:
    """keys: name -> (id, protection level); dkms ids empty = the pre-migration state."""
    resources = [{"mode": "managed", "type": "alicloud_kms_key", "name": name,
                  "provider": 'provider["registry.terraform.io/aliyun/alicloud"]',
                  "instances": [{"schema_version": 0, "attributes": {
                      "id": key_id, "dkms_instance_id": "", "protection_level": level, "key_spec": "Aliyun_AES_256",
                      "status": "Enabled", "origin": "Aliyun_KMS", "automatic_rotation": "Disabled",
                      "pending_window_in_days": 7}}]} for name, (key_id, level) in keys.items()]
    resources.append({"mode": "managed", "type": "alicloud_kms_secret", "name": "db",
                      "provider": 'provider["registry.terraform.io/aliyun/alicloud"]',
                      "instances": [{"schema_version": 0, "attributes": {
                          "id": "app/db", "secret_name": "app/db", "secret_data": CANARY, "version_id": "v1",
                          "encryption_key_id": "key-app", "dkms_instance_id": secret_instance}}]})
    return {"version": 4, "terraform_version": "1.9.8", "serial": 3, "lineage": "l", "outputs": {},
            "resources": resources}


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "infra"
    root.mkdir()
    (root / "main.tf").write_text(CONFIG)
    (root / ".terraform.lock.hcl").write_text(LOCK)
    return root


KEYS = {"app": ("key-app", "SOFTWARE"), "vault": ("key-vault", "HSM"), "later": ("key-later", "SOFTWARE")}


def test_fix_with_a_pre_migration_state_protects_what_the_api_says_moved(tmp_path: Path, kms_env: None,  # noqa: F811
                                                                         terraform: Terraform) -> None:
    root = _repo(tmp_path)
    pre = tmp_path / "pre.tfstate"
    pre.write_text(json.dumps(_state(KEYS, "")))
    with running(_inventory()) as (emulator, url):
        emulator.state.migrate(instance_id="kst-hzz0software", key_ids=["key-app", "key-vault"],
                               secret_names=["app/db"])
        args = ["fix", str(root), "--state", str(pre), "--live", "--region", REGION, "--endpoint", url]
        preview = CliRunner().invoke(app, [*args, "--format", "json"])
        written = CliRunner().invoke(app, [*args, "--write"])
        again = CliRunner().invoke(app, args)
    assert preview.exit_code == 2, preview.output
    assert CANARY not in preview.output + written.output + again.output
    rules = {(f["address"], f["rule"]) for f in json.loads(preview.stdout)["findings"]}
    assert rules == {("alicloud_kms_key.app", "TFKMS200"), ("alicloud_kms_key.vault", "TFKMS200"),
                     ("alicloud_kms_key.vault", "TFKMS201"), ("alicloud_kms_secret.db", "TFKMS200"),
                     ("alicloud_kms_key.later", "TFKMS206")}
    assert written.exit_code == 0, written.output
    assert again.exit_code == 0 and "0 file(s) to change" in again.stdout
    # After the next refresh, state holds what the API reports: the patched config plans no replacement.
    post = _state({"app": ("key-app", "SOFTWARE"), "vault": ("key-vault", "SOFTWARE"),
                   "later": ("key-later", "SOFTWARE")}, "kst-hzz0software")
    for res in post["resources"][:2]:
        res["instances"][0]["attributes"]["dkms_instance_id"] = "kst-hzz0software"
    plan = terraform.plan(root, post, "1.230.0", variables={"db_password": CANARY})
    kms = {a: actions for a, actions in plan.actions().items()
           if a.startswith(("alicloud_kms_key.", "alicloud_kms_secret."))}
    # (The hand-made state lacks descriptions and the alias: Terraform plans those in place.)
    assert plan.ok and len(kms) == 4 and not plan.destroyed_kms(), plan.describe()


def test_live_without_state_matches_keys_by_alias_and_reports_the_rest(tmp_path: Path, kms_env: None) -> None:  # noqa: F811 (pytest fixture)
    root = _repo(tmp_path)
    with running(_inventory()) as (emulator, url):
        emulator.state.migrate(instance_id="kst-hzz0software", key_ids=["key-app"], secret_names=["app/db"])
        result = CliRunner().invoke(app, ["fix", str(root), "--live", "--region", REGION, "--endpoint", url,
                                          "--format", "json"])
    data = json.loads(result.stdout)
    by_address = {(f["address"], f["rule"]) for f in data["findings"]}
    assert ("alicloud_kms_key.app", "TFKMS200") in by_address  # matched through alias/app
    assert ("alicloud_kms_secret.db", "TFKMS200") in by_address  # matched by name
    assert ("alicloud_kms_key.vault", "TFKMS204") in by_address  # no alias, no state: not guessed
    assert ("alicloud_kms_key.later", "TFKMS204") in by_address
