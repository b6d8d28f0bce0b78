"""Renderers over one Result. Each format lives in its own module with `render(result) -> str`;
they are imported lazily so `tfkms --help` does not pay for jinja2 or rich."""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tfkms.analysis.result import Result

FORMATS = ("text", "json", "markdown", "sarif", "github", "gitlab", "html")


def render(result: Result, fmt: str, *, color: bool = False, width: int | None = None,
           show_problems: bool = True, language: str = "en") -> str:
    """`width`: the terminal's (text only); `show_problems`: False when the command prints input
    problems on stderr itself (text only: each error once); `language`: en or zh (text only: machine
    formats never change with the language)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    module = importlib.import_module(f"tfkms.report.{fmt}_report")
    if fmt == "text":
        return module.render(result, color=color, width=width, show_problems=show_problems, language=language)
    return module.render(result)
