"""Where plain HTTP stays on this machine: the loopback emulator and fakes may use it; anything
else must be HTTPS (or explicitly allowed) so signed requests and tokens never cross a network."""
from __future__ import annotations


def is_loopback(hostname: str) -> bool:
    """localhost, ::1 or 127.x.x.x (`hostname` as urllib.parse gives it: lower case, no brackets)."""
    return hostname in ("localhost", "::1") or hostname.startswith("127.")
