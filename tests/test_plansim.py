"""Tests for the independent plan simulator (tests/plansim.py).

The simulator is the judge of `tfkms fix` golden cases, so it is tested on its own against the
provider facts of reference/provider-kms.md, on tiny inline configurations.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import plansim  # noqa: E402
from plansim import attribute, case_provider_version, lowest_admitted, parse_version, simulate, simulate_plan  # noqa: E402

CANARY = "CANARY-s3cr3t-7f3a9"
SHARED_SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "reference" / "provider-kms-schema.json"
GOLDEN = Path(__file__).parent / "golden" / "fix"


# ----------------------------------------------------------------------------- helpers


def key_attrs(**over):
    attrs = {
        "id": "key-hzz62f1cb66fa42qo3x9a", "arn": "acs:kms:cn-hangzhou:1234567890123456:key/key-hzz62f1cb66fa42qo3x9a",
        "automatic_rotation": "Disabled", "description": "app key", "dkms_instance_id": "kst-hzz65f176a0ogplgq4ehe",
        "key_spec": "Aliyun_AES_256", "key_usage": "ENCRYPT/DECRYPT", "origin": "Aliyun_KMS",
        "pending_window_in_days": 7, "deletion_window_in_days": None, "protection_level": "SOFTWARE",
        "rotation_interval": "", "status": "Enabled", "key_state": "Enabled", "is_enabled": True,
        "tags": {}, "policy": "", "timeouts": None,
    }
    attrs.update(over)
    return attrs


def old_key_attrs(**over):
    """A key as provider 1.170.0 keeps it: no dkms_instance_id, policy or timeouts; is_enabled not read."""
    attrs = key_attrs(**over)
    for name in ("dkms_instance_id", "policy", "timeouts"):
        attrs.pop(name, None)
    attrs["is_enabled"] = over.get("is_enabled")
    return attrs


def secret_attrs(**over):
    attrs = {
        "id": "app/db-password", "secret_name": "app/db-password", "secret_data": CANARY, "version_id": "v1",
        "secret_type": "Generic", "secret_data_type": "text", "encryption_key_id": "",
        "dkms_instance_id": "kst-hzz65f176a0ogplgq4ehe", "enable_automatic_rotation": False,
        "rotation_interval": "", "description": "", "force_delete_without_recovery": False,
        "recovery_window_in_days": 30, "version_stages": ["ACSCurrent"], "tags": {}, "timeouts": None,
    }
    attrs.update(over)
    return attrs


def state(*resources):
    """resources: (address-ish "module.m.type.name" or "type.name", [(index_key, attrs), ...])."""
    out = []
    for addr, instances in resources:
        parts = addr.split(".")
        module = ".".join(parts[:-2])
        r = {"mode": "managed", "type": parts[-2], "name": parts[-1],
             "provider": 'provider["registry.terraform.io/aliyun/alicloud"]',
             "instances": [{"schema_version": 0, "attributes": a, **({"index_key": k} if k is not None else {})}
                           for k, a in instances]}
        if module:
            r["module"] = module
        out.append(r)
    return {"version": 4, "terraform_version": "1.9.8", "serial": 3, "lineage": "0f8e2b6c-1d2a-4f7e-9c51-6f0b9a7d2e11",
            "outputs": {}, "resources": out}


def write(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text.encode("utf-8"))
    return tmp_path


KEY = '''resource "alicloud_kms_key" "app" {
  description            = "app key"
  pending_window_in_days = 7
%s}
'''
SECRET = '''resource "alicloud_kms_secret" "db" {
  secret_name = "app/db-password"
  secret_data = var.db_password
  version_id  = "v1"
%s}

variable "db_password" {
  type      = string
  sensitive = true
}
'''


# ----------------------------------------------------------------------------- dkms_instance_id


def test_migrated_key_without_instance_id_is_replaced_on_1_230(tmp_path):
    root = write(tmp_path, {"main.tf": KEY % ""})
    assert simulate(root, state(("alicloud_kms_key.app", [(None, key_attrs())])), "1.230.0") == {
        "alicloud_kms_key.app": "replace"}


def test_same_key_is_safe_from_1_235(tmp_path):
    root = write(tmp_path, {"main.tf": KEY % ""})
    st = state(("alicloud_kms_key.app", [(None, key_attrs())]))
    assert simulate(root, st, "1.234.9")["alicloud_kms_key.app"] == "replace"
    assert simulate(root, st, "1.235.0")["alicloud_kms_key.app"] == "no-op"
    assert simulate(root, st, "1.240.0")["alicloud_kms_key.app"] == "no-op"


def test_secret_is_replaced_on_every_version_from_1_183(tmp_path):
    root = write(tmp_path, {"main.tf": SECRET % ""})
    st = state(("alicloud_kms_secret.db", [(None, secret_attrs())]))
    for version in ("1.183.0", "1.230.0", "1.240.0", "1.289.0"):
        assert simulate(root, st, version) == {"alicloud_kms_secret.db": "replace"}, version


def test_not_migrated_resources_are_no_op(tmp_path):
    root = write(tmp_path, {"main.tf": KEY % "" + SECRET % ""})
    st = state(("alicloud_kms_key.app", [(None, key_attrs(dkms_instance_id=""))]),
               ("alicloud_kms_secret.db", [(None, secret_attrs(dkms_instance_id=""))]))
    assert set(simulate(root, st, "1.230.0").values()) == {"no-op"}


def test_right_literal_is_harmless_and_stale_literal_replaces(tmp_path):
    st = state(("alicloud_kms_key.app", [(None, key_attrs())]))
    right = write(tmp_path / "right", {"main.tf": KEY % '  dkms_instance_id       = "kst-hzz65f176a0ogplgq4ehe"\n'})
    stale = write(tmp_path / "stale", {"main.tf": KEY % '  dkms_instance_id       = "kst-bjj62aa1f9b0ez1wyl4ka"\n'})
    for version in ("1.230.0", "1.240.0"):
        assert simulate(right, st, version)["alicloud_kms_key.app"] == "no-op"
        assert simulate(stale, st, version)["alicloud_kms_key.app"] == "replace"


@pytest.mark.parametrize("ignore", ["[dkms_instance_id]", '["dkms_instance_id"]', "[tags, dkms_instance_id]", "all"])
def test_ignore_changes_fixes_it(tmp_path, ignore):
    lc = "\n  lifecycle {\n    ignore_changes = %s\n  }\n" % ignore
    root = write(tmp_path, {"main.tf": KEY % lc + SECRET % lc})
    st = state(("alicloud_kms_key.app", [(None, key_attrs())]),
               ("alicloud_kms_secret.db", [(None, secret_attrs())]))
    assert simulate(root, st, "1.230.0") == {"alicloud_kms_key.app": "no-op", "alicloud_kms_secret.db": "no-op"}


def test_old_provider_rejects_instance_id_everywhere(tmp_path):
    st = state(("alicloud_kms_key.app", [(None, old_key_attrs())]))
    ignored = write(tmp_path / "a", {"main.tf": KEY % "  lifecycle {\n    ignore_changes = [dkms_instance_id]\n  }\n"})
    literal = write(tmp_path / "b", {"main.tf": KEY % '  dkms_instance_id = "kst-hzz65f176a0ogplgq4ehe"\n'})
    plain = write(tmp_path / "c", {"main.tf": KEY % ""})
    assert simulate(ignored, st, "1.170.0")["alicloud_kms_key.app"] == "invalid"
    assert simulate(literal, st, "1.170.0")["alicloud_kms_key.app"] == "invalid"
    assert simulate(plain, st, "1.170.0")["alicloud_kms_key.app"] == "no-op"
    plan = simulate_plan(ignored, st, "1.170.0")
    assert "dkms_instance_id" in plan.instances["alicloud_kms_key.app"].errors[0]


# ----------------------------------------------------------------------------- protection_level


def test_hsm_key_now_software_with_hsm_in_config_is_replaced(tmp_path):
    root = write(tmp_path, {"main.tf": KEY % '  protection_level       = "HSM"\n  lifecycle {\n    ignore_changes = [dkms_instance_id]\n  }\n'})
    st = state(("alicloud_kms_key.app", [(None, key_attrs(protection_level="SOFTWARE"))]))
    for version in ("1.224.0", "1.230.0", "1.240.0"):
        plan = simulate_plan(root, st, version).instances["alicloud_kms_key.app"]
        assert plan.action == "replace"
        assert [d.name for d in plan.diffs] == ["protection_level"]


def test_protection_level_bites_on_old_provider_too(tmp_path):
    root = write(tmp_path, {"main.tf": KEY % '  protection_level       = "HSM"\n'})
    st = state(("alicloud_kms_key.app", [(None, old_key_attrs(protection_level="SOFTWARE"))]))
    assert simulate(root, st, "1.170.0")["alicloud_kms_key.app"] == "replace"


def test_hsm_in_state_with_argument_omitted_is_replaced(tmp_path):
    root = write(tmp_path, {"main.tf": KEY % ""})
    st = state(("alicloud_kms_key.app", [(None, key_attrs(protection_level="HSM"))]))
    plan = simulate_plan(root, st, "1.240.0").instances["alicloud_kms_key.app"]
    assert plan.action == "replace"
    assert str(plan.diffs[0]) == 'protection_level: "HSM" -> "SOFTWARE"  # forces replacement'


def test_protection_level_ignore_changes(tmp_path):
    root = write(tmp_path, {"main.tf": KEY % "  lifecycle {\n    ignore_changes = [protection_level]\n  }\n"})
    st = state(("alicloud_kms_key.app", [(None, key_attrs(protection_level="HSM"))]))
    assert simulate(root, st, "1.240.0")["alicloud_kms_key.app"] == "no-op"


# ----------------------------------------------------------------------------- count / for_each / modules


FOR_EACH = '''
variable "instances" {
  type = map(string)
  default = {
    a = "kst-hzz65f176a0ogplgq4ehe"
    b = null
  }
}

resource "alicloud_kms_key" "inline" {
  for_each               = toset(["a", "b"])
  description            = "tenant ${each.key}"
  pending_window_in_days = 7
  dkms_instance_id       = { "a" = "kst-hzz65f176a0ogplgq4ehe", b = null }[each.key]
}

resource "alicloud_kms_key" "lookup" {
  for_each               = var.instances
  description            = "tenant ${each.key}"
  pending_window_in_days = 7
  dkms_instance_id       = lookup(var.instances, each.key, null)
}

resource "alicloud_kms_key" "counted" {
  count                  = 2
  description            = "tenant ${count.index}"
  pending_window_in_days = 7
  dkms_instance_id       = ["kst-hzz65f176a0ogplgq4ehe", null][count.index]
}
'''


def _tenants(name, keys, desc="tenant %s"):
    return (f"alicloud_kms_key.{name}",
            [(k, key_attrs(description=desc % k, dkms_instance_id="kst-hzz65f176a0ogplgq4ehe" if k in ("a", 0) else ""))
             for k in keys])


def test_for_each_and_count_lookups(tmp_path):
    root = write(tmp_path, {"main.tf": FOR_EACH})
    st = state(_tenants("inline", ["a", "b"]), _tenants("lookup", ["a", "b"]), _tenants("counted", [0, 1]))
    assert simulate(root, st, "1.230.0") == {
        'alicloud_kms_key.counted[0]': "no-op", 'alicloud_kms_key.counted[1]': "no-op",
        'alicloud_kms_key.inline["a"]': "no-op", 'alicloud_kms_key.inline["b"]': "no-op",
        'alicloud_kms_key.lookup["a"]': "no-op", 'alicloud_kms_key.lookup["b"]': "no-op",
    }
    # instance b migrated as well, but the config still says null for it
    st2 = state(("alicloud_kms_key.inline", [("a", key_attrs(description="tenant a")),
                                             ("b", key_attrs(description="tenant b"))]))
    actions = simulate(root, st2, "1.230.0")
    assert actions['alicloud_kms_key.inline["b"]'] == "replace"
    assert actions['alicloud_kms_key.lookup["a"]'] == "create"


def test_tfvars_and_auto_tfvars_override_defaults(tmp_path):
    root = write(tmp_path, {
        "main.tf": FOR_EACH,
        "terraform.tfvars": 'instances = {\n  a = "kst-wrong"\n}\n',
        "z.auto.tfvars": 'instances = {\n  a = "kst-hzz65f176a0ogplgq4ehe"\n  b = "kst-hzz65f176a0ogplgq4ehe"\n}\n',
    })
    st = state(("alicloud_kms_key.lookup", [("a", key_attrs(description="tenant a")),
                                            ("b", key_attrs(description="tenant b"))]))
    actions = simulate(root, st, "1.230.0")
    assert actions['alicloud_kms_key.lookup["a"]'] == "no-op"
    assert actions['alicloud_kms_key.lookup["b"]'] == "no-op"


MODULE_MAIN = '''
module "payments" {
  source      = "./modules/kms"
  name        = "payments"
  instance_id = "kst-hzz65f176a0ogplgq4ehe"
}

module "orders" {
  source = "./modules/kms"
  name   = "orders"
}
'''
MODULE_KMS = '''
variable "name" {
  type = string
}

variable "instance_id" {
  type    = string
  default = null
}

resource "alicloud_kms_key" "this" {
  description            = "${var.name} key"
  pending_window_in_days = 7
  dkms_instance_id       = var.instance_id
}
'''


def test_local_module_called_twice(tmp_path):
    root = write(tmp_path, {"main.tf": MODULE_MAIN, "modules/kms/main.tf": MODULE_KMS})
    st = state(("module.payments.alicloud_kms_key.this", [(None, key_attrs(description="payments key"))]),
               ("module.orders.alicloud_kms_key.this", [(None, key_attrs(description="orders key",
                                                                          dkms_instance_id="kst-bjj62aa1f9b0ez1wyl4ka"))]))
    assert simulate(root, st, "1.230.0") == {
        "module.orders.alicloud_kms_key.this": "replace",
        "module.payments.alicloud_kms_key.this": "no-op",
    }


def test_module_for_each_and_nested_addresses(tmp_path):
    root = write(tmp_path, {
        "main.tf": 'module "tenant" {\n  for_each = toset(["acme"])\n  source   = "./modules/outer"\n  name     = each.key\n}\n',
        "modules/outer/main.tf": 'variable "name" {}\n\nmodule "kms" {\n  source = "../kms"\n  name   = var.name\n}\n',
        "modules/kms/main.tf": MODULE_KMS,
    })
    addr = 'module.tenant["acme"].module.kms.alicloud_kms_key.this'
    st = state(('module.tenant["acme"].module.kms.alicloud_kms_key.this',
                [(None, key_attrs(description="acme key", dkms_instance_id=""))]))
    assert simulate(root, st, "1.230.0") == {addr: "no-op"}


def test_registry_module_through_modules_json(tmp_path):
    root = write(tmp_path, {
        "main.tf": 'module "kms" {\n  source  = "terraform-alicloud-modules/kms/alicloud"\n  version = "1.3.0"\n  name = "shared"\n}\n',
        ".terraform/modules/modules.json": json.dumps({"Modules": [
            {"Key": "", "Source": "", "Dir": "."},
            {"Key": "kms", "Source": "registry.terraform.io/terraform-alicloud-modules/kms/alicloud",
             "Version": "1.3.0", "Dir": ".terraform/modules/kms"}]}),
        ".terraform/modules/kms/main.tf": MODULE_KMS,
    })
    st = state(("module.kms.alicloud_kms_key.this", [(None, key_attrs(description="shared key"))]))
    assert simulate(root, st, "1.230.0") == {"module.kms.alicloud_kms_key.this": "replace"}
    assert simulate(root, st, "1.240.0") == {"module.kms.alicloud_kms_key.this": "no-op"}


def test_missing_and_extra_instances(tmp_path):
    root = write(tmp_path, {"main.tf": KEY % ""})
    st = state(("alicloud_kms_key.old", [(None, key_attrs())]))
    assert simulate(root, st, "1.240.0") == {"alicloud_kms_key.app": "create", "alicloud_kms_key.old": "delete"}


# ----------------------------------------------------------------------------- secrets, rotation, references


def test_secret_encryption_key_id(tmp_path):
    body = KEY % "  dkms_instance_id       = \"kst-hzz65f176a0ogplgq4ehe\"\n" + SECRET % (
        '  dkms_instance_id  = "kst-hzz65f176a0ogplgq4ehe"\n  encryption_key_id = alicloud_kms_key.app.id\n')
    root = write(tmp_path / "ref", {"main.tf": body})
    st = state(("alicloud_kms_key.app", [(None, key_attrs())]),
               ("alicloud_kms_secret.db", [(None, secret_attrs(encryption_key_id="key-hzz62f1cb66fa42qo3x9a"))]))
    assert set(simulate(root, st, "1.230.0").values()) == {"no-op"}
    # the key is replaced (HSM in config, SOFTWARE in the cloud): the secret follows
    cascade = write(tmp_path / "cascade", {"main.tf": body.replace('  description            = "app key"\n',
                                                                   '  description            = "app key"\n  protection_level       = "HSM"\n', 1)})
    actions = simulate(cascade, st, "1.230.0")
    assert actions == {"alicloud_kms_key.app": "replace", "alicloud_kms_secret.db": "replace"}
    # omitted in config, reported by the cloud: ForceNew, not Computed
    omitted = write(tmp_path / "omitted", {"main.tf": SECRET % '  dkms_instance_id = "kst-hzz65f176a0ogplgq4ehe"\n'})
    st2 = state(("alicloud_kms_secret.db", [(None, secret_attrs(encryption_key_id="key-hzz62f1cb66fa42qo3x9a"))]))
    assert simulate(omitted, st2, "1.240.0") == {"alicloud_kms_secret.db": "replace"}


def test_rotation_is_an_in_place_update(tmp_path):
    key = KEY % '  dkms_instance_id       = "kst-hzz65f176a0ogplgq4ehe"\n  automatic_rotation     = "Enabled"\n  rotation_interval      = "7d"\n'
    root = write(tmp_path / "k", {"main.tf": key})
    st = state(("alicloud_kms_key.app", [(None, key_attrs(automatic_rotation="Enabled", rotation_interval="604800s"))]))
    plan = simulate_plan(root, st, "1.240.0").instances["alicloud_kms_key.app"]
    assert plan.action == "update" and [d.name for d in plan.diffs] == ["rotation_interval"]
    # 1.85.0-1.206.x: an omitted automatic_rotation defaults to Disabled
    plain = write(tmp_path / "p", {"main.tf": KEY % ""})
    st_old = state(("alicloud_kms_key.app", [(None, old_key_attrs(automatic_rotation="Enabled",
                                                                  rotation_interval="604800s"))]))
    assert simulate(plain, st_old, "1.170.0")["alicloud_kms_key.app"] == "update"
    st_new = state(("alicloud_kms_key.app", [(None, key_attrs(automatic_rotation="Enabled", rotation_interval="604800s"))]))
    plan = simulate_plan(plain, st_new, "1.240.0").instances["alicloud_kms_key.app"]
    assert [d.name for d in plan.diffs] == ["rotation_interval"]  # interval is not Computed
    secret = write(tmp_path / "s", {"main.tf": SECRET % '  dkms_instance_id = "kst-hzz65f176a0ogplgq4ehe"\n'})
    st_s = state(("alicloud_kms_secret.db", [(None, secret_attrs(enable_automatic_rotation=True, rotation_interval="604800s"))]))
    plan = simulate_plan(secret, st_s, "1.240.0").instances["alicloud_kms_secret.db"]
    assert plan.action == "update"
    assert sorted(d.name for d in plan.diffs) == ["enable_automatic_rotation", "rotation_interval"]


def test_rotation_interval_number_compares_as_string(tmp_path):
    key = KEY % '  dkms_instance_id       = "kst-hzz65f176a0ogplgq4ehe"\n  rotation_interval      = 604800\n'
    root = write(tmp_path, {"main.tf": key})
    st = state(("alicloud_kms_key.app", [(None, key_attrs(rotation_interval="604800"))]))
    assert simulate(root, st, "1.240.0")["alicloud_kms_key.app"] == "no-op"


# ----------------------------------------------------------------------------- syntax corners


def test_tf_json_config(tmp_path):
    doc = {
        "resource": {"alicloud_kms_key": {"app": {
            "description": "app key", "pending_window_in_days": 7,
            "lifecycle": {"ignore_changes": ["dkms_instance_id"]}}},
            "alicloud_kms_secret": {"db": {"secret_name": "app/db-password", "secret_data": "${var.db_password}",
                                           "version_id": "v1"}}},
        "variable": {"db_password": {"type": "string", "sensitive": True}},
    }
    root = write(tmp_path, {"main.tf.json": json.dumps(doc, indent=2)})
    st = state(("alicloud_kms_key.app", [(None, key_attrs())]), ("alicloud_kms_secret.db", [(None, secret_attrs())]))
    assert simulate(root, st, "1.230.0") == {"alicloud_kms_key.app": "no-op", "alicloud_kms_secret.db": "replace"}


def test_crlf_tabs_heredoc_and_legacy_interpolation(tmp_path):
    text = (
        '# 应用密钥 (app key)\r\nvariable "instance" {\r\n\tdefault = "kst-hzz65f176a0ogplgq4ehe"\r\n}\r\n\r\n'
        'resource "alicloud_kms_key" "app" {\r\n\tdescription = "app key"\r\n\tpending_window_in_days = 7\r\n'
        '\tdkms_instance_id = "${var.instance}"\r\n\tpolicy = <<-EOT\r\n\t\t{"Statement": [{"Effect": "Allow"}], "Version": "1"}\r\n\tEOT\r\n}\r\n'
    )
    root = write(tmp_path, {"main.tf": text})
    st = state(("alicloud_kms_key.app", [(None, key_attrs(policy='{"Version":"1","Statement":[{"Effect":"Allow"}]}'))]))
    assert simulate(root, st, "1.230.0") == {"alicloud_kms_key.app": "no-op"}


def test_show_json_truth(tmp_path):
    root = write(tmp_path, {"main.tf": MODULE_MAIN, "modules/kms/main.tf": MODULE_KMS})
    show = {"format_version": "1.0", "terraform_version": "1.9.8", "values": {"root_module": {"child_modules": [
        {"address": "module.payments", "resources": [{
            "address": "module.payments.alicloud_kms_key.this", "mode": "managed", "type": "alicloud_kms_key",
            "name": "this", "provider_name": "registry.terraform.io/aliyun/alicloud", "schema_version": 0,
            "values": key_attrs(description="payments key"), "sensitive_values": {}}]}]}}}
    assert simulate(root, show, "1.230.0") == {"module.orders.alicloud_kms_key.this": "create",
                                                "module.payments.alicloud_kms_key.this": "no-op"}


def test_unknown_values_are_recorded_not_diffed(tmp_path):
    root = write(tmp_path, {"main.tf": KEY % '  dkms_instance_id       = data.alicloud_kms_instances.this.ids[0]\n'})
    st = state(("alicloud_kms_key.app", [(None, key_attrs())]))
    plan = simulate_plan(root, st, "1.230.0")
    assert plan.actions == {"alicloud_kms_key.app": "no-op"}
    assert plan.unknowns["alicloud_kms_key.app"] == ["dkms_instance_id: data reference"]


@pytest.mark.parametrize("lifecycle,error", [
    ("  lifecycle {\n    prevent_destroy = true\n  }\n  lifecycle {\n    ignore_changes = all\n  }\n", "duplicate lifecycle"),
    ('  lifecycle {\n    ignore_changes = ["*"]\n  }\n', "ignore_changes = all"),
    ("  lifecycle {\n    ignore_changes = [no_such_thing]\n  }\n", "no_such_thing"),
    ('  key_state              = "Enabled"\n  status                 = "Enabled"\n', "conflicts"),
])
def test_config_errors_are_invalid(tmp_path, lifecycle, error):
    root = write(tmp_path, {"main.tf": KEY % lifecycle})
    plan = simulate_plan(root, state(("alicloud_kms_key.app", [(None, key_attrs())])), "1.240.0")
    inst = plan.instances["alicloud_kms_key.app"]
    assert inst.action == "invalid" and error in " ".join(inst.errors)


def test_secret_value_never_rendered(tmp_path, capsys):
    root = write(tmp_path, {"main.tf": SECRET % "", "terraform.tfvars": 'db_password = "other-value"\n'})
    st = state(("alicloud_kms_secret.db", [(None, secret_attrs())]))
    (tmp_path / "s.json").write_text(json.dumps(st))
    plan = simulate_plan(root, st, "1.240.0")
    assert "secret_data" in [d.name for d in plan.instances["alicloud_kms_secret.db"].diffs]
    assert CANARY not in plan.render(verbose=True)
    plansim.main([str(root), "--state", str(tmp_path / "s.json"), "--provider-version", "1.240.0", "-v"])
    assert CANARY not in capsys.readouterr().out


# ----------------------------------------------------------------------------- schema and versions


def test_schema_history():
    v = parse_version
    assert attribute("alicloud_kms_key", "dkms_instance_id", v("1.182.0")) is None
    assert not attribute("alicloud_kms_key", "dkms_instance_id", v("1.234.0")).computed
    assert attribute("alicloud_kms_key", "dkms_instance_id", v("1.235.0")).computed
    assert not attribute("alicloud_kms_secret", "dkms_instance_id", v("1.289.0")).computed
    assert attribute("alicloud_kms_key", "protection_level", v("1.170.0")).default == "SOFTWARE"
    assert attribute("alicloud_kms_key", "automatic_rotation", v("1.206.0")).default == "Disabled"
    assert attribute("alicloud_kms_key", "automatic_rotation", v("1.207.0")).computed
    assert attribute("alicloud_kms_key", "policy", v("1.223.0")) is None


@pytest.mark.skipif(not SHARED_SCHEMA.is_file(), reason="../shared/reference not present")
def test_embedded_schema_matches_shared_reference():
    ref = json.loads(SHARED_SCHEMA.read_text(encoding="utf-8"))
    for rtype, attrs in plansim.SCHEMA.items():
        assert set(attrs) == set(ref[rtype]["attributes"]), rtype
        for name, (typ, flags, default, since) in attrs.items():
            a = ref[rtype]["attributes"][name]
            want = "".join(c for c, k in [("R", "required"), ("O", "optional"), ("C", "computed"),
                                          ("F", "force_new"), ("S", "sensitive")] if a.get(k))
            assert (typ, flags, default, since) == (a["type"], want, a.get("default"), a["since"]), (rtype, name)


def test_provider_version_sources(tmp_path):
    assert lowest_admitted(">= 1.230.0, < 1.235.0") == "1.230.0"
    assert lowest_admitted("~> 1.240") == "1.240.0"
    assert lowest_admitted("> 1.183.0") == "1.183.1"
    root = write(tmp_path, {".terraform.lock.hcl": (
        'provider "registry.terraform.io/aliyun/alicloud" {\n  version     = "1.230.0"\n'
        '  constraints = "~> 1.230"\n  hashes = [\n    "h1:x",\n  ]\n}\n')})
    assert case_provider_version(root) == "1.230.0"
    assert case_provider_version(root, ["--provider-version=1.170.0"]) == "1.170.0"


# ----------------------------------------------------------------------------- golden fix inputs, before patching
# What the simulator says about each tests/golden/fix/<case>/input against its truth BEFORE any patch
# (also written down in each case's NOTES.md). Every case but the already-patched one is dangerous.

BEFORE: dict[str, dict[str, str]] = {
    "already-patched": {  # provider 1.230.0
        "alicloud_kms_key.app": "no-op",
        "alicloud_kms_key.env[\"prod\"]": "no-op",
        "alicloud_kms_key.env[\"sandbox\"]": "no-op",
        "alicloud_kms_key.env[\"staging\"]": "no-op",
        "alicloud_kms_key.signing": "no-op",
        "alicloud_kms_secret.db": "no-op",
    },
    "count-one-instance": {  # provider 1.228.0
        "alicloud_kms_key.shard[0]": "replace",
        "alicloud_kms_key.shard[1]": "replace",
        "alicloud_kms_key.shard[2]": "replace",
        "alicloud_kms_secret.shard_sasl[0]": "replace",
        "alicloud_kms_secret.shard_sasl[1]": "replace",
        "alicloud_kms_secret.shard_sasl[2]": "replace",
    },
    "crlf-tabs-heredoc-cjk": {  # provider 1.230.0
        "alicloud_kms_key.warehouse": "replace",
        "alicloud_kms_secret.warehouse_db": "replace",
    },
    "for-each-mixed-instances": {  # provider 1.230.0
        "alicloud_kms_alias.tenant[\"acme\"]": "update",
        "alicloud_kms_alias.tenant[\"globex\"]": "update",
        "alicloud_kms_alias.tenant[\"initech\"]": "no-op",
        "alicloud_kms_key.tenant[\"acme\"]": "replace",
        "alicloud_kms_key.tenant[\"globex\"]": "replace",
        "alicloud_kms_key.tenant[\"initech\"]": "no-op",
    },
    "hsm-omitted-argument": {  # provider 1.245.0
        "alicloud_kms_key.hsm_master": "replace",
        "alicloud_kms_key.payments": "no-op",
        "alicloud_kms_key.reports": "no-op",
    },
    "hsm-to-software-explicit": {  # provider 1.242.0
        "alicloud_kms_key.pin_block": "no-op",
        "alicloud_kms_key.token_signing": "replace",
        "alicloud_kms_key.vault": "replace",
    },
    "key-1230-needs-instance-id": {  # provider 1.230.0
        "alicloud_kms_alias.checkout": "update",
        "alicloud_kms_key.checkout": "replace",
        "alicloud_kms_key.webhook_signing": "replace",
        "alicloud_kms_secret.db": "replace",
    },
    "key-1240-secrets-only": {  # provider 1.240.0
        "alicloud_kms_key.audit_logs": "no-op",
        "alicloud_kms_key.shared": "no-op",
        "alicloud_kms_secret.datadog_api_key": "replace",
        "alicloud_kms_secret.grafana_admin": "replace",
    },
    "lifecycle-ignore-all": {  # provider 1.230.0
        "alicloud_kms_key.app": "replace",
        "alicloud_kms_key.legacy_sso": "no-op",
        "alicloud_kms_secret.sso_client": "no-op",
    },
    "lifecycle-ignore-list": {  # provider 1.225.1
        "alicloud_kms_key.app": "replace",
        "alicloud_kms_key.billing": "replace",
        "alicloud_kms_secret.partner_api": "replace",
    },
    "module-called-twice": {  # provider 1.230.1
        "module.orders.alicloud_kms_alias.this": "update",
        "module.orders.alicloud_kms_key.this": "replace",
        "module.orders.alicloud_kms_secret.db": "replace",
        "module.payments.alicloud_kms_alias.this": "update",
        "module.payments.alicloud_kms_key.this": "replace",
        "module.payments.alicloud_kms_secret.db": "replace",
    },
    "multi-region-one-not-migrated": {  # provider 1.231.0
        "alicloud_kms_alias.cn_data": "update",
        "alicloud_kms_key.cn_data": "replace",
        "alicloud_kms_key.sea_data": "no-op",
        "alicloud_kms_secret.cn_session": "replace",
        "alicloud_kms_secret.sea_session": "no-op",
    },
    "provider-1170-no-instance-id": {  # provider 1.170.0
        "alicloud_kms_alias.app": "no-op",
        "alicloud_kms_key.app": "no-op",
        "alicloud_kms_key.audit": "replace",
        "alicloud_kms_secret.smtp": "no-op",
    },
    "registry-module": {  # provider 1.230.0
        "alicloud_kms_key.thumbnails": "replace",
        "module.kms.alicloud_kms_key.this[0]": "replace",
    },
    "rotation-after-migration": {  # provider 1.240.0
        "alicloud_kms_key.app": "update",
        "alicloud_kms_key.reports": "update",
        "alicloud_kms_secret.cache": "replace",
        "alicloud_kms_secret.db": "update",
    },
    "secret-encryption-key-drift": {  # provider 1.240.0
        "alicloud_kms_alias.secrets": "no-op",
        "alicloud_kms_key.secrets": "no-op",
        "alicloud_kms_secret.api": "replace",
        "alicloud_kms_secret.db": "replace",
        "alicloud_kms_secret.token": "replace",
    },
    "stale-literal-instance-id": {  # provider 1.244.0
        "alicloud_kms_key.invoices": "no-op",
        "alicloud_kms_key.orders": "replace",
        "alicloud_kms_secret.orders_db": "replace",
    },
    "tf-json-config": {  # provider 1.232.0
        "alicloud_kms_key.search_hsm": "replace",
        "alicloud_kms_key.search_index": "replace",
        "alicloud_kms_secret.search_es": "replace",
    },
}


def _golden_cases():
    return sorted(p.name for p in GOLDEN.iterdir() if (p / "input").is_dir()) if GOLDEN.is_dir() else []


def load_truth(case: Path) -> dict:
    for name in ("state.tfstate", "show.json"):
        if (case / name).is_file():
            return json.loads((case / name).read_text(encoding="utf-8"))
    raise FileNotFoundError(f"{case}: no state.tfstate or show.json")


def case_args(case: Path) -> list[str]:
    p = case / "args.txt"
    return [ln.strip() for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip()] if p.is_file() else []


@pytest.mark.parametrize("name", _golden_cases())
def test_golden_fix_input_before_patch(name):
    case = GOLDEN / name
    version = case_provider_version(case / "input", case_args(case))
    assert version, f"{name}: no provider version"
    plan = simulate_plan(case / "input", load_truth(case), version)
    assert not plan.errors, plan.errors
    assert plan.actions == BEFORE[name], plan.render()
    assert CANARY not in plan.render()


@pytest.mark.parametrize("name", _golden_cases())
def test_golden_fix_case_is_dangerous_unless_already_patched(name):
    actions = BEFORE[name]
    if name == "already-patched":
        assert set(actions.values()) == {"no-op"}
    else:
        assert "replace" in actions.values(), f"{name}: nothing would be replaced, the case proves nothing"


@pytest.mark.parametrize("name", _golden_cases())
def test_golden_fix_case_layout(name):
    case = GOLDEN / name
    assert (case / "NOTES.md").is_file() and (case / "args.txt").is_file()
    truth = load_truth(case)
    secrets = [a for a in plansim.read_state(truth).values() if a.type == "alicloud_kms_secret"]
    assert all(s.attrs.get("secret_data") == CANARY for s in secrets)


# ----------------------------------------------------------------------------- golden fix outputs, after patching
# When the lead has generated tests/golden/fix/<case>/expected/ (the patched tree), the simulated plan of
# that tree must be all no-op, except where a case documents that something needs a human (NOTES.md).

AFTER_EXCEPTIONS: dict[str, dict[str, str]] = {
    # registry module code under .terraform/ is never edited (TFKMS204): still replaced until a human acts
    "registry-module": {"module.kms.alicloud_kms_key.this[0]": "replace"},
}


def _expected_cases():
    return [n for n in _golden_cases() if (GOLDEN / n / "expected").is_dir()]


@pytest.mark.parametrize("name", _expected_cases())
def test_golden_fix_expected_tree_plans_no_op(name, tmp_path):
    import shutil

    case = GOLDEN / name
    tree = case / "expected"
    if (case / "input" / ".terraform").is_dir() and not (tree / ".terraform").is_dir():
        tree = tmp_path / "expected"
        shutil.copytree(case / "expected", tree)
        shutil.copytree(case / "input" / ".terraform", tree / ".terraform")
    version = case_provider_version(case / "input", case_args(case))
    plan = simulate_plan(tree, load_truth(case), version)
    assert not plan.errors, plan.errors
    want = {addr: AFTER_EXCEPTIONS.get(name, {}).get(addr, "no-op") for addr in BEFORE[name]}
    assert plan.actions == want, plan.render()


EXPRESSIONS = '''
variable "m" {
  default = { a = "kst-1", b = null }
}

variable "s" {
  type    = set(string)
  default = ["b", "a", "b"]
}

locals {
  literal   = { "a" = "kst-1", b = null }["a"]
  tuple_idx = ["kst-1", null][1]
  lookup    = lookup(var.m, "c", "dflt")
  cond      = length(var.s) == 2 ? "two" : "other"
  tmpl      = "${upper("x")}-${1 + 2}-$${literal}"
  heredoc   = <<-EOT
    {"k": "${local.literal}"}
  EOT
  forlist   = [for k, v in var.m : k if v != null]
  formap    = { for k in var.s : k => "${k}!" }
  splat     = [{ id = 1 }, { id = 2 }][*].id
  merged    = merge({ a = 1 }, { b = 2 }, null)
  tried     = try(var.m["zzz"], "fallback")
  math      = (10 - 4) / 2 * -1
  joined    = join(",", sort(keys(var.m)))
  fmt       = format("%s-%03d", "k", 7)
  data_ref  = data.alicloud_kms_keys.all.ids
}
'''


@pytest.mark.parametrize("name,value", [
    ("literal", "kst-1"), ("tuple_idx", None), ("lookup", "dflt"), ("cond", "two"),
    ("tmpl", "X-3-${literal}"), ("heredoc", '{"k": "kst-1"}\n'), ("forlist", ["a"]),
    ("formap", {"a": "a!", "b": "b!"}), ("splat", [1, 2]), ("merged", {"a": 1, "b": 2}),
    ("tried", "fallback"), ("math", -3), ("joined", "a,b"), ("fmt", "k-007"),
])
def test_expression_evaluation(tmp_path, name, value):
    root = write(tmp_path, {"main.tf": EXPRESSIONS})
    sim = plansim.Simulation(root, {"version": 4, "resources": []}, "1.240.0")
    assert plansim._materialize(sim.root_mod.local(name)) == value


def test_unevaluable_expression_is_unknown(tmp_path):
    root = write(tmp_path, {"main.tf": EXPRESSIONS})
    sim = plansim.Simulation(root, {"version": 4, "resources": []}, "1.240.0")
    assert isinstance(sim.root_mod.local("data_ref"), plansim.Unknown)
