"""A progress bar per region on a terminal (rich), for long live collections."""
from __future__ import annotations


class Progress:
    """One rich progress bar per region, on stderr."""

    def __init__(self, regions: list[str]) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bar = Progress(
            TextColumn("{task.description:<28}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )
        self._tasks = {r: self._bar.add_task(f"{r}: listing", total=None) for r in regions}
        self._bar.start()

    def expect(self, region: str, calls: int) -> None:
        self._bar.update(self._tasks[region], total=calls, completed=0, description=f"{region}: describing")

    def advance(self, region: str) -> None:
        self._bar.advance(self._tasks[region])

    def close(self) -> None:
        self._bar.stop()
