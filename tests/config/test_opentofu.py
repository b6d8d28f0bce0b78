"""OpenTofu roots: `.tofu` files shadow their `.tf` twins (OpenTofu's extension precedence), OpenTofu's
lock file gives the provider version, and encrypted states and plans are refused clearly."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from standin.states import INSTANCE, key_attrs, state
from tfkms.cli import app
from tfkms.config.discover import scan_dir, shadowed_by_tofu

TOFU_LOCK = '''provider "registry.opentofu.org/aliyun/alicloud" {
  version     = "1.230.0"
  constraints = ">= 1.200.0"
}
'''
# What Terraform would read (and what OpenTofu ignores): a different description, so reading the
# wrong twin shows; a key OpenTofu never sees.
SHADOWED_TF = '''resource "alicloud_kms_key" "app" {
  description = "terraform's twin"
}

resource "alicloud_kms_key" "only_in_tf" {
  description = "never read by OpenTofu"
}
'''
MAIN_TOFU = '''resource "alicloud_kms_key" "app" {
  description            = "app key"
  pending_window_in_days = 7
}
'''
ENCRYPTED = {"serial": 4, "lineage": "0f8e2b6c-1d2a-4f7e-9c51-6f0b9a7d2e11",
             "meta": {"key_provider.pbkdf2.main": "eyJzYWx0IjoiIn0="},
             "encrypted_data": "c2VjcmV0IGNpcGhlcnRleHQ=", "encryption_version": "v0"}


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _tofu_root(tmp_path: Path) -> Path:
    root = tmp_path / "tofu"
    root.mkdir()
    (root / "main.tf").write_text(SHADOWED_TF)
    (root / "main.tofu").write_text(MAIN_TOFU)
    (root / ".terraform.lock.hcl").write_text(TOFU_LOCK)
    (tmp_path / "s.tfstate").write_text(json.dumps(state(("alicloud_kms_key.app", [(None, key_attrs())]))))
    return root


def test_the_shadow_rule_is_opentofus() -> None:
    names = ["a.tf", "a.tofu", "b.tf.json", "b.tofu.json", "c.tf", "d.tofu", "e.tf.json", "e.tofu",
             "override.tf", "override.tofu"]
    assert shadowed_by_tofu(names) == {"a.tf", "b.tf.json", "override.tf"}  # e.tf.json's twin is e.tofu.json


def test_a_shadowed_tf_file_is_never_read(tmp_path: Path) -> None:
    root = _tofu_root(tmp_path)
    found = scan_dir(root)
    assert found.config_files == ["main.tofu"] and found.shadowed == ["main.tf"]
    code, out, err = _invoke("check", str(root), "-f", "json")
    addresses = {r["address"] for r in json.loads(out)["resources"]}
    assert addresses == {"alicloud_kms_key.app"}, err


def test_fix_patches_the_file_opentofu_reads_and_leaves_its_twin(tmp_path: Path) -> None:
    root = _tofu_root(tmp_path)
    twin = (root / "main.tf").read_bytes()
    code, out, err = _invoke("fix", str(root), "--state", str(tmp_path / "s.tfstate"), "--write", "-f", "json")
    assert code == 0, err
    data = json.loads(out)
    assert [p["file"] for p in data["patches"]] == ["main.tofu"]
    assert f'dkms_instance_id       = "{INSTANCE}"' in (root / "main.tofu").read_text()
    assert (root / "main.tf").read_bytes() == twin
    # The provider version came from OpenTofu's lock file (1.230.0 needs the instance id).
    assert {r["provider_version"] for r in data["resources"]} == {"1.230.0"}


def test_the_patched_tofu_view_plans_no_destroy(tmp_path: Path, terraform) -> None:  # type: ignore[no-untyped-def]
    """Real Terraform judges the files OpenTofu reads (the .tofu ones, as .tf, without their twins)."""
    root = _tofu_root(tmp_path)
    assert _invoke("fix", str(root), "--state", str(tmp_path / "s.tfstate"), "--write")[0] == 0
    view = tmp_path / "view"
    view.mkdir()
    shutil.copy(root / "main.tofu", view / "main.tf")
    (view / "versions.tf").write_text('terraform {\n  required_providers {\n    alicloud = {\n'
                                      '      source  = "aliyun/alicloud"\n      version = "1.230.0"\n    }\n  }\n}\n')
    planned = terraform.plan(view, tmp_path / "s.tfstate", "1.230.0")
    assert planned.ok, planned.describe()
    assert planned.destroyed_kms() == [], planned.describe()
    assert planned.actions() == {"alicloud_kms_key.app": ("no-op",)}


def test_override_tofu_is_an_override_file(tmp_path: Path) -> None:
    root = _tofu_root(tmp_path)
    (root / "override.tofu").write_text('resource "alicloud_kms_key" "app" {\n  protection_level = "HSM"\n}\n')
    code, out, _ = _invoke("fix", str(root), "--state", str(tmp_path / "s.tfstate"), "-f", "json")
    rules = {f["rule"] for f in json.loads(out)["findings"]}
    assert "TFKMS201" in rules  # the override's HSM against the cloud's SOFTWARE: merged, not a duplicate


def test_an_encrypted_state_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    root = _tofu_root(tmp_path)
    (tmp_path / "enc.tfstate").write_text(json.dumps(ENCRYPTED))
    before = (root / "main.tofu").read_bytes()
    code, out, err = _invoke("fix", str(root), "--state", str(tmp_path / "enc.tfstate"), "--write")
    assert code == 1 and "Traceback" not in err
    assert "encrypted with OpenTofu state encryption" in err and "tofu state pull" in err
    assert len(err.strip().splitlines()) == 1
    assert (root / "main.tofu").read_bytes() == before
    assert "c2VjcmV0" not in out + err  # the ciphertext is never echoed


def test_an_encrypted_plan_is_refused_by_guard(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(ENCRYPTED))
    code, _, err = _invoke("guard", str(plan))
    assert code == 1 and "encrypted with OpenTofu plan encryption" in err and "tofu show -json" in err
