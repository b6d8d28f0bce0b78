"""Override files (`override.tf`, `*_override.tf`, and `.tf.json`) merge into the blocks they name,
as Terraform does (https://developer.hashicorp.com/terraform/language/files/override): an argument an
override sets replaces the base's, `lifecycle` merges argument by argument, other nested blocks are
replaced per type; the resource is one resource, and tfkms knows which file sets each argument."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tfkms.config.evaluator import evaluate
from tfkms.config.loader import Loader
from tfkms.config.model import ModuleDir

BASE = '''\
variable "days" {
  default = 7
}

locals {
  app  = "base"
  team = "base"
}

provider "alicloud" {
  region = "cn-hangzhou"
}

module "kms" {
  source = "./kms"
  name   = "base"
}

resource "alicloud_kms_key" "app" {
  description = "base"
  key_spec    = "Aliyun_AES_256"

  lifecycle {
    ignore_changes        = [description]
    create_before_destroy = true
  }
}

resource "alicloud_kms_secret" "db" {
  secret_name = "app/db"
  version_id  = "v1"
}
'''


def _load(tmp_path: Path, files: dict[str, str]) -> ModuleDir:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return Loader(tmp_path).load(tmp_path)


def _value(module: ModuleDir, kind: str, name: str, attribute: str) -> object:
    by_kind: dict[str, dict[str, Any]] = {"resource": {r.name: r for r in module.resources},
                                          "module": dict(module.module_calls),
                                          "provider": {p.name: p for p in module.providers}}
    decl = by_kind[kind][name]
    attr = decl.attr(attribute)
    return evaluate(attr.expr) if attr is not None else None


def test_override_replaces_arguments_and_is_not_a_second_resource(tmp_path: Path) -> None:
    module = _load(tmp_path, {"main.tf": BASE, "main_override.tf": '''\
resource "alicloud_kms_secret" "db" {
  dkms_instance_id = "kst-wrong"
}

resource "alicloud_kms_key" "app" {
  description = "override"
}
'''})
    assert not module.problems and not module.config_errors
    assert sorted(r.config_name for r in module.resources) == ["alicloud_kms_key.app", "alicloud_kms_secret.db"]
    db = next(r for r in module.resources if r.name == "db")
    assert db.file.path.name == "main.tf"
    found = db.attr_source("dkms_instance_id")
    assert found is not None
    where, attr = found
    assert where.path.name == "main_override.tf" and evaluate(attr.expr) == "kst-wrong"
    assert db.attr_source("secret_name")[0].path.name == "main.tf"  # type: ignore[index]
    assert set(db.attributes) == {"secret_name", "version_id", "dkms_instance_id"}
    assert _value(module, "resource", "app", "description") == "override"
    assert _value(module, "resource", "app", "key_spec") == "Aliyun_AES_256"


def test_override_that_sets_nothing_relevant_leaves_the_base_in_charge(tmp_path: Path) -> None:
    override = 'resource "alicloud_kms_secret" "db" {\n  tags = {}\n}\n'
    module = _load(tmp_path, {"main.tf": BASE, "override.tf": override})
    (db,) = [r for r in module.resources if r.name == "db"]
    assert db.attr_source("dkms_instance_id") is None  # an insertion goes to the base block
    assert db.attr_source("version_id")[0].path.name == "main.tf"  # type: ignore[index]
    assert [s.path.name for s in db.override_files] == ["override.tf"]


def test_override_file_sorting_before_its_base_still_merges(tmp_path: Path) -> None:
    module = _load(tmp_path, {"z_main.tf": BASE, "a_override.tf": 'resource "alicloud_kms_key" "app" {\n'
                              '  description = "a"\n}\n', "b_override.tf.json": json.dumps(
                                  {"resource": {"alicloud_kms_key": {"app": {"description": "b"}}}})})
    assert [r.config_name for r in module.resources].count("alicloud_kms_key.app") == 1
    (app,) = [r for r in module.resources if r.name == "app"]
    assert [s.path.name for s in app.override_files] == ["a_override.tf", "b_override.tf.json"]
    assert evaluate(app.attr("description").expr) == "b"  # type: ignore[union-attr]  # the later file wins
    assert app.attr_source("description")[0].syntax == "json"  # type: ignore[index]


def test_lifecycle_merges_argument_by_argument(tmp_path: Path) -> None:
    module = _load(tmp_path, {"main.tf": BASE, "main_override.tf": '''\
resource "alicloud_kms_key" "app" {
  lifecycle {
    ignore_changes = [tags]
  }
}

resource "alicloud_kms_secret" "db" {
  lifecycle {
    prevent_destroy = false
  }
}
'''})
    app = next(r for r in module.resources if r.name == "app")
    where, block, attr = app.lifecycle_source("ignore_changes")  # type: ignore[misc]
    assert where.path.name == "main_override.tf" and attr.expr.text.strip() == "[tags]"
    assert app.lifecycle_target("ignore_changes") == (where, block)
    kept = app.lifecycle_source("create_before_destroy")  # not set by the override: the base's stays
    assert kept is not None and kept[0].path.name == "main.tf"
    db = next(r for r in module.resources if r.name == "db")
    assert db.lifecycle_source("ignore_changes") is None
    assert db.lifecycle_target("ignore_changes") == (db.file, db.block)  # a new one goes to the base


def test_ignored_attributes_sees_the_override_lifecycle(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from tfkms.analysis.fix_needs import ignored_attributes

    module = _load(tmp_path, {"main.tf": BASE, "main_override.tf": 'resource "alicloud_kms_key" "app" {\n'
                              '  lifecycle {\n    ignore_changes = [dkms_instance_id]\n  }\n}\n'})
    app = next(r for r in module.resources if r.name == "app")
    assert ignored_attributes(SimpleNamespace(resource=app)) == ({"dkms_instance_id"}, False)  # type: ignore[arg-type]


def test_locals_variables_modules_providers_merge(tmp_path: Path) -> None:
    module = _load(tmp_path, {"a_override.tf": '''\
locals {
  app = "override"
}

variable "days" {
  default = 30
}

module "kms" {
  name = "override"
}

provider "alicloud" {
  region = "cn-shanghai"
}
''', "main.tf": BASE})
    assert not module.config_errors
    assert evaluate(module.locals["app"]) == "override" and evaluate(module.locals["team"]) == "base"
    days = module.variables["days"]
    assert days.default is not None and evaluate(days.default) == 30
    assert days.attr("default") is None  # a value site in the base file would be the wrong file
    assert _value(module, "module", "kms", "name") == "override"
    assert _value(module, "module", "kms", "source") == "./kms"
    assert set(module.module_calls["kms"].arguments) == {"name"}
    assert len(module.providers) == 1 and _value(module, "provider", "alicloud", "region") == "cn-shanghai"


def test_a_duplicate_outside_override_files_is_still_an_error(tmp_path: Path) -> None:
    module = _load(tmp_path, {"main.tf": BASE, "other.tf": 'resource "alicloud_kms_key" "app" {}\n'})
    assert module.config_errors
