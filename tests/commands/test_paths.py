"""Every path tfkms prints or writes is relative to the folder it was started in (the repo root in
CI), not to the scanned folder: GitHub attaches annotations and code-scanning alerts by that path."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES
from typer.testing import CliRunner

from tfkms.cli import app
from tfkms.config.loader import display_base, display_leads, display_path


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout with the quickstart root under infra/, and tfkms started at its top."""
    shutil.copytree(FIXTURES / "quickstart", tmp_path / "infra")
    monkeypatch.chdir(tmp_path)
    return tmp_path


FIX = ("fix", "infra", "--state", "infra/terraform.tfstate")


def _located(paths: set[str]) -> None:
    assert paths, "no path in the report"
    assert all(p.startswith("infra/") for p in paths), sorted(paths)


def test_text_report_and_diff_name_files_from_the_working_directory(repo: Path) -> None:
    code, out, _ = _invoke(*FIX)
    assert code == 2
    _located(set(re.findall(r"^(\S+\.tf):\d+  TFKMS", out, re.M)))
    _located(set(re.findall(r"^(?:---|\+\+\+) [ab]/(\S+)", out, re.M)))
    assert "infra/modules/audit-log-key/main.tf" in out


def test_json_names_files_and_roots_from_the_working_directory(repo: Path) -> None:
    data = json.loads(_invoke(*FIX, "-f", "json")[1])
    _located({f["file"] for f in data["findings"] if f["file"]})
    _located({e["file"] for f in data["findings"] for e in f.get("edits", [])})
    assert {r["root"] for r in data["resources"]} == {"infra"}
    assert {f["root"] for f in data["findings"] if f["root"]} == {"infra"}


def test_sarif_uris_resolve_against_the_checkout(repo: Path) -> None:
    run = json.loads(_invoke(*FIX, "-f", "sarif")[1])["runs"][0]
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"] for loc in r["locations"]}
    _located(uris)
    assert all((repo / uri).is_file() for uri in uris)
    assert "uri" not in run["originalUriBaseIds"]["%SRCROOT%"]  # the working directory: implicit


def test_github_annotations_and_markdown_name_files_from_the_working_directory(repo: Path) -> None:
    annotations = _invoke(*FIX, "-f", "github")[1]
    _located(set(re.findall(r"file=([^,:]+)", annotations)))
    markdown = _invoke(*FIX, "-f", "markdown")[1]
    _located(set(re.findall(r"`([^`\s]+\.tf):\d+`", markdown)))


def test_write_reports_what_it_wrote_from_the_working_directory(repo: Path) -> None:
    data = json.loads(_invoke(*FIX, "--write", "-f", "json")[1])
    written = {p["file"] for p in data.get("patches", [])} or {
        e["file"] for f in data["findings"] for e in f.get("edits", [])}
    _located(written)
    assert all((repo / name).is_file() for name in written)
    assert "kst-" in (repo / "infra" / "main.tf").read_text()


def test_state_root_is_named_as_printed_or_relative_to_its_scanned_path(repo: Path) -> None:
    as_printed = _invoke("fix", "infra", "--state", "infra=infra/terraform.tfstate", "-f", "json")
    within = _invoke("fix", "infra", "--state", ".=infra/terraform.tfstate", "-f", "json")
    assert as_printed[0] == within[0] == 2, (as_printed[2], within[2])
    assert json.loads(as_printed[1])["findings"] == json.loads(within[1])["findings"]


def test_two_paths_outside_the_working_directory_stay_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    for name in ("byok-keys", "hsm-key-specs"):
        shutil.copytree(FIXTURES / name, tmp_path / "stacks" / name)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    first, second = str(tmp_path / "stacks" / "byok-keys"), str(tmp_path / "stacks" / "hsm-key-specs")
    data = json.loads(_invoke("check", first, second, "-f", "json")[1])
    assert {r["root"] for r in data["resources"]} == {"byok-keys", "hsm-key-specs"}
    files = {f["file"] for f in data["findings"] if f["file"]}
    assert {"byok-keys/main.tf", "hsm-key-specs/main.tf"} <= files
    run = json.loads(_invoke("check", first, second, "-f", "sarif")[1])["runs"][0]
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == (tmp_path / "stacks").as_uri() + "/"  # the relative uris resolve against it
    text = _invoke("check", first, second)[1]
    assert "byok-keys/" in text and "hsm-key-specs/" in text


def test_two_paths_in_the_working_directory_stay_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("byok-keys", "hsm-key-specs"):
        shutil.copytree(FIXTURES / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    data = json.loads(_invoke("check", "byok-keys", "hsm-key-specs", "-f", "json")[1])
    assert {r["root"] for r in data["resources"]} == {"byok-keys", "hsm-key-specs"}
    assert len({(f["file"], f["line"], f["address"]) for f in data["findings"]}) == len(data["findings"])


def test_a_state_root_in_several_scanned_paths_must_be_named_as_printed(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("byok-keys", "hsm-key-specs"):
        shutil.copytree(FIXTURES / name, tmp_path / name)
    (tmp_path / "s.tfstate").write_text('{"version": 4, "resources": []}')
    monkeypatch.chdir(tmp_path)
    code, out, err = _invoke("fix", "byok-keys", "hsm-key-specs", "--state", ".=s.tfstate")
    assert code == 1 and out == ""
    assert "names a root in several scanned paths (byok-keys, hsm-key-specs)" in err


def test_display_paths() -> None:
    cwd = Path("/repo")
    assert display_base([Path("/repo/infra"), Path("/repo")], cwd) == cwd
    assert display_base([Path("/x/a"), Path("/x/b/c")], cwd) == Path("/x")
    assert display_base([Path("/x/a")], cwd) == Path("/x/a")  # one PATH outside: as before, scan-relative
    assert display_leads([Path("/repo/infra"), Path("/repo")], cwd) == {Path("/repo/infra"): "infra",
                                                                         Path("/repo"): ""}
    assert display_path(Path("/repo/infra/main.tf"), Path("/repo/infra"), "infra") == "infra/main.tf"
    assert display_path(Path("/repo/infra"), Path("/repo/infra"), "infra") == "infra"
    assert display_path(Path("/repo/modules/k/main.tf"), Path("/repo/infra"), "infra") == "modules/k/main.tf"
    assert display_path(Path("/repo/infra/main.tf"), Path("/repo/infra")) == "main.tf"
