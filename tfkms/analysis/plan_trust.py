"""What a saved plan cannot prove: guard judges only the changes a plan lists, against the state
it read. A partial plan (`-target`, deferred changes: `complete: false`) leaves changes out
(TFKMS301). A plan whose state shows no KMS key or secret inside a KMS instance either predates
the migration or never refreshed (`-refresh=false`: Terraform records that nowhere in the plan),
and then it cannot see the instance id the cloud now reports (TFKMS302, a note: before the
migration it is the normal case)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tfkms.analysis.result import Finding
from tfkms.analysis.rules import RULES

MIGRATABLE = ("alicloud_kms_key", "alicloud_kms_secret")


@dataclass(frozen=True)
class InstanceMark:
    """All that survives of one resource's attribute `values` in guard's parse: whether it names a
    KMS instance (`dkms_instance_id` set). The values themselves are never kept."""

    has_instance: bool


def plan_doubts(document: dict[str, object], display: str, root: str) -> list[Finding]:
    out = []
    if document.get("complete") is False:
        out.append(_finding("TFKMS301", "The plan is incomplete (complete: false: made with -target, or with "
                                        "changes deferred to a later plan), so guard cannot judge what it leaves out",
                            display, root))
    marks = list(_prior_marks(document))
    if marks and not any(marks):
        count = len(marks)
        out.append(_finding(
            "TFKMS302",
            f"No KMS key or secret in the plan's state is in a KMS instance ({count} without dkms_instance_id): "
            "expected before the migration; after it, the plan did not refresh (-refresh=false) or read an "
            "old state, and cannot see the instance ids the cloud reports",
            display, root))
    return out


def _finding(rule: str, message: str, display: str, root: str) -> Finding:
    return Finding(rule=rule, severity=RULES[rule].severity, message=message, hint=RULES[rule].help,
                   address=None, root=root, file=display, line=1)


def _prior_marks(document: dict[str, object]) -> Iterator[bool]:
    """has_instance of every managed KMS key and secret in the plan's prior (refreshed) state."""
    prior = document.get("prior_state")
    values = prior.get("values") if isinstance(prior, dict) else None
    module = values.get("root_module") if isinstance(values, dict) else None
    stack = [module] if isinstance(module, dict) else []
    while stack:
        current = stack.pop()
        for resource in current.get("resources") or []:
            if (isinstance(resource, dict) and resource.get("mode") == "managed"
                    and resource.get("type") in MIGRATABLE and isinstance(resource.get("values"), InstanceMark)):
                yield resource["values"].has_instance
        stack += [c for c in current.get("child_modules") or [] if isinstance(c, dict)]
