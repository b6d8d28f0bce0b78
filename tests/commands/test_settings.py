"""Settings files and inline suppressions."""
from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tfkms.cli import app

KEY = '''resource "alicloud_kms_key" "k" {
  key_spec           = "RSA_2048"
  automatic_rotation = "Enabled"
}
'''


def _check(path: Path, *extra: str) -> tuple[int, dict]:
    result = CliRunner().invoke(app, ["check", str(path), "--format", "json", *extra])
    return result.exit_code, json.loads(result.stdout) if result.stdout.startswith("{") else {"stderr": result.stderr}


def test_settings_file_sets_target_disables_and_overrides(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(KEY)
    assert {f["rule"] for f in _check(tmp_path)[1]["findings"]} == {"TFKMS102"}
    (tmp_path / ".tfkms.toml").write_text('target = "hardware"\ndisable = ["TFKMS102"]\n')
    code, data = _check(tmp_path)
    assert data["target"] == "hardware" and {f["rule"] for f in data["findings"]} == {"TFKMS100"}
    assert code == 2
    assert _check(tmp_path, "--target", "software")[0] == 0  # flags win over the file
    (tmp_path / ".tfkms.toml").write_text('[severity]\nTFKMS102 = "info"\n')
    code, data = _check(tmp_path)
    assert code == 0 and data["findings"][0]["severity"] == "info"


def test_pyproject_table_is_found_from_a_parent(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.tfkms]\ndisable = ["TFKMS102"]\n')
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text(KEY)
    code, data = _check(tmp_path / "infra")
    assert code == 0 and data["findings"] == []


def test_bad_settings_are_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(KEY)
    (tmp_path / ".tfkms.toml").write_text('disable = ["TFKMS999"]\n')
    result = CliRunner().invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 1 and ".tfkms.toml: disable must list rule ids" in result.stderr


def test_inline_suppression_in_check_and_fix(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        '# tfkms:ignore TFKMS102 rotation is switched off by the change runbook\n' + KEY +
        'resource "alicloud_kms_secret" "s" {\n  # tfkms:ignore TFKMS200 patched by the secrets team\n'
        '  secret_name = "s"\n}\n')
    code, data = _check(tmp_path, "--target", "software")
    assert code == 0
    assert data["findings"][0]["suppressed"] == {"reason": "rotation is switched off by the change runbook"}
    (tmp_path / ".terraform.lock.hcl").write_text(
        'provider "registry.terraform.io/aliyun/alicloud" {\n  version = "1.230.0"\n}\n')
    state = {"version": 4, "resources": [
        {"mode": "managed", "type": "alicloud_kms_secret", "name": "s", "instances": [
            {"attributes": {"id": "s", "secret_name": "s", "dkms_instance_id": "kst-1"}}]}]}
    (tmp_path / "s.tfstate").write_text(json.dumps(state))
    result = CliRunner().invoke(app, ["fix", str(tmp_path), "--state", str(tmp_path / "s.tfstate"), "--format", "json"])
    data = json.loads(result.stdout)
    assert result.exit_code == 2 and data["patches"] == []  # 2: the state does not hold the key (TFKMS204)
    assert data["findings"][0]["rule"] == "TFKMS200" and data["findings"][0]["suppressed"]
    assert [(f["rule"], f["address"]) for f in data["findings"] if not f.get("suppressed")] == [
        ("TFKMS204", "alicloud_kms_key.k")]
