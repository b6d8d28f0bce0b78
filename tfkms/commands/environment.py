"""The terminal around one run, looked at once by the command and handed to what needs it (after httpie's
Environment): services and renderers get these answers instead of calling isatty or reading NO_COLOR."""
from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO

from tfkms.i18n import current_language

# What Terraform's alicloud provider reads when a provider block leaves `region` out, in its order.
REGION_VARIABLES = ("ALIBABA_CLOUD_REGION", "ALICLOUD_REGION")


@dataclass(frozen=True)
class Environment:
    stdout: TextIO
    stderr: TextIO
    stdin: TextIO | None  # None when the process has none (pythonw, some daemons)
    stdout_isatty: bool
    stderr_isatty: bool
    stdin_isatty: bool
    colors: bool  # stdout is a terminal and NO_COLOR (https://no-color.org) is not set
    terminal_width: int
    # ALIBABA_CLOUD_REGION / ALICLOUD_REGION: the region of a provider block that sets none
    default_region: str | None = None
    # GITHUB_STEP_SUMMARY: the file GitHub Actions shows as the job summary (None outside Actions)
    step_summary: str | None = None
    language: str = "en"  # of the text report: --lang, else LANGUAGE/LC_ALL/LC_MESSAGES/LANG (tfkms.i18n)

    @classmethod
    def detect(cls) -> Environment:
        """The current streams: inside typer's test runner these are its captures, as they should be."""
        stdout_isatty = _isatty(sys.stdout)
        return cls(
            stdout=sys.stdout,
            stderr=sys.stderr,
            stdin=sys.stdin,
            stdout_isatty=stdout_isatty,
            stderr_isatty=_isatty(sys.stderr),
            stdin_isatty=_isatty(sys.stdin),
            colors=stdout_isatty and "NO_COLOR" not in os.environ,
            terminal_width=shutil.get_terminal_size().columns,
            default_region=region_from_environment(os.environ),
            step_summary=os.environ.get("GITHUB_STEP_SUMMARY", "").strip() or None,
            language=current_language(os.environ),
        )


def region_from_environment(environ: Mapping[str, str]) -> str | None:
    """The region the alicloud provider falls back on: the first of REGION_VARIABLES set (blank is unset)."""
    for name in REGION_VARIABLES:
        value = environ.get(name, "").strip()
        if value:
            return value
    return None


def _isatty(stream: object) -> bool:
    try:
        return bool(getattr(stream, "isatty", lambda: False)())
    except (OSError, ValueError):  # a closed stream is not a terminal
        return False
