"""Live KMS calls, transport: options, the shared QPS cap, endpoints and the SDK clients."""
from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from tfkms import __version__
from tfkms.defaults import DEFAULT_CONCURRENCY, DEFAULT_LIVE_TIMEOUT_S
from tfkms.errors import TfkmsError
from tfkms.hosts import is_loopback

PAGE_SIZE = 100  # the maximum every List* call here accepts
MAX_PAGES = 10_000  # per listing, when the server gives no usable TotalCount (a million items)
DEFAULT_TIMEOUT_S = DEFAULT_LIVE_TIMEOUT_S
REGION_PATTERN = re.compile(r"^[a-z]{2,}(-[a-z0-9]+)+$")


@dataclass
class LiveOptions:
    """How to reach the API and how hard to push it."""

    endpoint: str | None = None  # None: kms.<region>.aliyuncs.com; "host[:port]", "https://host",
    #                              "http://127.0.0.1:PORT" (emulator); "{region}" is substituted
    profile: str | None = None  # aliyun CLI profile (~/.aliyun/config.json); None: the default chain
    # None: the adaptive rate alone (tfkms/truth/adaptive_rate.py); N > 0: the adaptive rate under a
    # hard cap of N requests per second across all threads; <= 0: no client-side pacing at all
    qps: float | None = None
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
    insecure_http: bool = False  # --insecure-http: allow plain HTTP to a host that is not loopback
    # The read timeout is per read: a server that drips a byte a second never trips it. So every
    # attempt also has a total deadline, and the whole run has one (--timeout); None: no limit.
    call_timeout_s: float = 60.0
    timeout_s: float | None = DEFAULT_TIMEOUT_S
    deadline: float | None = None  # time.monotonic() by which the run ends; set once by `started()`

    def started(self) -> LiveOptions:
        """These options with the run's deadline fixed from now (kept when already fixed), so that
        several collections of one command share one deadline."""
        if self.deadline is not None or self.timeout_s is None:
            return self
        return replace(self, deadline=time.monotonic() + self.timeout_s)


class RateLimiter:
    """Token bucket of capacity one, shared by all threads: requests are spaced 1/qps apart (the hard cap)."""

    def __init__(self, qps: float | None, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self._interval = 1.0 / qps if qps is not None and qps > 0 else 0.0
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
class Endpoint:
    host: str | None  # None: the SDK's region rule
    protocol: str | None
    loopback: bool  # the emulator: one host for every region, so name the region in RegionId


def endpoint_for(endpoint: str | None, region: str, insecure_http: bool = False) -> Endpoint:
    if not endpoint:
        return Endpoint(None, None, False)
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
    loopback = is_loopback(hostname)
    # without a scheme: HTTPS, as production requires; plain HTTP on loopback (an emulator)
    scheme = parts.scheme.lower() or ("http" if loopback else "https")
    if scheme == "http" and not loopback and not insecure_http:
        raise TfkmsError(f"--endpoint {endpoint!r}: plain HTTP to a host that is not loopback would send signed "
                         "requests and KMS answers unencrypted; use https://, or pass --insecure-http")
    return Endpoint(parts.netloc, scheme, loopback)


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

    target = endpoint_for(options.endpoint, region, options.insecure_http)
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
