"""User-facing errors: each names the file (and line when known) and what to do."""
from __future__ import annotations

from dataclasses import dataclass


class TfkmsError(Exception):
    """A problem caused by the user's input or environment (never printed as a traceback)."""


@dataclass
class InputProblem:
    """One bad input file; the run goes on with the other files."""

    file: str
    line: int | None
    column: int | None
    message: str

    def render(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


class InputFileError(TfkmsError):
    """Raised for a single unreadable or malformed file."""

    def __init__(self, problem: InputProblem) -> None:
        super().__init__(problem.render())
        self.problem = problem
