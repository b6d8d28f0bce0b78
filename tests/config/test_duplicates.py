"""A second declaration of one address (issue 12): Terraform refuses the configuration, so tfkms
reports an input error naming both places, exits 1 and writes nothing for that root; other
roots are still reported. Real Terraform judges each configuration invalid."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from hardening_support import (
    assert_no_traceback,
    invoke_in_process,
    key_tf,
    migrated_key,
    tfstate,
    tree_bytes,
    write_root,
)
from standin import Terraform

from tfkms.config.scan import build_project

MODULE_CALL = 'module "keys" {\n  source = "./keys"\n}\n'
DATA = 'data "alicloud_kms_keys" "all" {\n  status = "Enabled"\n}\n'
VARIABLE = 'variable "region" {\n  type = string\n}\n'
LOCALS = 'locals {\n  env = "prod"\n}\n'
JSON_KEY = '{\n  "resource": {\n    "alicloud_kms_key": {\n      "k": {}\n    }\n  }\n}\n'


def _dup_root(root: Path) -> Path:
    """Two files declaring alicloud_kms_key.k (a.tf:1 and b.tf:3), both migrated in state."""
    return write_root(root, {"a.tf": key_tf("k"), "b.tf": "# the same key, pasted in a second file\n\n" + key_tf("k")})


def test_fix_write_refuses_a_root_with_a_duplicate_resource(tmp_path: Path) -> None:
    root = _dup_root(tmp_path / "prod")
    state = tmp_path / "prod.tfstate"
    state.write_text(tfstate([migrated_key("k")]))
    before = tree_bytes(root)

    run = invoke_in_process(["fix", str(root), "--state", str(state), "--write"])

    assert run.returncode == 1, run.describe()
    assert_no_traceback(run)
    assert re.search(r"b\.tf:3\b.*duplicate resource \"alicloud_kms_key\" configuration.*already declared at a\.tf:1\b",
                     run.output), run.describe()
    assert tree_bytes(root) == before, "a root Terraform refuses must not be written"
    assert "dkms_instance_id" not in run.stdout  # no diff offered either


def test_other_roots_are_still_reported_and_patched(tmp_path: Path) -> None:
    scan = tmp_path / "infra"
    bad = _dup_root(scan / "bad")
    good = write_root(scan / "good", {"main.tf": key_tf("g")})
    (tmp_path / "bad.tfstate").write_text(tfstate([migrated_key("k")]))
    (tmp_path / "good.tfstate").write_text(tfstate([migrated_key("g")]))
    bad_before = tree_bytes(bad)

    run = invoke_in_process(["fix", str(scan), "--state", f"bad={tmp_path / 'bad.tfstate'}",
                             "--state", f"good={tmp_path / 'good.tfstate'}", "--write"])

    assert run.returncode == 1, run.describe()
    assert_no_traceback(run)
    assert "bad/b.tf:3" in run.output and "bad/a.tf:1" in run.output, run.describe()
    assert tree_bytes(bad) == bad_before
    assert re.search(rb'dkms_instance_id\s*=\s*"kst-', (good / "main.tf").read_bytes()), run.describe()


def test_a_duplicate_inside_a_called_module_refuses_its_caller(tmp_path: Path) -> None:
    root = write_root(tmp_path / "root", {"main.tf": MODULE_CALL})
    write_root(root / "keys", {"one.tf": key_tf("k"), "two.tf": key_tf("k")}, lock=False)
    project = build_project([root], [])
    assert [p.render() for p in project.problems] == [
        'keys/two.tf:1: duplicate resource "alicloud_kms_key" configuration: a alicloud_kms_key resource named '
        '"k" was already declared at keys/one.tf:1; Terraform refuses this configuration: remove or rename one '
        "of them"]
    assert [r.display for r in project.roots] == ["."]
    assert list(project.roots[0].resource_instances()) == []


# name -> (files of one directory, the (file, line) tfkms names, words Terraform's error uses)
INVALID = {
    "resource, one file": ({"main.tf": key_tf("k") + "\n" + key_tf("k")}, ("main.tf", 7), "Duplicate resource"),
    "data source": ({"a.tf": DATA, "b.tf": DATA}, ("b.tf", 1), "Duplicate data"),
    "module call": ({"a.tf": MODULE_CALL, "b.tf": MODULE_CALL}, ("b.tf", 1), "Duplicate module call"),
    "variable": ({"a.tf": key_tf("k") + VARIABLE, "b.tf": VARIABLE}, ("b.tf", 1), "Duplicate variable"),
    "local value": ({"a.tf": key_tf("k") + LOCALS, "b.tf": LOCALS}, ("b.tf", 2), "Duplicate local value"),
    "tf.json beside .tf": ({"a.tf": key_tf("k"), "b.tf.json": JSON_KEY}, ("b.tf.json", 4), "Duplicate resource"),
}


@pytest.mark.parametrize("name", list(INVALID))
def test_terraform_agrees_the_configuration_is_invalid(name: str, tmp_path: Path, terraform: Terraform) -> None:
    files, (file, line), words = INVALID[name]
    root = write_root(tmp_path / "root", files)
    if "module call" in name:
        write_root(root / "keys", {"main.tf": key_tf("m")}, lock=False)

    problems = build_project([root], []).problems
    assert [(p.file, p.line) for p in problems] == [(file, line)]
    assert "duplicate" in problems[0].message

    planned = terraform.plan(root)
    assert not planned.ok and words in planned.log, planned.log


def test_override_files_and_distinct_addresses_are_not_duplicates(tmp_path: Path, terraform: Terraform) -> None:
    files = {
        "main.tf": key_tf("k") + '\ndata "alicloud_kms_keys" "k" {\n}\n',  # resources and data: two namespaces
        "override.tf": 'resource "alicloud_kms_key" "k" {\n  description = "overridden"\n}\n',
        "x_override.tf": 'resource "alicloud_kms_key" "k" {\n  pending_window_in_days = 30\n}\n',
        "providers.tf": 'provider "alicloud" {\n  region = "cn-hangzhou"\n}\n\nprovider "alicloud" {\n'
                        '  alias  = "eu"\n  region = "eu-central-1"\n}\n',
        "other.tf": key_tf("k2"),
    }
    root = write_root(tmp_path / "root", files)
    assert build_project([root], []).problems == []
    planned = terraform.plan(root)
    assert planned.ok, planned.describe()
