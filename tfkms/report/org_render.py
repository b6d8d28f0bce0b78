"""Renderers of the org view (tfkms.org_view), one module each, imported lazily like tfkms.report's."""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tfkms.org_view import OrgView

ORG_FORMATS = ("text", "json", "markdown", "html")


def render_org(view: OrgView, fmt: str, *, width: int | None = None) -> str:
    """`width`: the terminal's (text only)."""
    if fmt not in ORG_FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(ORG_FORMATS)}")
    module = importlib.import_module(f"tfkms.report.org_{fmt}")
    if fmt == "text":
        return str(module.render(view, width=width))
    return str(module.render(view))
