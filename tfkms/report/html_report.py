"""`--format html`: one self-contained page (inline CSS, inline SVG, a few lines of inline JS).

Written for `audit -o audit.html`, rendered for any command. Autoescape is on: every text
from the repo or the cloud is escaped by jinja2. A Content-Security-Policy meta tag forbids
every network load, so the page stays self-contained even if a template change slipped one in.
The chart geometry is computed here, so the template only places what it is given.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace

import jinja2

from tfkms.address import without_keys
from tfkms.analysis.result import AuditSummary, Finding, RegionTally, Result
from tfkms.analysis.rules import Severity
from tfkms.status import ExitStatus

_SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
# Headline groups of an audit, by rule.
_DRIFT_KINDS = (
    ("not-migrated", "Not migrated", ("TFKMS206",)),
    ("mismatched", "Mismatched", ("TFKMS200", "TFKMS201", "TFKMS202", "TFKMS203")),
    ("unmanaged", "Unmanaged", ("TFKMS207",)),
    ("missing", "Missing", ("TFKMS208",)),
    ("other", "Cannot patch / rotation", ("TFKMS204", "TFKMS205")),
)

# Chart layout, in SVG user units.
LABEL_WIDTH = 200
BAR_SPAN = 440
ROW_HEIGHT = 20
ROW_GAP = 6
REGION_GAP = 18
CHART_TOP = 34
TEXT_SPACE = 190


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Row:
    rule: str
    title: str
    severity: str
    severity_rank: int
    region: str
    address: str
    location: str
    message: str
    hint: str


@dataclass(frozen=True)
class Bar:
    region: str
    kind: str  # keys | secrets
    status: str  # migrated | not-migrated
    count: int
    x: float
    y: float
    width: float


@dataclass(frozen=True)
class ChartRow:
    region: str
    kind: str
    y: float
    migrated: int
    not_migrated: int
    first_of_region: bool


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    rows: list[ChartRow]
    label_width: int = LABEL_WIDTH
    text_x: int = LABEL_WIDTH + BAR_SPAN + 8
    row_height: int = ROW_HEIGHT


@dataclass(frozen=True)
class RegionView:
    name: str
    tally: RegionTally
    rows: list[Row]

    @property
    def anchor(self) -> str:
        return "region-" + re.sub(r"[^a-z0-9-]", "-", self.name.lower())


@dataclass(frozen=True)
class PageView:
    command: str
    status: str
    exit_code: int
    paths: list[str]
    source: str | None
    generated_at: str | None
    headline: list[Headline]
    severity_counts: dict[str, int]
    resources: int
    rows: list[Row]
    chart: Chart | None
    regions: list[RegionView] = field(default_factory=list)
    not_judged: dict[str, int] = field(default_factory=dict)
    unplaced: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def render(result: Result) -> str:
    return _environment().get_template("audit.html.j2").render(view=build_view(result))


def build_view(result: Result) -> PageView:
    summary = result.audit
    region_of = _region_lookup(result, summary)
    rows = [_row(f, region_of.get(id(f), "")) for f in result.findings]
    counts = result.summary()
    view = PageView(
        command=result.command, status=_status(result), exit_code=int(result.exit_status()), paths=result.paths,
        source=summary.source if summary else None, generated_at=summary.generated_at if summary else None,
        headline=_headline(result) if result.command == "audit" else [],
        severity_counts={k: counts[k] for k in ("error", "warning", "info", "suppressed")},
        resources=counts["resources"], rows=rows, chart=build_chart(summary) if summary else None,
        problems=[p.render() for p in result.problems])
    if summary is not None:
        view.regions.extend(RegionView(name, tally, [_in_region(_row(f, name)) for f in tally.findings])
                            for name, tally in summary.regions.items())
        view.not_judged.update(summary.not_judged)
        view.unplaced.extend(_row(f, "") for f in summary.unplaced)
    return view


def _region_lookup(result: Result, summary: AuditSummary | None) -> dict[int, str]:
    """Finding (by identity) -> region: audit knows it; otherwise the resource's provider region."""
    if summary is not None:
        return {id(f): name for name, tally in summary.regions.items() for f in tally.findings}
    by_address = {(r.root, r.address): r.region for r in result.resources if r.region}
    out = {}
    for f in result.findings:
        region = by_address.get((f.root or "", without_keys(f.address or "")))
        if region:
            out[id(f)] = region
    return out


def _row(f: Finding, region: str) -> Row:
    location = f"{f.file}:{f.line}" if f.file and f.line else f.file or ""
    severity = f.severity.value + (" (suppressed)" if f.suppressed else " (fixed)" if f.resolved else "")
    return Row(f.rule, f.title, severity, _SEVERITY_RANK[f.severity], region, f.address or "", location,
               f.message, f.hint)


def _in_region(row: Row) -> Row:
    # Under the region's own heading, the "<region>: " that leads an audit message is noise.
    return replace(row, message=row.message.removeprefix(f"{row.region}: "))


def _headline(result: Result) -> list[Headline]:
    active = [f for f in result.findings if not f.suppressed]
    cards = [Headline(key, label, sum(1 for f in active if f.rule in rules)) for key, label, rules in _DRIFT_KINDS]
    return [c for c in cards if c.count or c.key != "other"]  # the four drift kinds always show, even at 0


def _status(result: Result) -> str:
    status = result.exit_status()
    if status is ExitStatus.ERROR:
        return "some input could not be read"
    if status is ExitStatus.ACTION_NEEDED:
        return "drift found" if result.command == "audit" else "action needed"
    return "clean" if result.command == "audit" else "no action needed"


def build_chart(summary: AuditSummary) -> Chart | None:
    """Two stacked horizontal bars per region (keys, secrets): migrated, then not migrated."""
    if not summary.regions:
        return None
    totals = [max(t.keys_migrated + t.keys_not_migrated, t.secrets_migrated + t.secrets_not_migrated)
              for t in summary.regions.values()]
    scale = BAR_SPAN / max(max(totals), 1)
    bars: list[Bar] = []
    rows: list[ChartRow] = []
    y = float(CHART_TOP)
    for name, tally in summary.regions.items():
        for n, (kind, migrated, not_migrated) in enumerate((
                ("keys", tally.keys_migrated, tally.keys_not_migrated),
                ("secrets", tally.secrets_migrated, tally.secrets_not_migrated))):
            rows.append(ChartRow(name, kind, y, migrated, not_migrated, n == 0))
            x = float(LABEL_WIDTH)
            for status, count in (("migrated", migrated), ("not-migrated", not_migrated)):
                width = round(count * scale, 1)
                bars.append(Bar(name, kind, status, count, x, y, width))
                x += width
            y += ROW_HEIGHT + ROW_GAP
        y += REGION_GAP - ROW_GAP
    return Chart(width=LABEL_WIDTH + BAR_SPAN + TEXT_SPACE, height=int(y), bars=bars, rows=rows)


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("tfkms.report", "templates"),
        autoescape=True,  # HTML: everything from the repo or the cloud is escaped
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
