"""Project settings: `[tool.tfkms]` in pyproject.toml or a `.tfkms.toml`, overridden by flags.

    [tool.tfkms]                      # or, in .tfkms.toml, the same keys at top level
    target = "hardware"               # check: software | hardware
    strategy = "auto"                 # fix: auto | instance-id | ignore-changes
    exclude = ["sandbox/*"]
    disable = ["TFKMS105"]            # rules to drop
    [tool.tfkms.severity]             # severity overrides: error | warning | info
    TFKMS102 = "error"
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfkms.analysis.result import Result
from tfkms.analysis.rules import RULES, Severity
from tfkms.errors import TfkmsError

CONFIG_NAMES = (".tfkms.toml", "pyproject.toml")


@dataclass
class Settings:
    source: Path | None = None
    target: str | None = None
    strategy: str | None = None
    exclude: list[str] = field(default_factory=list)
    disable: set[str] = field(default_factory=set)
    severity: dict[str, Severity] = field(default_factory=dict)

    def apply(self, result: Result) -> Result:
        """Drop disabled rules and apply severity overrides (they decide the exit code)."""
        result.findings = [f for f in result.findings if f.rule not in self.disable]
        for finding in result.findings:
            if finding.rule in self.severity:
                finding.severity = self.severity[finding.rule]
        return result


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise TfkmsError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise TfkmsError(f"{path}: not valid TOML: {exc}") from None


def find_settings_file(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest .tfkms.toml, or pyproject.toml with a [tool.tfkms] table, from `start` up."""
    for folder in [start, *start.parents]:
        for name in CONFIG_NAMES:
            path = folder / name
            if not path.is_file():
                continue
            data = _load_toml(path)
            if name == "pyproject.toml":
                table = data.get("tool", {}).get("tfkms")
                if table is None:
                    continue
                return path, table
            return path, data
    return None


def parse_settings(path: Path, table: dict[str, Any]) -> Settings:
    def fail(message: str) -> TfkmsError:
        return TfkmsError(f"{path}: {message}")

    known = {"target", "strategy", "exclude", "disable", "severity"}
    unknown = set(table) - known
    if unknown:
        raise fail(f"unknown setting(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
    settings = Settings(source=path)
    if "target" in table:
        if table["target"] not in ("software", "hardware"):
            raise fail("target must be software or hardware")
        settings.target = table["target"]
    if "strategy" in table:
        if table["strategy"] not in ("auto", "instance-id", "ignore-changes"):
            raise fail("strategy must be auto, instance-id or ignore-changes")
        settings.strategy = table["strategy"]
    exclude = table.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(e, str) for e in exclude):
        raise fail("exclude must be a list of glob strings")
    settings.exclude = exclude
    disable = table.get("disable", [])
    if not isinstance(disable, list) or any(r not in RULES for r in disable):
        raise fail(f"disable must list rule ids (TFKMS100...); unknown: {[r for r in disable if r not in RULES]}")
    settings.disable = set(disable)
    severity = table.get("severity", {})
    if not isinstance(severity, dict):
        raise fail("severity must be a table of RULE = \"error\" | \"warning\" | \"info\"")
    for rule, level in severity.items():
        if rule not in RULES or level not in ("error", "warning", "info"):
            raise fail(f"severity.{rule} = {level!r}: expected a rule id and error, warning or info")
        settings.severity[rule] = Severity(level)
    return settings


def load_settings(explicit: Path | None, start: Path) -> Settings:
    if explicit is not None:
        if not explicit.is_file():
            raise TfkmsError(f"--config {explicit}: no such file")
        data = _load_toml(explicit)
        table = data.get("tool", {}).get("tfkms", {}) if explicit.name == "pyproject.toml" else data
        return parse_settings(explicit, table)
    found = find_settings_file(start.resolve())
    return parse_settings(*found) if found else Settings()
