"""One view across many saved reports (`tfkms report A.json B.json ...`): per repo and region, the KMS
resources, how many are migrated, the findings by rule and the errors; totals; worst offenders first.

Reports are folded in one at a time (`OrgView.add`) and only counts are kept, so memory does not
grow with the size of the reports, only with the number of repos, regions and rules.

**Migrated**, per resource `alicloud_kms_key` / `alicloud_kms_secret` (managed; a resource with
`count`/`for_each` is migrated when every instance the report lists is), from what the report says:
- `fix`, `audit`, `guard`, `verify` (post-migration commands): *not migrated* when a TFKMS206
  ("not migrated yet") finding names it or its resource, else *migrated*;
- `check` (pre-migration): *not migrated* when a batch plans it or an error or warning finding
  (suppressed or not) names it: it still has to move; *migrated* when it has neither, since check
  judges a resource the cloud reports in a KMS instance no further; a service key (only TFKMS105)
  is neither.
Other resource types (instances, aliases, key versions, data sources) count as resources only.

The region of a finding is its resource's region, else (audit, which prefixes them) the region
that leads its message, else "unknown".
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tfkms.address import without_keys
from tfkms.analysis.result import Finding, ResourceRecord, Result
from tfkms.analysis.rules import DESTRUCTIVE_RULES, Severity
from tfkms.errors import InputFileError, InputProblem
from tfkms.status import ExitStatus

MIGRATING_TYPES = frozenset({"alicloud_kms_key", "alicloud_kms_secret"})
NOT_MIGRATED_RULE = "TFKMS206"
SERVICE_KEY_RULE = "TFKMS105"
UNKNOWN_REGION = "unknown"
_REGION_PREFIX = re.compile(r"([a-z]{2,}(?:-[a-z0-9]+)+): ")


@dataclass
class Tally:
    """Counts of one repo, one region of a repo, or the whole organisation."""

    resources: int = 0
    migrated: int = 0
    not_migrated: int = 0
    findings: int = 0  # every finding, suppressed and resolved included
    error: int = 0  # these three: neither suppressed nor resolved
    warning: int = 0
    info: int = 0
    suppressed: int = 0
    resolved: int = 0
    destroying: int = 0  # instances (root, address) with an active error of DESTRUCTIVE_RULES (the text verdict's)
    by_rule: dict[str, int] = field(default_factory=dict)

    def count(self, finding: Finding) -> None:
        self.findings += 1
        self.by_rule[finding.rule] = self.by_rule.get(finding.rule, 0) + 1
        if finding.suppressed:
            self.suppressed += 1
        elif finding.resolved:
            self.resolved += 1
        else:
            setattr(self, finding.severity.value, getattr(self, finding.severity.value) + 1)

    def merge(self, other: Tally) -> None:
        for name in ("resources", "migrated", "not_migrated", "findings", "error", "warning", "info",
                     "suppressed", "resolved", "destroying"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for rule, n in other.by_rule.items():
            self.by_rule[rule] = self.by_rule.get(rule, 0) + n

    @property
    def needs_action(self) -> bool:
        return bool(self.error or self.warning)


@dataclass
class RepoView:
    name: str
    sources: list[str] = field(default_factory=list)  # the report files, as given
    commands: list[str] = field(default_factory=list)  # check | fix | audit ..., once each
    tally: Tally = field(default_factory=Tally)
    regions: dict[str, Tally] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # unreadable reports, and the errors reports carry
    unreadable: int = 0

    def region(self, name: str | None) -> Tally:
        return self.regions.setdefault(name or UNKNOWN_REGION, Tally())

    @property
    def worst_first_key(self) -> tuple[int, int, int, int, str]:
        t = self.tally
        return -t.destroying, -t.error, -t.warning, -len(self.errors), self.name


@dataclass
class OrgView:
    repos: dict[str, RepoView] = field(default_factory=dict)

    def repo(self, name: str) -> RepoView:
        return self.repos.setdefault(name, RepoView(name))

    def add(self, name: str, source: str, result: Result) -> None:
        """Fold one report in (several reports may name the same repo: its roots, or check and audit)."""
        repo = self.repo(name)
        repo.sources.append(source)
        if result.command not in repo.commands:
            repo.commands.append(result.command)
        for region, tally in _report_tallies(result).items():
            repo.region(region).merge(tally)
            repo.tally.merge(tally)
        repo.errors += [p.render() for p in result.problems]

    def add_unreadable(self, name: str, source: str, message: str) -> None:
        repo = self.repo(name)
        repo.sources.append(source)
        repo.errors.append(message)
        repo.unreadable += 1

    @property
    def worst_first(self) -> list[RepoView]:
        return sorted(self.repos.values(), key=lambda r: r.worst_first_key)

    @property
    def totals(self) -> Tally:
        total = Tally()
        for repo in self.repos.values():
            total.merge(repo.tally)
        return total

    @property
    def regions(self) -> list[str]:
        return sorted({region for repo in self.repos.values() for region in repo.regions})

    def exit_status(self) -> ExitStatus:
        """1: a report could not be read or holds errors of its run; 2: an active error or warning; else 0."""
        if any(repo.errors for repo in self.repos.values()):
            return ExitStatus.ERROR
        return ExitStatus.ACTION_NEEDED if self.totals.needs_action else ExitStatus.OK


def build_org_view(named: Iterable[tuple[str, str]], on_problem: Callable[[str, InputProblem], None]) -> OrgView:
    """Each (name, file) read, folded in and let go before the next: an unreadable one is told to
    `on_problem` (the command prints it at once) and kept in its repo's errors; the others still count."""
    from tfkms.saved_reports import load_report

    view = OrgView()
    for name, file in named:
        try:
            saved = load_report(name, file)
        except InputFileError as exc:
            on_problem(name, exc.problem)
            view.add_unreadable(name, file, exc.problem.render())
            continue
        view.add(saved.name, saved.file, saved.result)
    return view


def _report_tallies(result: Result) -> dict[str, Tally]:
    """One report's counts per region (kept only until they are merged into its repo)."""
    tallies: dict[str, Tally] = {}
    region_of = {(_root(r.root), r.address): r.region or UNKNOWN_REGION for r in result.resources}
    destroyed: set[tuple[str, str, str]] = set()  # (region, root, instance address): once each, as the verdict
    for f in result.findings:
        region = _finding_region(f, region_of)
        tallies.setdefault(region, Tally()).count(f)
        if f.severity is Severity.ERROR and f.rule in DESTRUCTIVE_RULES and not (f.suppressed or f.resolved):
            destroyed.add((region, _root(f.root), f.address or ""))
    for region, _, _ in destroyed:
        tallies[region].destroying += 1
    not_migrated, service = _pending(result)
    for r in result.resources:
        tally = tallies.setdefault(r.region or UNKNOWN_REGION, Tally())
        tally.resources += 1
        if r.mode != "managed" or r.type not in MIGRATING_TYPES:
            continue
        units = list(_units(r))
        if any(_names(not_migrated, _root(r.root), unit) for unit in units):
            tally.not_migrated += 1
        elif not (result.command == "check" and all(_names(service, _root(r.root), u) for u in units)):
            tally.migrated += 1
    return tallies


def _pending(result: Result) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(root, address) still to migrate, and (check) those that are service keys."""
    if result.command != "check":
        return {(_root(f.root), f.address or "") for f in result.findings if f.rule == NOT_MIGRATED_RULE}, set()
    pending = {(_root(b.root), a) for b in result.batches for a in (*b.keys, *b.secrets)}
    pending |= {(_root(f.root), f.address or "") for f in result.findings if f.severity is not Severity.INFO}
    service = {(_root(f.root), f.address or "") for f in result.findings if f.rule == SERVICE_KEY_RULE}
    return pending, service


def _units(r: ResourceRecord) -> Iterable[str]:
    return r.instances or [r.address]


def _names(marked: set[tuple[str, str]], root: str, unit: str) -> bool:
    return (root, unit) in marked or (root, without_keys(unit)) in marked


def _finding_region(f: Finding, region_of: dict[tuple[str, str], str]) -> str:
    region = region_of.get((_root(f.root), without_keys(f.address or "")))
    if region is not None:
        return region
    match = _REGION_PREFIX.match(f.message)
    return match.group(1) if match else UNKNOWN_REGION


def _root(root: str | None) -> str:
    return root or "."  # a batch or finding of the only root may leave it out
