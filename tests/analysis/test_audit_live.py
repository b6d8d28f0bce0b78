"""`audit --live`: every key and secret of each region listed through the real SDK from the
loopback emulator, then judged against the fixture's states exactly as a snapshot would be."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_support import AUDIT, EXPECTED, REPO, STATES, findings, invoke
from conftest import CANARY
from live_support import kms_env, running  # noqa: F401  (kms_env is a fixture)

from tfkms.truth.inventory import load_inventory

REGIONS = ["--region", "cn-hangzhou", "--region", "ap-southeast-1"]


@pytest.mark.usefixtures("kms_env")
def test_live_audit_through_the_emulator_matches_the_snapshot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    with running(load_inventory(AUDIT / "inventory.json")) as (_, url):
        code, out, err = invoke(str(AUDIT / "repo"), *STATES, "--live", *REGIONS, "--endpoint", url,
                                "--format", "json")
    assert code == 2, err
    assert findings(out) == EXPECTED
    assert CANARY not in out + err


@pytest.mark.usefixtures("kms_env")
def test_live_audit_sees_a_migration_done_since_the_snapshot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """logs moves into the software instance: no longer "not migrated", and on provider 1.230.0
    its config now needs dkms_instance_id (TFKMS200). The HTML page counts it as migrated."""
    monkeypatch.chdir(REPO)
    logs = "5e2f4c90-8b66-4a1f-9d3e-0000000000a3"
    with running(load_inventory(AUDIT / "inventory.json")) as (emulator, url):
        emulator.state.migrate(instance_id="kst-hzz0software01", key_ids=[logs])
        args = [str(AUDIT / "repo"), *STATES, "--live", *REGIONS, "--endpoint", url]
        code, out, _ = invoke(*args, "--format", "json")
        html_code, _, _ = invoke(*args, "--format", "html", "-o", str(tmp_path / "audit.html"))
    assert code == html_code == 2
    got = findings(out)
    assert ("TFKMS206", "alicloud_kms_key.logs", "cn-hangzhou") not in got
    assert ("TFKMS200", "alicloud_kms_key.logs", "cn-hangzhou") in got
    assert got - {("TFKMS200", "alicloud_kms_key.logs", "cn-hangzhou")} == EXPECTED - {
        ("TFKMS206", "alicloud_kms_key.logs", "cn-hangzhou")}
    page = (tmp_path / "audit.html").read_text()
    assert 'data-region="cn-hangzhou" data-kind="keys" data-status="migrated" data-count="4"' in page
    assert CANARY not in out + page
    assert json.loads(out)["errors"] == []
