"""Regions are never crossed: each resource's region comes from its provider configuration
(aliases, module `providers` maps, the default provider, the provider's environment default),
every cloud lookup is by region, an unknown region is said, never guessed; and on one
resource the freshest source wins (live over inventory over state).

Real parts only: real files parsed by python-hcl2, inventories written and read back as JSON,
the real KMS SDK talking to the loopback emulator for --live."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from live_support import kms_env, running  # noqa: F401  (kms_env is a fixture)
from typer.testing import CliRunner

from tfkms.cli import app
from tfkms.commands.environment import Environment, region_from_environment
from tfkms.config.scan import build_project
from tfkms.report.json_report import result_dict
from tfkms.services import ScanOptions, TruthOptions, run_check, run_fix
from tfkms.truth.inventory import dumps_inventory
from tfkms.truth.model import CloudInstance, CloudKey, CloudSecret, Inventory

LOCK = '''provider "registry.terraform.io/aliyun/alicloud" {
  version     = "1.230.0"
  constraints = "~> 1.230"
}
'''
TWO_REGIONS = '''provider "alicloud" {
  region = "cn-hangzhou"
}

provider "alicloud" {
  alias  = "sh"
  region = "cn-shanghai"
}
'''
SECRET = '''
resource "alicloud_kms_secret" "{name}" {{
{provider}  secret_name = "{secret_name}"
  secret_data = "x"
  version_id  = "v1"
}}
'''


def _secret(name: str, secret_name: str, provider: str | None = None) -> str:
    return SECRET.format(name=name, secret_name=secret_name,
                         provider=f"  provider    = {provider}\n" if provider else "")


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if not (root / ".terraform.lock.hcl").exists():
        (root / ".terraform.lock.hcl").write_text(LOCK)
    return root


def _inventory_file(path: Path, secrets: dict[str, list[CloudSecret]], keys: dict[str, list[CloudKey]] | None = None
                    ) -> Path:
    inv = Inventory(generated_at="2026-11-01T00:00:00Z", source="test")
    for region in sorted(set(secrets) | set(keys or {})):
        body = inv.region(region)
        body.secrets = list(secrets.get(region, []))
        body.keys = list((keys or {}).get(region, []))
    path.write_text(dumps_inventory(inv))
    return path


def _regions(root: Path, default_region: str | None = None) -> dict[str, str | None]:
    project = build_project([root], [], default_region=default_region)
    return {i.address: i.region for r in project.roots for i in r.resource_instances()}


def _findings(result: object) -> list[dict]:
    return result_dict(result)["findings"]  # type: ignore[arg-type]


# --- where a resource's region comes from -------------------------------------------------------

def test_region_follows_aliases_providers_maps_and_the_environment_default(tmp_path: Path) -> None:
    root = _tree(tmp_path / "live", {
        "main.tf": TWO_REGIONS + '''
module "vault" {
  source    = "../modules/vault"
  providers = { alicloud = alicloud.sh }
}

module "own" {
  source = "../modules/own"
}

module "inherits" {
  source = "../modules/vault"
}
''' + _secret("root_sh", "a", "alicloud.sh") + _secret("root_default", "b"),
    })
    _tree(tmp_path / "modules" / "vault", {
        "main.tf": _secret("s", "vault/token") + '''
module "inner" {
  source = "../inner"
}
''',
    })
    _tree(tmp_path / "modules" / "inner", {"main.tf": 'resource "alicloud_kms_key" "k" {}\n'})
    # a module with its own provider block and no region: the provider's environment default
    _tree(tmp_path / "modules" / "own", {"main.tf": 'provider "alicloud" {}\n' + _secret("s", "own/token")})
    expected = {
        "alicloud_kms_secret.root_sh": "cn-shanghai",
        "alicloud_kms_secret.root_default": "cn-hangzhou",
        "module.vault.alicloud_kms_secret.s": "cn-shanghai",
        "module.vault.module.inner.alicloud_kms_key.k": "cn-shanghai",  # inherits the module's default
        "module.inherits.alicloud_kms_secret.s": "cn-hangzhou",
        "module.inherits.module.inner.alicloud_kms_key.k": "cn-hangzhou",
        "module.own.alicloud_kms_secret.s": None,  # no region, no environment default: unknown
    }
    assert _regions(root) == expected
    assert _regions(root, "ap-southeast-1") == {**expected, "module.own.alicloud_kms_secret.s": "ap-southeast-1"}


def test_root_without_provider_block_takes_the_environment_default_else_unknown(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"main.tf": _secret("db", "db-password") + '''
provider "alicloud" {
  alias  = "eu"
  region = var.region
}

variable "region" {}
''' + _secret("eu", "eu-password", "alicloud.eu") + _secret("ghost", "g", "alicloud.nowhere")})
    assert _regions(root) == {"alicloud_kms_secret.db": None, "alicloud_kms_secret.eu": None,
                              "alicloud_kms_secret.ghost": None}
    # The environment default is for a block that leaves `region` out, never for a region tfkms
    # cannot evaluate, nor for a configuration that does not exist.
    assert _regions(root, "cn-beijing") == {"alicloud_kms_secret.db": "cn-beijing", "alicloud_kms_secret.eu": None,
                                            "alicloud_kms_secret.ghost": None}


def test_environment_reads_the_provider_region_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    assert region_from_environment({"ALICLOUD_REGION": "cn-shanghai"}) == "cn-shanghai"
    assert region_from_environment({"ALIBABA_CLOUD_REGION": "cn-beijing", "ALICLOUD_REGION": "cn-shanghai"}) \
        == "cn-beijing"
    assert region_from_environment({"ALIBABA_CLOUD_REGION": " ", "ALICLOUD_REGION": ""}) is None
    monkeypatch.delenv("ALIBABA_CLOUD_REGION", raising=False)
    monkeypatch.setenv("ALICLOUD_REGION", "cn-shenzhen")
    assert Environment.detect().default_region == "cn-shenzhen"
    monkeypatch.delenv("ALICLOUD_REGION")
    assert Environment.detect().default_region is None


def test_environment_default_region_reaches_the_lookups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No provider block: with ALICLOUD_REGION the inventory's answer in that region is used; the
    same name in another region never is."""
    root = _tree(tmp_path / "infra", {"main.tf": _secret("db", "db-password")})
    inventory = _inventory_file(tmp_path / "inv.json", {
        "cn-hangzhou": [CloudSecret("db-password", dkms_instance_id="kst-hzz00000000000000001")],
        "cn-shanghai": [CloudSecret("db-password", dkms_instance_id="kst-shz00000000000000001")],
    })
    monkeypatch.setenv("ALICLOUD_REGION", "cn-shanghai")
    monkeypatch.delenv("ALIBABA_CLOUD_REGION", raising=False)
    scan = ScanOptions([root], use_cache=False, default_region=Environment.detect().default_region)
    result = run_fix(scan, TruthOptions(inventory=inventory), _fix_options())
    edits = [e["after"] for f in _findings(result) for e in f.get("edits", [])]
    assert any("kst-shz00000000000000001" in e for e in edits), _findings(result)
    assert not any("kst-hzz" in e for e in edits)


def _fix_options() -> object:
    from tfkms.analysis.fix import FixOptions

    return FixOptions(strategy="instance-id")


# --- unknown region: said, never guessed ---------------------------------------------------------

def test_unknown_region_is_a_warning_naming_the_resource_and_nothing_is_looked_up(tmp_path: Path) -> None:
    root = _tree(tmp_path / "infra", {"main.tf": _secret("db", "db-password")})
    inventory = _inventory_file(tmp_path / "inv.json", {
        "cn-shanghai": [CloudSecret("db-password", dkms_instance_id="kst-shz00000000000000001")]})
    for run in (lambda: run_fix(ScanOptions([root], use_cache=False), TruthOptions(inventory=inventory),
                                _fix_options()),
                lambda: run_check(ScanOptions([root], use_cache=False), TruthOptions(inventory=inventory), None)):
        findings = _findings(run())
        warned = [f for f in findings if f["rule"] == "TFKMS204" and f["message"].startswith("region unknown")]
        assert [(f["address"], f["severity"]) for f in warned] == [("alicloud_kms_secret.db", "warning")], findings
        assert "ALICLOUD_REGION" in warned[0]["message"] and "no provider block" in warned[0]["message"]
        assert not any(e for f in findings for e in f.get("edits", [])), findings  # the Shanghai id: never


# --- TFKMS107 is about one region -----------------------------------------------------------------

def test_same_name_in_another_region_is_no_clash_but_the_same_region_is(tmp_path: Path) -> None:
    root = _tree(tmp_path / "infra", {"main.tf": TWO_REGIONS + _secret("hz", "db-password")
                                      + _secret("sh", "db-password", "alicloud.sh")
                                      + _secret("hz_a", "api-token") + _secret("hz_b", "api-token")})
    # Shanghai's db-password is already in an instance, Beijing's is not, Hangzhou has none: Hangzhou's
    # secret of that name clashes with nothing (name-only lookups took Beijing's for it and reported
    # it against the Shanghai instance), and it still needs migrating.
    inventory = _inventory_file(tmp_path / "inv.json", {
        "cn-hangzhou": [],
        "cn-beijing": [CloudSecret("db-password")],
        "cn-shanghai": [CloudSecret("db-password", dkms_instance_id="kst-shz00000000000000001")]})
    result = run_check(ScanOptions([root], use_cache=False), TruthOptions(inventory=inventory), None)
    findings = _findings(result)
    assert any("alicloud_kms_secret.hz" in b.secrets and b.region == "cn-hangzhou" for b in result.batches)
    assert not any("alicloud_kms_secret.sh" in b.secrets for b in result.batches)  # already migrated
    clashes = sorted((f["address"], f["message"]) for f in findings if f["rule"] == "TFKMS107")
    assert [a for a, _ in clashes] == ["alicloud_kms_secret.hz_a", "alicloud_kms_secret.hz_b"], clashes
    assert "cn-hangzhou" in clashes[0][1]  # the real clash: one name twice in one region
    assert not any("kst-shz" in f["message"] for f in findings), findings


def test_same_name_in_two_roots_of_different_regions_is_no_clash(tmp_path: Path) -> None:
    _tree(tmp_path / "hz", {"main.tf": 'provider "alicloud" {\n  region = "cn-hangzhou"\n}\n'
                            + _secret("db", "db-password")})
    _tree(tmp_path / "sh", {"main.tf": 'provider "alicloud" {\n  region = "cn-shanghai"\n}\n'
                            + _secret("db", "db-password")})
    _tree(tmp_path / "sh2", {"main.tf": 'provider "alicloud" {\n  region = "cn-shanghai"\n}\n'
                             + _secret("db", "db-password")})
    inventory = _inventory_file(tmp_path / "inv.json", {"cn-hangzhou": []})
    findings = _findings(run_check(ScanOptions([tmp_path], use_cache=False), TruthOptions(inventory=inventory),
                                   None))
    clashes = sorted((f["root"], f["address"]) for f in findings if f["rule"] == "TFKMS107")
    assert clashes == [("sh", "alicloud_kms_secret.db"), ("sh2", "alicloud_kms_secret.db")], findings


# --- the freshest source wins ---------------------------------------------------------------------

STALE_SECRET = CloudSecret("app/db", "cn-hangzhou", secret_type="Generic", automatic_rotation="Enabled")


def test_live_beats_a_stale_inventory_in_check(tmp_path: Path, kms_env: None) -> None:  # noqa: F811 (fixture)
    """The snapshot was taken before migration (rotation on, no instance); the API now says the
    secret is in an instance: check must judge the live answer, and say nothing blocks it."""
    root = _tree(tmp_path / "infra", {"main.tf": 'provider "alicloud" {\n  region = "cn-hangzhou"\n}\n'
                                      + _secret("db", "app/db")})
    stale = _inventory_file(tmp_path / "stale.json", {"cn-hangzhou": [STALE_SECRET]})
    now = Inventory(source="test")  # since the snapshot: rotation turned off, then migrated
    now.region("cn-hangzhou").secrets = [replace(STALE_SECRET, automatic_rotation="Disabled")]
    now.region("cn-hangzhou").instances = [CloudInstance("kst-hzz0software", "cn-hangzhou", "apps", "software",
                                                         "Connected")]
    with running(now) as (emulator, url):
        migrated = emulator.state.migrate(instance_id="kst-hzz0software", secret_names=["app/db"])
        args = ["check", str(root), "--inventory", str(stale), "--live", "--region", "cn-hangzhou",
                "--endpoint", url, "--format", "json", "--no-cache"]
        fresh = CliRunner().invoke(app, args)
    assert migrated, migrated
    only_stale = CliRunner().invoke(app, ["check", str(root), "--inventory", str(stale), "--format", "json",
                                          "--no-cache"])
    stale_rules = {(f["address"], f["rule"]) for f in json.loads(only_stale.stdout)["findings"]}
    assert ("alicloud_kms_secret.db", "TFKMS102") in stale_rules  # what the snapshot alone says
    fresh_rules = {(f["address"], f["rule"]) for f in json.loads(fresh.stdout)["findings"]}
    assert ("alicloud_kms_secret.db", "TFKMS102") not in fresh_rules, fresh.stdout


def test_freshest_source_wins_whatever_order_the_sources_come_in() -> None:
    from tfkms.analysis.join import Truth

    stale, live = Inventory(source="snapshot"), Inventory(source="live")
    stale.region("cn-hangzhou").secrets = [STALE_SECRET]
    stale.region("cn-hangzhou").keys = [CloudKey("key-1", automatic_rotation="Enabled", aliases=("alias/a",))]
    live.region("cn-hangzhou").secrets = [CloudSecret("app/db", dkms_instance_id="kst-hzz0software",
                                                      automatic_rotation="Disabled")]
    live.region("cn-hangzhou").keys = [CloudKey("key-1", automatic_rotation="Disabled",
                                                dkms_instance_id="kst-hzz0software", aliases=("alias/a",))]
    for first, second in (((stale, False), (live, True)), ((live, True), (stale, False))):
        truth = Truth()
        truth.index_inventory(*first)
        truth.index_inventory(*second)
        assert [s.dkms_instance_id for s in truth._named("app/db", "cn-hangzhou")] == ["kst-hzz0software"]
        key = truth.key_by_id("key-1", "cn-hangzhou")
        assert key is not None and key.automatic_rotation == "Disabled"
        assert truth.key_by_id("key-1", "cn-shanghai") is None  # and never across regions
