"""The audit fixture (fixtures/audit), shared by the audit tests and the HTML report tests."""
from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tfkms.cli import app

REPO = Path(__file__).resolve().parents[1]
AUDIT = Path("fixtures/audit")  # relative, from the repo root: reports show these paths
STATES = [f"--state={AUDIT}/repo/hangzhou={AUDIT}/states/hangzhou.tfstate",
          f"--state={AUDIT}/repo/singapore={AUDIT}/states/singapore.tfstate"]
FIXTURE_ARGS = [str(AUDIT / "repo"), *STATES, "--inventory", str(AUDIT / "inventory.json")]
SHOWN = (AUDIT / "repo").as_posix()  # how reports name the scanned folder: relative to the repo root
FORMATS = ("text", "json", "markdown", "sarif", "github", "html")


def kid(tag: str) -> str:
    return f"5e2f4c90-8b66-4a1f-9d3e-0000000000{tag}"


EXPECTED = {
    ("TFKMS200", "alicloud_kms_key.app", "cn-hangzhou"),
    ("TFKMS201", "alicloud_kms_key.vault", "cn-hangzhou"),
    ("TFKMS203", "alicloud_kms_secret.db", "cn-hangzhou"),
    ("TFKMS206", "alicloud_kms_key.logs", "cn-hangzhou"),
    ("TFKMS208", "alicloud_kms_key.reports", "cn-hangzhou"),
    ("TFKMS208", "alicloud_kms_secret.ftp", "cn-hangzhou"),
    ("TFKMS207", f"kms:key/{kid('b1')}", "cn-hangzhou"),
    ("TFKMS207", f"kms:key/{kid('b2')}", "cn-hangzhou"),
    ("TFKMS207", "kms:secret/team-x/api-token", "cn-hangzhou"),
    ("TFKMS207", "kms:secret/ops/break-glass", "cn-hangzhou"),
    ("TFKMS200", "alicloud_kms_secret.sg_config", "ap-southeast-1"),
    ("TFKMS202", "alicloud_kms_secret.sg_config", "ap-southeast-1"),
    ("TFKMS206", "alicloud_kms_key.sg_legacy", "ap-southeast-1"),
    ("TFKMS208", "alicloud_kms_secret.sg_token", "ap-southeast-1"),
    ("TFKMS207", f"kms:key/{kid('e1')}", "ap-southeast-1"),
    ("TFKMS207", "kms:secret/sg/handmade", "ap-southeast-1"),
}


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["audit", *args])
    return result.exit_code, result.stdout, result.stderr


def findings(stdout: str) -> set[tuple[str, str, str]]:
    """(rule, address, region) from a JSON report; the region leads every audit message."""
    return {(f["rule"], f["address"], f["message"].split(":", 1)[0]) for f in json.loads(stdout)["findings"]}
