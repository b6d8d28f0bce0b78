"""Exit codes, in one place (they follow `terraform plan -detailed-exitcode`)."""
from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0  # nothing needs action
    ERROR = 1  # bad input, I/O failure, API failure
    ACTION_NEEDED = 2  # findings that block or need action, or changes pending

    @staticmethod
    def combine(statuses: list[ExitStatus]) -> ExitStatus:
        """Across many paths: any error wins, then any action needed."""
        if ExitStatus.ERROR in statuses:
            return ExitStatus.ERROR
        if ExitStatus.ACTION_NEEDED in statuses:
            return ExitStatus.ACTION_NEEDED
        return ExitStatus.OK
