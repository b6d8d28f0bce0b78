"""`tfkms report --format html` over several reports: one self-contained page (inline CSS and a few lines
of inline JS, a Content-Security-Policy that forbids every network load), like html_report's audit page.
Autoescape is on: every repo name, path and message is escaped by jinja2."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import jinja2

from tfkms.analysis.rules import RULES
from tfkms.org_view import OrgView, Tally
from tfkms.status import ExitStatus


@dataclass(frozen=True)
class Card:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class RepoRow:
    rank: int  # 1 = worst
    name: str
    anchor: str
    tally: Tally
    migrated_pct: float  # of the keys and secrets tfkms could place: the progress bar
    commands: str
    sources: list[str]
    regions: list[tuple[str, Tally]]
    errors: list[str]


@dataclass(frozen=True)
class RuleRow:
    rule: str
    title: str
    severity: str
    count: int
    repos: int


@dataclass(frozen=True)
class OrgPage:
    status: str
    exit_code: int
    reports: int
    cards: list[Card]
    repos: list[RepoRow]
    rules: list[RuleRow]
    regions: list[str]


def render(view: OrgView) -> str:
    return _environment().get_template("org.html.j2").render(page=build_page(view))


def build_page(view: OrgView) -> OrgPage:
    totals = view.totals
    cards = [Card("repos", "repos", len(view.repos)), Card("resources", "KMS resources", totals.resources),
             Card("migrated", "migrated", totals.migrated), Card("not-migrated", "to migrate", totals.not_migrated),
             Card("destroying", "would destroy", totals.destroying), Card("error", "errors", totals.error),
             Card("warning", "warnings", totals.warning),
             Card("input-errors", "input errors", sum(len(r.errors) for r in view.repos.values()))]
    repos = [RepoRow(n, r.name, _anchor(n, r.name), r.tally, _pct(r.tally), ", ".join(r.commands), r.sources,
                     sorted(r.regions.items()), r.errors)
             for n, r in enumerate(view.worst_first, start=1)]
    rules = [RuleRow(rule, RULES[rule].title if rule in RULES else "",
                     RULES[rule].severity.value if rule in RULES else "", count,
                     sum(1 for r in view.repos.values() if rule in r.tally.by_rule))
             for rule, count in sorted(totals.by_rule.items())]
    status = view.exit_status()
    words = {ExitStatus.ERROR: "some reports could not be read", ExitStatus.ACTION_NEEDED: "action needed",
             ExitStatus.OK: "nothing needs action"}[status]
    return OrgPage(words, int(status), sum(len(r.sources) for r in view.repos.values()), cards, repos, rules,
                   view.regions)


def _pct(tally: Tally) -> float:
    placed = tally.migrated + tally.not_migrated
    return round(100 * tally.migrated / placed, 1) if placed else 0.0


def _anchor(rank: int, name: str) -> str:
    return f"repo-{rank}-" + re.sub(r"[^a-z0-9-]", "-", name.lower())[:40]


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(  # as html_report's: autoescape on, a missing name is an error
        loader=jinja2.PackageLoader("tfkms.report", "templates"), autoescape=True,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
