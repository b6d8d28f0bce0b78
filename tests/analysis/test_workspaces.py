"""One config, several workspaces: a fix must be right for each, and no workspace's fix may undo
another's. Real Terraform plans every workspace (TF_WORKSPACE) against its own state."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CANARY
from standin import Terraform
from standin.states import secret_attrs, state
from typer.testing import CliRunner

from tfkms.cli import app

PROD, DEV = "kst-hzz65f176a0ogplgq4ehe", "kst-hzz9b7c2d4e6f8a0b1c3d5e"
LOCK_VERSION = "1.240.0"
MAIN = """terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = "1.240.0"
    }
  }
}

provider "alicloud" {
  region = "cn-hangzhou"
}

variable "db_password" {
  type      = string
  sensitive = true
  default   = "CANARY-s3cr3t-7f3a9"
}

resource "alicloud_kms_secret" "db" {
  secret_name = "app/db-password"
  secret_data = var.db_password
  version_id  = "v1"
}
"""


def _tree(tmp_path: Path, workspaces: dict[str, str | None]) -> Path:
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text(MAIN)
    for name, instance in workspaces.items():
        folder = root / "terraform.tfstate.d" / name
        folder.mkdir(parents=True)
        (folder / "terraform.tfstate").write_text(json.dumps(state(
            ("alicloud_kms_secret.db", [(None, secret_attrs(dkms_instance_id=instance or ""))]))))
    return root


def _fix(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["fix", *args])
    assert CANARY not in result.output
    return result.exit_code, result.output


def _plans_clean(terraform: Terraform, root: Path, workspaces: list[str]) -> None:
    for name in workspaces:
        plan = terraform.plan(root, root / "terraform.tfstate.d" / name / "terraform.tfstate",
                              LOCK_VERSION, workspace=name)
        assert plan.ok and not plan.errors, plan.describe()
        assert not plan.destroyed_kms(), f"workspace {name}:\n" + plan.describe()


def test_workspaces_that_differ_get_a_lookup_by_workspace(tmp_path: Path, terraform: Terraform) -> None:
    root = _tree(tmp_path, {"prod": PROD, "dev": DEV})
    before = terraform.plan(root, root / "terraform.tfstate.d/prod/terraform.tfstate", LOCK_VERSION,
                            workspace="prod")
    assert before.destroyed_kms(), before.describe()  # the case is real: prod's secret would be replaced
    code, out = _fix(str(root), "--write")  # no truth named: every workspace of the local backend
    assert code == 0, out
    text = (root / "main.tf").read_text()
    assert "terraform.workspace" in text and PROD in text and DEV in text, text
    _plans_clean(terraform, root, ["prod", "dev"])
    code, out = _fix(str(root))
    assert code == 0 and "nothing to do" in out, out


def test_workspaces_that_agree_get_one_literal(tmp_path: Path, terraform: Terraform) -> None:
    root = _tree(tmp_path, {"prod": PROD, "dev": PROD})
    code, out = _fix(str(root), "--write")
    assert code == 0, out
    assert f'dkms_instance_id = "{PROD}"' in (root / "main.tf").read_text()
    _plans_clean(terraform, root, ["prod", "dev"])


def test_fixing_one_workspace_keeps_the_other_as_it_was(tmp_path: Path, terraform: Terraform) -> None:
    """Only prod's state is named; dev (not migrated) lives beside it: dev keeps what config said."""
    root = _tree(tmp_path, {"prod": PROD, "dev": None})
    named = str(root / "terraform.tfstate.d/prod/terraform.tfstate")
    code, out = _fix(str(root), "--state", named, "--format", "json")
    assert code == 2 and "did not read (dev)" in out, out  # the report says which workspaces it did not read
    code, out = _fix(str(root), "--state", named, "--write")
    assert code == 0, out
    text = (root / "main.tf").read_text()
    assert "terraform.workspace" in text and PROD in text, text
    _plans_clean(terraform, root, ["prod", "dev"])


def test_several_named_states_are_the_workspaces(tmp_path: Path, terraform: Terraform) -> None:
    root = _tree(tmp_path, {})
    for name, instance in (("prod", PROD), ("dev", DEV)):
        (tmp_path / f"{name}.tfstate").write_text(json.dumps(state(
            ("alicloud_kms_secret.db", [(None, secret_attrs(dkms_instance_id=instance))]))))
    code, out = _fix(str(root), "--state", str(tmp_path / "prod.tfstate"), "--state", str(tmp_path / "dev.tfstate"),
                     "--write")
    assert code == 0, out
    for name in ("prod", "dev"):
        plan = terraform.plan(root, tmp_path / f"{name}.tfstate", LOCK_VERSION, workspace=name)
        assert plan.ok and not plan.destroyed_kms(), plan.describe()


@pytest.mark.parametrize("named", ["-", "pulled.json"])
def test_a_state_of_unknown_workspace_in_a_root_with_workspaces_stops(tmp_path: Path, named: str) -> None:
    root = _tree(tmp_path, {"prod": PROD, "dev": DEV})
    source = root / "terraform.tfstate.d/prod/terraform.tfstate"
    if named == "-":
        result = CliRunner().invoke(app, ["fix", str(root), "--state", "-", "--write"], input=source.read_text())
    else:
        (tmp_path / named).write_text(source.read_text())
        result = CliRunner().invoke(app, ["fix", str(root), "--state", str(tmp_path / named), "--write"])
    assert result.exit_code == 1, result.output
    assert "workspace" in result.output and "Traceback" not in result.output
    assert "terraform.workspace" not in (root / "main.tf").read_text()
