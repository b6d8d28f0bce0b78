"""Live KMS calls, the run: one collection's pool, limiter, clients, retries with backoff and full
jitter, and progress; plus the small readers of API answers."""
from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import Any

from tfkms.progress import Progress
from tfkms.truth.live_errors import Cancelled, Failure, LiveCallError, classify, is_unsupported
from tfkms.truth.live_transport import PAGE_SIZE, LiveOptions, RateLimiter, credential_client, kms_client


def text_or_none(value: Any) -> str | None:
    """API strings: empty means absent."""
    return None if value is None or value == "" else str(value)


def instance_type_of(*reported: Any) -> str | None:
    words = " ".join(str(v).lower() for v in reported if v)
    if "hardware" in words or "hsm" in words:
        return "hardware"
    if "software" in words:
        return "software"
    return None


class CallRun:
    """One collection: credentials, a client per region, the pool, the limiter, progress."""

    def __init__(self, options: LiveOptions, regions: list[str], progress: bool) -> None:
        self.options = options
        self.stop = threading.Event()
        self._sleep = options.sleep or self._wait
        self.limiter = RateLimiter(options.qps, options.clock, self._sleep)
        credential = credential_client(options)
        self.clients = {region: kms_client(region, options, credential) for region in regions}
        self.pool = ThreadPoolExecutor(max_workers=max(1, options.concurrency), thread_name_prefix="tfkms-kms")
        self.progress = Progress(regions) if progress else None

    def _wait(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise Cancelled()

    def close(self) -> None:
        self.stop.set()
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self.progress:
            self.progress.close()

    # ------------------------------------------------------------ one call

    def call(self, region: str, action: str, request: Any, tolerate: Callable[[Failure], bool] | None = None) -> Any:
        """Send one request with retries; returns the response body, or None when tolerated."""
        method = getattr(self.clients[region], re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower())
        attempt = 0
        while True:
            attempt += 1
            if self.stop.is_set():
                raise Cancelled()
            self.limiter.acquire()
            try:
                return method(request).body
            except Exception as exc:  # noqa: BLE001 (every SDK failure is sorted below)
                failure = classify(exc)
                if tolerate is not None and tolerate(failure):
                    return None
                if not failure.retryable or attempt >= self.options.max_attempts:
                    self.stop.set()  # no other thread starts a new attempt from now on
                    raise LiveCallError(region, action, failure.code, failure.status, failure.detail, attempt) from None
                ceiling = min(self.options.backoff_cap_s, self.options.backoff_base_s * 2 ** (attempt - 1))
                delay = failure.retry_after_s if failure.retry_after_s is not None else ceiling * self.options.jitter()
                self._sleep(min(delay, self.options.backoff_cap_s))

    def paginate(
        self,
        region: str,
        action: str,
        make_request: Callable[[int], Any],
        items_of: Callable[[Any], list],
        optional: bool = False,
    ) -> list | None:
        """Every item of a page-numbered listing, in order, without duplicates.

        `optional`: None when the endpoint does not serve the action at all.
        """
        items: list = []
        seen: set = set()  # an item can shift onto the next page while we list
        page = 1
        while True:
            body = self.call(region, action, make_request(page), tolerate=is_unsupported if optional else None)
            if body is None:
                return None
            batch = items_of(body) or []
            for item in batch:
                if item not in seen:
                    seen.add(item)
                    items.append(item)
            total = body.total_count
            # TotalCount drives the loop; a short or empty page ends it when the count is absent
            if (
                not batch
                or (total is not None and len(items) >= int(total))
                or (total is None and len(batch) < PAGE_SIZE)
            ):
                return items
            page += 1

    def gather(self, jobs: list[tuple[str, Callable[[], Any]]]) -> list[Any]:
        """Run (region, job) pairs on the pool; the first failure cancels the rest."""
        futures: dict[Future, int] = {self.pool.submit(job): i for i, (_, job) in enumerate(jobs)}
        results: list[Any] = [None] * len(jobs)
        failure: BaseException | None = None
        try:
            for future in as_completed(futures):
                if future.cancelled():
                    continue
                error = future.exception()
                if error is None:
                    results[futures[future]] = future.result()
                    if self.progress:
                        self.progress.advance(jobs[futures[future]][0])
                elif failure is None or (isinstance(failure, Cancelled) and not isinstance(error, Cancelled)):
                    failure = error  # keep the real cause, not a thread that merely stopped
                    self._cancel(futures)
        except BaseException:  # KeyboardInterrupt while waiting
            self._cancel(futures)
            raise
        if failure is not None:
            raise failure
        return results

    def _cancel(self, futures: Iterable[Future]) -> None:
        self.stop.set()
        for future in futures:
            future.cancel()
