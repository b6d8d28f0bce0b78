"""`tfkms audit`: unmanaged, missing, not migrated and mismatched, per region, against one inventory.

The fixture (fixtures/audit/EXPECTED.md) has every kind of drift across two regions, a third
region the inventory does not cover, service keys and keys pending deletion."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_support import AUDIT, EXPECTED, FIXTURE_ARGS, FORMATS, REPO, SHOWN, STATES, findings, invoke, kid
from conftest import CANARY

from tfkms.commands.options import parse_state_flag
from tfkms.services import ScanOptions, StateSource, TruthOptions, run_audit


@pytest.fixture
def at_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(REPO)
    return REPO


def test_fixture_reports_every_kind_of_drift_per_region(at_repo: Path) -> None:
    code, out, err = invoke(*FIXTURE_ARGS, "--format", "json")
    assert code == 2, err
    assert findings(out) == EXPECTED
    data = json.loads(out)
    assert data["command"] == "audit" and data["exit_code"] == 2
    assert {r["address"] for r in data["resources"]} >= {"alicloud_kms_key.app", "alicloud_kms_secret.sg_token"}
    assert not any("edits" in f or "strategy" in f for f in data["findings"])  # audit reports, never patches
    assert "patches" not in data


def test_missing_and_mismatched_findings_point_at_the_config(at_repo: Path) -> None:
    data = json.loads(invoke(*FIXTURE_ARGS, "--format", "json")[1])
    by_address = {(f["rule"], f["address"]): f for f in data["findings"]}
    ftp = by_address["TFKMS208", "alicloud_kms_secret.ftp"]
    assert (ftp["root"], ftp["file"], ftp["line"]) == (f"{SHOWN}/hangzhou", f"{SHOWN}/hangzhou/main.tf", 65)
    assert "legacy/ftp-password" in ftp["message"]
    assert "PendingDeletion" in by_address["TFKMS208", "alicloud_kms_key.reports"]["message"]
    orphan = by_address["TFKMS207", f"kms:key/{kid('b1')}"]
    assert orphan["root"] is None and orphan["file"] is None
    assert "alias/team-x" in orphan["message"] and "not migrated" in orphan["message"]
    declared = by_address["TFKMS207", "kms:secret/ops/break-glass"]["message"]
    assert f"config declares it ({SHOWN}/hangzhou: alicloud_kms_secret.break_glass)" in declared
    # Terraform would create break_glass, not replace it: no mismatch findings for it.
    assert not any(a == "alicloud_kms_secret.break_glass" for _, a in by_address)


def test_service_keys_pending_deletion_and_uncovered_regions_are_not_drift(at_repo: Path) -> None:
    result = run_audit(ScanOptions([AUDIT / "repo"]),
                       TruthOptions([parse_state_flag(s.removeprefix("--state=")) for s in STATES], AUDIT / "inventory.json"))
    addresses = {f.address for f in result.findings}
    assert f"kms:key/{kid('c1')}" not in addresses  # alias/acs/oss, created by Oss
    assert f"kms:key/{kid('c2')}" not in addresses  # PendingDeletion, no state: a destroy leftover
    assert "alicloud_kms_key.dr" not in addresses  # cn-shanghai: not in the inventory
    summary = result.audit
    assert summary is not None and summary.not_judged == {"cn-shanghai": 1}
    hz = summary.regions["cn-hangzhou"]
    assert (hz.keys_migrated, hz.keys_not_migrated, hz.secrets_migrated, hz.secrets_not_migrated) == (3, 2, 2, 1)
    assert (hz.service_keys, hz.pending_deletion) == (1, 2)
    sg = summary.regions["ap-southeast-1"]
    assert (sg.keys_migrated, sg.keys_not_migrated, sg.secrets_migrated, sg.secrets_not_migrated) == (1, 2, 1, 1)
    assert {f.address for f in sg.findings} == {a for _, a, r in EXPECTED if r == "ap-southeast-1"}


def test_region_narrows_the_snapshot_and_leaves_the_rest_unjudged(at_repo: Path) -> None:
    code, out, _ = invoke(*FIXTURE_ARGS, "--region", "ap-southeast-1", "--format", "json")
    assert code == 2
    assert findings(out) == {f for f in EXPECTED if f[2] == "ap-southeast-1"}


def test_clean_when_states_config_and_cloud_agree(at_repo: Path, tmp_path: Path) -> None:
    """Only sg_app: migrated, provider 1.240.0 (dkms_instance_id Computed for keys), in the cloud."""
    root = tmp_path / "sg"
    root.mkdir()
    source = (AUDIT / "repo" / "singapore" / "main.tf").read_text()
    (root / "main.tf").write_text(source.split("# Migrated; a secret")[0])
    (root / ".terraform.lock.hcl").write_text((AUDIT / "repo" / "singapore" / ".terraform.lock.hcl").read_text())
    state = json.loads((AUDIT / "states" / "singapore.tfstate").read_text())
    state["resources"] = [r for r in state["resources"] if r["name"] == "sg_app"]
    (tmp_path / "sg.tfstate").write_text(json.dumps(state))
    inventory = json.loads((AUDIT / "inventory.json").read_text())
    body = inventory["regions"]["ap-southeast-1"]
    body["keys"] = [k for k in body["keys"] if k["key_id"] == kid("d1")]
    body["secrets"] = []
    inventory["regions"] = {"ap-southeast-1": body}
    (tmp_path / "inventory.json").write_text(json.dumps(inventory))
    code, out, err = invoke(str(root), "--state", str(tmp_path / "sg.tfstate"), "--inventory",
                            str(tmp_path / "inventory.json"), "--format", "json")
    assert (code, json.loads(out)["findings"]) == (0, []), err


def test_a_root_without_state_is_matched_by_alias_but_still_unmanaged(at_repo: Path) -> None:
    """No state for hangzhou: fix's alias / secret-name matching finds the mismatches, and the
    cloud objects stay unmanaged, with the config that declares them named."""
    code, out, _ = invoke(str(AUDIT / "repo"), STATES[1], "--inventory", str(AUDIT / "inventory.json"),
                          "--region", "cn-hangzhou", "--format", "json")
    assert code == 2
    by_address = {(f["rule"], f["address"]): f["message"] for f in json.loads(out)["findings"]}
    assert ("TFKMS200", "alicloud_kms_key.app") in by_address  # matched through alias/app
    assert ("TFKMS203", "alicloud_kms_secret.db") in by_address  # matched by secret name
    assert f"config declares it ({SHOWN}/hangzhou: alicloud_kms_key.app)" in by_address["TFKMS207", f"kms:key/{kid('a1')}"]
    # Keys with neither state nor alias cannot be matched: said, not guessed.
    assert ("TFKMS204", "alicloud_kms_key.logs") in by_address
    assert not any(a.startswith("alicloud_kms") for r, a in by_address if r == "TFKMS208")


def test_a_state_secret_of_unknown_region_claims_its_name_everywhere(at_repo: Path, tmp_path: Path) -> None:
    """No config, no ARN: tfkms cannot place it, so it is neither missing nor leaves the name unmanaged."""
    root = tmp_path / "empty"
    root.mkdir()
    (root / "main.tf").write_text('resource "alicloud_kms_secret" "other" {\n  secret_name = "x"\n}\n')
    state = {"version": 4, "resources": [{"mode": "managed", "type": "alicloud_kms_secret", "name": "handmade",
                                          "instances": [{"attributes": {"id": "sg/handmade", "secret_name": "sg/handmade",
                                                                        "secret_data": CANARY}}]}]}
    (tmp_path / "s.tfstate").write_text(json.dumps(state))
    result = run_audit(ScanOptions([root]), TruthOptions([StateSource(str(tmp_path / "s.tfstate"))], AUDIT / "inventory.json"))
    addresses = {f.address for f in result.findings if f.rule in ("TFKMS207", "TFKMS208")}
    assert "kms:secret/sg/handmade" not in addresses and "alicloud_kms_secret.handmade" not in addresses
    assert "kms:secret/team-x/api-token" in addresses
    summary = result.audit
    assert summary is not None and summary.not_judged == {"unknown": 1}


BOTH_OR_NEITHER = "audit compares states with the cloud: pass --inventory FILE, or --live --region REGION"


@pytest.mark.parametrize("args, message", [
    ([], BOTH_OR_NEITHER),
    (["--inventory", "fixtures/audit/inventory.json", "--live", "--region", "cn-hangzhou"], BOTH_OR_NEITHER),
    (["--inventory", "fixtures/audit/inventory.json", "--region", "eu-central-1"],
     "--region eu-central-1: not in fixtures/audit/inventory.json (it covers: ap-southeast-1, cn-hangzhou)"),
    (["--live"], "name at least one region (--region cn-hangzhou)"),
])
def test_wrong_cloud_flags_are_one_clear_line(at_repo: Path, args: list[str], message: str) -> None:
    code, out, err = invoke(str(AUDIT / "repo"), *args)
    assert (code, out) == (1, "")
    assert err.strip() == f"tfkms: error: {message}"


def test_broken_inventory_is_an_input_error(at_repo: Path, tmp_path: Path) -> None:
    (tmp_path / "inv.json").write_text('{"version": 1, "regions": {')
    code, out, err = invoke(str(AUDIT / "repo"), *STATES, "--inventory", str(tmp_path / "inv.json"),
                            "--format", "json")
    assert (code, out) == (1, "")  # a named truth that cannot be read stops the run: no report
    assert err.startswith(f"tfkms: error: --inventory {tmp_path / 'inv.json'}:") and err.count("\n") == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_secret_value_in_any_format(at_repo: Path, tmp_path: Path, fmt: str) -> None:
    assert CANARY in (AUDIT / "states" / "hangzhou.tfstate").read_text()  # the canary is planted
    code, out, err = invoke(*FIXTURE_ARGS, "--format", fmt, "-o", str(tmp_path / "report"))
    assert code == 2
    written = (tmp_path / "report").read_text()
    assert "kms:secret/sg/handmade" in written
    assert CANARY not in written + out + err


def test_text_report(at_repo: Path, snapshot) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = invoke(*FIXTURE_ARGS)
    assert code == 2
    assert out == snapshot


def test_json_report(at_repo: Path, snapshot) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = invoke(*FIXTURE_ARGS, "--format", "json")
    data = json.loads(out)
    data["tool"].pop("version")  # a release must not churn the snapshot
    assert (code, data) == (2, snapshot)


def test_audit_honours_the_settings_file(at_repo: Path, tmp_path: Path) -> None:
    """`disable = [...]` and severity overrides apply to audit as they do to check and fix."""
    settings = tmp_path / "tfkms.toml"
    settings.write_text('disable = ["TFKMS207"]\n\n[severity]\nTFKMS208 = "info"\n')
    code, out, _ = invoke(*FIXTURE_ARGS, "--format", "json", "--config", str(settings))
    rules = {f["rule"]: f["severity"] for f in json.loads(out)["findings"]}
    assert "TFKMS207" not in rules and rules["TFKMS208"] == "info"
