"""The config layer: spans, evaluation, modules, providers, versions."""
from __future__ import annotations

from pathlib import Path

import pytest

from tfkms.config.evaluator import evaluate
from tfkms.config.files import parse_source
from tfkms.config.scan import build_project
from tfkms.config.scope import Scope
from tfkms.config.traversal import references
from tfkms.config.values import UNKNOWN, Unknown
from tfkms.errors import InputFileError
from tfkms.knowledge.matrix import is_mainland, migratable_targets
from tfkms.knowledge.versions import ProviderVersion, lowest_admitted


def _locals(text: str) -> dict:
    source = parse_source(Path("x.tf"), "x.tf", text)
    return {k: v.expr for k, v in source.blocks[0].attributes.items()}


def test_spans_are_exact_in_crlf_and_non_ascii_files() -> None:
    text = '# 中文注释\r\nresource "alicloud_kms_key" "k" {\r\n  description = "密钥"\r\n}\r\n'
    source = parse_source(Path("k.tf"), "k.tf", text)
    block = source.blocks[0]
    attr = block.attributes["description"]
    assert text[attr.start:attr.end] == 'description = "密钥"'
    assert text[block.open_brace] == "{" and text[block.close_brace] == "}"
    assert (block.line, attr.line) == (2, 3)


def test_expression_span_excludes_trailing_comment_and_newlines() -> None:
    text = 'locals {\n  a = x == y # note\n  b = 1 +\n    2\n}\n'
    exprs = _locals(text)
    assert exprs["a"].text == "x == y" and exprs["b"].text == "1 +\n    2"


def test_heredoc_span_stops_at_the_marker() -> None:
    text = 'locals {\n  p = <<EOT\n{ "a": "}" }\nEOT\n  q = 1\n}\n'
    expr = _locals(text)["p"]
    assert expr.text.endswith("EOT") and expr.end_line == 4


@pytest.mark.parametrize("text,where", [
    ('resource "a" "b" {\n  x = "unterminated\n}\n', "x.tf:2: unterminated string"),
    ('locals {\n  a = 1 +\n}\n', "x.tf:3"),
    ('resource "a" "b" {\n  x = <<EOT\nno end\n', "x.tf:2: unterminated heredoc"),
])
def test_syntax_errors_name_file_and_line(text: str, where: str) -> None:
    with pytest.raises(InputFileError) as exc:
        parse_source(Path("x.tf"), "x.tf", text)
    assert str(exc.value).startswith(where)
    assert exc.value.problem.line is not None


def test_invalid_utf8_and_binary_are_named(tmp_path: Path) -> None:
    from tfkms.config.files import load_source

    bad = tmp_path / "bad.tf"
    bad.write_bytes(b'locals {\n  a = "\xff"\n}\n')
    with pytest.raises(InputFileError, match="bad.tf:2:8: not valid UTF-8"):
        load_source(bad, "bad.tf")
    binary = tmp_path / "bin.tf"
    binary.write_bytes(b"\x00\x01\x02")
    with pytest.raises(InputFileError, match="binary"):
        load_source(binary, "bin.tf")


def test_evaluator_knows_only_what_is_certain() -> None:
    exprs = _locals('''locals {
  name  = "key-${var.env}"
  level = var.env == "prod" ? "HSM" : "SOFTWARE"
  pick  = {"a" = "kst-1", b = null}[each.key]
  nth   = ["kst-1", null][count.index]
  ref   = alicloud_kms_key.k.id
  loop  = [for x in var.l : x]
  fn    = lookup(var.m, "z", "fallback")
  set   = toset(["b", "a", "b"])
  lone  = "${var.l}"
}
''')
    scope = Scope(variables={"env": "prod", "l": [1, 2], "m": {}}, local_exprs=exprs)
    assert evaluate(exprs["name"], scope) == "key-prod"
    assert evaluate(exprs["level"], scope) == "HSM"
    assert evaluate(exprs["pick"], scope.with_each("a", "a")) == "kst-1"
    assert evaluate(exprs["nth"], scope.with_count(1)) is None
    ref = evaluate(exprs["ref"], scope)
    assert isinstance(ref, Unknown) and ref.refs == {"alicloud_kms_key.k"}
    assert evaluate(exprs["loop"], scope) == [1, 2]
    assert evaluate(exprs["loop"], Scope(local_exprs=exprs)) == UNKNOWN  # over an unknown collection
    assert evaluate(exprs["fn"], scope) == "fallback"
    assert evaluate(exprs["set"], scope) == ["a", "b"]
    assert evaluate(exprs["lone"], scope) == [1, 2]
    assert evaluate(exprs["name"], Scope(local_exprs=exprs)) == UNKNOWN  # unset variable
    assert references(exprs["fn"]) == ["var.m"]


def test_for_expressions() -> None:
    exprs = _locals('''locals {
  gold    = toset([for name, t in var.tenants : name if t.tier == "gold"])
  by_tier = {for name, t in var.tenants : t.tier => name...}
  upper   = {for name in keys(var.tenants) : name => upper(name)}
  dup     = {for name, t in var.tenants : t.tier => name}
}
''')
    scope = Scope(variables={"tenants": {"acme": {"tier": "gold"}, "globex": {"tier": "silver"},
                                         "umbrella": {"tier": "gold"}}}, local_exprs=exprs)
    assert evaluate(exprs["gold"], scope) == ["acme", "umbrella"]
    assert evaluate(exprs["by_tier"], scope) == {"gold": ["acme", "umbrella"], "silver": ["globex"]}
    assert evaluate(exprs["upper"], scope) == {"acme": "ACME", "globex": "GLOBEX", "umbrella": "UMBRELLA"}
    assert evaluate(exprs["dup"], scope) == UNKNOWN  # duplicate keys without "..." are an error in Terraform


def test_json_templates_evaluate_like_hcl() -> None:
    text = '{"locals": {"a": "${var.x}-k", "b": "$${literal}", "c": 3}}'
    source = parse_source(Path("x.tf.json"), "x.tf.json", text)
    attrs = source.blocks[0].attributes
    scope = Scope(variables={"x": "v"})
    assert evaluate(attrs["a"].expr, scope) == "v-k"
    assert evaluate(attrs["b"].expr, scope) == "${literal}"
    assert evaluate(attrs["c"].expr, scope) == 3


def test_modules_regions_and_versions(tmp_path: Path) -> None:
    (tmp_path / "modules" / "kms").mkdir(parents=True)
    (tmp_path / "live").mkdir()
    (tmp_path / "modules" / "kms" / "main.tf").write_text(
        'variable "hsm" {\n  default = false\n}\nresource "alicloud_kms_key" "this" {\n'
        '  protection_level = var.hsm ? "HSM" : "SOFTWARE"\n}\n')
    (tmp_path / "live" / "main.tf").write_text('''
terraform {
  required_providers {
    alicloud = { source = "aliyun/alicloud", version = ">= 1.230.0, < 2.0.0" }
  }
}
provider "alicloud" { region = var.region }
provider "alicloud" {
  alias  = "sg"
  region = "ap-southeast-1"
}
variable "region" {}
module "kms" {
  source    = "../modules/kms"
  for_each  = toset(["a", "b"])
  hsm       = each.key == "a"
  providers = { alicloud = alicloud.sg }
}
resource "alicloud_kms_key" "k" {
  count = 2
}
''')
    (tmp_path / "live" / "terraform.tfvars").write_text('region = "cn-shanghai"\n')
    project = build_project([tmp_path], [])
    assert [r.display for r in project.roots] == ["live"]  # modules/kms is called: not a root
    root = project.roots[0]
    assert str(root.provider_version) == "1.230.0" and root.version_origin == "constraint"
    got = {i.address: (i.region, i.value("protection_level")) for i in root.resource_instances()}
    assert got == {
        "alicloud_kms_key.k[0]": ("cn-shanghai", None),
        "alicloud_kms_key.k[1]": ("cn-shanghai", None),
        'module.kms["a"].alicloud_kms_key.this': ("ap-southeast-1", "HSM"),
        'module.kms["b"].alicloud_kms_key.this': ("ap-southeast-1", "SOFTWARE"),
    }


def test_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    (tmp_path / "good.tf").write_text('resource "alicloud_kms_key" "k" {}\n')
    (tmp_path / "bad.tf").write_text('resource "alicloud_kms_key" "b" {\n')
    project = build_project([tmp_path], [])
    assert [p.file for p in project.problems] == ["bad.tf"]
    assert [i.address for i in project.roots[0].resource_instances()] == ["alicloud_kms_key.k"]


@pytest.mark.parametrize("constraints,lowest", [
    ([">= 1.200.0"], "1.200.0"), (["~> 1.230"], "1.230.0"), (["~> 1.230.0", "!= 1.230.0"], "1.230.1"),
    (["1.170.0"], "1.170.0"), ([">1.2.3, <2"], "1.2.4"), ([">= 2.0", "< 1.0"], None), ([], None),
])
def test_lowest_admitted_version(constraints: list[str], lowest: str | None) -> None:
    found = lowest_admitted(constraints)
    assert (str(found) if found else None) == lowest


def test_versions_order() -> None:
    assert ProviderVersion.parse("1.235.0") > ProviderVersion.parse("1.234.9")
    assert ProviderVersion.parse("v1.183") == ProviderVersion(1, 183, 0)


@pytest.mark.parametrize("level,spec,multi,targets", [
    ("SOFTWARE", "Aliyun_AES_256", False, {"software", "hardware"}),
    ("SOFTWARE", "Aliyun_AES_256", True, {"software", "hardware"}),
    ("SOFTWARE", "RSA_2048", False, {"software"}),
    ("SOFTWARE", "EC_P256K", False, {"software"}),
    ("SOFTWARE", "Aliyun_SM4", False, set()),
    ("SOFTWARE", "RSA_3072", False, set()),
    ("HSM", "Aliyun_SM4", True, {"hardware"}),
    ("HSM", "EC_SM2", False, {"hardware"}),
    ("HSM", "RSA_3072", False, {"software", "hardware"}),
    ("HSM", "RSA_2048", True, set()),
])
def test_migration_matrix(level: str, spec: str, multi: bool, targets: set[str]) -> None:
    assert migratable_targets(level, spec, multi) == targets


def test_mainland() -> None:
    assert is_mainland("cn-hangzhou") and not is_mainland("cn-hongkong") and not is_mainland("ap-southeast-1")
