"""GitLab Code Quality (`artifacts:reports:codequality`): a JSON array of issues, a subset of the
Code Climate issue spec, shown in the merge request widget and on the diff.

Severity (GitLab's scale is info < minor < major < critical < blocker):

- blocker: an error that means the next plan destroys or replaces a KMS resource (TFKMS200-203,
  TFKMS209, guard's and verify's TFKMS300), the thing no merge should ship;
- critical: any other error (a key that cannot migrate), and an input file tfkms could not read;
- major: a warning (a human has to decide); info: info.

Suppressed findings and findings `--write` resolved are left out: the widget lists what is still to
do. Fingerprints are SARIF's (stable across line moves and runs, numbered when the same rule,
address and file repeat), so the widget tells new issues from fixed ones between pipelines.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path, PurePosixPath

from tfkms.analysis.result import Finding, Result
from tfkms.analysis.rules import DESTRUCTIVE_RULES as DESTROY_RISK_RULES
from tfkms.analysis.rules import RULES, Severity
from tfkms.errors import InputProblem
from tfkms.report.sarif_report import INPUT_ERROR_RULE, finding_fingerprints

SEVERITIES = ("info", "minor", "major", "critical", "blocker")
_BY_SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


def render(result: Result) -> str:
    fingerprints = finding_fingerprints(result.findings)  # over all findings, so a suppression renumbers none
    issues = [_finding_issue(f, fp, result) for f, fp in zip(result.findings, fingerprints, strict=True)
              if not f.suppressed and not f.resolved]
    issues += [_problem_issue(p, fp) for p, fp in zip(result.problems, _problem_fingerprints(result.problems),
                                                       strict=True)]
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


def severity(finding: Finding) -> str:
    if finding.severity is Severity.ERROR and finding.rule in DESTROY_RISK_RULES:
        return "blocker"
    return _BY_SEVERITY[finding.severity]


def _finding_issue(finding: Finding, fingerprint: str, result: Result) -> dict[str, object]:
    # GitLab needs a file: one without (a cloud-only resource) is pinned to its root, else the first
    # scanned path, at line 1 (as SARIF does).
    file = finding.file or finding.root or (result.paths[0] if result.paths else ".")
    line = finding.line if finding.file and finding.line and finding.line >= 1 else 1
    rule = RULES.get(finding.rule)
    body = finding.hint or (rule.help if rule else "")
    issue: dict[str, object] = {
        "type": "issue",
        "description": _description(finding),
        "check_name": finding.rule,
        "fingerprint": fingerprint,
        "severity": severity(finding),
        "categories": [_category(finding)],
        "location": {"path": location_path(file), "lines": {"begin": line}},
    }
    if body:
        issue["content"] = {"body": body}
    return issue


def _problem_issue(problem: InputProblem, fingerprint: str) -> dict[str, object]:
    return {
        "type": "issue",
        "description": f"cannot read input: {_one_line(problem.message)}",
        "check_name": INPUT_ERROR_RULE,
        "fingerprint": fingerprint,
        "severity": "critical",
        "categories": ["Bug Risk"],
        "location": {"path": location_path(problem.file), "lines": {"begin": max(problem.line or 1, 1)}},
        "content": {"body": "Fix the file or pass the right one; tfkms analysed nothing in this file."},
    }


def _description(finding: Finding) -> str:
    """One line, the address first: the widget lists issues without their location's resource."""
    message = _one_line(finding.message)
    if finding.address and not message.startswith(finding.address):
        message = f"{finding.address}: {message}"
    return message


def _category(finding: Finding) -> str:
    """Code Climate's categories: a blocker to migrating is Compatibility, the rest a Bug Risk."""
    rule = RULES.get(finding.rule)
    return "Compatibility" if rule is not None and rule.phase == "check" else "Bug Risk"


def location_path(file: str) -> str:
    """As tfkms prints it, with forward slashes and no `./`; an absolute path inside the working
    directory becomes relative (GitLab matches paths against the repository)."""
    path = Path(file)
    if path.is_absolute():
        with contextlib.suppress(ValueError):  # outside it: the absolute path, as printed
            file = str(path.resolve().relative_to(Path.cwd().resolve()))
    return str(PurePosixPath(file.replace("\\", "/")))


def _problem_fingerprints(problems: list[InputProblem]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for problem in problems:
        key = f"{INPUT_ERROR_RULE}\0{problem.file}\0{problem.line}\0{problem.column}\0{problem.message}"
        seen[key] = seen.get(key, 0) + 1
        out.append(hashlib.sha256(f"{key}\0{seen[key]}".encode()).hexdigest()[:32])
    return out


def _one_line(text: str) -> str:
    return " ".join(text.split())
