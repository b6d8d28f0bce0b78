"""Issue 13: a fix that spans several files (a module variable and its call sites) is written all
or nothing, and a rerun after a partial write completes it without a second variable."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from standin import Terraform
from typer.testing import CliRunner

from tfkms.patch import apply
from tfkms.patch.apply import LinkedPatch, write_patches

GOLDEN = Path(__file__).parents[1] / "golden" / "fix" / "module-called-twice"
MODULE = "modules/service-kms"


def _pair(tmp_path: Path, linked: bool = True) -> list[LinkedPatch]:
    out = []
    for name in ("a.tf", "b.tf"):
        path = tmp_path / name
        path.write_text(f"# {name}\n")
        out.append(LinkedPatch(display=name, path=path, original=f"# {name}\n", patched=f"# {name} patched\n"))
    if linked:
        out[0].together, out[1].together = frozenset({"b.tf"}), frozenset({"a.tf"})
    return out


def _texts(tmp_path: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(tmp_path.glob("*.tf"))}


def test_one_read_only_file_stops_the_whole_fix(tmp_path: Path) -> None:
    patches = _pair(tmp_path)
    (tmp_path / "b.tf").chmod(0o444)
    problems = write_patches(patches, [tmp_path])
    assert _texts(tmp_path) == {"a.tf": "# a.tf\n", "b.tf": "# b.tf\n"}
    assert not any(p.written for p in patches)
    assert {p.file for p in problems} == {"a.tf", "b.tf"}
    assert any("read-only" in p.message for p in problems if p.file == "b.tf")
    assert any("all or nothing" in p.message for p in problems if p.file == "a.tf")
    assert not list(tmp_path.glob(".tfkms-*"))


def test_a_file_changed_on_disk_stops_the_whole_fix(tmp_path: Path) -> None:
    patches = _pair(tmp_path)
    (tmp_path / "a.tf").write_text("# a.tf, edited by a human\n")
    problems = write_patches(patches, [tmp_path])
    assert _texts(tmp_path) == {"a.tf": "# a.tf, edited by a human\n", "b.tf": "# b.tf\n"}
    assert any("changed since" in p.message for p in problems if p.file == "a.tf")
    assert not list(tmp_path.glob(".tfkms-*"))


def test_a_file_changed_while_the_others_are_staged_stops_the_whole_fix(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    patches = _pair(tmp_path)
    real_stage = apply.stage_bytes
    staged: list[Path] = []

    def stage_then_user_edits(path: Path, data: bytes, expect: bytes | None = None):  # type: ignore[no-untyped-def]
        out = real_stage(path, data, expect)
        staged.append(path)
        if len(staged) == 2:  # both staged; the user edits the first before any rename
            (tmp_path / "a.tf").write_text("# a.tf, edited meanwhile\n")
        return out

    monkeypatch.setattr(apply, "stage_bytes", stage_then_user_edits)
    problems = write_patches(patches, [tmp_path])
    assert _texts(tmp_path) == {"a.tf": "# a.tf, edited meanwhile\n", "b.tf": "# b.tf\n"}
    assert problems and not any(p.written for p in patches)
    assert not list(tmp_path.glob(".tfkms-*"))


def test_unrelated_files_are_still_written_one_by_one(tmp_path: Path) -> None:
    patches = _pair(tmp_path, linked=False)
    (tmp_path / "b.tf").chmod(0o444)
    problems = write_patches(patches, [tmp_path])
    assert _texts(tmp_path) == {"a.tf": "# a.tf patched\n", "b.tf": "# b.tf\n"}
    assert [p.file for p in problems] == ["b.tf"]


def test_a_rename_failing_midway_names_what_was_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    patches = _pair(tmp_path)
    real_replace = os.replace
    calls: list[str] = []

    def replace_fails_second(src: str, dst: os.PathLike[str]) -> None:
        calls.append(str(dst))
        if len(calls) == 2:
            raise OSError(5, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr("tfkms.atomic.os.replace", replace_fails_second)
    problems = write_patches(patches, [tmp_path])
    assert _texts(tmp_path) == {"a.tf": "# a.tf patched\n", "b.tf": "# b.tf\n"}
    assert [p.written for p in patches] == [True, False]
    assert len(problems) == 1 and "written: a.tf" in problems[0].message and "not written: b.tf" in problems[0].message
    assert not list(tmp_path.glob(".tfkms-*"))


# ------------------------------------------------------------------ end to end: module variable + call sites


def _fix(work: Path, *extra: str) -> tuple[int, dict]:
    from tfkms.cli import app

    result = CliRunner().invoke(app, ["fix", str(work), "--state", str(GOLDEN / "show.json"), "--format", "json",
                                      "--no-cache", *extra])
    return result.exit_code, json.loads(result.stdout)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_fix_links_the_module_and_its_call_sites(tmp_path: Path) -> None:
    work = shutil.copytree(GOLDEN / "input", tmp_path / "input")
    _, report = _fix(work)
    files = {p["file"] for p in report["patches"]}
    assert files == {"main.tf", f"{MODULE}/main.tf", f"{MODULE}/variables.tf"}, files


def test_a_read_only_call_site_file_writes_none_of_the_fix(tmp_path: Path) -> None:
    work = shutil.copytree(GOLDEN / "input", tmp_path / "input")
    before = _tree(work)
    (work / "main.tf").chmod(0o444)
    code, report = _fix(work, "--write")
    assert code == 1
    assert _tree(work) == before, "part of a multi-file fix was written"
    assert not any(p["written"] for p in report["patches"])
    assert not list(work.rglob(".tfkms-*"))


def test_rerun_after_a_partial_write_adds_no_second_variable(tmp_path: Path, terraform: Terraform) -> None:
    work = shutil.copytree(GOLDEN / "input", tmp_path / "input")
    # What a crash between renames leaves: the module's new variable, no call-site arguments.
    shutil.copy(GOLDEN / "expected" / MODULE / "variables.tf", work / MODULE / "variables.tf")
    code, _ = _fix(work, "--write")
    assert code == 0
    text = (work / MODULE / "variables.tf").read_text()
    assert text.count('variable "dkms_instance_id"') == 1, text
    assert _tree(work) == _tree(GOLDEN / "expected")
    plan = terraform.plan(work, GOLDEN / "show.json", "1.230.1", var_files=[GOLDEN / "plan.tfvars"])
    assert plan.ok and not plan.destroyed_kms(), plan.describe()
    code, report = _fix(work)
    assert code == 0 and not report.get("patches")
