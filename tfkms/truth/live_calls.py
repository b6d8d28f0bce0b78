"""Live KMS calls, the run: one collection's pool, pacing (the adaptive rate under the --qps cap),
clients, retries with backoff and full jitter, and progress; plus the small readers of API answers."""
from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tfkms import logs
from tfkms.progress import Progress
from tfkms.truth.adaptive_rate import AdaptiveRate
from tfkms.truth.live_batch import Batch
from tfkms.truth.live_errors import (
    CallTimeout,
    Cancelled,
    Failure,
    LiveAnswerError,
    LiveCallError,
    LiveDeadlineError,
    MalformedAnswer,
    classify,
    is_throttling,
    is_unsupported,
)
from tfkms.truth.live_transport import (
    MAX_PAGES,
    PAGE_SIZE,
    LiveOptions,
    RateLimiter,
    credential_client,
    kms_client,
)

_LOG = logs.get("live")


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


# What tfkms reads of each answer and the JSON type it must have; an absent or null field is
# always allowed (the readers treat it as unknown). An object spec lists the keys it checks,
# a one-element list spec is an array of such items. Anything else is a malformed answer:
# one clear error, never a traceback and never a value silently turned into text.
TEXT, COUNT, SCALAR = "text", "count", "scalar"
_LISTED = {"TotalCount": COUNT, "PageNumber": COUNT, "PageSize": COUNT}
_ALIASES = {"Aliases": {"Alias": [{"AliasName": TEXT, "KeyId": TEXT, "AliasArn": TEXT}]}, **_LISTED}
ANSWER_SHAPES: dict[str, dict[str, Any]] = {
    "ListKeys": {"Keys": {"Key": [{"KeyId": TEXT, "KeyArn": TEXT}]}, **_LISTED},
    "ListSecrets": {"SecretList": {"Secret": [{"SecretName": TEXT}]}, **_LISTED},
    "ListKmsInstances": {"KmsInstances": {"KmsInstance": [{"KmsInstanceId": TEXT, "KmsInstanceArn": TEXT}]},
                         **_LISTED},
    "ListAliases": _ALIASES,
    "ListAliasesByKeyId": _ALIASES,
    "ListKeyVersions": {"KeyVersions": {"KeyVersion": [{"KeyVersionId": TEXT}]}, **_LISTED},
    "DescribeKey": {"KeyMetadata": dict.fromkeys(
        ("KeyId", "Arn", "KeySpec", "KeyUsage", "KeyState", "ProtectionLevel", "Origin", "AutomaticRotation",
         "RotationInterval", "DKMSInstanceId", "Creator", "Description", "PrimaryKeyVersion"), TEXT)},
    "DescribeSecret": dict.fromkeys(
        ("SecretName", "Arn", "SecretType", "EncryptionKeyId", "DKMSInstanceId", "AutomaticRotation",
         "RotationInterval", "Description"), TEXT),
    "GetKmsInstance": {"KmsInstance": {**dict.fromkeys(
        ("InstanceId", "InstanceName", "ProductType", "ProductVersion", "Status"), TEXT), "Spec": SCALAR}},
}
_EXPECTED = {TEXT: "a string", COUNT: "a whole number >= 0", SCALAR: "a string or a number"}


def check_answer(action: str, body: Any) -> None:
    """Raise MalformedAnswer naming the first field of `body` whose type is not the documented one."""
    if not isinstance(body, dict):
        raise MalformedAnswer("the answer", f"is {_describe(body)}, expected a JSON object")
    _check(ANSWER_SHAPES.get(action, {}), body, "")


def _check(spec: Any, value: Any, path: str) -> None:
    if value is None:
        return
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            raise MalformedAnswer(path, f"is {_describe(value)}, expected an object")
        for name, inner in spec.items():
            _check(inner, value.get(name), f"{path}.{name}" if path else name)
    elif isinstance(spec, list):
        if not isinstance(value, list):
            raise MalformedAnswer(path, f"is {_describe(value)}, expected a list")
        for n, item in enumerate(value):
            _check(spec[0], item, f"{path}[{n}]")
    else:
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        ok = {TEXT: isinstance(value, str), COUNT: numeric and isinstance(value, int) and value >= 0,
              SCALAR: isinstance(value, str) or numeric}[spec]
        if not ok:
            raise MalformedAnswer(path, f"is {_describe(value)}, expected {_EXPECTED[spec]}")


def _describe(value: Any) -> str:
    kind = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(type(value), "a number")
    shown = repr(value)
    return f"{kind} {shown if len(shown) <= 40 else shown[:37] + '...'}"


def _checking(client: Any) -> Any:
    """The client with every answer checked against ANSWER_SHAPES before the SDK maps it to its models
    (whose from_map would crash on a list that is a string, or keep an object where text belongs)."""
    call_api = getattr(client, "call_api", None)
    if call_api is None:  # a stand-in client
        return client

    def checked(params: Any, request: Any, runtime: Any) -> Any:
        raw = call_api(params, request, runtime)
        check_answer(str(getattr(params, "action", "")), raw.get("body") if isinstance(raw, dict) else raw)
        return raw

    client.call_api = checked
    return client


class CallRun:
    """One collection: credentials, a client per region, the pool, the pacing, progress."""

    def __init__(self, options: LiveOptions, regions: list[str], progress: bool) -> None:
        self.options = options = options.started()
        self.stop = threading.Event()
        self._inflight: set[threading.Event] = set()  # woken when the run stops
        self._inflight_lock = threading.Lock()
        self._sleep = options.sleep or self._wait
        self.cap = RateLimiter(options.qps, options.clock, self._sleep)
        # --qps 0 (or less): no client-side pacing at all, the retries' backoff alone
        paced = options.qps is None or options.qps > 0
        self.rate = AdaptiveRate(options.clock, self._sleep) if paced else None
        credential = credential_client(options)
        self.clients = {region: _checking(kms_client(region, options, credential)) for region in regions}
        self.pool = ThreadPoolExecutor(max_workers=max(1, options.concurrency), thread_name_prefix="tfkms-kms")
        self.progress = Progress(regions) if progress else None

    def _wait(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise Cancelled()

    def halt(self) -> None:
        """No thread starts a new attempt from now on, and every waiting one wakes up."""
        self.stop.set()
        with self._inflight_lock:
            for wake in self._inflight:
                wake.set()

    def remaining(self) -> float | None:
        """Seconds left before the run's deadline (None: no deadline)."""
        deadline = self.options.deadline
        return None if deadline is None else deadline - time.monotonic()

    def deadline_error(self, region: str | None = None, action: str | None = None) -> LiveDeadlineError:
        self.halt()
        return LiveDeadlineError(self.options.timeout_s, region, action)

    def batch(self) -> Batch:
        return Batch(self)

    def close(self) -> None:
        self.halt()
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self.progress:
            self.progress.close()
        if self.rate is not None:
            done = self.rate.snapshot()
            final = "never limited" if done.rate_qps is None else f"ended at {done.rate_qps:.1f} requests/s"
            _LOG.info("adaptive rate: %d answers, %d throttled; %s", done.answers, done.throttles, final)

    # ------------------------------------------------------------ one call

    def call(self, region: str, action: str, request: Any, tolerate: Callable[[Failure], bool] | None = None) -> Any:
        """Send one request with retries; returns the response body, or None when tolerated."""
        method = getattr(self.clients[region], re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower())
        attempt = 0
        while True:
            attempt += 1
            if self.stop.is_set():
                raise Cancelled()
            remaining = self.remaining()
            if remaining is not None and remaining <= 0:
                raise self.deadline_error(region, action)
            sent_at = self.rate.acquire() if self.rate is not None else None
            self.cap.acquire()
            try:
                body = self._attempt(region, action, method, request).body
                if self.rate is not None:
                    self.rate.answered()
                return body
            except (Cancelled, LiveDeadlineError):
                raise
            except MalformedAnswer as exc:
                self.halt()
                raise LiveAnswerError(region, action, exc.field, exc.detail) from None
            except (AttributeError, TypeError, KeyError, ValueError) as exc:  # the SDK's from_map on a bad shape
                self.halt()
                raise LiveAnswerError(region, action, None, f"does not have the documented shape "
                                                            f"({type(exc).__name__})") from None
            except Exception as exc:  # noqa: BLE001 (every SDK failure is sorted below)
                failure = classify(exc)
                self._pace(failure, sent_at)
                if tolerate is not None and tolerate(failure):
                    return None
                if not failure.retryable or attempt >= self.options.max_attempts:
                    self.halt()  # no other thread starts a new attempt from now on
                    raise LiveCallError(region, action, failure.code, failure.status, failure.detail, attempt) from None
                ceiling = min(self.options.backoff_cap_s, self.options.backoff_base_s * 2 ** (attempt - 1))
                delay = failure.retry_after_s if failure.retry_after_s is not None else ceiling * self.options.jitter()
                delay = min(delay, self.options.backoff_cap_s)
                remaining = self.remaining()
                if remaining is not None and delay >= remaining:
                    raise self.deadline_error(region, action) from None
                self._sleep(delay)

    def _pace(self, failure: Failure, sent_at: float | None) -> None:
        if self.rate is None:
            return
        if is_throttling(failure):
            self.rate.throttled(failure.retry_after_s, sent_at)
        elif failure.status is not None:  # the server answered (a not-found, a refusal): it keeps up
            self.rate.answered()

    def _attempt(self, region: str, action: str, method: Callable[[Any], Any], request: Any) -> Any:
        """One SDK call under a total deadline (the attempt's and the run's). The SDK's read timeout
        is per read, so the call runs in a daemon thread that is abandoned at the deadline: it can
        never hold the run, nor the interpreter's exit."""
        outcome: list[tuple[bool, Any]] = []
        wake = threading.Event()

        def run() -> None:
            try:
                outcome.append((True, method(request)))
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
                outcome.append((False, exc))
            finally:
                wake.set()

        with self._inflight_lock:
            self._inflight.add(wake)
        try:
            threading.Thread(target=run, name=f"tfkms-kms-{action}", daemon=True).start()
            limit = time.monotonic() + self.options.call_timeout_s
            while not outcome:
                if self.stop.is_set():
                    raise Cancelled()
                remaining = self.remaining()
                if remaining is not None and remaining <= 0:
                    raise self.deadline_error(region, action)
                left = limit - time.monotonic()
                if left <= 0:
                    raise CallTimeout(f"no complete answer within {self.options.call_timeout_s:g} s")
                wake.wait(left if remaining is None else min(left, remaining))
        finally:
            with self._inflight_lock:
                self._inflight.discard(wake)
        ok, value = outcome[0]
        if ok:
            return value
        raise value

    def paginate(
        self,
        region: str,
        action: str,
        make_request: Callable[[int], Any],
        items_of: Callable[[Any], list],
        optional: bool = False,
        on_page: Callable[[list], None] | None = None,
    ) -> list | None:
        """Every item of a page-numbered listing, in order, without duplicates.

        `optional`: None when the endpoint does not serve the action at all.
        `on_page`: called with each page's new items as soon as it is read (to describe them
        while the next page is listed).
        A page that brings nothing new (a server that ignores PageNumber), or more pages than
        TotalCount allows, is an error: the listing would be incomplete or endless.
        """
        items: list = []
        seen: set = set()  # an item can shift onto the next page while we list
        page = 1
        first_size = 0
        while True:
            body = self.call(region, action, make_request(page), tolerate=is_unsupported if optional else None)
            if body is None:
                return None
            batch = items_of(body) or []
            fresh = [item for item in dict.fromkeys(batch) if item not in seen]
            seen.update(fresh)
            items += fresh
            if batch and not fresh:
                self.halt()
                raise LiveAnswerError(region, action, None, f"page {page} repeats items of earlier pages "
                                      "(the server ignores PageNumber?), so the listing cannot be completed")
            if on_page is not None and fresh:
                on_page(fresh)
            total = body.total_count  # checked by check_answer: None or a whole number
            if not batch and total is not None and len(items) < int(total):
                self.halt()
                raise LiveAnswerError(region, action, "TotalCount", f"says {total} but the pages ended after "
                                      f"{len(items)} items, so the listing is incomplete")
            # TotalCount drives the loop; a short or empty page ends it when the count is absent
            if (
                not batch
                or (total is not None and len(items) >= int(total))
                or (total is None and len(batch) < PAGE_SIZE)
            ):
                return items
            first_size = first_size or len(batch)
            allowed = MAX_PAGES if total is None else -(-int(total) // first_size) + 1
            if page >= allowed:
                self.halt()
                raise LiveAnswerError(region, action, "TotalCount" if total is not None else None,
                                      f"{'says ' + str(total) + ' but ' if total is not None else ''}"
                                      f"{page} pages gave {len(items)} items and more keep coming")
            page += 1

    def gather(self, jobs: Sequence[tuple[str, Callable[[], Any]]]) -> list[Any]:
        """Run (region, job) pairs on the pool; the first failure cancels the rest."""
        batch = self.batch()
        for region, job in jobs:
            batch.submit(region, job)
        return [result for _, result in batch.wait()]
