"""Golden cases for `tfkms fix`, one folder each under tests/golden/fix/<case>/:

  input/          the Terraform tree before the fix
  state.tfstate   (or show.json) the post-migration truth; plan.json (`terraform show -json` of a saved
                  plan, read through its prior_state) comes first when the case has one
  args.txt        extra flags, one per line (optional)
  expected/       the tree after `fix --write`               (reviewed, never blindly updated)
  report.json     the JSON report of the preview run          (reviewed, never blindly updated)
  plan.tfvars     variables the case's pipeline passes to `terraform plan` (optional)
  creates.txt     addresses the expected tree's plan may create (plan.tfvars grew count/for_each: optional)
  root.txt        the folder inside input/ that is scanned and planned, when not input/ itself (optional:
                  a repo whose shared modules live outside the scanned root)

Real Terraform judges every case (tests/standin): the input tree with its truth must plan the
destruction of what the case protects, each destroyed KMS resource named by a finding; the
expected tree must plan no delete or replace of a KMS resource (but one tfkms reports as needing
a human) and no Terraform error. Terraform's parser and `terraform fmt -check` judge the edits.

Set TFKMS_UPDATE_GOLDEN=1 to regenerate expected/ and report.json, then read the diff.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import CANARY, GOLDEN_FIX
from standin import PlanResult, Terraform
from typer.testing import CliRunner

from tfkms.cli import app
from tfkms.knowledge.forcenew import PROTECTED_TYPES

CASES = sorted(p.name for p in GOLDEN_FIX.iterdir() if (p / "input").is_dir()) if GOLDEN_FIX.is_dir() else []
UPDATE = bool(os.environ.get("TFKMS_UPDATE_GOLDEN"))


def _truth(case: Path) -> Path:
    for name in ("plan.json", "state.tfstate", "show.json"):
        if (case / name).exists():
            return case / name
    raise AssertionError(f"{case} has no plan.json, state.tfstate or show.json")


def _args(case: Path) -> list[str]:
    path = case / "args.txt"
    if not path.exists():
        return []
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def _root(case: Path) -> str:
    path = case / "root.txt"
    return path.read_text().strip() if path.exists() else "."


def _var_files(case: Path) -> list[Path]:
    return [case / "plan.tfvars"] if (case / "plan.tfvars").is_file() else []


@pytest.fixture(scope="session")
def golden_plans(terraform: Terraform) -> dict[tuple[str, str], PlanResult]:
    """`terraform plan` of every case's input and expected tree, planned in parallel once."""
    jobs = [(name, side) for name in CASES for side in ("input", "expected") if (GOLDEN_FIX / name / side).is_dir()]
    results = terraform.plan_many([{"config_dir": GOLDEN_FIX / name / side, "root": _root(GOLDEN_FIX / name),
                                    "state": _truth(GOLDEN_FIX / name), "var_files": _var_files(GOLDEN_FIX / name)}
                                   for name, side in jobs])
    return dict(zip(jobs, results))


_PREVENTED = re.compile(r"Resource (\S+) has lifecycle\.prevent_destroy set, but the plan calls for this resource "
                        r"to be destroyed")


def _destroyed_kms(plan: PlanResult) -> set[str]:
    """KMS resources the plan deletes or replaces; `prevent_destroy` turns such a plan into an error."""
    destroyed = {c.address for c in plan.destroyed_kms()}
    return destroyed | {m.group(1) for e in plan.errors for m in [_PREVENTED.search(e)] if m}


def _named(address: str, findings: list[dict], rules: tuple[str, ...] = ()) -> bool:
    return any((f.get("address") == address or address.startswith(f"{f.get('address')}["))
               and (not rules or f["rule"] in rules) for f in findings)


def _judge(case_name: str, data: dict, plans: dict[tuple[str, str], PlanResult]) -> None:
    before, after = plans[(case_name, "input")], plans[(case_name, "expected")]
    findings = data["findings"]
    destroyed = _destroyed_kms(before)
    assert before.ok or destroyed, before.describe()
    assert not [e for e in before.errors if not _PREVENTED.search(e)], before.describe()
    if data["exit_code"] == 0:
        assert not destroyed, "tfkms says nothing to do, Terraform plans to destroy:\n" + before.describe()
    else:
        assert destroyed or any(f["rule"] == "TFKMS205" for f in findings), \
            "the case protects nothing: Terraform destroys no KMS resource in the input tree\n" + before.describe()
    for address in destroyed:
        assert _named(address, findings), f"Terraform destroys {address} and tfkms does not say so"
    assert after.ok and not after.errors, after.describe()
    creates_file = GOLDEN_FIX / case_name / "creates.txt"
    grown = set(creates_file.read_text().split()) if creates_file.is_file() else set()
    for change in after.changes:
        protected = change.type.startswith("alicloud_kms_") or change.type in PROTECTED_TYPES
        if change.actions == ("no-op",) or not protected:
            continue
        if change.actions == ("create",) and change.address in grown:
            continue  # the plan's tfvars add an instance after the patch: Terraform creates it, nothing to report
        human = _named(change.address, findings, ("TFKMS204",)) and data["exit_code"] == 2
        assert not change.destroys or human, "the patched tree still destroys a KMS resource\n" + after.describe()
        assert _named(change.address, findings), f"unreported change to {change.address}\n" + after.describe()


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _run(work: Path, case: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["fix", str(work / _root(case)), "--state", str(_truth(case)), *_args(case),
                                      *extra])
    return result.exit_code, result.output


def _normalise(report: str, work: Path) -> dict:
    data = json.loads(report.replace(str(work), "input"))
    data.pop("tool", None)
    return data


@pytest.mark.parametrize("case_name", CASES)
def test_fix_golden(case_name: str, tmp_path: Path, terraform: Terraform,
                    golden_plans: dict[tuple[str, str], PlanResult]) -> None:
    case = GOLDEN_FIX / case_name
    work = shutil.copytree(case / "input", tmp_path / "input", symlinks=True)
    before = _tree(work)

    code, report = _run(work, case, "--format", "json")
    assert CANARY not in report
    assert code in (0, 2), report
    data = _normalise(report, work)
    assert _tree(work) == before, "a preview must not write"

    code_write, out_write = _run(work, case, "--write")
    assert CANARY not in out_write
    after = _tree(work)

    if UPDATE:
        (case / "report.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        shutil.rmtree(case / "expected", ignore_errors=True)
        shutil.copytree(work, case / "expected", symlinks=True)
    assert data == json.loads((case / "report.json").read_text()), "report differs from report.json"
    assert after == _tree(case / "expected"), "patched tree differs from expected/"

    if UPDATE:  # the expected tree was just rewritten: judge the new one
        golden_plans[(case_name, "expected")] = terraform.plan(case / "expected", _truth(case), root=_root(case),
                                                               var_files=_var_files(case))
    _judge(case_name, data, golden_plans)
    changed = [work / name for name in after if after[name] != before.get(name)]
    hcl_changed = [p for p in changed if p.suffix == ".tf"]
    if hcl_changed:
        terraform.assert_parses(hcl_changed)
        for path in hcl_changed:
            original = tmp_path / ("original-" + path.name)
            original.write_bytes(before[path.relative_to(work).as_posix()])
            if terraform.fmt_clean(original):
                assert terraform.fmt_clean(path), terraform.fmt_diff(path)
    edited: dict[str, set[int]] = {}
    for finding in data["findings"]:
        for edit in finding.get("edits", []):
            lines = range(edit["line"], edit["line"] + edit["before"].count("\n") + 1)
            edited.setdefault(edit["file"], set()).update(lines)
    for name, content in before.items():  # every line no edit touches survives, in order
        if name in after and content != after[name]:
            _assert_lines_kept(content.decode(), after[name].decode(), edited.get(name, set()))

    code_again, out_again = _run(work, case)
    assert _tree(work) == after
    assert "file(s) to change" not in out_again or "0 file(s) to change" in out_again, out_again
    assert code_again == (0 if code_write == 0 else 2)


def _assert_lines_kept(before: str, after: str, edited: set[int]) -> None:
    lines = iter(after.splitlines(keepends=True))
    for number, line in enumerate(before.splitlines(keepends=True), start=1):
        if number in edited:
            continue
        for candidate in lines:
            if candidate == line:
                break
        else:
            raise AssertionError(f"original line lost or changed: {line!r}")


def test_quickstart_example_is_dangerous_before_and_safe_after_the_fix(tmp_path: Path, terraform: Terraform) -> None:
    """The README's first command, judged: the example's plan destroys keys; after `fix --write`, none."""
    source = GOLDEN_FIX.parents[2] / "fixtures" / "terraform" / "quickstart"
    work = shutil.copytree(source, tmp_path / "quickstart", symlinks=True)
    truth = work / "terraform.tfstate"
    variables = {"db_password": CANARY}
    before = terraform.plan(work, truth, variables=variables)
    assert before.ok and before.destroyed_kms(), before.describe()
    code, output = _run_cli(work, truth, "--write")
    assert code == 0 and CANARY not in output, output
    after = terraform.plan(work, truth, variables=variables)
    assert after.ok and not after.destroyed_kms(), after.describe()
    terraform.assert_parses(sorted(work.rglob("*.tf")))


def _run_cli(work: Path, truth: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["fix", str(work), "--state", str(truth), *extra])
    return result.exit_code, result.output
