"""A small typed client for GitHub's REST API on urllib: JSON in and out, pagination through the
`Link` header, and every failure as one line naming the endpoint and GitHub's message."""
from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tfkms.errors import TfkmsError
from tfkms.hosts import is_loopback

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
TIMEOUT_S = 30.0
MAX_PAGES = 30  # 100 per page: 3000 items, GitHub's own cap on a pull request's files
MAX_RESPONSE_BYTES = 32 * 2**20  # a bounded read: no answer of the endpoints used comes near it
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')

Json = Any  # GitHub's JSON: objects and lists, read by key where used


@dataclass(frozen=True)
class Repo:
    owner: str
    name: str

    @property
    def path(self) -> str:
        return f"/repos/{urllib.parse.quote(self.owner)}/{urllib.parse.quote(self.name)}"

    @classmethod
    def parse(cls, value: str, source: str) -> Repo:
        owner, sep, name = value.strip().partition("/")
        if not sep or not owner or not name or "/" in name:
            raise TfkmsError(f"{source}: {value!r} is not OWNER/NAME")
        return cls(owner, name)


class GitHubError(TfkmsError):
    """An API call GitHub refused; `status` lets callers treat 404 as 'absent'."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class GitHubClient:
    def __init__(self, api_url: str, token: str, timeout: float = TIMEOUT_S) -> None:
        self.base = _checked_base(api_url)
        self._token = token  # never printed: not in messages, not in repr
        self.timeout = timeout
        host = urllib.parse.urlsplit(self.base).hostname or ""
        # loopback stays loopback: a proxy from the environment must not see a local fake's traffic
        handlers: list[urllib.request.BaseHandler] = [_SameHostRedirects(self.base)]
        if is_loopback(host):
            handlers.append(urllib.request.ProxyHandler({}))
        self._opener = urllib.request.build_opener(*handlers)

    def __repr__(self) -> str:
        return f"GitHubClient({self.base!r})"

    def get(self, path: str, params: Mapping[str, str] | None = None) -> Json:
        return self.request("GET", path, params=params)[0]

    def post(self, path: str, body: Json) -> Json:
        return self.request("POST", path, body)[0]

    def patch(self, path: str, body: Json) -> Json:
        return self.request("PATCH", path, body)[0]

    def delete(self, path: str) -> None:
        self.request("DELETE", path)

    def get_all(self, path: str, params: Mapping[str, str] | None = None, max_pages: int = MAX_PAGES) -> list[Json]:
        """Every item of a list endpoint, following `Link: <...>; rel="next"` up to `max_pages`."""
        items: list[Json] = []
        url: str | None = self._url(path, {"per_page": "100", **(params or {})})
        for _ in range(max_pages):
            if url is None:
                return items
            page, headers = self._send("GET", url, path, None)
            if not isinstance(page, list):
                raise TfkmsError(f"GitHub GET {path}: expected a list, got {type(page).__name__}")
            items.extend(page)
            url = _next_link(headers.get("Link", ""), self.base)
        if url is not None:
            raise TfkmsError(f"GitHub GET {path}: more than {max_pages} pages; giving up")
        return items

    def request(self, method: str, path: str, body: Json = None,
                params: Mapping[str, str] | None = None) -> tuple[Json, Mapping[str, str]]:
        return self._send(method, self._url(path, params), path, body)

    def _url(self, path: str, params: Mapping[str, str] | None) -> str:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        return f"{self.base}{path}{query}"

    def _send(self, method: str, url: str, path: str, body: Json) -> tuple[Json, Mapping[str, str]]:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method, headers={
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "Authorization": f"Bearer {self._token}",
            "User-Agent": "tfkms",
            **({"Content-Type": "application/json"} if data is not None else {}),
        })
        where = f"GitHub {method} {path}"
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                raw = response.read(MAX_RESPONSE_BYTES + 1)
                headers = {k: v for k, v in response.headers.items()}
            if len(raw) > MAX_RESPONSE_BYTES:
                raise TfkmsError(f"{where}: the answer is larger than {MAX_RESPONSE_BYTES // 2**20} MiB; giving up")
        except urllib.error.HTTPError as exc:
            raise GitHubError(f"{where}: {exc.code} {_message(exc)}", exc.code) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise TfkmsError(f"{where}: cannot reach {self.base} ({reason})") from None
        if not raw:
            return None, headers
        try:
            return json.loads(raw), headers
        except ValueError:
            raise TfkmsError(f"{where}: the answer is not JSON") from None


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """urllib carries the Authorization header through redirects, to any host: a redirect (GitHub
    answers a renamed repository with 301) is followed only within the API's scheme and host."""

    def __init__(self, base: str) -> None:
        self._origin = urllib.parse.urlsplit(base)[:2]

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> urllib.request.Request | None:
        if urllib.parse.urlsplit(newurl)[:2] != self._origin:
            raise TfkmsError(f"GitHub redirected to another host ({urllib.parse.urlsplit(newurl).netloc}); "
                             "not followed, so the token stays with the API")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _message(exc: urllib.error.HTTPError) -> str:
    """GitHub's `message` (and the first of `errors`), on one line."""
    try:
        payload = json.loads(exc.read() or b"{}")
    except ValueError:
        payload = {}
    message = str(payload.get("message") or exc.reason) if isinstance(payload, dict) else str(exc.reason)
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if isinstance(errors, list) and errors:
        first = errors[0]
        detail = first.get("message") or first.get("code") if isinstance(first, dict) else first
        if detail:
            message += f" ({detail})"
    if exc.code == 403 and "not accessible" in message.lower():
        message += "; a pull request from a fork gets a read-only token (see docs/github.md)"
    return " ".join(message.split())


def _next_link(link: str, base: str) -> str | None:
    match = _NEXT.search(link)
    if match is None:
        return None
    url = match.group(1)
    if not url.startswith(base + "/"):  # the token goes to the API host only
        raise TfkmsError(f"GitHub pagination points outside {base}")
    return url


def _checked_base(api_url: str) -> str:
    parts = urllib.parse.urlsplit(api_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TfkmsError(f"--api-url {api_url!r}: expected https://HOST[/PATH]")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise TfkmsError(f"--api-url {api_url!r}: plain HTTP to a host that is not loopback would send the "
                         "token unencrypted; use https://")
    return api_url.strip().rstrip("/")


def client_from_environment(api_url: str | None, environ: Mapping[str, str] | None = None) -> GitHubClient:
    env = os.environ if environ is None else environ
    token = (env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or "").strip()
    if not token:
        raise TfkmsError("no GitHub token: set GITHUB_TOKEN (or GH_TOKEN), e.g. to secrets.GITHUB_TOKEN")
    return GitHubClient(api_url or env.get("GITHUB_API_URL") or DEFAULT_API_URL, token)


def repo_from_environment(repo: str | None, environ: Mapping[str, str] | None = None) -> Repo:
    env = os.environ if environ is None else environ
    if repo:
        return Repo.parse(repo, "--repo")
    value = env.get("GITHUB_REPOSITORY", "")
    if not value:
        raise TfkmsError("which repository? pass --repo OWNER/NAME or set GITHUB_REPOSITORY")
    return Repo.parse(value, "GITHUB_REPOSITORY")


def pr_from_environment(number: int | None, environ: Mapping[str, str] | None = None) -> int:
    """--pr N, else `pull_request.number` of the event payload at $GITHUB_EVENT_PATH."""
    if number is not None:
        if number < 1:
            raise TfkmsError(f"--pr {number}: expected a pull request number")
        return number
    env = os.environ if environ is None else environ
    event = env.get("GITHUB_EVENT_PATH", "")
    if not event:
        raise TfkmsError("which pull request? pass --pr N (or run on a pull_request event)")
    try:
        with open(event, encoding="utf-8") as handle:
            payload = json.load(handle)
    except (OSError, ValueError) as exc:
        raise TfkmsError(f"GITHUB_EVENT_PATH {event}: cannot read the event ({type(exc).__name__})") from None
    found = payload.get("pull_request", {}).get("number") if isinstance(payload, dict) else None
    if not isinstance(found, int):
        raise TfkmsError(f"GITHUB_EVENT_PATH {event}: not a pull_request event; pass --pr N")
    return found
