"""For tests/github: the quickstart repo copied into tmp_path (the working directory = the checkout),
a fake GitHub on loopback holding the same files on `main`, and the `tfkms github` commands through
the CLI. (Not a conftest.py: a second module named conftest would shadow tests/conftest.py.)"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from github_fake import TOKEN, FakeGitHub, Server
from typer.testing import CliRunner

from tfkms.cli import app

REPO = Path(__file__).resolve().parents[1]
QUICKSTART = REPO / "fixtures" / "terraform" / "quickstart"
PLANS = REPO / "fixtures" / "plans"
STATE = ["--state", "terraform.tfstate"]

@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import shutil

    repo = tmp_path / "checkout"
    shutil.copytree(QUICKSTART, repo)
    monkeypatch.chdir(repo)
    return repo


def repo_files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def fake(checkout: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    github = FakeGitHub()
    github.seed("main", repo_files(checkout))
    with Server(github) as url:
        for name in ("GITHUB_TOKEN", "GH_TOKEN", "GITHUB_EVENT_PATH"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        monkeypatch.setenv("GITHUB_API_URL", url)
        monkeypatch.setenv("GITHUB_REPOSITORY", f"{github.owner}/{github.name}")
        yield github


def tfkms_github(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["github", *args])
    return result.exit_code, result.stdout, result.stderr
