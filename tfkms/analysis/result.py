"""The one object every command produces and every renderer consumes."""
from __future__ import annotations

from dataclasses import dataclass, field

from tfkms.analysis.rules import RULES, Severity
from tfkms.errors import InputProblem
from tfkms.patch.model import Edit, FilePatch
from tfkms.status import ExitStatus


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
    fixed_by: tuple[str, ...] = ()  # the files (display names) whose patches fix it

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
class RegionTally:
    """One covered region: what the cloud holds, and the findings about it."""

    region: str
    keys_migrated: int = 0
    keys_not_migrated: int = 0
    secrets_migrated: int = 0
    secrets_not_migrated: int = 0
    service_keys: int = 0  # alias/acs/... or created by a cloud service: never migrated, never Terraform's
    pending_deletion: int = 0  # keys on their way out: neither counted nor called unmanaged
    findings: list[Finding] = field(default_factory=list)


@dataclass
class AuditSummary:
    source: str | None
    generated_at: str | None
    regions: dict[str, RegionTally] = field(default_factory=dict)
    not_judged: dict[str, int] = field(default_factory=dict)  # region ("unknown") -> state objects not judged
    unplaced: list[Finding] = field(default_factory=list)  # findings whose region tfkms cannot tell


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
    audit: AuditSummary | None = None  # audit: the per-region tally the HTML report draws
    # The absolute folder printed paths are relative to when it is not the working directory (the
    # PATHs lie outside it: loader.display_base); None: the working directory.
    display_base: str | None = None

    def mark_written(self) -> None:
        """After the service wrote patches: a finding whose every patched file was written is resolved."""
        written = {p.display for p in self.patches if p.written}
        for finding in self.findings:
            if finding.fixed_by and set(finding.fixed_by) <= written:
                finding.resolved = True

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
