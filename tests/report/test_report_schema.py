"""Every JSON report validates against the published schema (tfkms/schemas/report.schema.json)."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from conftest import FIXTURES, GOLDEN_FIX, REPO
from tfkms.cli import app

SCHEMA = json.loads((REPO / "tfkms" / "schemas" / "report.schema.json").read_text())
RUNS = [
    ["check", str(FIXTURES / "monorepo-live"), "--target", "hardware"],
    ["check", str(FIXTURES / "secrets-platform")],
    ["fix", str(GOLDEN_FIX / "module-called-twice" / "input"), "--state",
     str(GOLDEN_FIX / "module-called-twice" / "show.json")],
    ["fix", str(GOLDEN_FIX / "registry-module" / "input"), "--state",
     str(GOLDEN_FIX / "registry-module" / "state.tfstate")],
    ["guard", str(REPO / "fixtures" / "plans" / "replace_key_dkms.json")],
]


@pytest.mark.parametrize("args", RUNS, ids=lambda a: a[0] + ":" + Path(a[1]).name)
def test_report_matches_schema(args: list[str]) -> None:
    result = CliRunner().invoke(app, [*args, "--format", "json"])
    report = json.loads(result.stdout)
    jsonschema.validate(report, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert report["exit_code"] == result.exit_code and not report["errors"]


def test_schema_rejects_a_broken_report() -> None:
    result = CliRunner().invoke(app, RUNS[1] + ["--format", "json"])
    report = json.loads(result.stdout)
    report["findings"][0]["rule"] = "KMS-1"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(report, SCHEMA)
