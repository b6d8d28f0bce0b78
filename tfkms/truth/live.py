"""The live KMS API as a truth source, on the official SDK (alibabacloud-kms20160120).

Read-only and metadata-only: ListKeys/DescribeKey, ListAliases, ListSecrets/
DescribeSecret, ListKmsInstances/GetKmsInstance (and ListKeyVersions on request).
GetSecretValue is never called. Calls run on a bounded thread pool under one QPS cap
shared by every thread of a run; throttling, 5xx, timeouts and dropped connections are
retried with exponential backoff and full jitter, a bounded number of times. A call
that still fails raises LiveCallError and the run returns nothing, so no caller can
write a partial snapshot. The SDK is imported lazily: importing this module is cheap.
"""

from __future__ import annotations

import random
import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from functools import partial
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

from tfkms import __version__
from tfkms.errors import TfkmsError
from tfkms.truth.model import CloudInstance, CloudKey, CloudSecret, Inventory, RegionInventory

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
_REGION = re.compile(r"^[a-z]{2,}(-[a-z0-9]+)+$")


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


def _is_not_found(failure: _Failure) -> bool:
    code = failure.code or ""
    return code.startswith("Forbidden.") and code.endswith("NotFound")


def _is_unsupported(failure: _Failure) -> bool:
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


def _endpoint_for(endpoint: str | None, region: str) -> _Endpoint:
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


def _text(value: Any) -> str | None:
    """API strings: empty means absent."""
    return None if value is None or value == "" else str(value)


def _instance_type(*reported: Any) -> str | None:
    words = " ".join(str(v).lower() for v in reported if v)
    if "hardware" in words or "hsm" in words:
        return "hardware"
    if "software" in words:
        return "software"
    return None


class _Run:
    """One collection: credentials, a client per region, the pool, the limiter, progress."""

    def __init__(self, options: LiveOptions, regions: list[str], progress: bool) -> None:
        self.options = options
        self.stop = threading.Event()
        self._sleep = options.sleep or self._wait
        self.limiter = _RateLimiter(options.qps, options.clock, self._sleep)
        credential = _credential_client(options)
        self.clients = {region: _kms_client(region, options, credential) for region in regions}
        self.pool = ThreadPoolExecutor(max_workers=max(1, options.concurrency), thread_name_prefix="tfkms-kms")
        self.progress = _Progress(regions) if progress else None

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
            body = self.call(region, action, make_request(page), tolerate=_is_unsupported if optional else None)
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


def _credential_client(options: LiveOptions) -> Any:
    """The default chain (env, OIDC, aliyun CLI config, credentials file, ECS role), or one CLI profile."""
    from alibabacloud_credentials.client import Client as CredentialClient

    if options.credentials is not None:
        return options.credentials
    if options.profile:
        from alibabacloud_credentials.provider.cli_profile import CLIProfileCredentialsProvider

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


def _kms_client(region: str, options: LiveOptions, credential: Any) -> Any:
    from alibabacloud_kms20160120.client import Client
    from alibabacloud_tea_openapi.utils_models import Config, GlobalParameters

    target = _endpoint_for(options.endpoint, region)
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


class _Progress:
    """One rich progress bar per region, on stderr."""

    def __init__(self, regions: list[str]) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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


def collect_inventory(regions: list[str], options: LiveOptions | None = None, progress: bool = False) -> Inventory:
    """Every key, alias, secret and KMS instance of `regions`; all or nothing."""
    options = options or LiveOptions()
    regions = _checked_regions(regions, options)
    run = _Run(options, regions, progress)
    try:
        parts = ("keys", "secrets", "aliases", "instances")
        listed = run.gather([(r, partial(_list, run, r, part)) for r in regions for part in parts])
        listing = {(r, part): listed[i * len(parts) + j] for i, r in enumerate(regions) for j, part in enumerate(parts)}
        jobs: list[tuple[str, Callable[[], Any]]] = []
        for region in regions:
            key_ids = listing[region, "keys"]
            before = len(jobs)
            jobs += [(region, partial(_describe_key, run, region, k)) for k in key_ids]
            jobs += [(region, partial(_describe_secret, run, region, s)) for s in listing[region, "secrets"]]
            jobs += [(region, partial(_get_instance, run, region, i)) for i in listing[region, "instances"]]
            if listing[region, "aliases"] is None:  # ListAliases not served: ask key by key
                jobs += [(region, partial(_aliases_of_key, run, region, k)) for k in key_ids]
            if options.key_versions:
                jobs += [(region, partial(_version_count, run, region, k)) for k in key_ids]
            if run.progress:
                run.progress.expect(region, len(jobs) - before)
        details = run.gather(jobs)
    finally:
        run.close()
    inventory = Inventory(generated_at=_utc_now(), source=f"live:{options.endpoint}" if options.endpoint else "live")
    for region in regions:
        aliases: dict[str, list[str]] = {}
        for name, key_id in listing[region, "aliases"] or []:
            aliases.setdefault(key_id, []).append(name)
        inventory.regions[region] = _assemble(
            region, [d for (r, _), d in zip(jobs, details, strict=True) if r == region], aliases
        )
    return inventory


def describe_resources(
    region: str, key_ids: Iterable[str], secret_names: Iterable[str], options: LiveOptions | None = None
) -> Inventory:
    """Current facts for the named keys and secrets only (identity comes from a state file).

    A key or secret the API does not know is absent from the result. Aliases are not
    collected here. Instances that the found objects live in are described too.
    """
    options = options or LiveOptions()
    region = _checked_regions([region], options)[0]
    run = _Run(options, [region], progress=False)
    try:
        jobs: list[tuple[str, Callable[[], Any]]] = [
            (region, partial(_describe_key, run, region, k)) for k in dict.fromkeys(key_ids)
        ]
        jobs += [(region, partial(_describe_secret, run, region, s)) for s in dict.fromkeys(secret_names)]
        found = run.gather(jobs)
        instance_ids = {obj.dkms_instance_id for _, obj in found if obj is not None and obj.dkms_instance_id}
        found += run.gather([(region, partial(_get_instance, run, region, i)) for i in sorted(instance_ids)])
    finally:
        run.close()
    inventory = Inventory(generated_at=_utc_now(), source=f"live:{options.endpoint}" if options.endpoint else "live")
    inventory.regions[region] = _assemble(region, found, {})
    return inventory


def _checked_regions(regions: Iterable[str], options: LiveOptions) -> list[str]:
    unique = list(dict.fromkeys(r.strip() for r in regions))
    if not unique:
        raise TfkmsError("name at least one region (--region cn-hangzhou)")
    for region in unique:
        if not _REGION.match(region):
            raise TfkmsError(f"{region!r} is not a region id (for example cn-hangzhou, ap-southeast-1)")
    if options.signature not in ("v3", "v2"):
        raise TfkmsError(f"unknown signature {options.signature!r}: use v3 or v2")
    shared_host = options.endpoint and "{region}" not in options.endpoint
    if len(unique) > 1 and shared_host and not _endpoint_for(options.endpoint, unique[0]).loopback:
        raise TfkmsError(
            f"--endpoint {options.endpoint} serves one region but {len(unique)} were named; "
            "put {region} in it (kms-vpc.{region}.aliyuncs.com) or run once per region"
        )
    return unique


def _models() -> Any:
    from alibabacloud_kms20160120 import models

    return models


def _list(run: _Run, region: str, part: str) -> list | None:
    m = _models()
    if part == "keys":
        return run.paginate(
            region,
            "ListKeys",
            lambda p: m.ListKeysRequest(page_number=p, page_size=PAGE_SIZE),
            lambda b: [k.key_id for k in (b.keys.key if b.keys else []) if k.key_id],
        )
    if part == "secrets":
        return run.paginate(
            region,
            "ListSecrets",
            lambda p: m.ListSecretsRequest(page_number=p, page_size=PAGE_SIZE),
            lambda b: [s.secret_name for s in (b.secret_list.secret if b.secret_list else []) if s.secret_name],
        )
    if part == "instances":
        return run.paginate(
            region,
            "ListKmsInstances",
            lambda p: m.ListKmsInstancesRequest(page_number=p, page_size=PAGE_SIZE),
            lambda b: [
                i.kms_instance_id
                for i in (b.kms_instances.kms_instance if b.kms_instances else [])
                if i.kms_instance_id
            ],
        )
    return run.paginate(
        region,
        "ListAliases",
        lambda p: m.ListAliasesRequest(page_number=p, page_size=PAGE_SIZE),
        lambda b: [(a.alias_name, a.key_id) for a in (b.aliases.alias if b.aliases else []) if a.alias_name],
        optional=True,
    )


def _describe_key(run: _Run, region: str, key_ref: str) -> tuple[str, CloudKey | None]:
    body = run.call(region, "DescribeKey", _models().DescribeKeyRequest(key_id=key_ref), tolerate=_is_not_found)
    meta = body.key_metadata if body is not None else None
    if meta is None or not meta.key_id:
        return "key", None
    return "key", CloudKey(
        key_id=meta.key_id,
        region=region,
        arn=_text(meta.arn),
        key_spec=_text(meta.key_spec),
        key_usage=_text(meta.key_usage),
        key_state=_text(meta.key_state),
        protection_level=_text(meta.protection_level),
        origin=_text(meta.origin),
        automatic_rotation=_text(meta.automatic_rotation),
        rotation_interval=_text(meta.rotation_interval),
        dkms_instance_id=_text(meta.dkmsinstance_id),
        creator=_text(meta.creator),
        description=_text(meta.description),
        primary_key_version=_text(meta.primary_key_version),
    )


def _describe_secret(run: _Run, region: str, name: str) -> tuple[str, CloudSecret | None]:
    # DescribeSecret returns metadata only; the value would need GetSecretValue, never called
    body = run.call(region, "DescribeSecret", _models().DescribeSecretRequest(secret_name=name), tolerate=_is_not_found)
    if body is None:
        return "secret", None
    return "secret", CloudSecret(
        secret_name=body.secret_name or name,
        region=region,
        arn=_text(body.arn),
        secret_type=_text(body.secret_type),
        encryption_key_id=_text(body.encryption_key_id),
        dkms_instance_id=_text(body.dkmsinstance_id),
        automatic_rotation=_text(body.automatic_rotation),
        rotation_interval=_text(body.rotation_interval),
        description=_text(body.description),
    )


def _get_instance(run: _Run, region: str, instance_id: str) -> tuple[str, CloudInstance]:
    body = run.call(
        region,
        "GetKmsInstance",
        _models().GetKmsInstanceRequest(kms_instance_id=instance_id),
        tolerate=lambda f: _is_not_found(f) or _is_unsupported(f),
    )
    info = body.kms_instance if body is not None else None
    if info is None:  # listed but not describable here: keep what the listing said
        return "instance", CloudInstance(instance_id=instance_id, region=region)
    return "instance", CloudInstance(
        instance_id=info.instance_id or instance_id,
        region=region,
        name=_text(info.instance_name),
        instance_type=_instance_type(info.product_type, info.product_version),
        status=_text(info.status),
        spec=_text(info.spec),
        product_version=_text(info.product_version),
    )


def _aliases_of_key(run: _Run, region: str, key_id: str) -> tuple[str, tuple[str, list[str] | None]]:
    m = _models()
    names = run.paginate(
        region,
        "ListAliasesByKeyId",
        lambda p: m.ListAliasesByKeyIdRequest(key_id=key_id, page_number=p, page_size=PAGE_SIZE),
        lambda b: [a.alias_name for a in (b.aliases.alias if b.aliases else []) if a.alias_name],
        optional=True,
    )
    return "aliases", (key_id, names)


def _version_count(run: _Run, region: str, key_id: str) -> tuple[str, tuple[str, int | None]]:
    body = run.call(
        region,
        "ListKeyVersions",
        _models().ListKeyVersionsRequest(key_id=key_id, page_number=1, page_size=1),
        tolerate=lambda f: _is_not_found(f) or _is_unsupported(f),
    )
    count = body.total_count if body is not None else None
    return "versions", (key_id, int(count) if count is not None else None)


def _assemble(region: str, results: list[tuple[str, Any]], aliases: dict[str, list[str]]) -> RegionInventory:
    out = RegionInventory()
    versions: dict[str, int | None] = {}
    for kind, payload in results:
        if kind == "aliases" and payload[1] is not None:
            aliases.setdefault(payload[0], []).extend(payload[1])
        elif kind == "versions":
            versions[payload[0]] = payload[1]
    keys: dict[str, CloudKey] = {}
    for kind, payload in results:
        if kind == "key" and payload is not None:
            keys[payload.key_id] = payload
        elif kind == "secret" and payload is not None:
            out.secrets.append(payload)
        elif kind == "instance":
            out.instances.append(payload)
    for key_id, key in sorted(keys.items()):
        out.keys.append(
            replace(
                key,
                aliases=tuple(sorted(set(aliases.get(key_id, [])))),
                version_count=versions.get(key_id, key.version_count),
            )
        )
    out.secrets.sort(key=lambda s: s.secret_name)
    out.instances.sort(key=lambda i: i.instance_id)
    return out


def _utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
