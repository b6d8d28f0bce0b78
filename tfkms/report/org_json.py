"""`tfkms report --format json` over several reports: the org view (schema: tfkms/schemas/org-report.schema.json)."""
from __future__ import annotations

import json
from typing import Any

from tfkms import __version__
from tfkms.org_view import OrgView, RepoView, Tally

ORG_SCHEMA_VERSION = 1
_COUNTS = ("resources", "migrated", "not_migrated", "findings", "error", "warning", "info", "suppressed",
           "resolved", "destroying")


def tally_dict(tally: Tally) -> dict[str, Any]:
    out: dict[str, Any] = {name: getattr(tally, name) for name in _COUNTS}
    out["by_rule"] = dict(sorted(tally.by_rule.items()))
    return out


def repo_dict(repo: RepoView) -> dict[str, Any]:
    return {
        "name": repo.name, "reports": repo.sources, "commands": repo.commands, "totals": tally_dict(repo.tally),
        "regions": [{"region": name, **tally_dict(tally)} for name, tally in sorted(repo.regions.items())],
        "errors": repo.errors,
    }


def view_dict(view: OrgView) -> dict[str, Any]:
    repos = view.worst_first
    return {
        "version": ORG_SCHEMA_VERSION,
        "tool": {"name": "tfkms", "version": __version__},
        "kind": "org-view",
        "exit_code": int(view.exit_status()),
        "reports": sum(len(r.sources) for r in repos),
        "unreadable": sum(r.unreadable for r in repos),
        "regions": view.regions,
        "totals": tally_dict(view.totals),
        "repos": [repo_dict(r) for r in repos],
    }


def render(view: OrgView) -> str:
    return json.dumps(view_dict(view), indent=2, ensure_ascii=False) + "\n"
