"""`tfkms guard` on `terraform show -json` plans (fixtures/plans/)."""
from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from tfkms.analysis.guard import describe_replace_paths, guard_plan, parse_plan_json
from tfkms.errors import InputFileError
from tfkms.report import FORMATS, render
from tfkms.status import ExitStatus

PLANS = Path(__file__).resolve().parents[2] / "fixtures" / "plans"
CANARY = "CANARY-s3cr3t-7f3a9"

DESTRUCTIVE = {
    "replace_key_dkms.json": ["alicloud_kms_key.main"],
    "replace_secret_dkms.json": ["alicloud_kms_secret.db"],
    "create_before_destroy.json": ["alicloud_kms_key.main", "alicloud_kms_secret.db", "alicloud_kms_key.main"],
    "delete_key_and_secret.json": ["alicloud_kms_key.legacy", "alicloud_kms_secret.legacy"],
    "module_for_each.json": ['module.kms["prod"].alicloud_kms_key.this[0]',
                             'module.kms["prod"].alicloud_kms_secret.this["db-password"]'],
}
SAFE = ["safe_update_noop_create.json", "safe_no_changes.json", "non_kms_replace.json"]
NOT_A_PLAN = ["state_show.json", "terraform.tfstate", "broken.json"]
ALL_FIXTURES = sorted(p.name for p in PLANS.iterdir())


def guard(name: str):
    return guard_plan(PLANS / name, f"plans/{name}")


def destroys(name: str) -> list:
    """guard's TFKMS300 findings (the plan-level doubts, TFKMS301/302, are tests/analysis/test_guard_trust.py's)."""
    return [f for f in guard(name).findings if f.rule == "TFKMS300"]


def test_every_fixture_is_covered():
    assert sorted([*DESTRUCTIVE, *SAFE, *NOT_A_PLAN]) == ALL_FIXTURES


@pytest.mark.parametrize("name", sorted(DESTRUCTIVE))
def test_destructive_plan_flags_each_kms_change(name):
    result = guard(name)
    assert result.exit_status() is ExitStatus.ACTION_NEEDED
    assert result.problems == []
    assert [f.address for f in destroys(name)] == DESTRUCTIVE[name]
    for finding in destroys(name):
        assert (finding.rule, finding.severity.value, finding.file) == ("TFKMS300", "error", f"plans/{name}")
        assert finding.address in finding.message
        assert "tfkms fix" in finding.hint


@pytest.mark.parametrize("name", SAFE)
def test_safe_plan_passes(name):
    result = guard(name)
    assert (result.findings, result.problems) == ([], [])
    assert result.exit_status() is ExitStatus.OK


def test_replacement_names_replace_paths_reason_and_kind():
    [finding] = guard("replace_key_dkms.json").findings
    assert "replaces alicloud_kms_key.main (destroy, then create)" in finding.message
    assert "dkms_instance_id forces replacement" in finding.message
    assert "[[" not in finding.message
    assert "replace_because_cannot_update" in finding.message


def test_create_before_destroy_and_deposed_delete_are_named():
    key, secret, deposed = guard("create_before_destroy.json").findings
    assert "create-before-destroy" in key.message
    assert "dkms_instance_id, protection_level force replacement" in key.message
    assert "replace_because_tainted" in secret.message
    assert "untaint" in secret.hint
    assert "destroys alicloud_kms_key.main (deposed object 5f2a9c1e)" in deposed.message


def test_plain_delete_is_named_with_its_reason():
    key, secret = destroys("delete_key_and_secret.json")
    assert key.message.startswith("The plan destroys alicloud_kms_key.legacy;")
    assert "delete_because_no_resource_config" in secret.message
    assert "`removed` block" in secret.hint


def test_resource_records_group_instances_under_the_config_address():
    result = guard("module_for_each.json")
    assert [(r.address, r.type, r.root, r.file) for r in result.resources] == [
        ("module.kms.alicloud_kms_key.this", "alicloud_kms_key", ".", "plans/module_for_each.json"),
        ("module.kms.alicloud_kms_secret.this", "alicloud_kms_secret", ".", "plans/module_for_each.json"),
    ]
    assert result.resources[0].instances == ['module.kms["prod"].alicloud_kms_key.this[0]',
                                             'module.kms["dev"].alicloud_kms_key.this[0]']


def test_records_cover_only_managed_kms_keys_and_secrets():
    assert [r.address for r in guard("non_kms_replace.json").resources] == ["alicloud_kms_key.main"]
    assert [r.address for r in guard("safe_update_noop_create.json").resources] == [
        "alicloud_kms_key.main", "alicloud_kms_secret.db", "alicloud_kms_secret.api", "alicloud_kms_key.reports"]


@pytest.mark.parametrize("name", ["module_for_each.json", "create_before_destroy.json", "delete_key_and_secret.json"])
def test_line_is_where_the_resource_change_starts(name):
    lines = (PLANS / name).read_text().splitlines()
    for finding in destroys(name):
        assert lines[finding.line - 1].strip() == "{"
        assert lines[finding.line].strip() == f'"address": {json.dumps(finding.address)},'


def test_single_line_plan_points_at_line_1():
    [finding] = guard("replace_key_dkms.json").findings
    assert finding.line == 1


@pytest.mark.parametrize("name", ["state_show.json", "terraform.tfstate"])
def test_state_passed_by_mistake_says_so(name):
    result = guard(name)
    assert result.exit_status() is ExitStatus.ERROR
    [problem] = result.problems
    assert problem.file == f"plans/{name}"
    assert "is a Terraform state, not a plan" in problem.message
    assert "terraform show -json tf.plan" in problem.message


def test_broken_json_names_file_line_and_column():
    result = guard("broken.json")
    assert result.exit_status() is ExitStatus.ERROR
    assert result.problems[0].render().startswith("plans/broken.json:29:13: is not valid JSON (")


@pytest.mark.parametrize(("content", "fragment"), [
    (b"PK\x03\x04binary", "is a binary plan file"),
    (b"", "is empty"),
    (b"  \n", "is empty"),
    (b"[1, 2]", "expected a JSON object"),
    (b'{"a": "\xc3\x28"}', "is not UTF-8 text"),
    (b"\xff\xfe\x00\xd8", "is not UTF-16 text"),
    (b'{"format_version": "2.0", "planned_values": {}}', "format_version '2.0'"),
    (b'{"planned_values": {}}', "format_version None"),
    (b'{"format_version": "1.2", "planned_values": {}, "errored": true}', "errored plan"),
    (b'{"format_version": "1.2", "planned_values": {}, "resource_changes": {}}', "resource_changes is not a list"),
    (b'{"format_version": "1.2", "planned_values": {}, "resource_changes": [{"address": "a.b", "mode": "managed",'
     b' "type": "a", "name": "b", "change": {}}]}', "resource_changes[0] (a.b) has no change.actions"),
    (b'{"format_version": "1.2", "planned_values": {}, "resource_changes": [{"mode": "managed"}]}',
     "resource_changes[0] lacks address"),
    (b'{"format_version": "1.0", "terraform_version": "1.9.8"}', "is not a Terraform plan"),
])
def test_bad_input_is_an_input_problem(tmp_path, content, fragment):
    path = tmp_path / "plan.json"
    path.write_bytes(content)
    result = guard_plan(path, "plan.json")
    assert result.exit_status() is ExitStatus.ERROR
    assert fragment in result.problems[0].message


def test_missing_file_and_directory_are_input_problems(tmp_path):
    assert "cannot read" in guard_plan(tmp_path / "nope.json", "nope.json").problems[0].message
    assert "is a directory" in guard_plan(tmp_path, "dir").problems[0].message


def test_powershell_utf16_redirect_is_read(tmp_path):
    path = tmp_path / "plan.json"
    path.write_bytes((PLANS / "replace_key_dkms.json").read_text().encode("utf-16"))  # with BOM
    assert [f.address for f in guard_plan(path, "plan.json").findings] == ["alicloud_kms_key.main"]


def test_unknown_action_list_with_delete_fails_closed(tmp_path):
    plan = {"format_version": "1.2", "planned_values": {}, "resource_changes": [
        {"address": "alicloud_kms_key.k", "mode": "managed", "type": "alicloud_kms_key", "name": "k",
         "change": {"actions": ["delete", "forget"]}},
        {"address": "alicloud_kms_key.f", "mode": "managed", "type": "alicloud_kms_key", "name": "f",
         "change": {"actions": ["forget"]}},
        {"address": "data.alicloud_kms_key.d", "mode": "data", "type": "alicloud_kms_key", "name": "d",
         "change": {"actions": ["delete"]}},
    ]}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    [finding] = guard_plan(path, "plan.json").findings
    assert finding.address == "alicloud_kms_key.k"
    assert "actions delete, forget" in finding.message


@pytest.mark.parametrize(("paths", "expected"), [
    ((("dkms_instance_id",),), "dkms_instance_id"),
    ((("dkms_instance_id",), ("protection_level",)), "dkms_instance_id, protection_level"),
    ((("tags", "cost center"), ("rules", 0, "name")), 'tags["cost center"], rules[0].name'),
])
def test_describe_replace_paths(paths, expected):
    assert describe_replace_paths(paths) == expected


def test_attribute_values_are_dropped_while_parsing():
    text = (PLANS / "replace_secret_dkms.json").read_text()
    assert CANARY in text
    document = parse_plan_json(text, "plan.json")
    assert CANARY not in repr(document)
    assert "resource_changes" in document


def test_a_json_error_message_never_quotes_the_document():
    text = '{"secret_data": "' + CANARY + '" "x": 1}'
    with pytest.raises(InputFileError) as caught:
        parse_plan_json(text, "plan.json")
    assert CANARY not in str(caught.value)


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_no_secret_value_reaches_the_result(name):
    assert CANARY not in repr(guard(name))


def _available_formats() -> list[str]:
    names = []
    for fmt in FORMATS:
        try:
            importlib.import_module(f"tfkms.report.{fmt}_report")
        except ModuleNotFoundError as exc:
            if exc.name != f"tfkms.report.{fmt}_report":
                raise
            continue  # a renderer another change adds; covered once it exists
        names.append(fmt)
    return names


@pytest.mark.parametrize("fmt", _available_formats())
@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_no_secret_value_in_any_format(name, fmt):
    assert CANARY not in render(guard(name), fmt)


@pytest.mark.parametrize("name", sorted(DESTRUCTIVE))
def test_findings_snapshot(name, snapshot):
    assert [(f.address, f.line, f.message, f.hint) for f in destroys(name)] == snapshot


INSTANCE_CONFIG = """terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = "1.240.0"
    }
  }
}

resource "alicloud_kms_instance" "main" {
  product_version = "3"
  spec            = 1000
  key_num         = 1000
  secret_num      = 100
  vpc_num         = 1
  vpc_id          = "vpc-new"
  zone_ids        = ["cn-hangzhou-k", "cn-hangzhou-j"]
  vswitch_ids     = ["vsw-1"]
}
"""


def test_a_plan_replacing_a_kms_instance_is_destructive(tmp_path, terraform):
    """Replacing the instance destroys every key and secret inside it: guard says so (real plan)."""
    (tmp_path / "main.tf").write_text(INSTANCE_CONFIG)
    attributes = {"id": "kst-hzz65f176a0ogplgq4ehe", "product_version": "3", "spec": 1000, "key_num": 1000,
                  "secret_num": 100, "vpc_num": 1, "vpc_id": "vpc-old", "zone_ids": ["cn-hangzhou-k", "cn-hangzhou-j"],
                  "vswitch_ids": ["vsw-1"], "payment_type": "Subscription", "instance_name": "kst-hzz65f176a0ogplgq4ehe",
                  "status": "Connected"}
    state = {"version": 4, "terraform_version": "1.9.8", "serial": 1, "lineage": "7d0c4e52-3f0b-4f7a-9d36-2c4b9a1e8f10",
             "outputs": {}, "resources": [{"mode": "managed", "type": "alicloud_kms_instance", "name": "main",
                                           "provider": 'provider["registry.terraform.io/aliyun/alicloud"]',
                                           "instances": [{"schema_version": 0, "attributes": attributes}]}]}
    planned = terraform.plan(tmp_path, state, "1.240.0")
    assert planned.ok, planned.describe()
    shown = terraform.run(["show", "-json", "tfplan"], planned.workdir, "1.240.0")
    plan_json = tmp_path / "plan.json"
    plan_json.write_text(shown.stdout)
    result = guard_plan(plan_json, "plan.json")
    assert result.exit_status() is ExitStatus.ACTION_NEEDED
    assert [f.address for f in result.findings if f.rule == "TFKMS300"] == ["alicloud_kms_instance.main"]
    assert "every key and secret" in result.findings[0].message + (result.findings[0].hint or "")
