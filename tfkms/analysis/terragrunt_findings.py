"""What every command says about Terragrunt units: the ones tfkms cannot judge (TFKMS204: a remote
module, a source or include it cannot evaluate) and, after a fix, which units run a module it edits."""
from __future__ import annotations

import os
from pathlib import Path

from tfkms.analysis.result import Finding, Result
from tfkms.analysis.rules import RULES, Severity
from tfkms.config.scan import Project
from tfkms.config.syntax import SourceFile


def refused_units(project: Project) -> list[Finding]:
    """TFKMS204 per unit tfkms does not judge, saying why; nothing is written for it."""
    return [Finding(rule="TFKMS204", severity=Severity.WARNING, hint=RULES["TFKMS204"].help,
                    message=f"Terragrunt unit not checked: {unit.refusal}",
                    root=unit.display, file=unit.file.display, line=_source_line(unit.file))
            for unit in project.units if unit.refusal is not None]


def _source_line(source: SourceFile) -> int:
    """The line of the unit's `terraform.source` (what the refusal is about), else 1."""
    for block in source.blocks:
        if block.type == "terraform" and "source" in block.attributes:
            return block.attributes["source"].line
    return 1


def say_units(project: Project, result: Result) -> None:
    """After `fix`: the refused units, and for each patched file inside a module that units run, the
    units of the scan that share it (like TFKMS211 for callers outside the scan)."""
    result.findings.extend(refused_units(project))
    runners: dict[Path, list[str]] = {}
    for unit in project.units:
        if unit.module_path is not None and unit.refusal is None:
            runners.setdefault(Path(os.path.abspath(unit.module_path)), []).append(unit.display)
    for patch in result.patches:
        folder = Path(os.path.abspath(patch.path)).parent
        units = runners.get(folder)
        if not units:
            continue
        message = (f"the fix edits {patch.display}, in the module Terragrunt units {', '.join(sorted(units))} run "
                   "(terraform.source); any other unit running it keeps its plan (the new variable defaults to null)")
        existing = next((f for f in result.findings if f.rule == "TFKMS211" and f.file == patch.display), None)
        if existing is not None:
            existing.message += f"; {message.removeprefix(f'the fix edits {patch.display}, ')}"
            continue
        result.findings.append(Finding(rule="TFKMS211", severity=Severity.INFO, hint=RULES["TFKMS211"].help,
                                       message=message, file=patch.display, line=1))
