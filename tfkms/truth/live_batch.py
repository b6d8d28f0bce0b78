"""Live KMS calls, a batch: jobs on the run's pool that may add jobs while they run (a listing
submits the describes of each page it reads, so page 1 is described while page 2 is listed),
gathered all or nothing: the first failure stops the run and cancels the rest."""
from __future__ import annotations

import queue
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, Protocol

from tfkms.progress import Progress
from tfkms.truth.live_errors import Cancelled, LiveDeadlineError


class RunOfBatch(Protocol):
    """What a batch needs of the run it belongs to (tfkms.truth.live_calls.CallRun)."""

    @property
    def stop(self) -> threading.Event: ...

    @property
    def pool(self) -> Executor: ...

    @property
    def progress(self) -> Progress | None: ...

    def remaining(self) -> float | None: ...

    def deadline_error(self, region: str | None = None, action: str | None = None) -> LiveDeadlineError: ...

    def halt(self) -> None: ...


class Batch:
    """Submit (region, job) pairs from any thread; `wait` returns (region, result) in submission order."""

    def __init__(self, run: RunOfBatch) -> None:
        self._run = run
        self._lock = threading.Lock()
        self._index: dict[Future, int] = {}  # by submission
        self._jobs: list[tuple[str, bool]] = []  # (region, is a listing), by submission
        self._finished: queue.SimpleQueue[Future] = queue.SimpleQueue()  # in the order they finish
        self._tally = _Tally(run) if run.progress else None

    def submit(self, region: str, job: Callable[[], Any], listing: bool = False) -> None:
        with self._lock:
            if self._run.stop.is_set():
                raise Cancelled()
            try:
                future = self._run.pool.submit(job)
            except RuntimeError:  # the pool shut down: the run is over
                raise Cancelled() from None
            self._index[future] = len(self._jobs)
            self._jobs.append((region, listing))
            future.add_done_callback(self._finished.put)
            if self._tally:
                self._tally.submitted(region, listing)

    def wait(self) -> list[tuple[str, Any]]:
        """Every job's result once all are done, jobs submitted meanwhile included. A job submits
        its follow-ups before it ends, so when nothing is pending nothing more can come."""
        results: dict[int, Any] = {}
        handled = 0
        failure: BaseException | None = None
        try:
            while True:
                with self._lock:
                    if handled == len(self._jobs):
                        break
                remaining = self._run.remaining()
                try:  # each call keeps the deadline itself; the wait here is bounded too, a little later
                    future = self._finished.get(timeout=None if remaining is None else max(0.0, remaining) + 2)
                except queue.Empty:
                    raise self._run.deadline_error() from None
                handled += 1
                with self._lock:
                    index = self._index[future]
                if future.cancelled():
                    continue
                error = future.exception()
                if error is None:
                    results[index] = future.result()
                    if self._tally:
                        with self._lock:
                            self._tally.finished(*self._jobs[index])
                elif failure is None or (isinstance(failure, Cancelled) and not isinstance(error, Cancelled)):
                    failure = error  # keep the real cause, not a thread that merely stopped
                    self._cancel()
        except BaseException:  # KeyboardInterrupt while waiting, or the deadline
            self._cancel()
            raise
        if failure is not None:
            raise failure
        return [(self._jobs[i][0], results[i]) for i in range(len(self._jobs))]

    def _cancel(self) -> None:
        self._run.halt()
        with self._lock:
            for future in self._index:
                future.cancel()


class _Tally:
    """Progress per region: "listing" while its listings run, then a bar over its other calls.
    Describes finish while pages are still listed, so the bar's total is known only once the
    region's listings are done; what finished before is counted then."""

    def __init__(self, run: RunOfBatch) -> None:
        assert run.progress is not None
        self._progress = run.progress
        self._listings: Counter[str] = Counter()
        self._expected: Counter[str] = Counter()
        self._done: Counter[str] = Counter()
        self._shown: set[str] = set()

    def submitted(self, region: str, listing: bool) -> None:
        if listing:
            self._listings[region] += 1
            return
        self._expected[region] += 1
        if region in self._shown:  # a late follow-up (keys' aliases on a gateway without ListAliases)
            self._show(region)

    def finished(self, region: str, listing: bool) -> None:
        if listing:
            self._listings[region] -= 1
            if not self._listings[region]:
                self._shown.add(region)
                self._show(region)
            return
        self._done[region] += 1
        if region in self._shown:
            self._progress.advance(region)

    def _show(self, region: str) -> None:
        self._progress.expect(region, self._expected[region])  # resets the bar to 0 of the total
        for _ in range(self._done[region]):
            self._progress.advance(region)
