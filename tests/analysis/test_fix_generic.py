"""`tfkms fix` for types beyond keys and secrets (tfkms.analysis.fix_generic), decided from the
schema by provider version (tfkms.knowledge.forcenew) and the state, judged by real Terraform."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import CANARY
from standin import Terraform
from standin.schema import DATA, _attr, parse_version
from standin.states import INSTANCE, state

from tfkms.analysis.fix import fix_project
from tfkms.analysis.fix_generic import generic_needs, is_empty
from tfkms.analysis.fix_strategy import FixOptions
from tfkms.analysis.join import Truth
from tfkms.analysis.result import Result
from tfkms.config.scan import build_project
from tfkms.knowledge import forcenew
from tfkms.knowledge.forcenew import FORCE_NEW, ForceNewSpan, force_new_attributes, history
from tfkms.knowledge.versions import ProviderVersion
from tfkms.truth.state import StateFile, StateInstance, load_state

OOS = "alicloud_oos_secret_parameter"
LOCK = '''provider "registry.terraform.io/aliyun/alicloud" {{
  version     = "{version}"
  constraints = ">= 1.200.0"
}}
'''
MAIN = '''provider "alicloud" {
  region = "cn-hangzhou"
}

variable "token" {
  type      = string
  sensitive = true
}

resource "alicloud_oos_secret_parameter" "token" {
  secret_parameter_name = "ci/token"
  value                 = var.token
  type                  = "Secret"
  key_id                = "key-hzz62f1cb66fa42qo3x9a"
LIFECYCLE}
'''


def derive_table() -> list[tuple[str, str, str, str | None, bool, bool, Any]]:
    """The rows of tfkms/knowledge/forcenew.py, from the stand-in's schema data (flags + history):
    per attribute, the version spans in which it is ForceNew and not Computed."""
    data = json.loads(DATA.read_text())
    rows = []
    for rtype, spec in sorted(data["resources"].items()):
        if not (rtype.startswith("alicloud_kms_") or rtype == OOS):
            continue
        for name, a in sorted(spec["attributes"].items()):
            if "." in name:  # nested-block attributes
                continue
            points = sorted({a["since"], *(v for v, _ in a.get("history", [])), *([a["removed"]] if "removed" in a
                                                                                  else [])}, key=parse_version)
            spans: list[list[Any]] = []
            for i, point in enumerate(points):
                attr = _attr(name, a, parse_version(point))
                if attr is None or not attr.force_new or attr.computed:
                    continue
                following = points[i + 1] if i + 1 < len(points) else None
                previous = _attr(name, a, parse_version(spans[-1][0])) if spans else None
                if previous is not None and spans[-1][1] == point and previous.default == attr.default:
                    spans[-1][1] = following
                else:
                    spans.append([point, following])
            for since, until in spans:
                attr = _attr(name, a, parse_version(since))
                rows.append((rtype, name, since, until, attr.required, attr.sensitive, attr.default))
    return rows


def test_the_committed_table_is_the_one_the_schema_data_gives() -> None:
    assert list(forcenew._ROWS) == derive_table()


def test_oos_secret_parameter_history() -> None:
    (dkms,) = history(OOS, "dkms_instance_id")
    assert (dkms.since, dkms.until, dkms.sensitive) == (ProviderVersion(1, 241, 0), None, False)
    (key,) = history(OOS, "key_id")
    assert (key.since, key.until) == (ProviderVersion(1, 147, 0), None)
    names = lambda v: {s.attribute for s in force_new_attributes(OOS, ProviderVersion.parse(v))}  # noqa: E731
    assert names("1.240.0") == {"key_id", "secret_parameter_name"}
    assert names("1.241.0") == names("2.0.0") == {"dkms_instance_id", "key_id", "secret_parameter_name"}
    assert OOS in forcenew.PROTECTED_TYPES
    assert not [s for s in FORCE_NEW if s.type == OOS and s.attribute == "value"]  # Sensitive, not ForceNew


def test_key_history_matches_the_specialised_rules() -> None:
    (dkms,) = history("alicloud_kms_key", "dkms_instance_id")
    assert (str(dkms.since), str(dkms.until)) == ("1.183.0", "1.235.0")
    (secret,) = history("alicloud_kms_secret", "dkms_instance_id")
    assert (str(secret.since), secret.until) == ("1.183.0", None)


@pytest.mark.parametrize("value", [None, "", [], {}])
def test_empty_values_are_what_nobody_set(value: Any) -> None:
    assert is_empty(value)
    assert not is_empty("kst-x") and not is_empty(False) and not is_empty(0)


def _root(tmp_path: Path, version: str, lifecycle: str = "", **state_over: Any) -> tuple[Path, Path]:
    work = tmp_path / "oos"
    work.mkdir(parents=True)
    (work / ".terraform.lock.hcl").write_text(LOCK.format(version=version))
    (work / "main.tf").write_text(MAIN.replace("LIFECYCLE", lifecycle))
    attrs = {"id": "ci/token", "secret_parameter_name": "ci/token", "value": CANARY, "type": "Secret",
             "key_id": "key-hzz62f1cb66fa42qo3x9a", "description": "", "constraints": "",
             "resource_group_id": "rg-acfm2pz25js4xyz", "tags": {}, **state_over}
    truth = work.parent / "terraform.tfstate"
    truth.write_text(json.dumps(state((f"{OOS}.token", [(None, attrs)]))))
    return work, truth


def _fix(work: Path, truth: Path, strategy: str = "auto") -> Result:
    project = build_project([work], [], workers=1)
    loaded = load_state(truth, truth.name)
    return fix_project(project, Truth(states={r.display: loaded for r in project.roots}), FixOptions(strategy=strategy))


def _patched(result: Result) -> str:
    (patch,) = result.patches
    return patch.patched


def test_a_directory_with_only_an_oos_parameter_is_scanned_and_protected(tmp_path: Path,
                                                                         terraform: Terraform) -> None:
    work, truth = _root(tmp_path, "1.245.0", dkms_instance_id=INSTANCE,
                        create_time="2025-10-14T08:12:31Z")
    before = terraform.plan(work, truth, var_files=[_tfvars(tmp_path)])
    assert [c.address for c in before.destroyed_kms()] == [f"{OOS}.token"], before.describe()
    result = _fix(work, truth)
    assert [(f.rule, f.address, f.strategy) for f in result.findings] == [("TFKMS209", f"{OOS}.token", "instance-id")]
    patched = _patched(result)
    assert f'  dkms_instance_id      = "{INSTANCE}"\n' in patched
    assert CANARY not in patched and CANARY not in json.dumps([f.message for f in result.findings])
    (work / "main.tf").write_text(patched)
    after = terraform.plan(work, truth, var_files=[_tfvars(tmp_path)])
    assert after.ok and not after.destroyed_kms(), after.describe()


def test_provider_1240_has_no_dkms_instance_id_on_oos_nothing_is_written(tmp_path: Path,
                                                                       terraform: Terraform) -> None:
    work, truth = _root(tmp_path, "1.240.0")
    plan = terraform.plan(work, truth, var_files=[_tfvars(tmp_path)])
    assert plan.ok and not plan.errors and not plan.destroyed_kms(), plan.describe()
    assert _fix(work, truth).findings == [] and not _fix(work, truth).patches
    # Even a state that holds the attribute (written by a newer provider) asks for nothing on
    # 1.240.0: the argument does not exist there, and Terraform would reject it.
    work2, truth2 = _root(tmp_path / "newer-state", "1.240.0", dkms_instance_id=INSTANCE)
    assert [f.rule for f in _fix(work2, truth2).findings] == []


def test_ignore_changes_list_is_extended_in_place(tmp_path: Path) -> None:
    work, truth = _root(tmp_path, "1.245.0", "\n  lifecycle {\n    ignore_changes = [tags]\n  }\n",
                        dkms_instance_id=INSTANCE)
    patched = _patched(_fix(work, truth, "ignore-changes"))
    assert "    ignore_changes = [tags, dkms_instance_id]\n" in patched
    assert patched.count("lifecycle {") == 1


def test_an_ignored_attribute_needs_nothing(tmp_path: Path) -> None:
    work, truth = _root(tmp_path, "1.245.0", "\n  lifecycle {\n    ignore_changes = [dkms_instance_id]\n  }\n",
                        dkms_instance_id=INSTANCE)
    result = _fix(work, truth)
    assert result.findings == [] and not result.patches


def test_a_sensitive_force_new_attribute_is_never_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Even when the schema said a Sensitive attribute were ForceNew and the state held it."""
    work, truth = _root(tmp_path, "1.245.0")
    project = build_project([work], [], workers=1)
    root = project.roots[0]
    (inst,) = list(root.resource_instances(protected=True))
    spans = (ForceNewSpan(OOS, "description", ProviderVersion(1, 147, 0), None, sensitive=True),
             ForceNewSpan(OOS, "constraints", ProviderVersion(1, 147, 0), None))
    monkeypatch.setattr("tfkms.analysis.fix_generic.force_new_attributes", lambda t, v: spans)
    held = StateFile(Path("s"), "s", {inst.address: StateInstance(inst.address, OOS, "managed",
                                                                  {"description": "planted", "constraints": "{}"})})
    (needs,) = generic_needs([inst], Truth(states={root.display: held}))
    assert [n.attribute for n in needs.needs] == ["constraints"]
    assert "planted" not in json.dumps([n.message for n in needs.needs])


def test_the_state_reader_never_keeps_the_parameter_value(tmp_path: Path) -> None:
    _, truth = _root(tmp_path, "1.245.0", dkms_instance_id=INSTANCE)
    loaded = load_state(truth, truth.name)
    attrs = loaded.instances[f"{OOS}.token"].attributes
    assert "value" not in attrs and CANARY not in json.dumps(attrs)
    assert attrs["dkms_instance_id"] == INSTANCE and attrs["key_id"] == "key-hzz62f1cb66fa42qo3x9a"


def test_unknown_provider_version_decides_nothing(tmp_path: Path) -> None:
    work, truth = _root(tmp_path, "1.245.0", dkms_instance_id=INSTANCE)
    (work / ".terraform.lock.hcl").unlink()
    assert [f.rule for f in _fix(work, truth).findings if f.rule == "TFKMS209"] == []


def _tfvars(tmp_path: Path) -> Path:
    path = tmp_path / "plan.tfvars"
    path.write_text(f'token = "{CANARY}"\n')
    return path
