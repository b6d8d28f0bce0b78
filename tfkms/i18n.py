"""Chinese for what a person reads at a terminal: `--lang zh` (or LANG / LC_ALL / LANGUAGE set to
zh_*) translates the text report's rule titles and hints, severities, summary and verdict through a
gettext catalog (tfkms/locale/zh_CN, built by tools/zh_catalog.py with Babel). Finding messages stay
English: they are composed across the analysis around values (addresses, ids, versions), so each one
is led by its rule's title in Chinese instead. Machine formats (json, sarif, github, gitlab,
markdown, html) never change with the language: CI parses them."""
from __future__ import annotations

import gettext
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "zh")
LOCALE_DIR = Path(__file__).parent / "locale"
_ENVIRONMENT = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")  # gettext's own order

Translate = Callable[[str], str]


def language_from_environment(environ: Mapping[str, str]) -> str:
    """zh when the first locale variable set names Chinese (`zh_CN.UTF-8`, `zh:en`), else en."""
    for name in _ENVIRONMENT:
        value = environ.get(name, "").strip()
        if value:
            first = value.split(":")[0].lower()
            return "zh" if first.startswith("zh") else "en"
    return "en"


_chosen: list[str] = []  # `tfkms --lang X`, set by the CLI's callback on every invocation


def choose(language: str | None) -> None:
    _chosen[:] = [language] if language else []


def current_language(environ: Mapping[str, str]) -> str:
    """--lang when given, else what the locale variables say."""
    return _chosen[0] if _chosen else language_from_environment(environ)


def english(text: str) -> str:
    return text


@cache
def translation(language: str) -> Translate:
    if language == "en":
        return english
    catalog = gettext.translation("tfkms", localedir=LOCALE_DIR, languages=["zh_CN"], fallback=True)
    return catalog.gettext
