"""Server-side checks of the two signatures the Alibaba Cloud SDKs send.

V3 (`ACS3-HMAC-SHA256`, the tea-openapi default) and the old RPC signature (V2,
HMAC-SHA1 over the query). Both are rebuilt from what arrived on the wire, exactly as
the SDK built them (reference: kms-api.md section 2), so a wrong secret, a tampered
query or body, or an unsigned x-acs-* header is refused like the real gateway would.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote, quote_plus

API_VERSION = "2016-01-20"
V3_ALGORITHM = "ACS3-HMAC-SHA256"
# query parameters of the RPC (V2) envelope, not of the operation
V2_COMMON = frozenset(
    {
        "Action",
        "Format",
        "Version",
        "Timestamp",
        "SignatureNonce",
        "SignatureMethod",
        "SignatureVersion",
        "AccessKeyId",
        "SecurityToken",
        "Signature",
        "SignatureType",
    }
)
_V3_REQUIRED = ("host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256")


class ApiError(Exception):
    """An error answer: HTTP status plus the KMS error code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SignedCall:
    """What a verified request asks for."""

    access_key_id: str
    action: str
    params: dict[str, str]  # operation parameters only
    signature: str  # "v3" | "v2"
    security_token: str | None
    nonce: str
    timestamp: str


def _incomplete(detail: str) -> ApiError:
    return ApiError(
        400, "IncompleteSignature", f"The request signature does not conform to Alibaba Cloud standards. {detail}"
    )


def _mismatch() -> ApiError:
    return ApiError(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")


def _lookup_secret(secrets: Mapping[str, str], access_key_id: str) -> str:
    if access_key_id not in secrets:
        raise ApiError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
    return secrets[access_key_id]


def canonical_query(params: Mapping[str, str]) -> str:
    """V3 canonical query: sorted keys, values percent-encoded with quote(safe='~')."""
    return "&".join(f"{key}={quote(params[key], safe='~', encoding='utf-8')}" for key in sorted(params))


def verify_v3(
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, list[str]],
    body: bytes,
    secrets: Mapping[str, str],
) -> SignedCall:
    """Check an `Authorization: ACS3-HMAC-SHA256 ...` request; return the call or raise ApiError.

    `headers` maps lowercase header names to every value received under that name.
    """
    authorization = ",".join(headers.get("authorization", []))
    algorithm, _, rest = authorization.partition(" ")
    if algorithm != V3_ALGORITHM:
        raise _incomplete(f"Unsupported signature algorithm {algorithm!r}.")
    parts = dict(item.strip().partition("=")[::2] for item in rest.split(","))
    access_key_id, signed_names, signature = parts.get("Credential"), parts.get("SignedHeaders"), parts.get("Signature")
    if not access_key_id or not signed_names or not signature:
        raise _incomplete("Authorization needs Credential, SignedHeaders and Signature.")
    secret = _lookup_secret(secrets, access_key_id)
    names = signed_names.split(";")
    if names != sorted(names) or any(name != name.lower() for name in names):
        raise _incomplete("SignedHeaders must be lowercase and sorted.")
    for required in _V3_REQUIRED:
        if required not in names:
            raise _incomplete(f"Header {required} must be present and signed.")
    values: dict[str, str] = {}
    for name in names:
        if name not in headers:
            raise _incomplete(f"Signed header {name} is missing from the request.")
        # the SDK joins repeated headers sorted, with commas
        values[name] = ",".join(sorted(value.strip() for value in headers[name]))
    for name in headers:
        if name.startswith("x-acs-") and name not in values:
            raise _incomplete(f"Header {name} must be signed.")
    payload_hash = hashlib.sha256(body).hexdigest()
    if values["x-acs-content-sha256"] != payload_hash:
        raise _incomplete("x-acs-content-sha256 does not match the request body.")
    if values["x-acs-version"] != API_VERSION:
        raise ApiError(400, "InvalidVersion", f"Specified parameter Version is not valid: {values['x-acs-version']}.")
    canonical_headers = "".join(f"{name}:{values[name]}\n" for name in names)
    canonical_request = "\n".join(
        [method.upper(), path or "/", canonical_query(query), canonical_headers, signed_names, payload_hash]
    )
    string_to_sign = f"{V3_ALGORITHM}\n{hashlib.sha256(canonical_request.encode('utf-8')).hexdigest()}"
    expected = hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise _mismatch()
    return SignedCall(
        access_key_id=access_key_id,
        action=values["x-acs-action"],
        params=dict(query),
        signature="v3",
        security_token=values.get("x-acs-security-token"),
        nonce=values["x-acs-signature-nonce"],
        timestamp=values["x-acs-date"],
    )


def verify_v2(method: str, params: Mapping[str, str], secrets: Mapping[str, str]) -> SignedCall:
    """Check an RPC request signed with HMAC-SHA1 (`Signature` in the query)."""
    for required in (
        "AccessKeyId",
        "Signature",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "Timestamp",
        "Action",
        "Version",
    ):
        if not params.get(required):
            raise ApiError(
                400,
                "MissingParameter",
                f"The input parameter {required} that is mandatory for processing this request is not supplied.",
            )
    if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
        raise _incomplete("Only SignatureMethod HMAC-SHA1 and SignatureVersion 1.0 are supported.")
    secret = _lookup_secret(secrets, params["AccessKeyId"])
    if params["Version"] != API_VERSION:
        raise ApiError(400, "InvalidVersion", f"Specified parameter Version is not valid: {params['Version']}.")
    pairs = "&".join(
        f"{quote(key, safe='~', encoding='utf-8')}={quote(params[key], safe='~', encoding='utf-8')}"
        for key in sorted(params)
        if key != "Signature"
    )
    string_to_sign = f"{method.upper()}&%2F&{quote_plus(pairs, safe='~', encoding='utf-8')}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode("utf-8"), hashlib.sha1).digest()
    if not hmac.compare_digest(base64.b64encode(digest).decode("ascii"), params["Signature"]):
        raise _mismatch()
    return SignedCall(
        access_key_id=params["AccessKeyId"],
        action=params["Action"],
        params={k: v for k, v in params.items() if k not in V2_COMMON},
        signature="v2",
        security_token=params.get("SecurityToken"),
        nonce=params["SignatureNonce"],
        timestamp=params["Timestamp"],
    )


def check_timestamp(timestamp: str, now: datetime, max_skew_seconds: float) -> None:
    """Refuse a request dated too far from the server clock (replayed or wrong clock)."""
    try:
        when = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise ApiError(
            400, "InvalidTimeStamp.Format", f"Specified time stamp or date value is not well formatted: {timestamp}."
        ) from None
    if abs((now - when).total_seconds()) > max_skew_seconds:
        raise ApiError(400, "InvalidTimeStamp.Expired", f"Specified time stamp or date value is expired: {timestamp}.")
