"""The CI integrations name commands and flags that really exist."""
from __future__ import annotations

import re

from typer.testing import CliRunner

from conftest import REPO
from tfkms.cli import app


def _flags(command: str) -> str:
    return CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"}).stdout


def test_action_and_hooks_use_real_commands_and_flags() -> None:
    action = (REPO / "action.yml").read_text()
    hooks = (REPO / ".pre-commit-hooks.yaml").read_text()
    for text in (action, hooks):
        for command, flags in re.findall(r"tfkms (check|fix|guard)([^\n]*)", text):
            help_text = _flags(command)
            for flag in re.findall(r"--[a-z-]+", flags):
                assert flag in help_text, f"tfkms {command} has no {flag}"
    for flag in ("--format", "--target", "--state", "-o"):
        assert flag in action
    assert "<!-- tfkms:" in (REPO / "docs" / "ci.md").read_text()
