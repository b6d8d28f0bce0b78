"""`tfkms report --format markdown` over several reports: a table for a PR comment or a job summary
(`>> $GITHUB_STEP_SUMMARY`). Repos worst first; past what a GitHub comment holds (65,536 characters)
the rest is counted in one line, never cut mid-table."""
from __future__ import annotations

from tfkms.analysis.rules import RULES
from tfkms.org_view import OrgView, RepoView, Tally
from tfkms.status import ExitStatus

MAX_CHARS = 60_000  # under GitHub's 65,536 for a comment, with room for the header and footer
_HEADER = ("| # | repo | resources | migrated | to migrate | would destroy | errors | warnings | info | suppressed |\n"
           "|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")


def render(view: OrgView) -> str:
    totals = view.totals
    status = view.exit_status()
    word = {ExitStatus.ERROR: "some reports could not be read", ExitStatus.ACTION_NEEDED: "action needed",
            ExitStatus.OK: "nothing needs action"}[status]
    repos = view.worst_first
    out = [f"### tfkms report: {word}\n\n",
           f"{len(repos)} repo(s), {totals.resources} KMS resource(s): **{totals.migrated} migrated, "
           f"{totals.not_migrated} to migrate**; {totals.findings} finding(s), {totals.destroying} would destroy "
           f"a resource.\n\n", _HEADER]
    used = sum(map(len, out))
    errors = _errors(repos)
    rules = _rules(view, totals)
    budget = MAX_CHARS - len(errors) - len(rules) - 200
    shown = 0
    for rank, repo in enumerate(repos, start=1):
        row = _row(str(rank), f"`{_cell(repo.name)}`", repo.tally)
        if used + len(row) > budget:
            break
        out.append(row)
        used += len(row)
        shown += 1
    out.append(_row("", "**total**", totals))
    if shown < len(repos):
        out.append(f"\n{len(repos) - shown} more repo(s) not shown: see `tfkms report -f html`.\n")
    return "".join(out) + rules + errors


def _row(rank: str, name: str, t: Tally) -> str:
    values = (t.resources, t.migrated, t.not_migrated, t.destroying, t.error, t.warning, t.info, t.suppressed)
    return f"| {rank} | {name} | " + " | ".join(str(v) for v in values) + " |\n"


def _rules(view: OrgView, totals: Tally) -> str:
    if not totals.by_rule:
        return ""
    lines = ["\n| rule | title | findings | repos |\n|---|---|--:|--:|\n"]
    for rule, count in sorted(totals.by_rule.items()):
        title = RULES[rule].title if rule in RULES else ""
        repos = sum(1 for r in view.repos.values() if rule in r.tally.by_rule)
        lines.append(f"| {rule} | {_cell(title)} | {count} | {repos} |\n")
    return "".join(lines)


def _errors(repos: list[RepoView]) -> str:
    lines = [f"- `{_cell(repo.name)}`: {_cell(error)}\n" for repo in repos for error in repo.errors]
    if not lines:
        return ""
    more = f"- … {len(lines) - 50} more\n" if len(lines) > 50 else ""
    return "\n**Input errors**\n\n" + "".join(lines[:50]) + more


def _cell(text: str) -> str:
    """Text safe inside a table cell and a code span: no pipe, backtick, newline or HTML."""
    return (text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "'").replace("<", "&lt;")
            .replace(">", "&gt;").replace("\r", " ").replace("\n", " "))
