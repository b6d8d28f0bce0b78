"""What a GitHub command did (one line per action, printed by the command) and how it exits."""
from __future__ import annotations

from dataclasses import dataclass, field

from tfkms.analysis.result import Result
from tfkms.status import ExitStatus


@dataclass
class Outcome:
    actions: list[str] = field(default_factory=list)
    status: ExitStatus = ExitStatus.OK


def needs_human(result: Result) -> bool:
    """Would the fix's exit status still be 2 once every patch is in? (findings no patch fixes)"""
    patched = {p.display for p in result.patches if p.original != p.patched}
    return any(f.needs_action and not (f.fixed_by and set(f.fixed_by) <= patched) for f in result.findings)


def delivered_status(result: Result) -> ExitStatus:
    return ExitStatus.ACTION_NEEDED if needs_human(result) else ExitStatus.OK
