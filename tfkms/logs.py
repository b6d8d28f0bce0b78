"""Logging for --verbose / --debug: counts, paths, timings and decisions, never values.

tfkms logs what it did (files read, parsed, cached; roots; API calls), not what it read: no
attribute value from config, state or the API is ever passed to a logger. The filter below is
a second line of defence for text that might still carry a credential.
"""
from __future__ import annotations

import logging
import re
import sys

LOGGER = "tfkms"
_SECRETISH = re.compile(r"(?i)(secret|password|token|access_key)[\w-]*\s*[=:]\s*\S+")


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _SECRETISH.search(message):
            record.msg, record.args = _SECRETISH.sub(lambda m: m.group(1) + "=<redacted>", message), ()
        return True


def setup(verbosity: int) -> None:
    """0: warnings only; 1: --verbose (info); 2: --debug."""
    logger = logging.getLogger(LOGGER)
    logger.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("tfkms: %(levelname)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    logger.setLevel({0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG))
    logger.propagate = False


def get(name: str) -> logging.Logger:
    return logging.getLogger(f"{LOGGER}.{name}")
