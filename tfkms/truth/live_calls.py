"""The call machinery behind the live truth source: options, error classification, the
shared QPS cap, endpoints, SDK clients, retries with backoff and full jitter, progress."""

from __future__ import annotations

import random
import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

from tfkms import __version__
from tfkms.errors import TfkmsError

# Alibaba Cloud publishes no per-API quota for these management calls that we could
# verify, so the defaults stay well below anything a shared account is likely to allow.
DEFAULT_QPS = 25.0
DEFAULT_CONCURRENCY = 8
PAGE_SIZE = 100  # the maximum every List* call here accepts
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "Throttling.User",
        "Throttling.Api",
        "Rejected.Throttling",
        "ThrottlingException",
        "ServiceUnavailable",
        "SerivceUnavailableTemporary",
    }
)
# the call is not served at all (an older gateway, a partial emulator): optional data only
UNSUPPORTED_CODES = frozenset(
    {"InvalidAction.NotFound", "InvalidApi.NotFound", "UnsupportedOperation", "InvalidAction"}
)
_HINTS = {
    "SignatureDoesNotMatch": "the access key secret does not match the access key id; check the credentials (environment, --profile)",
    "IncompleteSignature": "the request signature was refused; check the credentials and the system clock",
    "InvalidAccessKeyId.NotFound": "the access key id is unknown; check the credentials (environment, --profile)",
    "InvalidAccessKeyId": "the access key id is unknown; check the credentials (environment, --profile)",
    "InvalidTimeStamp.Expired": "the system clock is off; sync it",
    "Forbidden.NoPermission": "grant the identity read access to KMS (for example AliyunKMSReadOnlyAccess)",
    "Forbidden.RAM": "grant the identity read access to KMS (for example AliyunKMSReadOnlyAccess)",
    "InvalidCredentials": "no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET or pass --profile",
    "ConnectionError": "check --endpoint, the network and the HTTP(S)_PROXY variables",
}
REGION_PATTERN = re.compile(r"^[a-z]{2,}(-[a-z0-9]+)+$")


@dataclass
class LiveOptions:
    """How to reach the API and how hard to push it."""

    endpoint: str | None = None  # None: kms.<region>.aliyuncs.com; "host[:port]", "https://host",
    #                              "http://127.0.0.1:PORT" (emulator); "{region}" is substituted
    profile: str | None = None  # aliyun CLI profile (~/.aliyun/config.json); None: the default chain
    qps: float = DEFAULT_QPS  # cap on requests per second across all threads (<= 0: no cap)
    concurrency: int = DEFAULT_CONCURRENCY
    max_attempts: int = 8  # per call, first try included
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 10.0
    backoff_base_s: float = 0.2  # delay before retry n is uniform(0, min(cap, base * 2**(n-1)))
    backoff_cap_s: float = 10.0
    key_versions: bool = False  # one ListKeyVersions per key to fill version_count
    signature: str = "v3"  # "v3" (ACS3-HMAC-SHA256) or "v2" (RPC HMAC-SHA1)
    credentials: Any = None  # an alibabacloud_credentials Client; None: resolved from `profile`
    sleep: Callable[[float], None] | None = None  # injected for tests; None: interruptible wait
    clock: Callable[[], float] = time.monotonic
    jitter: Callable[[], float] = random.random


class LiveCallError(TfkmsError):
    """A KMS call that failed for good; the message is one line for the user."""

    def __init__(
        self, region: str, action: str, code: str | None, status: int | None, detail: str, attempts: int
    ) -> None:
        self.region, self.action, self.code, self.status, self.attempts = region, action, code, status, attempts
        where = f"{region}: {action} failed"
        if attempts > 1:
            where += f" after {attempts} attempts"
        what = f"{code} (HTTP {status})" if code and status else (code or "error")
        hint = _HINTS.get(code or "")
        if code in THROTTLING_CODES or status == 429:
            hint = "the account is throttled; lower --qps or --concurrency"
        super().__init__(f"{where}: {what}: {detail}" + (f" ({hint})" if hint else ""))


class _Cancelled(Exception):
    """Another call of the run failed; stop quietly."""


@dataclass
class _Failure:
    retryable: bool
    code: str | None
    status: int | None
    detail: str
    retry_after_s: float | None = None


def _classify(exc: Exception) -> _Failure:
    """Sort an SDK exception into retryable or not, with what the user should read."""
    from Tea.exceptions import UnretryableException

    code = getattr(exc, "code", None)
    code = None if code in (None, "None", "") else str(code)
    status = getattr(exc, "status_code", None)
    data = getattr(exc, "data", None)
    if isinstance(data, dict) and (data.get("Message") or data.get("message")):
        detail = str(data.get("Message") or data.get("message"))
        if data.get("RequestId"):
            detail += f" [request id {data['RequestId']}]"
    else:  # transport errors quote the request URL (query included): keep only the cause
        inner = getattr(exc, "inner_exception", None) or exc
        text = str(getattr(inner, "message", None) or inner or type(inner).__name__)
        detail = re.sub(r" with url: \S+", "", text.splitlines()[0] if text else type(exc).__name__)
    retry_after = getattr(exc, "retry_after", None)
    if type(exc).__name__ == "ThrottlingException" or retry_after:
        return _Failure(True, code or "Throttling", status, detail, (retry_after or 0) / 1000 or None)
    if code in THROTTLING_CODES or status == 429 or (isinstance(status, int) and status >= 500):
        return _Failure(True, code, status, detail)
    if isinstance(exc, (UnretryableException, OSError)):  # refused, reset, timed out
        return _Failure(True, "ConnectionError", None, f"cannot reach the KMS endpoint: {detail}")
    return _Failure(False, code, status, detail)


def is_not_found(failure: _Failure) -> bool:
    code = failure.code or ""
    return code.startswith("Forbidden.") and code.endswith("NotFound")


def is_unsupported(failure: _Failure) -> bool:
    return failure.code in UNSUPPORTED_CODES or failure.status == 501


class _RateLimiter:
    """Token bucket of capacity one, shared by all threads: requests are spaced 1/qps apart."""

    def __init__(self, qps: float, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self._interval = 1.0 / qps if qps > 0 else 0.0
        self._clock, self._sleep = clock, sleep
        self._next = clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        if not self._interval:
            return
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self._interval
        if slot > now:
            self._sleep(slot - now)


@dataclass(frozen=True)
class _Endpoint:
    host: str | None  # None: the SDK's region rule
    protocol: str | None
    loopback: bool  # the emulator: one host for every region, so name the region in RegionId


def endpoint_for(endpoint: str | None, region: str) -> _Endpoint:
    if not endpoint:
        return _Endpoint(None, None, False)
    text = endpoint.replace("{region}", region).strip()
    parts = urlsplit(text if "://" in text else f"//{text}")
    if (
        parts.scheme.lower() not in ("", "http", "https")
        or not parts.netloc
        or parts.path not in ("", "/")
        or parts.query
    ):
        raise TfkmsError(f"--endpoint {endpoint!r}: expected a host, host:port, https://host or http://127.0.0.1:PORT")
    hostname = (parts.hostname or "").lower()
    loopback = hostname in ("localhost", "::1") or hostname.startswith("127.")
    # without a scheme: HTTPS, as production requires; plain HTTP on loopback (an emulator)
    scheme = parts.scheme.lower() or ("http" if loopback else "https")
    return _Endpoint(parts.netloc, scheme, loopback)


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
        self.limiter = _RateLimiter(options.qps, options.clock, self._sleep)
        credential = credential_client(options)
        self.clients = {region: kms_client(region, options, credential) for region in regions}
        self.pool = ThreadPoolExecutor(max_workers=max(1, options.concurrency), thread_name_prefix="tfkms-kms")
        self.progress = Progress(regions) if progress else None

    def _wait(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise _Cancelled()

    def close(self) -> None:
        self.stop.set()
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self.progress:
            self.progress.close()

    # ------------------------------------------------------------ one call

    def call(self, region: str, action: str, request: Any, tolerate: Callable[[_Failure], bool] | None = None) -> Any:
        """Send one request with retries; returns the response body, or None when tolerated."""
        method = getattr(self.clients[region], re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower())
        attempt = 0
        while True:
            attempt += 1
            if self.stop.is_set():
                raise _Cancelled()
            self.limiter.acquire()
            try:
                return method(request).body
            except Exception as exc:  # noqa: BLE001 (every SDK failure is sorted below)
                failure = _classify(exc)
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
                elif failure is None or (isinstance(failure, _Cancelled) and not isinstance(error, _Cancelled)):
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


def credential_client(options: LiveOptions) -> Any:
    """The default chain (env, OIDC, aliyun CLI config, credentials file, ECS role), or one CLI profile."""
    from alibabacloud_credentials.client import Client as CredentialClient

    if options.credentials is not None:
        return options.credentials
    if options.profile:
        from alibabacloud_credentials.provider.cli_profile import (
            CLIProfileCredentialsProvider,
        )

        client = CredentialClient(provider=CLIProfileCredentialsProvider(profile_name=options.profile))
    else:
        client = CredentialClient()
    try:  # resolve once, up front: a missing credential is one clear error, not N failed calls
        client.get_credential()
    except Exception as exc:  # noqa: BLE001 (CredentialException and provider errors alike)
        source = f"aliyun CLI profile {options.profile!r}" if options.profile else "the default credential chain"
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TfkmsError(
            f"no Alibaba Cloud credentials from {source}: {first_line[:300]}. Set ALIBABA_CLOUD_ACCESS_KEY_ID and "
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET, pass --profile NAME, or run with an ECS RAM role"
        ) from None
    return client


def kms_client(region: str, options: LiveOptions, credential: Any) -> Any:
    from alibabacloud_kms20160120.client import Client
    from alibabacloud_tea_openapi.utils_models import Config, GlobalParameters

    target = endpoint_for(options.endpoint, region)
    config = Config(
        credential=credential,
        region_id=region,
        endpoint=target.host,
        protocol=target.protocol,
        connect_timeout=int(options.connect_timeout_s * 1000),  # the SDK takes milliseconds
        read_timeout=int(options.read_timeout_s * 1000),
        max_idle_conns=max(1, options.concurrency),
        user_agent=f"tfkms/{__version__}",
        signature_algorithm="v2" if options.signature == "v2" else None,
        global_parameters=GlobalParameters(queries={"RegionId": region}) if target.loopback else None,
    )
    return Client(config)


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


# ---------------------------------------------------------------- the collection
