"""The command line as users and scripts meet it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tfkms import __version__
from tfkms.cli import app

REPO = Path(__file__).resolve().parents[2]


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_help_lists_every_command_and_version() -> None:
    code, out, _ = invoke("--help")
    assert code == 0
    for command in ("check", "fix", "guard", "audit", "inventory", "emulator"):
        assert command in out
    assert invoke("--version")[1].strip() == f"tfkms {__version__}"


def test_missing_path_is_one_clear_line(tmp_path: Path) -> None:
    code, out, err = invoke("check", str(tmp_path / "nope"))
    assert code == 1 and out == ""
    assert err.strip() == f"tfkms: error: {tmp_path / 'nope'}: no such file or directory"


def test_bad_options_exit_1(tmp_path: Path) -> None:
    assert invoke("check", str(tmp_path), "--target", "quantum")[0] == 1
    assert invoke("fix", str(tmp_path), "--strategy", "yolo")[0] == 1
    assert invoke("check", str(tmp_path), "--format", "yaml")[0] == 1


def test_fix_without_truth_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "alicloud_kms_key" "k" {}\n')
    code, _, err = invoke("fix", str(tmp_path))
    assert code == 1 and "--state" in err


def test_parse_error_exit_1_but_other_files_reported(tmp_path: Path) -> None:
    (tmp_path / "good.tf").write_text('resource "alicloud_kms_key" "k" {\n  status = "Disabled"\n}\n')
    (tmp_path / "bad.tf").write_text('resource "alicloud_kms_key" "b" {\n  description = "open\n}\n')
    code, out, err = invoke("check", str(tmp_path), "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert [f["rule"] for f in data["findings"]] == ["TFKMS101"]
    assert data["errors"][0]["file"] == "bad.tf" and data["errors"][0]["line"] == 2
    assert "bad.tf:2" in err and "Traceback" not in err


def test_output_file_is_written(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "alicloud_kms_key" "k" {}\n')
    out = tmp_path / "report.json"
    code, stdout, _ = invoke("check", str(tmp_path), "--format", "json", "-o", str(out))
    assert code == 0 and stdout == ""
    assert json.loads(out.read_text())["resources"][0]["address"] == "alicloud_kms_key.k"


def test_python_dash_m_smoke(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "alicloud_kms_key" "k" {\n  automatic_rotation = "Enabled"\n}\n')
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-m", "tfkms", "check", str(tmp_path)], capture_output=True, text=True,
                          env=env, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "TFKMS102" in done.stdout and "\x1b[" not in done.stdout  # no colour when piped
    assert "tfkms check: action needed" in done.stdout


def test_verbose_logs_what_happened_never_values(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "alicloud_kms_secret" "s" {\n  secret_name = "s"\n'
                                      '  secret_data = "CANARY-s3cr3t-7f3a9"\n}\n')
    env = dict(os.environ, PYTHONPATH=str(REPO), XDG_CACHE_HOME=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, "-m", "tfkms", "--debug", "check", str(tmp_path), "-f", "json"],
                          capture_output=True, text=True, env=env)
    assert "INFO: 1 root(s): ." in done.stderr and "file(s) to parse" in done.stderr
    assert "CANARY" not in done.stderr + done.stdout


def test_redacting_filter() -> None:
    import logging

    from tfkms.logs import RedactingFilter

    record = logging.LogRecord("tfkms", logging.INFO, "", 0, "using access_key_secret=%s", ("abc123",), None)
    RedactingFilter().filter(record)
    assert record.getMessage() == "using access_key=<redacted>"


def test_batches_flag_lists_addresses() -> None:
    target = str(REPO / "fixtures" / "terraform" / "byok-keys")
    short = CliRunner().invoke(app, ["check", target]).stdout
    full = CliRunner().invoke(app, ["check", target, "--batches"]).stdout
    assert "cn-beijing batch 1:" in short and "    alicloud_kms_key.native" not in short
    assert "    alicloud_kms_key.native" in full


def test_fix_patches_a_local_module_outside_the_scanned_path(tmp_path: Path) -> None:
    (tmp_path / "modules" / "kms").mkdir(parents=True)
    (tmp_path / "modules" / "kms" / "main.tf").write_text('resource "alicloud_kms_key" "this" {\n}\n')
    live = tmp_path / "live" / "prod"
    live.mkdir(parents=True)
    (live / "main.tf").write_text('module "kms" {\n  source = "../../modules/kms"\n}\n')
    (live / ".terraform.lock.hcl").write_text('provider "registry.terraform.io/aliyun/alicloud" {\n'
                                              '  version = "1.230.0"\n}\n')
    state = {"version": 4, "resources": [{"module": "module.kms", "mode": "managed", "type": "alicloud_kms_key",
                                          "name": "this", "instances": [{"attributes": {
                                              "id": "key-1", "dkms_instance_id": "kst-1"}}]}]}
    (tmp_path / "s.tfstate").write_text(json.dumps(state))
    result = CliRunner().invoke(app, ["fix", str(live), "--state", str(tmp_path / "s.tfstate"), "--write"])
    assert result.exit_code == 0, result.output
    # Other roots may call the module: it gets an input (default null), the value goes at this call site.
    module = (tmp_path / "modules" / "kms" / "main.tf").read_text()
    assert "kst-1" not in module and "dkms_instance_id = var.dkms_instance_id" in module
    assert 'default     = null' in module
    assert 'dkms_instance_id = "kst-1"' in (live / "main.tf").read_text()
    assert "TFKMS211" in result.output and "../../modules/kms/main.tf" in result.output


def test_tf_json_for_each_with_differing_instances_falls_back_to_ignore_changes(tmp_path: Path) -> None:
    (tmp_path / "main.tf.json").write_text(json.dumps({"resource": {"alicloud_kms_key": {"k": {
        "for_each": '${toset(["a", "b"])}', "description": "x"}}}}, indent=2))
    (tmp_path / ".terraform.lock.hcl").write_text('provider "registry.terraform.io/aliyun/alicloud" {\n'
                                                  '  version = "1.230.0"\n}\n')
    state = {"version": 4, "resources": [{"mode": "managed", "type": "alicloud_kms_key", "name": "k", "instances": [
        {"index_key": "a", "attributes": {"id": "k1", "dkms_instance_id": "kst-1"}},
        {"index_key": "b", "attributes": {"id": "k2", "dkms_instance_id": ""}}]}]}
    (tmp_path / "s.tfstate").write_text(json.dumps(state))
    result = CliRunner().invoke(app, ["fix", str(tmp_path), "--state", str(tmp_path / "s.tfstate"), "--write"])
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "main.tf.json").read_text())
    assert written["resource"]["alicloud_kms_key"]["k"]["lifecycle"] == {"ignore_changes": ["dkms_instance_id"]}


def test_format_choices_are_the_renderers() -> None:
    """The command layer checks --format against an Enum: it must list exactly the renderers."""
    from tfkms.commands.options import ReportFormat
    from tfkms.report import FORMATS

    assert [choice.value for choice in ReportFormat] == list(FORMATS)


def test_help_loads_no_service_or_heavy_module() -> None:
    code = ("import sys, tfkms.cli; heavy = [m for m in sys.modules if m.startswith(('tfkms.services', "
            "'tfkms.analysis', 'tfkms.config', 'tfkms.truth', 'tfkms.emulator', 'tfkms.report', 'alibabacloud', "
            "'rich', 'jinja2', 'lark'))]; assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, env=dict(os.environ, PYTHONPATH=str(REPO)))


@pytest.mark.parametrize("command", ["check", "fix", "audit"])
def test_a_folder_without_terraform_files_is_an_error_not_ready(tmp_path: Path, command: str) -> None:
    (tmp_path / "README.md").write_text("no terraform here\n")
    extra = ["--inventory", str(tmp_path / "none.json")] if command == "audit" else []
    result = CliRunner().invoke(app, [command, str(tmp_path), *extra])
    assert result.exit_code == 1, result.output
    assert "no Terraform files" in result.output and str(tmp_path) in result.output


@pytest.mark.parametrize("args", [
    ["fix", "--bogus", "."],  # unknown flag
    ["bogus"],  # unknown command
    ["fix"],  # missing argument
    ["fix", ".", "--strategy", "nope"],  # a bad value
    ["check", ".", "--format", "xml"],
    ["fix", ".", "--timeout", "abc"],  # a value of the wrong type
])
def test_a_usage_mistake_exits_1_never_2(args: list[str]) -> None:
    """2 means "action needed": a typo in CI must not read as "changes pending"."""
    done = subprocess.run([sys.executable, "-m", "tfkms", *args], capture_output=True, text=True, timeout=60,
                          cwd=REPO, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
