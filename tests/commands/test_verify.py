"""`tfkms verify`: the real `terraform` binary plans with the stand-in alicloud provider, offline.

tfkms runs as a subprocess with the environment of conftest's `terraform` fixture, so the terraform
it starts is the user's own: found on PATH, or a logging wrapper that shows what it was asked.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest
from conftest import CANARY, GOLDEN_FIX, REPO
from standin import Terraform

CASE = GOLDEN_FIX / "key-1230-needs-instance-id"  # migrated keys and a secret; config lacks dkms_instance_id
VARS = CASE / "plan.tfvars"  # db_password: the canary the state holds
VERSION = "1.230.0"
REPLACED = ["alicloud_kms_key.checkout", "alicloud_kms_key.webhook_signing", "alicloud_kms_secret.db"]
SCHEMA = json.loads((REPO / "tfkms" / "schemas" / "report.schema.json").read_text())


@dataclass
class Run:
    status: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


Verify = Callable[..., Run]  # verify(*ARGS, path=(DIR, ...)) -> Run


@pytest.fixture
def verify(terraform: Terraform, tmp_path: Path) -> Verify:
    """Runs `tfkms verify ARGS` in tmp_path; TMPDIR is private so leftovers of the plan can be seen."""
    temp = tmp_path / "tmpdir"
    temp.mkdir()

    def run(*args: str, path: tuple[Path, ...] = ()) -> Run:
        env = terraform.env(VERSION)
        env["TMPDIR"] = str(temp)
        env["PATH"] = os.pathsep.join([*map(str, path), env["PATH"]])
        done = subprocess.run([sys.executable, "-m", "tfkms", "verify", *args], check=False, cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
        assert not list(temp.glob("tfkms-verify-*")), "the private plan dir outlived the run"
        assert "Traceback" not in done.stderr
        return Run(done.returncode, done.stdout, done.stderr)

    return run


@pytest.fixture
def logged(terraform: Terraform, tmp_path: Path) -> tuple[Path, Path]:
    """A `terraform` first on PATH that logs each argv (and the mode of the -out dir) to a file."""
    bin_dir, log = tmp_path / "bin", tmp_path / "terraform.log"
    bin_dir.mkdir()
    wrapper = bin_dir / "terraform"
    wrapper.write_text(f"""#!/bin/sh
printf '%s\\n' "$*" >> '{log}'
for arg; do
  case "$arg" in -out=*) stat -c 'out-dir-mode %a' "$(dirname "${{arg#-out=}}")" >> '{log}';; esac
done
exec '{terraform.exe}' "$@"
""")
    wrapper.chmod(0o755)
    return bin_dir, log


def argvs(log: Path) -> list[list[str]]:
    return [line.split() for line in log.read_text().splitlines() if not line.startswith("out-dir-mode")]


def commands(log: Path) -> list[str]:
    """The terraform subcommands run, in order ("init", "plan", "workspace list", ...)."""
    return [" ".join(w for w in argv if not w.startswith("-") and "/" not in w) for argv in argvs(log)]


def make_root(parent: Path, tree: str = "input", state: str | None = "terraform.tfstate") -> Path:
    """A copy of the case's tree; its lock file belongs to the real provider, so `init` writes one."""
    root = parent / tree
    shutil.copytree(CASE / tree, root, ignore=shutil.ignore_patterns(".terraform.lock.hcl"))
    if state is not None:
        (root / state).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(CASE / "state.tfstate", root / state)
    return root


def test_replacing_a_migrated_key_exits_2_and_names_it(verify: Verify, logged: tuple[Path, Path], tmp_path: Path) -> None:
    root = make_root(tmp_path)
    bin_dir, log = logged
    run = verify("input", "--var-file", str(VARS), path=(bin_dir,))
    assert run.status == 2, run.output
    assert "TFKMS300" in run.stdout and "do not apply" in run.stdout.splitlines()[-1]
    for address in REPLACED:
        assert address in run.stdout
    assert "dkms_instance_id forces replacement" in run.stdout
    assert CANARY not in run.output
    # What terraform was asked: init (no .terraform yet), a plan into a private dir, show; nothing else.
    assert commands(log) == ["init", "plan", "show"]
    assert "out-dir-mode 700" in log.read_text()
    [out] = [Path(arg.removeprefix("-out=")) for argv in argvs(log) for arg in argv if arg.startswith("-out=")]
    assert out.parent.parent == tmp_path / "tmpdir", "the plan goes to a private temp dir, not the user's tree"
    everything = {arg for argv in argvs(log) for arg in argv}
    assert not everything & {"apply", "destroy", "-auto-approve", "-destroy"}
    assert not [p for p in root.rglob("*") if p.suffix == ".tfplan"]


def test_patched_tree_plans_no_replacement_and_exits_0(verify: Verify, tmp_path: Path) -> None:
    make_root(tmp_path, "expected")
    run = verify("expected", "--var-file", str(VARS))
    assert run.status == 0, run.output
    assert "TFKMS300" not in run.stdout and "tfkms verify: ready" in run.stdout
    assert CANARY not in run.output


def test_json_report_over_two_roots_validates_and_destructive_wins(verify: Verify, tmp_path: Path) -> None:
    make_root(tmp_path, "input")
    make_root(tmp_path, "expected")
    run = verify("input", "expected", "--var-file", str(VARS), "--format", "json", "-o", "report.json")
    assert run.status == 2, run.output
    text = (tmp_path / "report.json").read_text()
    assert CANARY not in text + run.output
    report = json.loads(text)
    jsonschema.validate(report, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert (report["exit_code"], report["paths"], report["errors"]) == (2, ["input", "expected"], [])
    assert sorted(f["address"] for f in report["findings"]) == REPLACED
    assert {f["root"] for f in report["findings"]} == {"input"}
    assert {r["root"] for r in report["resources"]} == {"input", "expected"}


def test_terraform_error_is_shown_once_and_wins_over_a_destructive_root(verify: Verify, tmp_path: Path) -> None:
    make_root(tmp_path, "input")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "main.tf").write_text('resource "alicloud_kms_key" "k" {\n  description = \n}\n')
    run = verify("broken", "input", "--var-file", str(VARS))
    assert run.status == 1, run.output
    assert run.output.count("Invalid expression") == 1  # Terraform's own words, not repeated by the report
    assert "broken: `terraform init` failed (exit 1)" in run.output
    assert "alicloud_kms_key.checkout" in run.stdout  # the other root was still judged
    assert CANARY not in run.output


def test_missing_required_variable_is_terraforms_error(verify: Verify, tmp_path: Path) -> None:
    make_root(tmp_path, "expected")
    run = verify("expected")  # db_password has no default and no --var-file gives it
    assert run.status == 1, run.output
    assert run.output.count("No value for required variable") == 1
    assert "`terraform plan` failed (exit 1)" in run.output


def test_workspace_selects_its_state(verify: Verify, logged: tuple[Path, Path], tmp_path: Path) -> None:
    make_root(tmp_path, "input", state="terraform.tfstate.d/blue/terraform.tfstate")
    bin_dir, log = logged
    blue = verify("input", "--var-file", str(VARS), "--workspace", "blue", path=(bin_dir,))
    assert blue.status == 2, blue.output
    assert all(address in blue.stdout for address in REPLACED)
    # The default workspace's state is empty: everything is created, nothing destroyed.
    default = verify("input", "--var-file", str(VARS))
    assert default.status == 0, default.output
    assert commands(log) == ["init", "workspace list", "plan", "show"]


def test_workspace_that_does_not_exist_fails_instead_of_planning_an_empty_state(verify: Verify, tmp_path: Path) -> None:
    make_root(tmp_path, "input", state="terraform.tfstate.d/blue/terraform.tfstate")
    run = verify("input", "--var-file", str(VARS), "--workspace", "bleu")
    assert run.status == 1, run.output
    assert "workspace 'bleu' does not exist here (it has: blue, default)" in run.output
    assert not (tmp_path / "input" / "terraform.tfstate.d" / "bleu").exists()


def test_init_runs_only_when_needed(verify: Verify, logged: tuple[Path, Path], tmp_path: Path) -> None:
    root = make_root(tmp_path, "expected")
    bin_dir, log = logged
    assert verify("expected", "--var-file", str(VARS), path=(bin_dir,)).status == 0
    # --terraform as a path relative to here (terraform itself runs inside the root).
    assert verify("expected", "--var-file", str(VARS), "--terraform", "bin/terraform").status == 0
    assert commands(log) == ["init", "plan", "show", "plan", "show"]
    # .terraform without its providers: the plan says init is needed, so init runs once and it plans again.
    shutil.rmtree(root / ".terraform" / "providers")
    log.unlink()
    assert verify("expected", "--var-file", str(VARS), path=(bin_dir,)).status == 0
    assert commands(log) == ["plan", "init", "plan", "show"]


@pytest.mark.parametrize("binary", ["no-such-terraform-binary", "/nonexistent/bin/terraform"])
def test_missing_terraform_binary_is_one_line(verify: Verify, tmp_path: Path, binary: str) -> None:
    make_root(tmp_path, "expected", state=None)
    run = verify("expected", "--terraform", binary)
    assert run.status == 1
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1 and run.stderr.startswith(f"tfkms: error: --terraform {binary}: ")
