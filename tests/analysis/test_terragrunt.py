"""Terragrunt units (tfkms/config/terragrunt.py, tfkms/analysis/fix_units.py): each unit is a root
whose configuration is the module its `terraform.source` names, whose variables are its merged
`inputs`, whose state is `--state UNIT=FILE`. The judge is real Terraform (tests/standin) planning
the module with each unit's inputs as terraform.tfvars.json (what Terragrunt passes as TF_VAR_) and
that unit's state.

The tree (built per test, `_build`): root.hcl (remote_state, a `generate "provider"` block, inputs),
modules/kms (a key and a secret, no dkms_instance_id), live/prod/kms and live/staging/kms running
`../../../modules//kms`, and a .terragrunt-cache copy with KMS resources inside prod. Provider
1.230.0 (the units' lock files): both the key and the secret replace when dkms_instance_id is
missing once migrated.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import CANARY
from standin import Terraform
from typer.testing import CliRunner

from tfkms.cli import app

PROD_INSTANCE = "kst-hzzrg6y517c6x7ezlyl4n"

# The tree's files (tests/golden/fix/terragrunt-units/tree: no input/, so not a golden case of its own).
TREE = Path(__file__).resolve().parents[1] / "golden" / "fix" / "terragrunt-units" / "tree"
ROOT_HCL = (TREE / "root.hcl").read_text()
MODULE_TF = (TREE / "main.tf").read_text()
UNIT_HCL = (TREE / "unit.hcl").read_text()  # NAME and SECRET are filled in per unit
LOCK = (TREE / "lock.hcl").read_text()
CACHED_TF = (TREE / "cached.tf").read_text()


def unit_hcl(name: str, inputs: str | None = None) -> str:
    text = UNIT_HCL.replace("NAME", name).replace("SECRET", CANARY)
    if inputs is not None:
        text = text[:text.index("inputs = {")] + inputs
    return text


def _build(top: Path, units: dict[str, str] | None = None) -> Path:
    (top / "modules" / "kms").mkdir(parents=True)
    (top / "root.hcl").write_text(ROOT_HCL)
    (top / "modules" / "kms" / "main.tf").write_text(MODULE_TF)
    for folder, text in (units or {"live/prod/kms": unit_hcl("prod"),
                                   "live/staging/kms": unit_hcl("staging")}).items():
        (top / folder).mkdir(parents=True)
        (top / folder / "terragrunt.hcl").write_text(text)
        (top / folder / ".terraform.lock.hcl").write_text(LOCK)
    if (top / "live" / "prod" / "kms").is_dir():  # what `terragrunt plan` leaves: never read, never written
        cache = top / "live" / "prod" / "kms" / ".terragrunt-cache" / "x1" / "y2" / "kms"
        cache.mkdir(parents=True)
        (cache / "main.tf").write_text(CACHED_TF)
        (cache / "provider.tf").write_text('provider "alicloud" {\n  region = "cn-hangzhou"\n}\n')
        (cache / "terragrunt.hcl").write_text(unit_hcl("prod"))  # Terragrunt copies the unit's file too
    return top


def _state(name: str, instance: str | None) -> dict[str, Any]:
    """A unit's state (tree/state.json): its key and secret, migrated into `instance` (None: not migrated)."""
    text = (TREE / "state.json").read_text().replace("NAME", name).replace("INSTANCE", instance or "")
    return dict(json.loads(text))


def _states(top: Path, staging: str | None = None) -> list[str]:
    (top / "prod.tfstate").write_text(json.dumps(_state("prod", PROD_INSTANCE)))
    (top / "staging.tfstate").write_text(json.dumps(_state("staging", staging)))
    return ["--state", "live/prod/kms=prod.tfstate", "--state", "live/staging/kms=staging.tfstate"]


def _tree(top: Path) -> dict[str, bytes]:
    return {p.relative_to(top).as_posix(): p.read_bytes() for p in sorted(top.rglob("*")) if p.is_file()}


def _cli(top: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(top)  # ROOT of --state is the unit folder as printed, relative to here
    result = CliRunner().invoke(app, list(args))
    assert CANARY not in result.output
    return result.exit_code, result.output


def _hcl_inputs(path: Path) -> dict[str, Any]:
    """A file's `inputs`, read with python-hcl2 directly (not tfkms): literal strings come back quoted."""
    import hcl2

    raw = hcl2.loads(path.read_text()).get("inputs", {})
    return {k: json.loads(v) if isinstance(v, str) and v.startswith('"') else v for k, v in raw.items()}


def _unit_plan_dir(top: Path, unit: str, into: Path) -> Path:
    """What Terragrunt runs for `unit`: a copy of its module, the generated provider.tf, and the
    merged inputs (root.hcl's, the unit's winning) as terraform.tfvars.json."""
    work = shutil.copytree(top / "modules" / "kms", into)
    (work / "provider.tf").write_text('provider "alicloud" {\n  region = "cn-hangzhou"\n}\n')
    inputs = {**_hcl_inputs(top / "root.hcl"), **_hcl_inputs(top / unit / "terragrunt.hcl")}
    (work / "terraform.tfvars.json").write_text(json.dumps(inputs))
    return work


def _plan_units(terraform: Terraform, top: Path, scratch: Path, tag: str) -> dict[str, Any]:
    units = {"live/prod/kms": top / "prod.tfstate", "live/staging/kms": top / "staging.tfstate"}
    jobs = [{"config_dir": _unit_plan_dir(top, unit, scratch / f"{tag}-{unit.split('/')[1]}"), "state": state,
             "provider_version": "1.230.0"} for unit, state in units.items()]
    return dict(zip(units, terraform.plan_many(jobs), strict=True))


def test_fix_a_tree_of_units_plans_no_kms_destroy_for_any_unit(tmp_path: Path, terraform: Terraform,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    top = _build(tmp_path / "repo")
    states = _states(top)
    before = _tree(top)
    planned = _plan_units(terraform, top, tmp_path, "before")
    assert {c.address for c in planned["live/prod/kms"].destroyed_kms()} == {
        "alicloud_kms_key.this", "alicloud_kms_secret.this"}, planned["live/prod/kms"].describe()
    assert planned["live/staging/kms"].ok and not planned["live/staging/kms"].destroyed_kms()

    code, report = _cli(top, monkeypatch, "fix", "live", *states, "--format", "json")
    assert code == 2
    data = json.loads(report)
    assert _tree(top) == before, "a preview must not write"
    roots = {f.get("root") for f in data["findings"]}
    assert {"live/prod/kms", "live/staging/kms"} <= roots
    shared = [f for f in data["findings"] if f["rule"] == "TFKMS211"]
    assert len(shared) == 1 and shared[0]["file"] == "modules/kms/main.tf"
    assert "live/prod/kms, live/staging/kms" in shared[0]["message"]
    fixed = [f for f in data["findings"] if f["rule"] == "TFKMS200"]
    assert {(f["root"], f["address"]) for f in fixed} == {("live/prod/kms", "alicloud_kms_key.this"),
                                                          ("live/prod/kms", "alicloud_kms_secret.this")}
    assert all(f["file"] == "modules/kms/main.tf" for f in fixed)
    written = {e["file"] for f in data["findings"] for e in f.get("edits", [])}
    assert written == {"modules/kms/main.tf", "live/prod/kms/terragrunt.hcl"}

    _, diff = _cli(top, monkeypatch, "fix", "live", *states)  # the diff's context masks the input fed to secret_data
    assert "+  dkms_instance_id = " in diff and "db_password = \"(redacted by tfkms)\"" in diff
    code, out = _cli(top, monkeypatch, "fix", "live", *states, "--write")
    after = _tree(top)
    changed = {name for name in after if after[name] != before[name]}
    assert changed == {"modules/kms/main.tf", "live/prod/kms/terragrunt.hcl"}, out  # never root.hcl, the cache
    assert 'dkms_instance_id = "kst-hzzrg6y517c6x7ezlyl4n"' in after["live/prod/kms/terragrunt.hcl"].decode()
    module = after["modules/kms/main.tf"].decode()
    assert module.count("dkms_instance_id = var.dkms_instance_id") == 2 and module.count('variable "dkms') == 1
    assert "default     = null" in module

    planned = _plan_units(terraform, top, tmp_path, "after")
    for unit, plan in planned.items():
        assert plan.ok and not plan.errors and not plan.destroyed_kms(), f"{unit}\n{plan.describe()}"
    for name in ("modules/kms/main.tf", "live/prod/kms/terragrunt.hcl"):  # fmt-clean before: fmt-clean after
        original = tmp_path / ("original-" + name.replace("/", "-"))
        original.write_bytes(before[name])
        assert terraform.fmt_clean(original) and terraform.fmt_clean(top / name), terraform.fmt_diff(top / name)

    code_again, out_again = _cli(top, monkeypatch, "fix", "live", *states, "--write")
    assert _tree(top) == after and "file(s) to change" not in out_again.replace("0 file(s) to change", "")


def _fix_json(top: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> dict[str, Any]:
    code, report = _cli(top, monkeypatch, "fix", *args, "--format", "json")
    assert code in (0, 2), report
    return json.loads(report)


@pytest.mark.parametrize("source", [
    "git::https://example.com/org/modules.git//kms?ref=v1.2.0",
    "tfr://registry.terraform.io/org/kms/alicloud?version=1.0.0",
    "github.com/org/modules//kms",
    "org/kms/alicloud",
    "s3::https://s3.amazonaws.com/bucket/kms.zip",
])
def test_a_unit_running_a_remote_module_is_tfkms204_and_nothing_is_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str) -> None:
    remote = unit_hcl("prod").replace("../../../modules//kms", source)
    top = _build(tmp_path, {"live/prod/kms": remote, "live/staging/kms": unit_hcl("staging")})
    _states(top)
    before = _tree(top)
    data = _fix_json(top, monkeypatch, "live", "--state", "live/staging/kms=staging.tfstate", "--write")
    refused = [f for f in data["findings"] if f["rule"] == "TFKMS204" and f.get("root") == "live/prod/kms"]
    assert len(refused) == 1 and source in refused[0]["message"] and "never edits" in refused[0]["message"]
    assert refused[0]["file"] == "live/prod/kms/terragrunt.hcl" and refused[0]["line"] == 6
    assert _tree(top) == before


def test_a_source_tfkms_cannot_evaluate_is_tfkms204(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    unknown = unit_hcl("prod").replace('"../../../modules//kms"', 'local.module_source')
    top = _build(tmp_path, {"live/prod/kms": unknown, "live/staging/kms": unit_hcl("staging")})
    _states(top)
    _, report = _cli(top, monkeypatch, "check", "live", "--format", "json")
    checked = json.loads(report)
    assert {r["root"] for r in checked["resources"]} == {"live/staging/kms"}
    assert [(f["rule"], f["root"]) for f in checked["findings"] if f["rule"] == "TFKMS204"] == [
        ("TFKMS204", "live/prod/kms")]  # check says so too: the unit is not silently skipped
    data = _fix_json(top, monkeypatch, "live", "--state", "live/staging/kms=staging.tfstate")
    assert [(f["root"], f["file"]) for f in data["findings"] if f["rule"] == "TFKMS204"
            and "cannot tell which module this unit runs" in f["message"]] == [
        ("live/prod/kms", "live/prod/kms/terragrunt.hcl")]


def test_sources_supported_functions_resolve_the_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`${get_parent_terragrunt_dir()}/modules//${...}` set in root.hcl, evaluated in the unit's context."""
    top = _build(tmp_path, {"live/prod/kms": unit_hcl("prod").replace(
        'terraform {\n  source = "../../../modules//kms"\n}\n', "")})
    with (top / "root.hcl").open("a") as root:
        root.write('\nterraform {\n  source = "${get_parent_terragrunt_dir()}/modules//kms"\n}\n')
    _, report = _cli(top, monkeypatch, "check", "live", "--format", "json")
    assert {(r["root"], r["address"]) for r in json.loads(report)["resources"]} == {
        ("live/prod/kms", "alicloud_kms_key.this"), ("live/prod/kms", "alicloud_kms_secret.this")}


def test_check_lists_the_units_as_roots_never_the_module_nor_the_cache(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    top = _build(tmp_path)
    for path in (".", "live"):  # `.` also covers modules/kms: it is the units' configuration, not a root
        _, report = _cli(top, monkeypatch, "check", path, "--format", "json")
        resources = json.loads(report)["resources"]
        assert sorted((r["root"], r["address"]) for r in resources) == [
            ("live/prod/kms", "alicloud_kms_key.this"), ("live/prod/kms", "alicloud_kms_secret.this"),
            ("live/staging/kms", "alicloud_kms_key.this"), ("live/staging/kms", "alicloud_kms_secret.this")]
    _, report = _cli(top, monkeypatch, "check", "live/prod/kms", "--format", "json")
    assert {r["root"] for r in json.loads(report)["resources"]} == {"live/prod/kms"}


@pytest.mark.parametrize("terraform_block", ["", 'terraform {\n  source = "."\n}\n'])
def test_a_unit_running_its_own_folder_is_one_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   terraform_block: str) -> None:
    own = unit_hcl("prod").replace('terraform {\n  source = "../../../modules//kms"\n}\n', terraform_block)
    top = _build(tmp_path, {"live/prod/kms": own})
    shutil.copy(top / "modules" / "kms" / "main.tf", top / "live" / "prod" / "kms" / "main.tf")
    _, report = _cli(top, monkeypatch, "check", "live", "--format", "json")
    assert sorted((r["root"], r["address"]) for r in json.loads(report)["resources"]) == [
        ("live/prod/kms", "alicloud_kms_key.this"), ("live/prod/kms", "alicloud_kms_secret.this")]
    from tfkms.config.scan import build_project

    (root,) = build_project([top / "live"], [], workers=1, cwd=top).roots
    assert root.unit is not None and root.dir.path.resolve() == (top / "live/prod/kms").resolve()
    assert next(root.resource_instances()).value("tags") == {"owner": "platform", "team": "prod-team"}


def test_parent_inputs_merge_under_the_units_own(tmp_path: Path) -> None:
    from tfkms.config.scan import build_project

    top = _build(tmp_path)
    project = build_project([top / "live"], [], workers=1, cwd=top)
    by_root = {r.display: r for r in project.roots}
    assert set(by_root) == {"live/prod/kms", "live/staging/kms"}
    key = next(i for i in by_root["live/prod/kms"].resource_instances() if i.resource.type == "alicloud_kms_key")
    assert key.value("tags") == {"owner": "platform", "team": "prod-team"}  # owner from root.hcl, team: the unit's
    assert by_root["live/prod/kms"].provider_version is not None
    assert str(by_root["live/prod/kms"].provider_version) == "1.230.0"  # the unit's lock file
    unit = by_root["live/prod/kms"].unit
    assert unit is not None and unit.inputs["db_password"].item is not None
    assert unit.inputs["db_password"].item.expr.redacted  # fed to secret_data: never held


def test_one_unit_scanned_alone_never_pins_the_shared_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    top = _build(tmp_path)
    _states(top)
    changed, data = _write_fix(top, monkeypatch, ["--state", "live/prod/kms=prod.tfstate"], path="live/prod/kms")
    assert set(changed) == {"modules/kms/main.tf", "live/prod/kms/terragrunt.hcl"}
    assert PROD_INSTANCE not in changed["modules/kms/main.tf"].decode()  # staging (not scanned) keeps null
    assert all("scanned: live/prod/kms" in f["reason"] for f in data["findings"] if f["rule"] == "TFKMS200")


def test_state_names_the_unit_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    top = _build(tmp_path)
    _states(top)
    code, out = _cli(top, monkeypatch, "fix", "live", "--state", "modules/kms=prod.tfstate")
    assert code == 1 and "no root 'modules/kms'" in out and "live/prod/kms" in out
    data = _fix_json(top, monkeypatch, "live", "--state", f"{top / 'live/prod/kms'}=prod.tfstate")
    assert {f["root"] for f in data["findings"] if f["rule"] == "TFKMS200"} == {"live/prod/kms"}
    data = _fix_json(top / "live", monkeypatch, ".", "--state", "prod/kms=../prod.tfstate")
    assert {f["root"] for f in data["findings"] if f["rule"] == "TFKMS200"} == {"prod/kms"}


def _module_reads_variable(top: Path) -> None:
    """The module already threads the instance id: `dkms_instance_id = var.dkms_instance_id`."""
    text = MODULE_TF.replace('  pending_window_in_days = 7\n', '  pending_window_in_days = 7\n'
                             '  dkms_instance_id       = var.dkms_instance_id\n')
    text = text.replace('  version_id  = "v1"\n', '  version_id  = "v1"\n\n  dkms_instance_id = var.dkms_instance_id\n')
    text += '\nvariable "dkms_instance_id" {\n  type    = string\n  default = null\n}\n'
    (top / "modules" / "kms" / "main.tf").write_text(text)


def _write_fix(top: Path, monkeypatch: pytest.MonkeyPatch, states: list[str], path: str = "live"
               ) -> tuple[dict[str, bytes], dict]:
    before = _tree(top)
    data = _fix_json(top, monkeypatch, path, *states)
    _cli(top, monkeypatch, "fix", path, *states, "--write")
    after = _tree(top)
    return {k: v for k, v in after.items() if before.get(k) != v}, data


def test_a_stale_literal_inputs_entry_is_replaced_in_place(tmp_path: Path, terraform: Terraform,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    stale = unit_hcl("prod").replace('  db_password = ', '  dkms_instance_id = "kst-old"\n  db_password = ')
    stale = stale.replace('  name        =', '  name             =').replace('  team        =', '  team             =')
    stale = stale.replace('  db_password =', '  db_password      =')
    top = _build(tmp_path, {"live/prod/kms": stale, "live/staging/kms": unit_hcl("staging")})
    _module_reads_variable(top)
    changed, data = _write_fix(top, monkeypatch, _states(top))
    assert set(changed) == {"live/prod/kms/terragrunt.hcl"}
    assert changed["live/prod/kms/terragrunt.hcl"].decode() == stale.replace('"kst-old"', f'"{PROD_INSTANCE}"')
    assert {f["rule"] for f in data["findings"] if f.get("root") == "live/prod/kms"} == {"TFKMS203"}
    for unit, plan in _plan_units(terraform, top, tmp_path, "after").items():
        assert plan.ok and not plan.destroyed_kms(), f"{unit}\n{plan.describe()}"


def test_an_entry_is_inserted_aligned_with_the_object_items(tmp_path: Path, terraform: Terraform,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    wide = unit_hcl("prod").replace('  name        =', '  name                   =')
    wide = wide.replace('  team        =', '  team                   =').replace('  db_password =',
                                                                                '  db_password            =')
    top = _build(tmp_path, {"live/prod/kms": wide, "live/staging/kms": unit_hcl("staging")})
    _module_reads_variable(top)
    assert terraform.fmt_clean(top / "live/prod/kms/terragrunt.hcl")
    changed, _ = _write_fix(top, monkeypatch, _states(top))
    assert set(changed) == {"live/prod/kms/terragrunt.hcl"}
    assert changed["live/prod/kms/terragrunt.hcl"].decode() == wide.removesuffix('"\n}\n') + (
        f'"\n  dkms_instance_id       = "{PROD_INSTANCE}"\n}}\n')
    assert terraform.fmt_clean(top / "live/prod/kms/terragrunt.hcl")  # terragrunt hclfmt formats HCL alike


@pytest.mark.parametrize(("inputs", "expected"), [
    (None, f'\ninputs = {{\n  dkms_instance_id = "{PROD_INSTANCE}"\n}}\n'),  # a unit without inputs
    ('inputs = { name = "prod" }\n',
     f'inputs = {{\n  name             = "prod"\n  dkms_instance_id = "{PROD_INSTANCE}"\n}}\n'),
])
def test_a_unit_without_the_entry_gets_one(tmp_path: Path, terraform: Terraform, monkeypatch: pytest.MonkeyPatch,
                                           inputs: str | None, expected: str) -> None:
    own = unit_hcl("prod", inputs or "")
    top = _build(tmp_path, {"live/prod/kms": own.rstrip("\n") + "\n"})
    (top / "root.hcl").write_text(ROOT_HCL.replace('  owner = "platform"', '  name  = "prod"\n  owner = "platform"'))
    _module_reads_variable(top)
    (top / "prod.tfstate").write_text(json.dumps(_state("prod", PROD_INSTANCE)))
    before = (top / "live/prod/kms/terragrunt.hcl").read_text()
    _cli(top, monkeypatch, "fix", "live", "--state", "live/prod/kms=prod.tfstate", "--write")
    after = (top / "live/prod/kms/terragrunt.hcl").read_text()
    head = before[:before.index("inputs = {")] if inputs else before
    assert after == head + expected
    assert (top / "root.hcl").read_text().startswith("remote_state")  # the parent is never edited
    assert terraform.fmt_clean(top / "live/prod/kms/terragrunt.hcl")


def test_an_input_only_the_parent_sets_is_overridden_in_the_unit(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    top = _build(tmp_path)
    root = ROOT_HCL.replace('  team  = "shared"', '  team  = "shared"\n  dkms_instance_id = "kst-old"')
    (top / "root.hcl").write_text(root)
    _module_reads_variable(top)
    changed, _ = _write_fix(top, monkeypatch, _states(top))
    assert set(changed) == {"live/prod/kms/terragrunt.hcl"}  # root.hcl, read by every unit, stays
    assert f'  dkms_instance_id = "{PROD_INSTANCE}"\n}}' in changed["live/prod/kms/terragrunt.hcl"].decode()


def test_an_input_that_is_an_expression_is_never_rewritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dynamic = unit_hcl("prod").replace('  db_password = ', '  dkms_instance_id = dependency.kms3.outputs.id\n'
                                       '  db_password = ')
    dynamic = dynamic.replace("inputs = {", 'dependency "kms3" {\n  config_path = "../kms3"\n}\n\ninputs = {')
    top = _build(tmp_path, {"live/prod/kms": dynamic, "live/staging/kms": unit_hcl("staging")})
    _module_reads_variable(top)
    changed, data = _write_fix(top, monkeypatch, _states(top))
    assert set(changed) == {"modules/kms/main.tf"}  # the unit's file is kept as the team wrote it
    assert "ignore_changes = [dkms_instance_id]" in changed["modules/kms/main.tf"].decode()
    reasons = [f.get("reason") or "" for f in data["findings"] if f["rule"] == "TFKMS204"]
    assert reasons and all("dependency.kms3.outputs.id" in r and "expression tfkms did not write" in r
                           for r in reasons)


def test_units_needing_different_instances_each_get_their_own_entry(tmp_path: Path, terraform: Terraform,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    top = _build(tmp_path)
    states = _states(top, staging="kst-staging0000000000000")
    changed, data = _write_fix(top, monkeypatch, states)
    assert set(changed) == {"modules/kms/main.tf", "live/prod/kms/terragrunt.hcl", "live/staging/kms/terragrunt.hcl"}
    assert changed["modules/kms/main.tf"].decode().count('variable "dkms_instance_id"') == 1
    assert '"kst-staging0000000000000"' in changed["live/staging/kms/terragrunt.hcl"].decode()
    assert f'"{PROD_INSTANCE}"' in changed["live/prod/kms/terragrunt.hcl"].decode()
    for unit, plan in _plan_units(terraform, top, tmp_path, "after").items():
        assert plan.ok and not plan.destroyed_kms(), f"{unit}\n{plan.describe()}"


def test_terragrunt_functions_are_evaluated_in_the_units_context(tmp_path: Path) -> None:
    from tfkms.config.terragrunt import evaluate_text

    unit = tmp_path / "live" / "prod" / "kms"
    unit.mkdir(parents=True)
    (tmp_path / "root.hcl").write_text("")
    (tmp_path / "live" / "terragrunt.hcl").write_text("")
    assert evaluate_text('find_in_parent_folders("root.hcl")', unit, None) == str(tmp_path / "root.hcl")
    assert evaluate_text("find_in_parent_folders()", unit, None) == str(tmp_path / "live" / "terragrunt.hcl")
    assert evaluate_text('"${path_relative_to_include()}/x"', unit, tmp_path) == "live/prod/kms/x"
    assert evaluate_text('"${get_parent_terragrunt_dir()}/m//k"', unit, tmp_path) == f"{tmp_path}/m//k"
    assert evaluate_text("get_terragrunt_dir()", unit, tmp_path) == str(unit)
    for unknown in ('get_env("SOURCE")', '"${local.base}/kms"', "dependency.x.outputs.source",
                    'read_terragrunt_config("a.hcl")', '"${get_parent_terragrunt_dir()}"'):
        assert evaluate_text(unknown, unit, None) is None, unknown


INNER_TF = '''variable "name" {
  type = string
}

resource "alicloud_kms_key" "inner" {
  description = "${var.name} inner"
}
'''


def test_a_resource_in_a_module_the_units_module_calls_is_never_pinned(tmp_path: Path, terraform: Terraform,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """modules/kms calls ./inner: the call site is in the module every unit runs, so a value there (a
    literal, or one threaded to that call) would pin staging to prod's instance. ignore_changes keeps
    both units' plans; before this, the inner variable was added but no call site passed it."""
    top = _build(tmp_path / "repo")
    (top / "modules" / "kms" / "inner").mkdir()
    (top / "modules" / "kms" / "inner" / "main.tf").write_text(INNER_TF)
    with (top / "modules" / "kms" / "main.tf").open("a") as module:
        module.write('\nmodule "inner" {\n  source = "./inner"\n  name   = var.name\n}\n')
    states = _states(top)
    for unit, instance in (("prod", PROD_INSTANCE), ("staging", None)):
        state = json.loads((top / f"{unit}.tfstate").read_text())
        key = json.loads(json.dumps(next(r for r in state["resources"] if r["type"] == "alicloud_kms_key")))
        key.update(module="module.inner", name="inner")
        key["instances"][0]["attributes"].update(id=f"key-inner-{unit}", description=f"{unit} inner",
                                                  dkms_instance_id=instance or "")
        state["resources"].append(key)
        (top / f"{unit}.tfstate").write_text(json.dumps(state))
    code, out = _cli(top, monkeypatch, "fix", "live", *states, "--write", "--format", "json")
    inner = [f for f in json.loads(out)["findings"] if f["address"] == "module.inner.alicloud_kms_key.inner"
             and f["rule"] == "TFKMS200"]
    assert [f["strategy"] for f in inner] == ["ignore-changes"] and "shared by every unit" in inner[0]["reason"]
    assert "ignore_changes = [dkms_instance_id]" in (top / "modules" / "kms" / "inner" / "main.tf").read_text()
    assert PROD_INSTANCE not in (top / "modules" / "kms" / "main.tf").read_text()
    planned = _plan_units(terraform, top, tmp_path, "after")
    for unit, plan in planned.items():
        assert plan.ok and not plan.destroyed_kms(), f"{unit}\n{plan.describe()}"
