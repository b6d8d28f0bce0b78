"""The text report at a terminal: width-aware, one finding per line or two, hints once, the
verdict last, input errors once."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = REPO / "fixtures" / "terraform" / "quickstart"


def _tfkms(*args: str, cwd: Path, columns: int = 80) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1", "XDG_CACHE_HOME": str(cwd / "cache")}
    return subprocess.run([sys.executable, "-m", "tfkms", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.fixture
def quickstart(tmp_path: Path) -> Path:
    return shutil.copytree(QUICKSTART, tmp_path / "quickstart")


@pytest.mark.parametrize("columns", [80, 120])
def test_no_line_is_wider_than_the_terminal_and_the_verdict_comes_last(quickstart: Path, columns: int) -> None:
    run = _tfkms("fix", "quickstart", "--state", "quickstart/terraform.tfstate", cwd=quickstart.parent,
                 columns=columns)
    assert run.returncode == 2, run.stderr
    lines = run.stdout.splitlines()
    assert max(len(line) for line in lines) <= columns
    assert "┃" not in run.stdout and "━" not in run.stdout  # no box drawing
    verdict = " ".join(lines[-2:])
    assert "would be replaced or destroyed by the next plan" in verdict and "--write" in verdict
    assert run.stdout.count("hint") <= 1  # each rule's hint once, in one footer


def test_after_write_the_verdict_says_patched_and_fixed_findings_are_not_listed_again(quickstart: Path) -> None:
    run = _tfkms("fix", "quickstart", "--state", "quickstart/terraform.tfstate", "--write", cwd=quickstart.parent)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[-1].startswith("patched 2 file(s); nothing left to do")
    assert "TFKMS200" not in run.stdout and "fixed" in run.stdout  # counted in the summary, not listed


def test_an_input_error_is_printed_once(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "alicloud_kms_key" "k" {\n  description = \n}\n')
    run = _tfkms("check", str(tmp_path), cwd=tmp_path)
    assert run.returncode == 1
    assert (run.stdout + run.stderr).count("main.tf:") == 1, run.stdout + run.stderr
