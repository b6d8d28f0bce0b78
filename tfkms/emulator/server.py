"""A loopback HTTP server that answers the KMS API like the shared gateway does.

Request path: read -> admin routes (`/_tfkms/...`, unsigned, loopback only) or API:
verify the V3 or V2 signature, the payload hash, the date and the nonce -> inject faults
(throttling, 503s, dropped connections, latency) -> dispatch -> JSON answer.

The region: the real service knows it from the host name (kms.<region>.aliyuncs.com);
on loopback every region shares one host, so the client names it in a `RegionId` query
parameter (signed like any other). Without one, the emulator serves `default_region`.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import random
import re
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tfkms.defaults import EMULATOR_ACCESS_KEY_ID as DEFAULT_ACCESS_KEY_ID
from tfkms.defaults import EMULATOR_ACCESS_KEY_SECRET as DEFAULT_ACCESS_KEY_SECRET
from tfkms.emulator.api import dispatch
from tfkms.emulator.signing import (
    ApiError,
    SignedCall,
    check_timestamp,
    verify_v2,
    verify_v3,
)
from tfkms.emulator.state import EmulatorState, MigrationError
from tfkms.truth.inventory import dumps_inventory

_LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}


@dataclass
class EmulatorOptions:
    access_key_id: str = DEFAULT_ACCESS_KEY_ID
    access_key_secret: str = DEFAULT_ACCESS_KEY_SECRET
    throttle_every: int = 0  # every Nth signed call answers a throttling error (0: never)
    throttle_status: int = 400  # 400 -> Throttling, 429 -> Rejected.Throttling
    throttle_retry_after_ms: int | None = None  # adds x-acs-retry-after (SDK: ThrottlingException)
    # a server-side quota, as the gateway enforces one per account: a token bucket refilled at this
    # many calls per second (0: none) holding up to rate_limit_burst tokens (0: a tenth of a second's
    # worth, at least one); a signed call that finds it empty is throttled like throttle_every's
    rate_limit_qps: float = 0.0
    rate_limit_burst: float = 0.0
    fail_rate: float = 0.0  # probability of a 503 on a signed call
    always_fail: frozenset[str] = frozenset()  # actions that always answer 503
    unsupported: frozenset[str] = frozenset()  # actions answered as unknown (an older or partial gateway)
    drop_every: int = 0  # every Nth signed call: close the connection without an answer
    latency_ms: float = 0.0  # added to every API answer
    seed: int = 0
    default_region: str | None = None  # region served when a request names none
    max_clock_skew_s: float = 900.0
    # hostile servers, for the live client's tests
    ignore_page_number: bool = False  # every listing answers page 1, whatever PageNumber says
    slow_drip_ms: float = 0.0  # API answers: the body goes out one byte at a time, this far apart
    hostile_total_count: Any = None  # listings answer TotalCount with this JSON value (None: the true count)
    hostile_fields: dict[str, Any] = field(default_factory=dict)  # "Keys" or "KeyMetadata.KeyId" -> JSON
    #                                  value, set in every answer whose parent object has that field
    # Admin routes need it (X-Tfkms-Admin-Token): a web page cannot learn it, so it cannot drive them.
    admin_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))


@dataclass
class CallRecord:
    """One API request as the emulator saw it (never holds a secret or a signature)."""

    action: str
    region: str
    status: int
    code: str | None
    signature: str | None  # "v3" | "v2" | None when refused before verification
    credentials_provider: str | None
    params: dict[str, str] = field(default_factory=dict)


class KmsEmulator:
    """The request processor: state + options + fault injection + call log."""

    def __init__(self, state: EmulatorState, options: EmulatorOptions | None = None) -> None:
        self.state = state
        self.options = options or EmulatorOptions()
        self.log: list[CallRecord] = []
        self.stats: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._counter = 0
        self._nonces: set[str] = set()
        self._rng = random.Random(self.options.seed)
        self._tokens = self._burst()
        self._refilled = time.monotonic()

    @property
    def default_region(self) -> str:
        if self.options.default_region:
            return self.options.default_region
        return next(iter(sorted(self.state.regions)), "cn-hangzhou")

    def calls(self, action: str | None = None) -> list[CallRecord]:
        with self._lock:
            return [c for c in self.log if action is None or c.action == action]

    def handle_api(
        self, method: str, url: str, headers: dict[str, list[str]], body: bytes
    ) -> tuple[int, dict[str, str], dict[str, Any] | None]:
        """Answer one API request: (status, extra headers, JSON body or None to drop the connection)."""
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        provider = ",".join(headers.get("x-acs-credentials-provider", [])) or None
        region = query.get("RegionId") or self.default_region
        action = ",".join(headers.get("x-acs-action", [])) or query.get("Action", "?")
        signed: SignedCall | None = None
        try:
            if parts.path not in ("", "/"):
                raise ApiError(
                    404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method."
                )
            signed = self._verify(method, parts.path or "/", query, headers, body)
            action = signed.action
            fault = self._fault(action)
            if self.options.latency_ms:
                time.sleep(self.options.latency_ms / 1000)
            if fault == "drop":
                self._record(CallRecord(action, region, 0, "Dropped", signed.signature, provider))
                return 0, {}, None
            if isinstance(fault, ApiError):
                raise fault
            params = {k: v for k, v in signed.params.items() if k != "RegionId"}
            if self.options.ignore_page_number:
                params.pop("PageNumber", None)
            if action in self.options.unsupported:
                raise ApiError(
                    404,
                    "InvalidAction.NotFound",
                    f"Specified api {action} is not found, please check your url and method.",
                )
            answer = self._hostile(dispatch(self.state, region, action, params))
            self._record(CallRecord(action, region, 200, None, signed.signature, provider, params))
            return 200, {}, {"RequestId": self._request_id(), **answer}
        except ApiError as error:
            self._record(
                CallRecord(action, region, error.status, error.code, signed.signature if signed else None, provider)
            )
            extra = {}
            if error.code in ("Throttling", "Rejected.Throttling") and self.options.throttle_retry_after_ms:
                extra["x-acs-retry-after"] = str(self.options.throttle_retry_after_ms)
            return error.status, extra, self._error_body(region, error)

    def _verify(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, list[str]], body: bytes
    ) -> SignedCall:
        secrets = {self.options.access_key_id: self.options.access_key_secret}
        if any(v.startswith("ACS3-") for v in headers.get("authorization", [])):
            signed = verify_v3(method, path, query, headers, body, secrets)
        elif "Signature" in query:
            params = dict(query)
            if body and "application/x-www-form-urlencoded" in ",".join(headers.get("content-type", [])):
                params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            signed = verify_v2(method, params, secrets)
        else:
            raise ApiError(
                400,
                "IncompleteSignature",
                "The request signature does not conform to Alibaba Cloud standards. No signature found.",
            )
        check_timestamp(signed.timestamp, datetime.now(timezone.utc), self.options.max_clock_skew_s)
        with self._lock:
            if len(self._nonces) > 500_000:  # bound memory; the date check limits replays anyway
                self._nonces.clear()
            if signed.nonce in self._nonces:
                raise ApiError(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
            self._nonces.add(signed.nonce)
        return signed

    def _burst(self) -> float:
        return self.options.rate_limit_burst or max(1.0, self.options.rate_limit_qps / 10)

    def _over_quota(self) -> bool:
        """Take a token of the rate_limit_qps bucket; True when there is none (call under the lock)."""
        if self.options.rate_limit_qps <= 0:
            return False
        now = time.monotonic()
        self._tokens = min(self._burst(), self._tokens + (now - self._refilled) * self.options.rate_limit_qps)
        self._refilled = now
        if self._tokens < 1:
            return True
        self._tokens -= 1
        return False

    def _fault(self, action: str) -> ApiError | str | None:
        """The injected failure for this signed call, if any (decided under one lock)."""
        options = self.options
        with self._lock:
            self._counter += 1
            n = self._counter
            failing = self._rng.random() < options.fail_rate if options.fail_rate else False
            over_quota = self._over_quota()
        if over_quota or (options.throttle_every and n % options.throttle_every == 0):
            if options.throttle_status == 429:
                return ApiError(429, "Rejected.Throttling", "The QPS upper limit is exceeded.")
            return ApiError(400, "Throttling", "Request was denied due to request throttling.")
        if options.drop_every and n % options.drop_every == 0:
            return "drop"
        if failing or action in options.always_fail:
            return ApiError(503, "SerivceUnavailableTemporary", "Service unavailable temporary.")
        return None

    def _hostile(self, answer: dict[str, Any]) -> dict[str, Any]:
        """The answer with the hostile_* values in place (fields present in the true answer only)."""
        options = self.options
        if options.hostile_total_count is not None and "TotalCount" in answer:
            answer["TotalCount"] = options.hostile_total_count
        for path, value in options.hostile_fields.items():
            *parents, name = path.split(".")
            target: Any = answer
            for part in parents:
                target = target.get(part) if isinstance(target, dict) else None
            if isinstance(target, dict) and name in target:
                target[name] = value
        return answer

    def _record(self, record: CallRecord) -> None:
        with self._lock:
            self.log.append(record)
            self.stats["calls"] += 1
            self.stats[f"status.{record.status}"] += 1
            self.stats[f"action.{record.action}"] += 1

    def _request_id(self) -> str:
        return str(uuid.uuid4()).upper()

    def _error_body(self, region: str, error: ApiError) -> dict[str, Any]:
        return {
            "RequestId": self._request_id(),
            "HostId": f"kms.{region}.aliyuncs.com",
            "Code": error.code,
            "Message": error.message,
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={error.code}&product=Kms",
        }

    # ------------------------------------------------------------ admin

    def handle_admin(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any] | str]:
        """Unsigned control routes for demos and tests (the server only listens on loopback)."""
        if method == "GET" and path == "/_tfkms/health":
            return 200, {"ok": True, "regions": sorted(self.state.regions)}
        if method == "GET" and path == "/_tfkms/snapshot":
            return 200, dumps_inventory(self.state.to_inventory())
        if method == "GET" and path == "/_tfkms/stats":
            with self._lock:
                return 200, dict(self.stats)
        if method == "POST" and path == "/_tfkms/migrate":
            try:
                request = json.loads(body or b"{}")
                report = self.state.migrate(
                    instance_id=str(request["instance_id"]),
                    key_ids=[str(k) for k in request.get("key_ids", [])],
                    secret_names=[str(s) for s in request.get("secret_names", [])],
                )
            except (ValueError, KeyError, TypeError) as exc:  # MigrationError is a ValueError
                message = (
                    str(exc)
                    if isinstance(exc, MigrationError)
                    else f"bad migrate request: {exc!r}; expected JSON {{instance_id, key_ids, secret_names}}"
                )
                return 400, {"error": message}
            return 200, report
        return 404, {"error": f"no admin route {method} {path}"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's connection pool expects
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
    server: _Server

    def do_POST(self) -> None:  # noqa: N802 (http.server naming)
        self._serve("POST")

    def do_GET(self) -> None:  # noqa: N802
        self._serve("GET")

    def _serve(self, method: str) -> None:
        length = _content_length(self.headers.get("Content-Length"))
        if length is None:  # never block on a body that is not coming, never trust a negative one
            self.close_connection = True
            self._send(400, {}, {"error": "Content-Length must be a whole number of bytes up to "
                                          f"{MAX_BODY_BYTES}"})
            return
        body = self.rfile.read(length) if length else b""
        emulator = self.server.emulator
        path = urlsplit(self.path).path
        if path.startswith("/_tfkms/"):
            refused = _admin_refusal(self.client_address[0], self.headers, emulator.options.admin_token)
            if refused is not None:
                self._send(refused[0], {}, {"error": refused[1]})
                return
            status, answer = emulator.handle_admin(method, path, body)
            self._send(status, {}, answer)
            return
        headers: dict[str, list[str]] = {}
        for name, value in self.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        status, extra, payload = emulator.handle_api(method, self.path, headers, body)
        if payload is None:  # simulate a connection reset
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(2)
            return
        self._send(status, extra, payload, drip_ms=emulator.options.slow_drip_ms)

    def _send(self, status: int, extra: dict[str, str], payload: dict[str, Any] | str, drip_ms: float = 0.0) -> None:
        data = (payload if isinstance(payload, str) else json.dumps(payload)).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        if not drip_ms:
            self.wfile.write(data)
            return
        self.close_connection = True
        for n in range(len(data)):  # a slow-drip server: every read gets a byte before its timeout
            if self.server.closing.wait(drip_ms / 1000):
                return  # the emulator stops: do not keep a thread dripping
            try:
                self.wfile.write(data[n : n + 1])
                self.wfile.flush()
            except OSError:
                return

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # the call log replaces stderr chatter


MAX_BODY_BYTES = 1 << 20
ADMIN_TOKEN_HEADER = "X-Tfkms-Admin-Token"
_LOOPBACK_HOST = re.compile(r"(127\.0\.0\.1|localhost|\[::1\])(:\d+)?")


def _content_length(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return 0
    if not raw.isdigit():  # "-1", "abc", " 12": refused (isdigit also refuses a sign)
        return None
    length = int(raw)
    return length if length <= MAX_BODY_BYTES else None


def _admin_refusal(client: str, headers: Any, token: str) -> tuple[int, str] | None:
    """Admin routes: a loopback client, a loopback Host (no DNS rebinding), no browser Origin
    (no cross-site POST), and the token printed at start."""
    if client not in _LOOPBACK:
        return 403, "admin routes answer loopback clients only"
    if not _LOOPBACK_HOST.fullmatch(headers.get("Host") or ""):
        return 403, "admin routes need Host 127.0.0.1, localhost or [::1]"
    if headers.get("Origin") is not None or headers.get("Sec-Fetch-Site") not in (None, "none", "same-origin"):
        return 403, "admin routes refuse requests from web pages"
    if not hmac.compare_digest(headers.get(ADMIN_TOKEN_HEADER) or "", token):
        return 401, f"admin routes need the {ADMIN_TOKEN_HEADER} header printed when the emulator started"
    return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, emulator: KmsEmulator, port: int) -> None:
        self.emulator = emulator
        self.closing = threading.Event()  # set on shutdown: slow-drip answers stop
        super().__init__(("127.0.0.1", port), _Handler)


@contextlib.contextmanager
def serve(emulator: KmsEmulator, port: int = 0) -> Iterator[str]:
    """Run the emulator on 127.0.0.1 in a background thread; yields `http://127.0.0.1:PORT`."""
    server = _Server(emulator, port)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.closing.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def serve_forever(emulator: KmsEmulator, port: int = 0, on_ready: Any = None) -> None:
    """Serve in the calling thread until KeyboardInterrupt (the `tfkms emulator` command)."""
    server = _Server(emulator, port)
    try:
        if on_ready is not None:
            on_ready(f"http://127.0.0.1:{server.server_address[1]}")
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.closing.set()
        server.server_close()
