"""Rule ids are a public contract: users grep, suppress and gate on them. Never renumber."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"  # blocks migration, or the next plan destroys something
    WARNING = "warning"  # needs a human decision
    INFO = "info"  # worth knowing, no action required

    @property
    def needs_action(self) -> bool:
        return self is not Severity.INFO


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    help: str
    severity: Severity
    phase: str  # check | fix | audit | guard


_RULES = [
    Rule("TFKMS100", "Key spec or protection level cannot migrate to the target instance type",
         "Pick the other instance type, or keep this key in KMS 1.0 and contact support.",
         Severity.ERROR, "check"),
    Rule("TFKMS101", "Key is not Enabled",
         "Only Enabled keys migrate: enable it, or delete it from the configuration.",
         Severity.ERROR, "check"),
    Rule("TFKMS102", "Automatic rotation is on",
         "Disable automatic rotation before migrating; re-enable it after the migration.",
         Severity.WARNING, "check"),
    Rule("TFKMS103", "HSM key outside the Chinese mainland",
         "HSM keys outside the Chinese mainland cannot migrate; contact Alibaba Cloud support.",
         Severity.ERROR, "check"),
    Rule("TFKMS104", "BYOK key at HSM protection level",
         "Keys with external key material at HSM level cannot migrate; plan a new key.",
         Severity.ERROR, "check"),
    Rule("TFKMS105", "Service key (alias/acs/...)",
         "Service keys are not migrated; nothing to do.",
         Severity.INFO, "check"),
    Rule("TFKMS106", "Secret's key is not migratable or not in the same batch",
         "Migrate the secret's encryption key in the same batch or earlier, or re-encrypt the secret "
         "with a migratable key.",
         Severity.ERROR, "check"),
    Rule("TFKMS107", "Secret name clash in the target instance",
         "Secret names must be unique per instance in a region: rename one of the secrets.",
         Severity.ERROR, "check"),
    Rule("TFKMS108", "Key version ids change after migration",
         "Remove logic that depends on key version ids; plan to re-import alicloud_kms_key_version "
         "resources after migration.",
         Severity.WARNING, "check"),
    Rule("TFKMS109", "Provider older than 1.183.0 cannot express dkms_instance_id",
         "Upgrade the alicloud provider to >= 1.235.0 before migrating.",
         Severity.WARNING, "check"),
    # Target readiness (with --inventory or --live): judged per region the batch plan moves keys or
    # secrets into, across roots (root None: every root's batches of a region land in its instances).
    Rule("TFKMS110", "No usable target instance in the region",
         "Set up a KMS instance of the target type in the region and wait until it is Connected. Judged "
         "per region, across roots; info when the inventory does not list the region's instances.",
         Severity.ERROR, "check"),
    Rule("TFKMS111", "Target instance must be upgraded first",
         "Upgrade the instance: a legacy spec-200 instance to KMS 3.0; one of spec 1000 or more needs "
         "product version 3. Judged per instance (kms:instance/ID), across roots.",
         Severity.ERROR, "check"),
    Rule("TFKMS112", "Target instance quota too small",
         "Raise the instance's key or secret quota, or move fewer into the region. Judged per region, "
         "across roots: only when no instance of the target type there has room (unknown quotas: none).",
         Severity.ERROR, "check"),
    Rule("TFKMS200", "dkms_instance_id would force replacement",
         "Write the instance id the cloud reports, or ignore dkms_instance_id in lifecycle.",
         Severity.ERROR, "fix"),
    Rule("TFKMS201", "protection_level would force replacement",
         "Make protection_level equal what the cloud reports, or ignore it in lifecycle.",
         Severity.ERROR, "fix"),
    Rule("TFKMS202", "encryption_key_id would force replacement",
         "Write the key id the cloud reports, or ignore encryption_key_id in lifecycle.",
         Severity.ERROR, "fix"),
    Rule("TFKMS203", "Configuration names a different KMS instance than the cloud",
         "Use the instance id the cloud reports.",
         Severity.ERROR, "fix"),
    Rule("TFKMS204", "Cannot patch here",
         "Patch the module's source or the expression by hand (the message says where).",
         Severity.WARNING, "fix"),
    Rule("TFKMS205", "Rotation differs after migration (in-place update)",
         "Re-enable rotation as before migration, or pass --ignore-rotation.",
         Severity.INFO, "fix"),
    Rule("TFKMS206", "Not migrated yet",
         "Nothing to patch until the resource is migrated.",
         Severity.INFO, "fix"),
    Rule("TFKMS207", "Unmanaged: the cloud has it, no scanned state manages it",
         "Import it into the Terraform root that should own it, or record why it lives outside Terraform.",
         Severity.WARNING, "audit"),
    Rule("TFKMS208", "Missing: a state manages it, the cloud does not have it",
         "It was deleted outside Terraform, or the state points at another account/region: check before "
         "the next apply recreates it.",
         Severity.WARNING, "audit"),
    Rule("TFKMS209", "ForceNew attribute the cloud reports is missing from config",
         "Write the value the state reports into the resource, or ignore the attribute in lifecycle.",
         Severity.ERROR, "fix"),
    Rule("TFKMS210", "Config evaluates to other instances than the state holds",
         "tfkms follows the state; check count/for_each and the variables your pipeline passes "
         "(-var-file is not read by tfkms).",
         Severity.INFO, "fix"),
    Rule("TFKMS211", "The fix edits a file outside the scanned paths",
         "Review the change with the module's other callers in mind; the value itself goes at the scanned "
         "call sites.",
         Severity.INFO, "fix"),
    Rule("TFKMS300", "Plan destroys or replaces a KMS key or secret",
         "Do not apply: run `tfkms fix` with the post-migration state and plan again.",
         Severity.ERROR, "guard"),
    Rule("TFKMS301", "Plan is incomplete",
         "Plan the whole configuration (no -target) and guard that plan: changes this plan leaves out "
         "are not judged.",
         Severity.WARNING, "guard"),
    Rule("TFKMS302", "Plan may not have refreshed",
         "If the keys and secrets have been migrated, plan again with refresh (no -refresh=false) after "
         "the migration, or run `tfkms verify`, which always refreshes.",
         Severity.INFO, "guard"),
]

RULES: dict[str, Rule] = {r.id: r for r in _RULES}
# Rules whose finding means the next plan destroys or replaces the resource (the verdict's "would be
# replaced or destroyed", the org view's "would destroy", GitLab's blocker).
DESTRUCTIVE_RULES = frozenset({"TFKMS200", "TFKMS201", "TFKMS202", "TFKMS203", "TFKMS209", "TFKMS300"})
