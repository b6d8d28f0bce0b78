"""`--format json`: the machine-readable contract (schema: tfkms/schemas/report.schema.json)."""
from __future__ import annotations

import json
from typing import Any

from tfkms import __version__
from tfkms.analysis.result import Finding, Result

SCHEMA_VERSION = 1


def finding_dict(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rule": f.rule, "severity": f.severity.value, "title": f.title, "address": f.address, "root": f.root,
        "file": f.file, "line": f.line, "message": f.message, "hint": f.hint,
    }
    if f.strategy is not None or f.reason is not None:
        out["strategy"] = f.strategy
        out["reason"] = f.reason
    if f.edits:
        out["edits"] = [{"file": e.file, "line": e.line, "before": e.before, "after": e.after} for e in f.edits]
    if f.suppressed:
        out["suppressed"] = {"reason": f.suppressed}
    if f.resolved:
        out["resolved"] = True
    return out


def result_dict(result: Result) -> dict[str, Any]:
    out: dict[str, Any] = {
        "version": SCHEMA_VERSION,
        "tool": {"name": "tfkms", "version": __version__},
        "command": result.command,
        "paths": result.paths,
    }
    if result.target:
        out["target"] = result.target
    out["exit_code"] = int(result.exit_status())
    out["summary"] = result.summary()
    out["resources"] = [
        {k: v for k, v in {
            "address": r.address, "type": r.type, "root": r.root, "file": r.file, "line": r.line,
            "region": r.region, "mode": r.mode, "module_source": r.module_source,
            "provider_version": r.provider_version, "instances": r.instances,
        }.items() if v is not None}
        for r in result.resources
    ]
    out["findings"] = [finding_dict(f) for f in result.findings]
    if result.command == "check":
        out["batches"] = [{"root": b.root, "region": b.region, "number": b.number, "keys": b.keys,
                           "secrets": b.secrets}
                          for b in result.batches]
    if result.patches or result.command == "fix":
        out["patches"] = [{"file": p.display, "written": p.written, "diff": p.unified_diff()} for p in result.patches]
    out["errors"] = [{"file": p.file, "line": p.line, "column": p.column, "message": p.message}
                     for p in result.problems]
    return out


def render(result: Result) -> str:
    return json.dumps(result_dict(result), indent=2, ensure_ascii=False) + "\n"
