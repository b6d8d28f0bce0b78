"""`tfkms check` on every scenario under fixtures/terraform/.

Two independent checks per scenario and target: the rules each address must get, read from the
scenario's EXPECTED.md (written from the vendor guide, not from tfkms), and a reviewed syrupy
snapshot of the whole JSON report.
"""
from __future__ import annotations

import contextlib
import json
import re

import pytest
from typer.testing import CliRunner

from conftest import FIXTURES
from tfkms.cli import app

SCENARIOS = sorted(p.name for p in FIXTURES.iterdir() if (p / "EXPECTED.md").exists())
TARGETS = ("software", "hardware")


def _expected(scenario: str) -> tuple[dict[str, dict[str, set[str] | None]], dict[str, int]]:
    text = (FIXTURES / scenario / "EXPECTED.md").read_text()
    rows = [line for line in text.splitlines() if line.startswith("|")]
    header = [c.strip() for c in rows[0].strip("|").split("|")] if rows else []
    rules: dict[str, dict[str, set[str] | None]] = {t: {} for t in TARGETS}
    if "`--target software`" in header:
        columns = {t: header.index(f"`--target {t}`") for t in TARGETS}
        for row in rows[2:]:
            cells = [c.strip() for c in row.strip("|").split("|")]
            if not cells[0].startswith("`"):
                continue
            for target, column in columns.items():
                cell = cells[column]
                wanted = None if "no assertion" in cell else set(re.findall(r"TFKMS\d+", re.sub(r"\(\+[^)]*\)", "", cell)))
                rules[target][cells[0].strip("`")] = wanted
    codes = re.search(r"`--target software` \*\*(\d)\*\*, `--target hardware` \*\*(\d)\*\*", text.replace("\n", " "))
    assert codes, f"{scenario}/EXPECTED.md states no exit codes"
    return rules, {"software": int(codes.group(1)), "hardware": int(codes.group(2))}


def _check(scenario: str, target: str) -> tuple[int, dict]:
    with contextlib.chdir(FIXTURES / scenario):  # paths print relative to the working directory
        result = CliRunner().invoke(app, ["check", ".", "--target", target, "--format", "json"])
    data = json.loads(result.stdout)
    data["paths"] = [scenario]
    data.pop("tool")
    return result.exit_code, data


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_rules_match_the_independent_expectation(scenario: str, target: str) -> None:
    rules, codes = _expected(scenario)
    code, data = _check(scenario, target)
    got: dict[str, set[str]] = {}
    for finding in data["findings"]:
        if not finding.get("suppressed"):
            got.setdefault(finding["address"], set()).add(finding["rule"])
    for address, wanted in rules[target].items():
        if wanted is not None:  # TFKMS109 belongs to the provider, not to a resource address
            assert got.get(address, set()) - {"TFKMS109"} == wanted - {"TFKMS109"}, address
    if any("TFKMS109" in (w or set()) for w in rules[target].values()):
        assert any(f["rule"] == "TFKMS109" for f in data["findings"])
    assert code == codes[target]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_report_snapshot(scenario: str, target: str, snapshot) -> None:  # type: ignore[no-untyped-def]
    code, data = _check(scenario, target)
    assert {"code": code, "report": data} == snapshot
