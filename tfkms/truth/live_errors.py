"""Live KMS calls, errors: what failed, whether a retry can help, and one line for the user."""
from __future__ import annotations

import re
from dataclasses import dataclass

from tfkms.errors import TfkmsError

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
HINTS = {
    "SignatureDoesNotMatch": "the access key secret does not match the access key id; "
                             "check the credentials (environment, --profile)",
    "IncompleteSignature": "the request signature was refused; check the credentials and the system clock",
    "InvalidAccessKeyId.NotFound": "the access key id is unknown; check the credentials (environment, --profile)",
    "InvalidAccessKeyId": "the access key id is unknown; check the credentials (environment, --profile)",
    "InvalidTimeStamp.Expired": "the system clock is off; sync it",
    "Forbidden.NoPermission": "grant the identity read access to KMS (for example AliyunKMSReadOnlyAccess)",
    "Forbidden.RAM": "grant the identity read access to KMS (for example AliyunKMSReadOnlyAccess)",
    "InvalidCredentials": "no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET or pass --profile",
    "ConnectionError": "check --endpoint, the network and the HTTP(S)_PROXY variables",
}

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
        hint = HINTS.get(code or "")
        if code in THROTTLING_CODES or status == 429:
            hint = "the account is throttled; lower --qps or --concurrency"
        super().__init__(f"{where}: {what}: {detail}" + (f" ({hint})" if hint else ""))


class Cancelled(Exception):
    """Another call of the run failed; stop quietly."""


class CallTimeout(TimeoutError):
    """One attempt got no complete answer within its total deadline (a slow-drip server)."""


class LiveDeadlineError(TfkmsError):
    """The run's total deadline (--timeout) passed: the listing is incomplete, so nothing is used."""

    def __init__(self, timeout_s: float | None, region: str | None = None, action: str | None = None) -> None:
        self.region, self.action = region, action
        during = f" ({region}: {action} was still waiting)" if region and action else ""
        limit = f"{timeout_s:g} s" if timeout_s is not None else "its deadline"
        super().__init__(f"the KMS API calls did not finish within --timeout {limit}{during}; "
                         "the listing is incomplete, nothing was written")


class MalformedAnswer(Exception):
    """An API answer whose shape or types are not the documented ones (raised while reading it)."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field, self.detail = field, detail


class LiveAnswerError(TfkmsError):
    """A malformed or inconsistent API answer: never a partial truth; one line naming where."""

    def __init__(self, region: str, action: str, field: str | None, detail: str) -> None:
        self.region, self.action, self.field = region, action, field
        where = f"{region}: {action}: " + (f"{field} " if field else "")
        super().__init__(f"{where}{detail}; the answer is not usable, nothing was written")


@dataclass
class Failure:
    retryable: bool
    code: str | None
    status: int | None
    detail: str
    retry_after_s: float | None = None


def classify(exc: Exception) -> Failure:
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
        return Failure(True, code or "Throttling", status, detail, (retry_after or 0) / 1000 or None)
    if code in THROTTLING_CODES or status == 429 or (isinstance(status, int) and status >= 500):
        return Failure(True, code, status, detail)
    if isinstance(exc, CallTimeout):
        return Failure(True, "Timeout", None, str(exc))
    if isinstance(exc, (UnretryableException, OSError)):  # refused, reset, timed out
        return Failure(True, "ConnectionError", None, f"cannot reach the KMS endpoint: {detail}")
    return Failure(False, code, status, detail)


def is_throttling(failure: Failure) -> bool:
    """The server asks us to slow down (a 503 "unavailable" included): the adaptive rate backs off."""
    return failure.code in THROTTLING_CODES or failure.status == 429 or failure.retry_after_s is not None


def is_not_found(failure: Failure) -> bool:
    code = failure.code or ""
    return code.startswith("Forbidden.") and code.endswith("NotFound")


def is_unsupported(failure: Failure) -> bool:
    return failure.code in UNSUPPORTED_CODES or failure.status == 501
