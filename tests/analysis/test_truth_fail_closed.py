"""The truth the user named is the only truth, or the run stops.

Real CLI runs (typer's CliRunner on tfkms.cli.app) on copies of a golden case: a named state or
inventory that cannot be read or has the wrong shape stops check/fix/audit before any diff or write,
even with a root's own terraform.tfstate right there; a saved plan's `terraform show -json` is read
through its prior_state; a state of another root stops the run, a partial one warns; `--state -`
reads stdin. The canary secret_data never reaches any output.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import CANARY, GOLDEN_FIX
from standin import Terraform
from typer.testing import CliRunner

from tfkms.cli import app

CASE = GOLDEN_FIX / "key-1230-needs-instance-id"


def _root(tmp_path: Path, plant: bool = True) -> Path:
    """The case's input tree, with its real state planted as the root's own terraform.tfstate."""
    root = shutil.copytree(CASE / "input", tmp_path / "root", symlinks=True)
    if plant:
        shutil.copyfile(CASE / "state.tfstate", root / "terraform.tfstate")
    return root


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _invoke(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=stdin)
    out, err = result.stdout, result.stderr
    assert CANARY not in out and CANARY not in err
    return result.exit_code, out, err


def _state() -> dict:
    return json.loads((CASE / "state.tfstate").read_text())


V3_STATE = json.dumps({"version": 3, "terraform_version": "0.11.14", "serial": 4, "lineage": "x",
                       "modules": [{"path": ["root"], "outputs": {}, "resources": {}}]})
PLAN_WITHOUT_PRIOR = json.dumps({"format_version": "1.2", "terraform_version": "1.11.4",
                                 "planned_values": {"root_module": {}}, "resource_changes": [],
                                 "configuration": {"root_module": {}}})
BAD_STATES = {
    "random": ('{"hello": "world", "items": [1, 2, 3]}', "not a Terraform state"),
    "v3": (V3_STATE, "state format version 3 is not supported"),
    "truncated": (json.dumps(_state())[:700], "state is"),
    "plan-without-prior-state": (PLAN_WITHOUT_PRIOR, "without 'prior_state'"),
    "list": ("[1, 2]", "must be a JSON object"),
}


def _assert_stopped(code: int, out: str, err: str, name: str, what: str) -> None:
    assert code == 1, (out, err)
    assert out == ""  # no report, no diff
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tfkms: error: ") and name in lines[0], err
    assert what in lines[0] and "Traceback" not in err


@pytest.mark.parametrize("command", ["fix", "check"])
@pytest.mark.parametrize("kind", sorted(BAD_STATES))
def test_an_unusable_named_state_stops_before_any_write(tmp_path: Path, command: str, kind: str) -> None:
    root = _root(tmp_path)
    text, what = BAD_STATES[kind]
    bad = tmp_path / f"{kind}.json"
    bad.write_text(text)
    before = _tree(root)
    extra = ["--write"] if command == "fix" else []
    _assert_stopped(*_invoke(command, str(root), "--state", str(bad), *extra), str(bad), what)
    assert _tree(root) == before


@pytest.mark.parametrize("command", ["fix", "check"])
def test_a_missing_named_state_stops_before_any_write(tmp_path: Path, command: str) -> None:
    root = _root(tmp_path)
    before = _tree(root)
    missing = tmp_path / "no-such.tfstate"
    extra = ["--write"] if command == "fix" else []
    _assert_stopped(*_invoke(command, str(root), "--state", str(missing), *extra), str(missing), "cannot read state")
    assert _tree(root) == before


@pytest.mark.parametrize("command", ["fix", "check", "audit"])
def test_a_missing_named_inventory_stops_before_any_write(tmp_path: Path, command: str) -> None:
    root = _root(tmp_path)
    before = _tree(root)
    missing = tmp_path / "no-such-inventory.json"
    extra = ["--write"] if command == "fix" else []
    _assert_stopped(*_invoke(command, str(root), "--inventory", str(missing), *extra), str(missing),
                    "cannot read inventory")
    assert _tree(root) == before


def test_audit_stops_on_an_unusable_named_state(tmp_path: Path) -> None:
    root = _root(tmp_path)
    bad = tmp_path / "v3.tfstate"
    bad.write_text(V3_STATE)
    inventory = tmp_path / "inv.json"
    inventory.write_text(json.dumps({"version": 1, "regions": {"cn-hangzhou": {}}}))
    _assert_stopped(*_invoke("audit", str(root), "--state", str(bad), "--inventory", str(inventory)), str(bad),
                    "version 3")


def test_the_implicit_state_is_used_only_when_no_truth_is_named(tmp_path: Path) -> None:
    root = _root(tmp_path)
    code, out, _ = _invoke("fix", str(root), "--format", "json")
    assert code == 2 and json.loads(out)["patches"]  # no truth named: the root's terraform.tfstate
    inventory = tmp_path / "inv.json"
    inventory.write_text(json.dumps({"version": 1, "regions": {"cn-hangzhou": {}}}))
    code, out, err = _invoke("fix", str(root), "--inventory", str(inventory), "--format", "json")
    assert (code, out) == (1, "") and "fix needs the post-migration truth" in err  # the planted state is not read


def _fix_json(root: Path, *args: str, stdin: str | None = None) -> tuple[int, dict]:
    code, out, err = _invoke("fix", str(root), *args, "--format", "json", stdin=stdin)
    assert code in (0, 2), err
    return code, json.loads(out)


def _judgement(report: dict) -> tuple[list[tuple[str, str, str]], list[str]]:
    findings = sorted((f["rule"], f["severity"], f["address"]) for f in report["findings"])
    return findings, sorted(json.dumps(p, sort_keys=True) for p in report["patches"])


def test_a_saved_plan_json_reads_as_its_prior_state(tmp_path: Path, terraform: Terraform) -> None:
    root = _root(tmp_path, plant=False)
    planned = terraform.plan(CASE / "input", CASE / "state.tfstate", var_files=[CASE / "plan.tfvars"])
    assert planned.ok, planned.errors
    shown = terraform.run(["show", "-json", "tfplan"], planned.workdir)
    assert shown.returncode == 0, shown.stderr
    plan_json = json.loads(shown.stdout)
    assert "prior_state" in plan_json and "planned_values" in plan_json  # the real thing
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(shown.stdout)
    code_state, with_state = _fix_json(root, "--state", str(CASE / "state.tfstate"))
    code_plan, with_plan = _fix_json(root, "--state", str(plan_file))
    assert code_plan == code_state == 2
    assert with_plan["findings"] and _judgement(with_plan) == _judgement(with_state)


def test_stdin_state(tmp_path: Path) -> None:
    root = _root(tmp_path, plant=False)
    text = (CASE / "state.tfstate").read_text()
    assert CANARY in text  # the canary is planted
    _, with_file = _fix_json(root, "--state", str(CASE / "state.tfstate"))
    _, with_stdin = _fix_json(root, "--state", "-", stdin=text)
    assert with_stdin["findings"] and _judgement(with_stdin) == _judgement(with_file)


def test_stdin_state_for_a_named_root(tmp_path: Path) -> None:
    root = _root(tmp_path, plant=False)
    text = (CASE / "state.tfstate").read_text()
    _, with_file = _fix_json(root, "--state", str(CASE / "state.tfstate"))
    _, with_stdin = _fix_json(root, "--state", f"{root}=-", stdin=text)
    assert _judgement(with_stdin) == _judgement(with_file)


def test_broken_stdin_stops(tmp_path: Path) -> None:
    root = _root(tmp_path)
    before = _tree(root)
    _assert_stopped(*_invoke("fix", str(root), "--state", "-", "--write", stdin='{"version": 3}'), "<stdin>",
                    "version 3")
    assert _tree(root) == before


def test_another_roots_state_stops_the_run(tmp_path: Path) -> None:
    root = _root(tmp_path)
    state = _state()
    for resource in state["resources"]:
        resource["name"] = "other_" + resource["name"]
    other = tmp_path / "other.tfstate"
    other.write_text(json.dumps(state))
    before = _tree(root)
    for command in ("fix", "check"):
        extra = ["--write"] if command == "fix" else []
        _assert_stopped(*_invoke(command, str(root), "--state", str(other), *extra), str(other),
                        "holds none of the 3 KMS resources of")
        assert "another root" in _invoke(command, str(root), "--state", str(other))[2]
    assert _tree(root) == before


def test_a_partial_state_warns_per_missing_resource(tmp_path: Path) -> None:
    root = _root(tmp_path, plant=False)
    state = _state()
    state["resources"] = [r for r in state["resources"] if r["name"] != "webhook_signing"]
    partial = tmp_path / "partial.tfstate"
    partial.write_text(json.dumps(state))
    code, report = _fix_json(root, "--state", str(partial))
    assert code == 2
    notes = [f for f in report["findings"] if f["address"] == "alicloud_kms_key.webhook_signing"]
    assert [(f["rule"], f["severity"]) for f in notes] == [("TFKMS204", "warning")]
    assert "state holds 2 of 3 KMS resources of ." in notes[0]["message"]
    code, out, _ = _invoke("fix", str(root), "--state", str(partial))
    assert code == 2 and "state holds 2 of 3 KMS resources" in out and "alicloud_kms_key.webhook_signing" in out


def test_a_state_of_a_new_root_is_no_error(tmp_path: Path) -> None:
    """No KMS resource in state yet (all of them are new): warnings, not an error."""
    root = _root(tmp_path, plant=False)
    empty = tmp_path / "empty.tfstate"
    empty.write_text(json.dumps({"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "x",
                                 "outputs": {}, "resources": []}))
    code, out, err = _invoke("check", str(root), "--state", str(empty), "--format", "json")
    assert code == 2, err
    notes = [f for f in json.loads(out)["findings"] if f["rule"] == "TFKMS204"]
    assert len(notes) == 3 and all("0 of 3" in f["message"] for f in notes)


def test_unexpandable_count_matches_by_resource(tmp_path: Path) -> None:
    """count from a variable tfkms cannot evaluate: state instances of the resource count as held."""
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text('variable "n" {\n  type = number\n}\n\n'
                                  'resource "alicloud_kms_key" "k" {\n  count = var.n\n}\n\n'
                                  'resource "alicloud_kms_key" "fresh" {\n}\n')
    state = {"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "x", "outputs": {},
             "resources": [{"mode": "managed", "type": "alicloud_kms_key", "name": "k", "instances": [
                 {"index_key": 0, "attributes": {"id": "key-0", "dkms_instance_id": "kst-1"}},
                 {"index_key": 1, "attributes": {"id": "key-1", "dkms_instance_id": "kst-1"}}]}]}
    path = tmp_path / "s.tfstate"
    path.write_text(json.dumps(state))
    code, out, err = _invoke("check", str(root), "--state", str(path), "--format", "json")
    assert code in (0, 2), err
    notes = [f for f in json.loads(out)["findings"] if f["rule"] == "TFKMS204"]
    assert [f["address"] for f in notes] == ["alicloud_kms_key.fresh"]
    assert "1 of 2" in notes[0]["message"]
