"""Values from the truth are data, never code (issue 13).

An instance id the state or the live API reports is written into HCL only when it has the shape
the KMS API documents (`kst-` and lowercase letters and digits); anything else is refused as
TFKMS204 with the value shown escaped, and the file keeps its bytes (or only the safe edits).
A for_each key is written as a literal map key: the key in the written lookup is the each.key
Terraform sees, judged by a real plan through the stand-in provider.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CANARY, GOLDEN_FIX
from live_support import kms_env, running  # noqa: F401  (kms_env is a fixture)
from standin import Terraform
from standin.states import key_attrs, secret_attrs, state
from typer.testing import CliRunner

from tfkms.analysis.truth_values import check_value, safe
from tfkms.cli import app
from tfkms.truth.model import CloudInstance, CloudKey, Inventory

LOCK_1240 = (GOLDEN_FIX / "key-1240-secrets-only" / "input" / ".terraform.lock.hcl").read_text()
HEADER = '''terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = ">= 1.240.0"
    }
  }
}

provider "alicloud" {
  region = "cn-hangzhou"
}
'''
GOOD = "kst-hzz65f176a0ogplgq4ehe"
HOSTILE_IDS = [
    "kst-${var.db_password}",  # a live interpolation once pasted into HCL
    "kst-%{ if true }x%{ endif }",  # a template directive
    "kst-abc\x01def",  # a control character: an escape HashiCorp's parser rejects
    "kst-abc\x1b[31mred",  # an ANSI escape: must not reach a terminal raw
    'kst-a" = 1 #',  # closes the string
    "kst-a\nb",  # a newline
    "kst-\u202eevil",  # a bidi override
    "KST-ABC",  # not the documented shape
]


def _root(tmp_path: Path, body: str, lock: str = LOCK_1240) -> Path:
    root = tmp_path / "infra"
    root.mkdir()
    (root / "main.tf").write_text(HEADER + body)
    (root / ".terraform.lock.hcl").write_text(lock)
    return root


def _fix(root: Path, truth: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["fix", str(root), "--state", str(truth), *extra])
    return result.exit_code, result.output


SECRET = '''
resource "alicloud_kms_secret" "db" {
  secret_name = "app/db-password"
  secret_data = "x"
  version_id  = "v1"
}
'''
KEY = '''
resource "alicloud_kms_key" "app" {
  description            = "app key"
  pending_window_in_days = 7
}
'''


@pytest.mark.parametrize("value", HOSTILE_IDS)
def test_hostile_instance_id_from_state_is_refused_and_the_file_kept(tmp_path: Path, value: str) -> None:
    root = _root(tmp_path, SECRET)
    truth = tmp_path / "state.tfstate"
    truth.write_text(json.dumps(state(("alicloud_kms_secret.db", [(None, secret_attrs(dkms_instance_id=value))]))))
    before = (root / "main.tf").read_bytes()

    code, out = _fix(root, truth, "--format", "json")
    assert code == 2, out
    assert CANARY not in out
    findings = json.loads(out)["findings"]
    refused = [f for f in findings if f["rule"] == "TFKMS204" and f["address"] == "alicloud_kms_secret.db"]
    assert refused, findings
    assert "the cloud reports a value tfkms will not write: " + safe(value) in refused[0]["message"]
    assert not any(f.get("edits") for f in findings)

    code, out = _fix(root, truth, "--write")
    assert code == 2, out
    assert "TFKMS204" in out
    assert (root / "main.tf").read_bytes() == before


def test_only_the_safe_part_is_written(tmp_path: Path, terraform: Terraform) -> None:
    """A key migrated into a real instance and a secret whose reported instance id is hostile, in
    one file: the key's id is written, the secret's refused; Terraform parses the file."""
    root = _root(tmp_path, KEY + SECRET, lock=LOCK_1240.replace("1.240.0", "1.230.0"))
    (root / "main.tf").write_text((root / "main.tf").read_text().replace(">= 1.240.0", ">= 1.230.0"))
    truth = tmp_path / "state.tfstate"
    truth.write_text(json.dumps(state(("alicloud_kms_key.app", [(None, key_attrs(dkms_instance_id=GOOD))]),
                                      ("alicloud_kms_secret.db",
                                       [(None, secret_attrs(dkms_instance_id="kst-${var.db_password}"))]))))
    code, out = _fix(root, truth, "--write")
    assert code == 2, out
    text = (root / "main.tf").read_text()
    assert f'dkms_instance_id       = "{GOOD}"' in text or f'dkms_instance_id = "{GOOD}"' in text, text
    assert "db_password" not in text and text.count("dkms_instance_id") == 1, text
    terraform.assert_parses([root / "main.tf"])


def test_hostile_protection_level_is_refused(tmp_path: Path) -> None:
    root = _root(tmp_path, '''
resource "alicloud_kms_key" "vault" {
  description      = "vault"
  protection_level = "HSM"
}
''')
    truth = tmp_path / "state.tfstate"
    truth.write_text(json.dumps(state(("alicloud_kms_key.vault", [(None, key_attrs(
        protection_level='SOFTWARE"\n  policy = "x')) ]))))
    before = (root / "main.tf").read_bytes()
    code, out = _fix(root, truth, "--format", "json")
    assert code == 2, out
    messages = [f["message"] for f in json.loads(out)["findings"] if f["rule"] == "TFKMS204"]
    assert any("will not write: " + safe('SOFTWARE"\n  policy = "x') in m for m in messages), messages
    code, out = _fix(root, truth, "--write")
    assert code == 2 and (root / "main.tf").read_bytes() == before, out


FOR_EACH = '''
resource "alicloud_kms_secret" "db" {
  for_each    = toset(["$${path.cwd}", "$$${path.module}", "%%{ if true }", "plain"])
  secret_name = "app/${each.key}"
  secret_data = "x"
  version_id  = "v1"
}
'''
FOR_EACH_KEYS = {"${path.cwd}": "kst-hzzaaa", "$${path.module}": "kst-hzzbbb", "%{ if true }": None,
                 "plain": GOOD}


def test_hostile_for_each_keys_are_written_as_literal_keys(tmp_path: Path, terraform: Terraform) -> None:
    root = _root(tmp_path, FOR_EACH)
    truth = state(("alicloud_kms_secret.db", [
        (k, secret_attrs(id=f"app/{k}", secret_name=f"app/{k}", secret_data="x", dkms_instance_id=v or ""))
        for k, v in FOR_EACH_KEYS.items()]))
    (tmp_path / "state.tfstate").write_text(json.dumps(truth))
    before = terraform.plan(root, truth)
    assert before.ok and {c.address for c in before.destroyed_kms()}, before.describe()

    code, out = _fix(root, tmp_path / "state.tfstate", "--write")
    assert code == 0, out
    text = (root / "main.tf").read_text()
    for key in ('"$${path.cwd}" ', '"$$${path.module}" ', '"%%{ if true }" '):  # as the for_each spells them
        assert f"\n    {key}" in text, text
    terraform.assert_parses([root / "main.tf"])
    after = terraform.plan(root, truth)
    assert after.ok and not after.errors and not after.destroyed_kms(), after.describe()
    assert all(c.actions == ("no-op",) for c in after.changes if c.type == "alicloud_kms_secret"), after.describe()
    code, out = _fix(root, tmp_path / "state.tfstate", "--format", "json")
    assert code == 0 and json.loads(out)["summary"]["files_changed"] == 0, out  # the rerun finds nothing left


def test_hostile_instance_id_from_the_live_api_is_refused(tmp_path: Path, kms_env: None) -> None:  # noqa: F811
    hostile = "kst-${var.db_password}\x1b[2J"
    root = _root(tmp_path, KEY, lock=LOCK_1240.replace("1.240.0", "1.230.0"))
    (root / "main.tf").write_text((root / "main.tf").read_text().replace(">= 1.240.0", ">= 1.230.0"))
    pre = tmp_path / "pre.tfstate"
    pre.write_text(json.dumps(state(("alicloud_kms_key.app", [(None, key_attrs(id="key-app", dkms_instance_id=""))]))))
    inv = Inventory(generated_at="2026-11-28T00:00:00Z", source="test")
    body = inv.region("cn-hangzhou")
    body.instances = [CloudInstance(hostile, "cn-hangzhou", "apps", "software", "Connected")]
    body.keys = [CloudKey("key-app", "cn-hangzhou", key_spec="Aliyun_AES_256", key_state="Enabled",
                          protection_level="SOFTWARE", origin="Aliyun_KMS", automatic_rotation="Disabled",
                          dkms_instance_id=hostile)]
    before = (root / "main.tf").read_bytes()
    with running(inv) as (_, url):
        args = ["fix", str(root), "--state", str(pre), "--live", "--region", "cn-hangzhou", "--endpoint", url]
        preview = CliRunner().invoke(app, [*args, "--format", "json"])
        written = CliRunner().invoke(app, [*args, "--write"])
    assert preview.exit_code == 2, preview.output
    findings = json.loads(preview.stdout)["findings"]
    assert any(f["rule"] == "TFKMS204" and safe(hostile) in f["message"] for f in findings), findings
    assert written.exit_code == 2, written.output
    assert (root / "main.tf").read_bytes() == before


@pytest.mark.parametrize(("attribute", "value", "ok"), [
    ("dkms_instance_id", GOOD, True), ("dkms_instance_id", "kst-cn-0001", True),
    ("dkms_instance_id", None, True), ("dkms_instance_id", "", True),
    ("dkms_instance_id", "kst-", False), ("dkms_instance_id", "kst-a-", False),
    ("dkms_instance_id", "kst-a" * 40, False), ("dkms_instance_id", 7, False),
    ("protection_level", "HSM", True), ("protection_level", "SOFTWARE", True),
    ("protection_level", "software ", False), ("protection_level", "HSM\n", False),
    ("encryption_key_id", "key-hzz62f1cb66fa42qo3x9a", True),
    ("encryption_key_id", "0b1c8f3e-1f2a-4c1e-9d7a-3b2f6c4d5e6f", True), ("encryption_key_id", "alias/app", True),
    ("encryption_key_id", "key-${x}", False), ("encryption_key_id", "key-\x00", False),
])
def test_check_value_shapes(attribute: str, value: object, ok: bool) -> None:
    assert (check_value(attribute, value) is None) is ok


def test_safe_never_shows_a_raw_control_character() -> None:
    shown = safe("kst-\x1b[31m\x00\u202e" + "x" * 500)
    assert shown.isascii() and shown.isprintable() and len(shown) < 130, shown
    assert "\\x1b" in shown and "\\u202e" in shown


@pytest.mark.parametrize("value", ["kst-${var.db_password}", GOOD])
def test_tf_json_writes_only_a_checked_value(tmp_path: Path, terraform: Terraform, value: str) -> None:
    root = tmp_path / "infra"
    root.mkdir()
    (root / ".terraform.lock.hcl").write_text(LOCK_1240)
    config = {"terraform": {"required_providers": {"alicloud": {"source": "aliyun/alicloud", "version": ">= 1.240.0"}}},
              "resource": {"alicloud_kms_secret": {"db": {"secret_name": "app/db-password", "secret_data": "x",
                                                          "version_id": "v1"}}}}
    (root / "main.tf.json").write_text(json.dumps(config, indent=2) + "\n")
    truth = state(("alicloud_kms_secret.db", [(None, secret_attrs(secret_data="x", dkms_instance_id=value))]))
    (tmp_path / "state.tfstate").write_text(json.dumps(truth))
    before = (root / "main.tf.json").read_bytes()
    code, out = _fix(root, tmp_path / "state.tfstate", "--write")
    if value != GOOD:
        assert code == 2 and (root / "main.tf.json").read_bytes() == before, out
        return
    assert code == 0, out
    written = json.loads((root / "main.tf.json").read_text())
    assert written["resource"]["alicloud_kms_secret"]["db"]["dkms_instance_id"] == GOOD
    plan = terraform.plan(root, truth)
    assert plan.ok and not plan.destroyed_kms(), plan.describe()


def test_hostile_for_each_key_from_show_json(tmp_path: Path) -> None:
    """`terraform show -json` writes `db["$${path.cwd}"]` for the instance whose each.key is
    `${path.cwd}` (checked with terraform_data on Terraform 1.11.4); `index` holds the real key."""
    root = _root(tmp_path, FOR_EACH)
    resources = [{"address": f'alicloud_kms_secret.db[{json.dumps(k.replace("${", "$${").replace("%{", "%%{"))}]',
                  "mode": "managed", "type": "alicloud_kms_secret", "name": "db", "index": k,
                  "provider_name": "registry.terraform.io/aliyun/alicloud", "schema_version": 0,
                  "values": secret_attrs(id=f"app/{k}", secret_name=f"app/{k}", secret_data="x",
                                         dkms_instance_id=v or "")}
                 for k, v in FOR_EACH_KEYS.items()]
    show = tmp_path / "show.json"
    show.write_text(json.dumps({"format_version": "1.0", "terraform_version": "1.11.4",
                                "values": {"root_module": {"resources": resources}}}))
    code, out = _fix(root, show, "--format", "json")
    findings = json.loads(out)["findings"]
    assert not {f["rule"] for f in findings} & {"TFKMS204", "TFKMS210"}, findings
    assert {f["address"] for f in findings if f["rule"] == "TFKMS200"} == {
        'alicloud_kms_secret.db["${path.cwd}"]', 'alicloud_kms_secret.db["$${path.module}"]',
        'alicloud_kms_secret.db["plain"]'}
