"""What a plan cannot prove (TFKMS301 incomplete, TFKMS302 not refreshed), and several plans in one
guard run: on plans real Terraform made with the stand-in provider."""
from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from conftest import CANARY
from tfkms.analysis.guard import guard_plan, parse_plan_json
from tfkms.analysis.plan_trust import InstanceMark
from tfkms.cli import app
from tfkms.status import ExitStatus

VERSION = "1.240.0"
CONFIG = f"""terraform {{
  required_providers {{
    alicloud = {{
      source  = "aliyun/alicloud"
      version = "{VERSION}"
    }}
  }}
}}

resource "alicloud_kms_key" "app" {{
  description = "app"
%s}}

resource "alicloud_kms_secret" "db" {{
  secret_name = "db"
  secret_data = "{CANARY}"
  version_id  = "v1"
%s}}
"""
PROVIDER = 'provider["registry.terraform.io/aliyun/alicloud"]'


def _state(instance_id: str) -> dict:
    key = {"id": "key-1", "description": "app", "protection_level": "SOFTWARE", "dkms_instance_id": instance_id}
    secret = {"id": "db", "secret_name": "db", "secret_data": CANARY, "version_id": "v1",
              "dkms_instance_id": instance_id}
    return {"version": 4, "terraform_version": "1.9.8", "serial": 1, "lineage": "3b7c1a0e-0000-4000-8000-00000000a001",
            "outputs": {}, "resources": [
                {"mode": "managed", "type": "alicloud_kms_key", "name": "app", "provider": PROVIDER,
                 "instances": [{"schema_version": 0, "attributes": key}]},
                {"mode": "managed", "type": "alicloud_kms_secret", "name": "db", "provider": PROVIDER,
                 "instances": [{"schema_version": 0, "attributes": secret}]}]}


def _plan_json(terraform, tmp_path: Path, state: dict, *extra: str) -> Path:  # type: ignore[no-untyped-def]
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    instance = state["resources"][0]["instances"][0]["attributes"]["dkms_instance_id"]
    line = f'  dkms_instance_id = "{instance}"\n' if instance else ""  # config agrees with the cloud
    (config / "main.tf").write_text(CONFIG % (line, line))
    planned = terraform.plan(config, state, VERSION)
    assert planned.ok, planned.describe()
    if extra:
        again = terraform.run(["plan", "-input=false", "-no-color", "-lock=false", "-out=tfplan", *extra],
                              planned.workdir, VERSION)
        assert again.returncode == 0, again.stderr
    shown = terraform.run(["show", "-json", "tfplan"], planned.workdir, VERSION)
    out = tmp_path / f"plan{len(list(tmp_path.glob('plan*.json')))}.json"
    out.write_text(shown.stdout)
    return out


def test_a_targeted_plan_is_incomplete_and_guard_says_so(terraform, tmp_path: Path) -> None:
    plan = _plan_json(terraform, tmp_path, _state("kst-1"), "-target=alicloud_kms_key.app")
    assert json.loads(plan.read_text())["complete"] is False  # what Terraform 1.11 writes for -target
    result = guard_plan(plan, "plan.json")
    assert [f.rule for f in result.findings] == ["TFKMS301"]
    assert result.exit_status() is ExitStatus.ACTION_NEEDED  # a partial plan cannot be proven safe


def test_a_whole_plan_is_not_doubted(terraform, tmp_path: Path) -> None:
    result = guard_plan(_plan_json(terraform, tmp_path, _state("kst-1")), "plan.json")
    assert result.findings == [] and result.exit_status() is ExitStatus.OK


def test_a_state_with_no_migrated_resource_gets_the_refresh_note(terraform, tmp_path: Path) -> None:
    result = guard_plan(_plan_json(terraform, tmp_path, _state(""), "-refresh=false"), "plan.json")
    assert [f.rule for f in result.findings] == ["TFKMS302"]
    assert "2 without dkms_instance_id" in result.findings[0].message
    assert result.exit_status() is ExitStatus.OK  # a note: before the migration this is normal


def test_only_an_instance_mark_survives_the_parse(terraform, tmp_path: Path) -> None:
    text = _plan_json(terraform, tmp_path, _state("kst-1")).read_text()
    assert CANARY in text
    document = parse_plan_json(text, "plan.json")
    assert CANARY not in repr(document)
    resources = document["prior_state"]["values"]["root_module"]["resources"]  # type: ignore[index]
    assert {type(r["values"]) for r in resources} == {InstanceMark}


def test_several_plans_in_one_run(terraform, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    whole = _plan_json(terraform, tmp_path, _state("kst-1"))
    targeted = _plan_json(terraform, tmp_path, _state("kst-1"), "-target=alicloud_kms_key.app")
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["guard", whole.name, targeted.name, "-f", "json"])
    data = json.loads(result.stdout)
    assert result.exit_code == 2
    assert data["paths"] == [whole.name, targeted.name]
    assert [(f["rule"], f["file"]) for f in data["findings"]] == [("TFKMS301", targeted.name)]
    failed = CliRunner().invoke(app, ["guard", broken.name, targeted.name, "-f", "json"])
    assert failed.exit_code == 1  # the unreadable plan fails the run; the other is still judged
    data = json.loads(failed.stdout)
    assert [e["file"] for e in data["errors"]] == [broken.name]
    assert [f["file"] for f in data["findings"]] == [targeted.name]
