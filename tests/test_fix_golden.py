"""Golden cases for `tfkms fix`, one folder each under tests/golden/fix/<case>/:

  input/          the Terraform tree before the fix
  state.tfstate   (or show.json) the post-migration truth
  args.txt        extra flags, one per line (optional)
  expected/       the tree after `fix --write`               (reviewed, never blindly updated)
  report.json     the JSON report of the preview run          (reviewed, never blindly updated)

Set TFKMS_UPDATE_GOLDEN=1 to regenerate expected/ and report.json, then read the diff.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tfkms.cli import app

from conftest import CANARY, GOLDEN_FIX

CASES = sorted(p.name for p in GOLDEN_FIX.iterdir() if (p / "input").is_dir()) if GOLDEN_FIX.is_dir() else []
UPDATE = bool(os.environ.get("TFKMS_UPDATE_GOLDEN"))


def _truth(case: Path) -> Path:
    for name in ("state.tfstate", "show.json"):
        if (case / name).exists():
            return case / name
    raise AssertionError(f"{case} has no state.tfstate or show.json")


def _args(case: Path) -> list[str]:
    path = case / "args.txt"
    if not path.exists():
        return []
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _run(work: Path, case: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["fix", str(work), "--state", str(_truth(case)), *_args(case), *extra])
    return result.exit_code, result.output


def _normalise(report: str, work: Path) -> dict:
    data = json.loads(report.replace(str(work), "input"))
    data.pop("tool", None)
    return data


@pytest.mark.parametrize("case_name", CASES)
def test_fix_golden(case_name: str, tmp_path: Path, oracle) -> None:  # type: ignore[no-untyped-def]
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

    changed = [work / name for name in after if after[name] != before.get(name)]
    hcl_changed = [p for p in changed if p.suffix == ".tf"]
    if hcl_changed:
        oracle.assert_accepts(hcl_changed)
        for path in hcl_changed:
            original = tmp_path / ("original-" + path.name)
            original.write_bytes(before[path.relative_to(work).as_posix()])
            if oracle.fmt_clean(original):
                assert oracle.fmt_clean(path), oracle.fmt_diff(path)
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
