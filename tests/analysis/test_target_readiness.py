"""`tfkms check --inventory/--live`: is the target KMS instance of each region the batch plan moves
keys and secrets into ready (TFKMS110 usable instance, TFKMS111 upgrade, TFKMS112 quota)?

A small config moves 3 keys and 1 secret into cn-hangzhou; inventories go through the real
writer and are validated against the schema; everything runs through the real CLI."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from live_support import kms_env, running, schema_errors  # noqa: F401  (kms_env is a fixture)
from typer.testing import CliRunner

from tfkms.cli import app
from tfkms.truth.inventory import dumps_inventory, load_inventory
from tfkms.truth.model import CloudInstance, CloudKey, CloudSecret, Inventory, RegionInventory

REGION = "cn-hangzhou"
CONFIG = """
terraform {
  required_providers {
    alicloud = { source = "aliyun/alicloud", version = "1.240.0" }
  }
}
provider "alicloud" {
  region = "cn-hangzhou"
}
resource "alicloud_kms_key" "k" {
  count                  = 3
  description            = "app key"
  pending_window_in_days = 7
}
resource "alicloud_kms_secret" "s" {
  secret_name       = "app/s"
  secret_data       = var.secret
  version_id        = "v1"
  encryption_key_id = alicloud_kms_key.k[0].id
}
variable "secret" {
  type      = string
  sensitive = true
}
"""
TARGET_RULES = {"TFKMS110", "TFKMS111", "TFKMS112"}


def software(instance_id: str, **facts: Any) -> CloudInstance:
    values: dict[str, Any] = {"instance_type": "software", "status": "Connected", "spec": "1000",
                              "product_version": "3", **facts}
    return CloudInstance(instance_id, REGION, **values)


def holding(instance_id: str, keys: int = 0, secrets: int = 0) -> RegionInventory:
    """What an instance already holds: migrated keys and secrets of the region."""
    return RegionInventory(
        keys=[CloudKey(f"key-{instance_id}-{n:04d}", REGION, dkms_instance_id=instance_id) for n in range(keys)],
        secrets=[CloudSecret(f"held/{instance_id}/{n}", REGION, dkms_instance_id=instance_id) for n in range(secrets)])


def write(tmp_path: Path, instances: list[CloudInstance], *held: RegionInventory,
          instances_known: bool = True) -> Path:
    region = RegionInventory(instances=instances, instances_known=instances_known)
    for part in held:
        region.keys += part.keys
        region.secrets += part.secrets
    path = tmp_path / "inventory.json"
    path.write_text(dumps_inventory(Inventory(regions={REGION: region}, source="test")))
    assert schema_errors(json.loads(path.read_text())) == []
    return path


def checked(tmp_path: Path, *truth: str) -> tuple[int, list[dict[str, Any]], str]:
    """Exit code, the TFKMS110-112 findings, and the --verbose log (stderr)."""
    config = tmp_path / "infra"
    config.mkdir(exist_ok=True)
    (config / "main.tf").write_text(CONFIG)
    result = CliRunner().invoke(app, ["--verbose", "check", str(config), *truth, "--target", "software",
                                      "-f", "json"])
    assert result.exit_code in (0, 2), result.output
    data = json.loads(result.stdout)
    assert data["batches"] and {b["region"] for b in data["batches"]} == {REGION}
    return result.exit_code, [f for f in data["findings"] if f["rule"] in TARGET_RULES], result.stderr


def check(tmp_path: Path, *truth: str) -> tuple[int, list[dict[str, Any]]]:
    code, findings, _ = checked(tmp_path, *truth)
    return code, findings


def run(tmp_path: Path, instances: list[CloudInstance], *held: RegionInventory,
        **options: Any) -> tuple[int, list[dict[str, Any]]]:
    return check(tmp_path, "--inventory", str(write(tmp_path, instances, *held, **options)))


def test_no_instance_of_the_target_type_is_tfkms110(tmp_path: Path) -> None:
    code, findings = run(tmp_path, [CloudInstance("kst-hw", REGION, instance_type="hardware", status="Connected")])
    assert code == 2
    assert [(f["rule"], f["severity"], f["address"], f["root"]) for f in findings] == [
        ("TFKMS110", "error", None, None)]
    assert findings[0]["message"] == ("cn-hangzhou: no software KMS instance in cn-hangzhou (only kst-hw "
                                      "(hardware)); the batch plan moves 3 keys and 1 secret into it")


def test_a_region_without_any_instance_is_tfkms110(tmp_path: Path) -> None:
    code, findings = run(tmp_path, [])
    assert code == 2
    assert [f["message"] for f in findings] == [
        "cn-hangzhou: no software KMS instance in cn-hangzhou; the batch plan moves 3 keys and 1 secret into it"]


def test_a_disconnected_instance_is_tfkms110_naming_its_status(tmp_path: Path) -> None:
    code, findings = run(tmp_path, [software("kst-off", status="Disconnected"),
                                    CloudInstance("kst-what", REGION, status="Error")])
    assert code == 2
    assert [(f["rule"], f["severity"]) for f in findings] == [("TFKMS110", "error")]
    assert findings[0]["message"] == (
        "cn-hangzhou: no software KMS instance is Connected (kst-off is Disconnected, kst-what (type unknown) "
        "is Error); the batch plan moves 3 keys and 1 secret into cn-hangzhou")


def test_an_instance_of_unknown_type_that_is_connected_is_usable(tmp_path: Path) -> None:
    code, findings = run(tmp_path, [CloudInstance("kst-any", REGION, status="Connected", key_num=10)])
    assert (code, findings) == (0, [])


def test_without_the_region_s_instance_list_tfkms110_says_unknown_at_info(tmp_path: Path) -> None:
    code, findings = run(tmp_path, [], instances_known=False)
    assert "instances" not in json.loads((tmp_path / "inventory.json").read_text())["regions"][REGION]
    assert code == 0  # info: nothing to act on, nothing guessed
    assert [(f["rule"], f["severity"], f["address"]) for f in findings] == [("TFKMS110", "info", None)]
    assert findings[0]["message"].startswith("cn-hangzhou: the KMS instances of cn-hangzhou are unknown")


@pytest.mark.parametrize(("spec", "version", "says"), [
    ("200", None, "kst-old is a legacy spec-200 instance: upgrade it to KMS 3.0"),
    ("2000", "1", "kst-old has spec 2000 and product version 1: an instance of spec 1000 or more needs "
                  "product version 3"),
])
def test_an_instance_to_upgrade_is_tfkms111(tmp_path: Path, spec: str, version: str | None, says: str) -> None:
    code, findings = run(tmp_path, [software("kst-old", spec=spec, product_version=version)])
    assert code == 2
    assert [(f["rule"], f["severity"], f["address"], f["root"]) for f in findings] == [
        ("TFKMS111", "error", "kms:instance/kst-old", None)]
    assert findings[0]["message"].startswith(f"cn-hangzhou: {says}")


def test_an_exceeded_quota_is_tfkms112_with_the_numbers(tmp_path: Path) -> None:
    code, findings = run(tmp_path, [software("kst-x", key_num=1000, secret_num=1)],
                         holding("kst-x", keys=998, secrets=1))
    assert code == 2
    assert [(f["rule"], f["address"], f["message"]) for f in findings] == [
        ("TFKMS112", "kms:instance/kst-x",
         "cn-hangzhou: kst-x holds 998 of 1,000 keys; the batch plan moves 3 keys into cn-hangzhou"),
        ("TFKMS112", "kms:instance/kst-x",
         "cn-hangzhou: kst-x holds 1 of 1 secrets; the batch plan moves 1 secret into cn-hangzhou"),
    ]


def test_every_full_instance_is_named_when_none_has_room(tmp_path: Path) -> None:
    code, findings = run(tmp_path, [software("kst-a", key_num=2), software("kst-b", key_num=3)],
                         holding("kst-b", keys=1))
    assert code == 2
    assert [f["message"] for f in findings] == [
        "cn-hangzhou: kst-a holds 0 of 2 keys; the batch plan moves 3 keys into cn-hangzhou; no other "
        "instance in cn-hangzhou has room",
        "cn-hangzhou: kst-b holds 1 of 3 keys; the batch plan moves 3 keys into cn-hangzhou; no other "
        "instance in cn-hangzhou has room"]


def test_room_in_a_second_instance_passes(tmp_path: Path) -> None:
    inventory = write(tmp_path, [software("kst-full", key_num=1000), software("kst-room", key_num=1000)],
                      holding("kst-full", keys=999), holding("kst-room", keys=997))
    code, findings, log = checked(tmp_path, "--inventory", str(inventory))
    assert (code, findings) == (0, [])
    assert "cn-hangzhou: kst-room has room for the 3 keys: it holds 997 of 1000" in log


def test_an_unknown_quota_is_never_guessed(tmp_path: Path) -> None:
    inventory = write(tmp_path, [software("kst-full", key_num=1000, secret_num=100),
                                 software("kst-unknown", secret_num=100)], holding("kst-full", keys=999))
    code, findings, log = checked(tmp_path, "--inventory", str(inventory))
    assert (code, findings) == (0, [])
    assert "cn-hangzhou: key quota of kst-unknown unknown: not judged" in log


def test_the_quotas_round_trip_through_the_inventory_file(tmp_path: Path) -> None:
    path = write(tmp_path, [software("kst-x", key_num=1000, secret_num=0)])
    assert load_inventory(path).regions[REGION].instances == [software("kst-x", key_num=1000, secret_num=0)]
    bad = json.loads(path.read_text())
    bad["regions"][REGION]["instances"][0]["key_num"] = -1
    path.write_text(json.dumps(bad))
    (tmp_path / "main.tf").write_text(CONFIG)
    result = CliRunner().invoke(app, ["check", str(tmp_path), "--inventory", str(path)])
    assert result.exit_code == 1 and "key_num: must be a non-negative integer" in result.stderr


# ---------------------------------------------------------------- live: the real SDK against the emulator

def _emulated(tmp_path: Path) -> Inventory:
    """The account the emulator serves: one software instance, 8 of its 10 keys used."""
    region = holding("kst-x", keys=8)
    region.instances = [software("kst-x", key_num=10, secret_num=50)]
    return Inventory(regions={REGION: region}, source="emulator")


@pytest.mark.usefixtures("kms_env")
def test_keynum_travels_from_the_api_through_the_inventory_command_to_tfkms112(tmp_path: Path) -> None:
    snapshot = tmp_path / "kms.json"
    with running(_emulated(tmp_path)) as (emulator, url):
        listed = CliRunner().invoke(app, ["inventory", "--region", REGION, "--endpoint", url, "--qps", "0",
                                          "-o", str(snapshot)])
        answers = [r for r in emulator.log if r.action == "GetKmsInstance"]
    assert listed.exit_code == 0, listed.output
    assert answers, "GetKmsInstance was not called"
    assert load_inventory(snapshot).regions[REGION].instances[0].key_num == 10
    assert load_inventory(snapshot).regions[REGION].instances[0].secret_num == 50  # a string in the API
    code, findings = check(tmp_path, "--inventory", str(snapshot))
    assert code == 2
    assert [f["message"] for f in findings] == [
        "cn-hangzhou: kst-x holds 8 of 10 keys; the batch plan moves 3 keys into cn-hangzhou"]


@pytest.mark.usefixtures("kms_env")
def test_a_malformed_keynum_is_an_unknown_quota_with_a_log_line(tmp_path: Path) -> None:
    snapshot = tmp_path / "kms.json"
    with running(_emulated(tmp_path), hostile_fields={"KmsInstance.KeyNum": -5}) as (_, url):
        listed = CliRunner().invoke(app, ["--verbose", "inventory", "--region", REGION, "--endpoint", url,
                                          "--qps", "0", "-o", str(snapshot)])
    assert listed.exit_code == 0, listed.output
    instance = load_inventory(snapshot).regions[REGION].instances[0]
    assert (instance.key_num, instance.secret_num) == (None, 50)
    assert "GetKmsInstance kst-x: KeyNum is not a whole number >= 0; quota unknown" in listed.stderr
    assert check(tmp_path, "--inventory", str(snapshot)) == (0, [])


@pytest.mark.usefixtures("kms_env")
def test_check_live_reads_the_quota_from_the_api(tmp_path: Path) -> None:
    with running(_emulated(tmp_path)) as (_, url):
        code, findings = check(tmp_path, "--live", "--region", REGION, "--endpoint", url)
    assert code == 2
    assert [f["message"] for f in findings] == [
        "cn-hangzhou: kst-x holds 8 of 10 keys; the batch plan moves 3 keys into cn-hangzhou"]
