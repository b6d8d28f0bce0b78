"""The one object every command produces and every renderer consumes."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from tfkms.analysis.rules import RULES, Severity
from tfkms.errors import InputProblem
from tfkms.redact import mask_secret_literals
from tfkms.status import ExitStatus


@dataclass
class Edit:
    """One text splice: replace original[start:end] with `after`.

    Offsets are character offsets into the file's decoded text (decoding is lossless,
    so they map one-to-one to byte ranges). `line` is 1-based, in the original file.
    """

    file: str
    line: int
    start: int
    end: int
    before: str
    after: str


@dataclass
class Finding:
    rule: str
    severity: Severity
    message: str
    hint: str
    address: str | None = None
    root: str | None = None
    file: str | None = None
    line: int | None = None
    strategy: str | None = None  # fix: "instance-id" | "ignore-changes" | None
    reason: str | None = None  # why this strategy (printed with the decision)
    edits: list[Edit] = field(default_factory=list)
    suppressed: str | None = None  # reason given in `# tfkms:ignore RULE reason`
    resolved: bool = False  # set when its edits were written

    @property
    def title(self) -> str:
        return RULES[self.rule].title

    @property
    def needs_action(self) -> bool:
        return self.severity.needs_action and not self.suppressed and not self.resolved


@dataclass
class ResourceRecord:
    """A KMS resource block, under one root (a module's resource appears once per root)."""

    address: str  # module-qualified, no instance keys: module.a.alicloud_kms_key.this
    type: str
    root: str
    file: str
    line: int
    region: str | None = None
    mode: str = "managed"  # managed | data
    module_source: str | None = None  # "local" | "registry" | "git" | None for the root module
    instances: list[str] = field(default_factory=list)  # instance addresses when known
    provider_version: str | None = None


@dataclass
class Batch:
    region: str
    number: int  # 1-based within (root, region)
    keys: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    root: str | None = None


@dataclass
class FilePatch:
    """The full new text of one file; `display` is relative to the scanned PATH."""

    display: str
    path: Path
    original: str
    patched: str
    written: bool = False

    def unified_diff(self) -> str:
        lines = difflib.unified_diff(
            self.original.splitlines(keepends=True),
            self.patched.splitlines(keepends=True),
            fromfile=f"a/{self.display}",
            tofile=f"b/{self.display}",
        )
        out = []
        for line in lines:
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
        return mask_secret_literals("".join(out))


@dataclass
class Result:
    command: str
    paths: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    resources: list[ResourceRecord] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)
    batches: list[Batch] = field(default_factory=list)
    patches: list[FilePatch] = field(default_factory=list)
    options: dict[str, object] = field(default_factory=dict)  # echo of what was asked
    target: str | None = None

    @property
    def pending_patches(self) -> list[FilePatch]:
        return [p for p in self.patches if not p.written]

    def exit_status(self) -> ExitStatus:
        if self.problems:
            return ExitStatus.ERROR
        if self.pending_patches or any(f.needs_action for f in self.findings):
            return ExitStatus.ACTION_NEEDED
        return ExitStatus.OK

    def summary(self) -> dict[str, int]:
        counts = {"resources": len(self.resources), "findings": len(self.findings),
                  "error": 0, "warning": 0, "info": 0, "suppressed": 0, "resolved": 0,
                  "files_changed": len(self.patches), "problems": len(self.problems)}
        for f in self.findings:
            if f.suppressed:
                counts["suppressed"] += 1
            elif f.resolved:
                counts["resolved"] += 1
            else:
                counts[f.severity.value] += 1
        return counts
