"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

Every rule of the registry is listed (stable `ruleIndex` across runs); input problems are
reported twice: as results of the `input-error` rule so code scanning shows them as alerts,
and as tool execution notifications, which is where SARIF viewers expect tool failures.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import tfkms
from tfkms.analysis.result import Finding, Result
from tfkms.analysis.rules import RULES, Severity
from tfkms.errors import InputProblem

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_VERSION = "2.1.0"
INPUT_ERROR_RULE = "input-error"  # not a TFKMS id: input problems cannot be suppressed or renumbered
SRCROOT = "%SRCROOT%"

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# GitHub code scanning rejects an upload whose run holds more results; each result here has one
# location (the limit there is 1,000), so the 10 MB gzip limit is far away at this count.
MAX_RESULTS = 25_000
_LEVEL_RANK = {"error": 0, "warning": 1, "note": 2, "none": 3}


def render(result: Result, *, base: Path | None = None) -> str:
    """`base` is the folder relative uris start from (the working directory by default); a run whose
    paths are relative to another folder (`Result.display_base`) names it as %SRCROOT%'s uri."""
    named = Path(result.display_base) if result.display_base else None
    base = named or base or Path.cwd()
    rule_ids = [*RULES, INPUT_ERROR_RULE]
    fingerprints = finding_fingerprints(result.findings)  # over every finding: a cut never renumbers one
    results = [_finding_result(f, fp, result, rule_ids, base)
               for f, fp in zip(result.findings, fingerprints, strict=True)]
    results += [_problem_result(p, rule_ids, base) for p in result.problems]
    kept = keep_within_limit(results, MAX_RESULTS)
    notifications = [_notification(p, base) for p in result.problems]
    run: dict[str, object] = {
        "tool": {"driver": {
            "name": "tfkms",
            "version": tfkms.__version__,
            "semanticVersion": tfkms.__version__,
            "rules": [_rule_descriptor(rule_id) for rule_id in rule_ids],
        }},
        # Separates check, fix and guard uploads of one commit in code scanning.
        "automationDetails": {"id": f"tfkms/{result.command}/"},
        "invocations": [{
            "executionSuccessful": not result.problems,
            "toolExecutionNotifications": notifications,
        }],
        "originalUriBaseIds": {SRCROOT: _srcroot(named)},
        "results": kept,
    }
    if len(kept) < len(results):
        notification, run["properties"] = _cut(results, kept)
        notifications.append(notification)
    document = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _srcroot(named: Path | None) -> dict[str, object]:
    """The working directory stays implicit (code scanning resolves it against the checkout)."""
    if named is None:
        return {"description": {"text": "The folder tfkms ran in."}}
    return {"uri": named.as_uri().rstrip("/") + "/",
            "description": {"text": "The scanned folders' common folder (they lie outside the folder tfkms ran in)."}}


def artifact_uri(file: str, base: Path) -> str:
    """A relative, percent-encoded uri with forward slashes; absolute only outside `base`."""
    posix = file.replace("\\", "/")
    path = Path(file)
    if path.is_absolute():
        try:
            posix = path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            return path.as_uri()
    posix = str(PurePosixPath(posix))  # drops "./" and doubled slashes
    # ":" is encoded too: in a relative uri it would read as a scheme ("c:/x", "a:b.tf").
    return quote(posix, safe="/-._~!$&'()*+,;=@")


def _rule_descriptor(rule_id: str) -> dict[str, object]:
    if rule_id == INPUT_ERROR_RULE:
        return {"id": INPUT_ERROR_RULE,
                "shortDescription": {"text": "Input file could not be read or is not what the command needs"},
                "help": {"text": "Fix the file or pass the right one; the message says what is wrong. "
                                 "tfkms analysed nothing in this file."},
                "defaultConfiguration": {"level": "error"}}
    rule = RULES[rule_id]
    return {"id": rule.id,
            "shortDescription": {"text": rule.title},
            "help": {"text": rule.help},
            "defaultConfiguration": {"level": LEVELS[rule.severity]},
            "properties": {"phase": rule.phase}}


def _finding_result(finding: Finding, fingerprint: str, result: Result, rule_ids: list[str],
                    base: Path) -> dict[str, object]:
    text = finding.message if not finding.hint else f"{finding.message}\n{finding.hint}"
    out: dict[str, object] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_ids.index(finding.rule),
        "level": LEVELS[finding.severity],
        "message": {"text": text},
        "locations": [_location(finding, result, base)],
        "partialFingerprints": {"tfkmsFinding/v1": fingerprint},
    }
    if finding.suppressed:
        out["suppressions"] = [{"kind": "inSource", "justification": finding.suppressed}]
    properties: dict[str, object] = {k: v for k, v in (("strategy", finding.strategy), ("reason", finding.reason)) if v}
    if finding.resolved:
        properties["resolved"] = True
    if properties:
        out["properties"] = properties
    return out


def _location(finding: Finding, result: Result, base: Path) -> dict[str, object]:
    location: dict[str, object] = {}
    # Code scanning rejects a result without a file; a finding without one (e.g. a cloud-only
    # resource) is pinned to its root, or to the first scanned path, at line 1.
    file = finding.file or finding.root or (result.paths[0] if result.paths else None)
    if file:
        line = finding.line if finding.file and finding.line and finding.line >= 1 else 1
        location["physicalLocation"] = _physical(file, line, None, base)
    if finding.address:
        location["logicalLocations"] = [{"fullyQualifiedName": finding.address, "kind": "resource"}]
    return location


def _physical(file: str, line: int, column: int | None, base: Path) -> dict[str, object]:
    uri = artifact_uri(file, base)
    artifact = {"uri": uri, "uriBaseId": SRCROOT} if _is_relative(uri) else {"uri": uri}
    region: dict[str, int] = {"startLine": max(line, 1)}
    if column and column >= 1:
        region["startColumn"] = column
    return {"artifactLocation": artifact, "region": region}


def _problem_result(problem: InputProblem, rule_ids: list[str], base: Path) -> dict[str, object]:
    return {"ruleId": INPUT_ERROR_RULE,
            "ruleIndex": rule_ids.index(INPUT_ERROR_RULE),
            "level": "error",
            "message": {"text": problem.message},
            "locations": [{"physicalLocation": _physical(problem.file, problem.line or 1, problem.column, base)}]}


def _notification(problem: InputProblem, base: Path) -> dict[str, object]:
    return {"level": "error",
            "message": {"text": problem.render()},
            "locations": [{"physicalLocation": _physical(problem.file, problem.line or 1, problem.column, base)}]}


def keep_within_limit(results: list[dict[str, object]], limit: int) -> list[dict[str, object]]:
    """The `limit` results that matter most, in report order: active before suppressed or resolved,
    then errors, warnings, notes; ties keep report order, so the same input keeps the same results."""
    if len(results) <= limit:
        return results

    def rank(indexed: tuple[int, dict[str, object]]) -> tuple[bool, int, int]:
        index, item = indexed
        properties = item.get("properties")
        inactive = "suppressions" in item or (isinstance(properties, dict) and bool(properties.get("resolved")))
        return inactive, _LEVEL_RANK.get(str(item.get("level")), 3), index

    kept = sorted(sorted(enumerate(results), key=rank)[:limit])
    return [item for _, item in kept]


def _cut(results: list[dict[str, object]],
         kept: list[dict[str, object]]) -> tuple[dict[str, object], dict[str, object]]:
    """The run-level notification and the run's properties that say results were left out, and which."""
    kept_ids = {id(item) for item in kept}
    omitted: dict[str, int] = {}
    for item in results:
        if id(item) not in kept_ids:
            level = str(item.get("level"))
            omitted[level] = omitted.get(level, 0) + 1
    counts = ", ".join(f"{n} {level}{'s' if n != 1 else ''}" for level, n in omitted.items())
    text = (f"{len(results) - len(kept)} of {len(results)} results left out ({counts}): GitHub code scanning "
            f"accepts at most {MAX_RESULTS:,} results per run, so the most severe were kept. "
            "--format json or text lists every finding.")
    properties: dict[str, object] = {"resultsTotal": len(results), "resultsKept": len(kept),
                                     "resultsOmitted": omitted, "resultsLimit": MAX_RESULTS}
    return {"level": "warning", "message": {"text": text}}, properties


def finding_fingerprints(findings: list[Finding]) -> list[str]:
    """Stable across line shifts: the rule and what it is about, not where it sits. A repeat of
    the same rule, address and file (a plan's current and deposed object) is numbered, so code
    scanning keeps both alerts."""
    seen: dict[str, int] = {}
    out = []
    for finding in findings:
        subject = finding.address or f"{finding.file}:{finding.line}"
        key = f"{finding.rule}\0{subject}\0{finding.file or ''}"
        seen[key] = seen.get(key, 0) + 1
        out.append(hashlib.sha256(f"{key}\0{seen[key]}".encode()).hexdigest()[:32])
    return out


def _is_relative(uri: str) -> bool:
    return not uri.startswith("file:")
