"""The GitHub client's own guards, on real HTTP over loopback: the token never follows a redirect to
another host, and an answer is read only up to a bound."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tfkms.errors import TfkmsError
from tfkms.github.client import GitHubClient

SEEN: list[tuple[str, str | None]] = []  # (host the request reached, its Authorization header)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        SEEN.append((self.headers.get("Host", ""), self.headers.get("Authorization")))
        port = self.server.server_address[1]
        if self.path.startswith("/moved-away"):
            self.send_response(301)
            self.send_header("Location", f"http://127.0.0.2:{port}/elsewhere")  # another host: 127.0.0.2
        elif self.path.startswith("/moved-here"):
            self.send_response(301)
            self.send_header("Location", f"http://127.0.0.1:{port}/landed")
        else:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"ok": true}')
            return
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("0.0.0.0", 0), _Handler)  # 127.0.0.2 reaches it too
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    SEEN.clear()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


def test_a_redirect_to_another_host_is_not_followed(server: str) -> None:
    client = GitHubClient(server, "tok-123")
    with pytest.raises(TfkmsError, match="redirected to another host"):
        client.get("/moved-away")
    assert [host for host, _ in SEEN] == [server.removeprefix("http://")]  # 127.0.0.2 never asked


def test_a_redirect_within_the_api_is_followed_with_the_token(server: str) -> None:
    assert GitHubClient(server, "tok-123").get("/moved-here") == {"ok": True}
    assert [auth for _, auth in SEEN] == ["Bearer tok-123", "Bearer tok-123"]


def test_the_token_is_not_in_the_clients_repr(server: str) -> None:
    assert "tok-123" not in repr(GitHubClient(server, "tok-123"))
