"""`tfkms report --format text` over several reports: one table row per repo (worst first) and one per
region under it, the findings by rule, the errors, the verdict last. Width-aware like text_report:
no line is wider than the terminal (narrow terminals get one wrapped paragraph per repo instead)."""
from __future__ import annotations

from tfkms.analysis.rules import RULES
from tfkms.org_view import OrgView, Tally
from tfkms.report.text_report import printable, wrap
from tfkms.status import ExitStatus

DEFAULT_WIDTH = 100
MIN_WIDTH = 40
MIN_NAME = 12  # below this the table would cut names to nothing: paragraphs instead
# (attribute, long header, short header)
_COLUMNS = (("resources", "resources", "res"), ("migrated", "migrated", "migr"), ("not_migrated", "to migrate", "todo"),
            ("destroying", "destroying", "destr"), ("error", "errors", "err"), ("warning", "warnings", "warn"),
            ("info", "info", "info"), ("suppressed", "suppressed", "supp"))


def render(view: OrgView, width: int | None = None) -> str:
    width = max(MIN_WIDTH, width or DEFAULT_WIDTH)
    repos = view.worst_first
    totals = view.totals
    rows: list[tuple[str, Tally]] = []
    for repo in repos:
        rows.append((printable(repo.name), repo.tally))
        if len(repo.regions) > 1:  # a repo in one region: its row says it all
            rows += [("  " + printable(name), tally) for name, tally in sorted(repo.regions.items())]
    out = _table(rows, totals, width) or _paragraphs(rows, totals, width)
    out.append("")
    if totals.by_rule:
        out.append("findings by rule:")
        for rule, count in sorted(totals.by_rule.items()):
            in_repos = sum(1 for r in repos if rule in r.tally.by_rule)
            title = RULES[rule].title if rule in RULES else ""
            out += wrap(f"{rule}  {count} in {in_repos} repo(s)  {title}", width, "  ", "            ")
        out.append("")
    for repo in repos:
        for error in repo.errors:
            out += wrap(f"error: {printable(repo.name)}: {printable(error)}", width, "", "  ")
    out += wrap(_verdict(view, totals), width, "", "  ")
    return "\n".join(out) + "\n"


def _table(rows: list[tuple[str, Tally]], totals: Tally, width: int) -> list[str] | None:
    for header_index in (1, 2):
        headers = [c[header_index] for c in _COLUMNS]
        cells = [[str(getattr(t, c[0])) for c in _COLUMNS] for _, t in [*rows, ("", totals)]]
        widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(headers)]
        numbers = sum(w + 2 for w in widths)
        name_width = min(max(len(n) for n, _ in [*rows, ("repo", totals), ("total", totals)]), width - numbers)
        if name_width < MIN_NAME:
            continue
        out = [_line("repo", headers, name_width, widths)]
        out += [_line(name, row, name_width, widths) for (name, _), row in zip(rows, cells[:-1], strict=True)]
        out.append(_line("total", cells[-1], name_width, widths))
        return out
    return None


def _line(name: str, values: list[str], name_width: int, widths: list[int]) -> str:
    fitted = name if len(name) <= name_width else name[: name_width - 1] + "…"
    return (fitted.ljust(name_width) + "".join("  " + v.rjust(w) for v, w in zip(values, widths, strict=True))).rstrip()


def _paragraphs(rows: list[tuple[str, Tally]], totals: Tally, width: int) -> list[str]:
    out = []
    for name, tally in [*rows, ("total", totals)]:
        indent = "  " if name.startswith("  ") else ""
        # Narrow terminal: only the counts that are not zero (resources always).
        parts = ", ".join(f"{getattr(tally, c[0])} {c[1]}" for n, c in enumerate(_COLUMNS)
                          if n == 0 or getattr(tally, c[0]))
        out += wrap(f"{name.strip()}: {parts}", width, indent, indent + "    ")
    return out


def _verdict(view: OrgView, totals: Tally) -> str:
    repos = len(view.repos)
    status = view.exit_status()
    head = f"tfkms report: {repos} repo(s), {totals.resources} KMS resource(s), {totals.migrated} migrated, " \
           f"{totals.not_migrated} to migrate, {totals.findings} finding(s)"
    if status is ExitStatus.ERROR:
        errors = sum(len(r.errors) for r in view.repos.values())
        return f"{head}: {errors} input error(s): fix them and run again"
    if status is ExitStatus.ACTION_NEEDED:
        needing = sum(1 for r in view.repos.values() if r.tally.needs_action)
        return f"{head}: action needed in {needing} repo(s) ({totals.destroying} would destroy a resource)"
    return f"{head}: nothing needs action"
