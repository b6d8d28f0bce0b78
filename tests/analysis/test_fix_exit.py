"""`fix --write` exits 0 once nothing is left to do, whether the edit was a literal or an
`ignore_changes` entry; a finding no edit answers (TFKMS204 error) still exits 2."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import GOLDEN_FIX
from typer.testing import CliRunner

from tfkms.cli import app

CASE = GOLDEN_FIX / "key-1230-needs-instance-id"


def _tree_with_expression(tmp_path: Path) -> Path:
    """The secret's dkms_instance_id is an expression tfkms cannot evaluate: only an
    ignore_changes entry can answer it (TFKMS204 warning)."""
    work = shutil.copytree(CASE / "input", tmp_path / "input")
    kms = work / "kms.tf"
    text = kms.read_text()
    anchor = "  force_delete_without_recovery = false\n"
    assert text.count(anchor) == 1
    kms.write_text(text.replace(anchor, anchor + "  dkms_instance_id              = data.external.dkms.result.id\n"))
    return work


def _fix(work: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["fix", str(work), "--state", str(CASE / "state.tfstate"), *extra])
    return result.exit_code, result.output


@pytest.mark.parametrize("strategy", [[], ["--strategy", "ignore-changes"]])
def test_write_that_adds_ignore_changes_exits_0(tmp_path: Path, strategy: list[str]) -> None:
    work = _tree_with_expression(tmp_path)
    assert _fix(work, *strategy)[0] == 2
    code, output = _fix(work, *strategy, "--write")
    assert "ignore_changes = [dkms_instance_id]" in (work / "kms.tf").read_text()
    assert code == 0, output
    assert _fix(work, *strategy)[0] == 0


def test_write_leaving_a_blocked_finding_exits_2(tmp_path: Path) -> None:
    work = _tree_with_expression(tmp_path)
    code, output = _fix(work, "--strategy", "instance-id", "--write")
    assert code == 2, output
    assert "TFKMS204" in output
    assert _fix(work, "--strategy", "instance-id")[0] == 2
