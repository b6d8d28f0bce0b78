"""`tfkms inventory` and `tfkms emulator` as a user runs them."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from live_support import DEMO, ROOT, demo, kms_env, running, without_run_metadata  # noqa: F401 (fixture)
from typer.testing import CliRunner

from tfkms.commands.emulator import emulator
from tfkms.commands.inventory import inventory
from tfkms.truth.inventory import dumps_inventory, load_inventory

pytestmark = pytest.mark.usefixtures("kms_env")


def app() -> typer.Typer:
    """Registered the way tfkms/cli.py does it."""
    application = typer.Typer()
    application.command("inventory")(inventory)
    application.command("emulator")(emulator)
    return application


def run(*args: str) -> object:
    return CliRunner().invoke(app(), list(args))


def test_inventory_writes_the_snapshot_atomically(tmp_path: Path) -> None:
    target = tmp_path / "kms.json"
    with running(demo(), throttle_every=4) as (_, url):
        result = run(
            "inventory",
            "--region",
            "cn-hangzhou",
            "-r",
            "ap-southeast-1",
            "-o",
            str(target),
            "--endpoint",
            url,
            "--qps",
            "0",
        )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith(f"wrote {target}: 2 region(s), 14 keys (5 migrated), 6 secrets, 3 instances")
    got = without_run_metadata(load_inventory(target))
    expected = without_run_metadata(demo())
    for region in expected.regions.values():  # version counts need --key-versions (not a CLI flag)
        region.keys = [k.__class__(**{**k.__dict__, "version_count": None}) for k in region.keys]
    assert dumps_inventory(got) == dumps_inventory(expected)
    assert [p.name for p in tmp_path.iterdir()] == ["kms.json"]


def test_inventory_prints_json_on_stdout_without_output_file() -> None:
    with running(demo()) as (_, url):
        result = run("inventory", "--region", "ap-southeast-1", "--format", "json", "--endpoint", url)
    assert result.exit_code == 0, result.stderr
    snapshot = json.loads(result.stdout)
    assert snapshot["version"] == 1 and len(snapshot["regions"]["ap-southeast-1"]["keys"]) == 4


def test_api_failure_is_one_line_exit_1_and_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from alibabacloud_credentials.utils import auth_util

    monkeypatch.setattr(auth_util, "environment_access_key_secret", "wrong-secret")
    target = tmp_path / "kms.json"
    with running(demo()) as (_, url):
        result = run("inventory", "--region", "cn-hangzhou", "-o", str(target), "--endpoint", url)
    assert result.exit_code == 1
    assert result.stderr.startswith("tfkms: error: cn-hangzhou: List") and "SignatureDoesNotMatch" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr and "wrong-secret" not in result.stderr
    assert not target.exists()


def test_failure_mid_run_keeps_the_previous_snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tfkms.truth import live

    fast = functools.partial(live.LiveOptions, backoff_base_s=0.001, backoff_cap_s=0.005)
    monkeypatch.setattr(live, "LiveOptions", fast)  # the CLI has no backoff flags; keep retries quick
    target = tmp_path / "kms.json"
    target.write_text("previous")
    with running(demo(), always_fail=frozenset({"GetKmsInstance"})) as (_, url):
        result = run("inventory", "--region", "cn-hangzhou", "-o", str(target), "--endpoint", url, "--qps", "0")
    assert result.exit_code == 1 and "GetKmsInstance failed after 8 attempts" in result.stderr
    assert target.read_text() == "previous"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--region", "cn-hangzhou", "--format", "yaml"], "--format 'yaml'"),
        (["--region", "cn-hangzhou", "--concurrency", "0"], "--concurrency"),
        ([], "at least one region"),
        (["--region", "cn-hangzhou", "-o", "/nonexistent-folder/kms.json"], "not a file in an existing folder"),
    ],
)
def test_inventory_flag_errors(args: list[str], fragment: str) -> None:
    result = run("inventory", *args)
    assert result.exit_code == 1 and fragment in result.stderr and "Traceback" not in result.stderr


def test_emulator_command_rejects_a_bad_snapshot(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 7, "regions": {}}')
    result = run("emulator", "--inventory", str(bad))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"tfkms: error: {bad}:1") and "unsupported snapshot version 7" in result.stderr


def test_emulator_process_serves_the_inventory_command(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PYTHONPATH"] = str(ROOT)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tfkms.emulator",
            "--inventory",
            str(DEMO),
            "--throttle-every",
            "4",
            "--latency-ms",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        result = run("inventory", "-r", "cn-hangzhou", "--endpoint", url, "--qps", "0")
        assert result.exit_code == 0, result.stderr
        keys = json.loads(result.stdout)["regions"]["cn-hangzhou"]["keys"]
        assert len(keys) == 10 and sum("dkms_instance_id" in k for k in keys) == 4
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert "tfkms-emulator-secret" not in process.stderr.read()
