"""Hand-built Results for the renderer tests: check-like, fix-like, guard-like and empty."""
from __future__ import annotations

from pathlib import Path

from tfkms.analysis.result import Edit, FilePatch, Finding, ResourceRecord, Result
from tfkms.analysis.rules import Severity
from tfkms.errors import InputProblem


def check_result() -> Result:
    return Result(
        command="check",
        paths=["infra/prod"],
        findings=[
            Finding("TFKMS102", Severity.WARNING, "Automatic rotation is on for alicloud_kms_key.main",
                    "Disable automatic rotation before migrating.", address="alicloud_kms_key.main",
                    root="infra/prod", file="infra/prod/main.tf", line=3),
            Finding("TFKMS100", Severity.ERROR,
                    "Key spec <img src=x onerror=alert(1)> | EC_SM2 cannot migrate\nto a software instance",
                    "Pick a hardware instance.", address='module.kms["a|b"].alicloud_kms_key.this',
                    root="infra/prod", file="infra/prod/modules/kms/main.tf", line=10),
            Finding("TFKMS105", Severity.INFO, "Service key alias/acs/ecs is not migrated",
                    "Nothing to do.", address="data.alicloud_kms_keys.service",
                    root="infra/prod", file="infra/prod/main.tf", line=20),
            Finding("TFKMS101", Severity.ERROR, "Key alicloud_kms_key.old is Disabled",
                    "Enable it, or delete it from the configuration.", address="alicloud_kms_key.old",
                    root="infra/prod", file="infra/prod/old keys.tf", line=1,
                    suppressed="decommissioned in Q3, see OPS-12"),
        ],
        resources=[
            ResourceRecord("alicloud_kms_key.main", "alicloud_kms_key", "infra/prod", "infra/prod/main.tf", 1),
            ResourceRecord("alicloud_kms_key.old", "alicloud_kms_key", "infra/prod", "infra/prod/old keys.tf", 1),
        ],
        problems=[InputProblem("infra/prod/broken.tf", 4, 7, "unclosed block; close the `resource` opened at line 2")],
    )


# A CRLF block followed by an LF block, as mixed files exist in the wild.
MAIN_TF = ('resource "alicloud_kms_key" "main" {\r\n'
           '  description = "app"\r\n'
           '}\r\n'
           '\r\n'
           'resource "alicloud_kms_secret" "db" {\n'
           '  secret_name       = "db"\n'
           '  encryption_key_id = "key-old"\n'
           '}\n')


def _insert_after(text: str, anchor: str, new: str, file: str) -> Edit:
    at = text.index(anchor) + len(anchor)
    return Edit(file, text.count("\n", 0, at) + 1, at, at, "", new)


def _replace(text: str, old: str, new: str, file: str) -> Edit:
    at = text.index(old)
    return Edit(file, text.count("\n", 0, at) + 1, at, at + len(old), old, new)


def apply_edits(text: str, edits: list[Edit]) -> str:
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        text = text[:edit.start] + edit.after + text[edit.end:]
    return text


def fix_result() -> Result:
    # Realigns `=` the way `terraform fmt` does, so the edit spans the description line.
    key_edit = _replace(MAIN_TF, '  description = "app"\r\n',
                        '  description      = "app"\r\n  dkms_instance_id = "kst-hzz6a1b2"\r\n', "main.tf")
    secret_id = _replace(MAIN_TF, '"key-old"', '"key-new"', "main.tf")
    secret_lifecycle = _insert_after(MAIN_TF, '"key-old"\n',
                                     "\n  lifecycle {\n    ignore_changes = [dkms_instance_id]\n  }\n", "main.tf")
    patched = apply_edits(MAIN_TF, [key_edit, secret_id, secret_lifecycle])
    return Result(
        command="fix",
        paths=["."],
        findings=[
            Finding("TFKMS200", Severity.ERROR, "dkms_instance_id would force replacement of alicloud_kms_key.main",
                    "Write the instance id the cloud reports.", address="alicloud_kms_key.main", root=".",
                    file="main.tf", line=1, strategy="instance-id",
                    reason="provider 1.230.0 predates Computed dkms_instance_id", edits=[key_edit]),
            Finding("TFKMS202", Severity.ERROR,
                    "encryption_key_id would force replacement of alicloud_kms_secret.db",
                    "Write the key id the cloud reports.", address="alicloud_kms_secret.db", root=".",
                    file="main.tf", line=5, strategy="instance-id", reason="the cloud reports key-new",
                    edits=[secret_id]),
            Finding("TFKMS200", Severity.ERROR, "dkms_instance_id would force replacement of alicloud_kms_secret.db",
                    "Ignore dkms_instance_id in lifecycle.", address="alicloud_kms_secret.db", root=".",
                    file="main.tf", line=5, strategy="ignore-changes",
                    reason="alicloud_kms_secret never computes dkms_instance_id", edits=[secret_lifecycle]),
            Finding("TFKMS204", Severity.WARNING, "module.shared comes from the registry; patch it at its source",
                    "Patch the module's source by hand.", address="module.shared.alicloud_kms_key.this",
                    root=".", file="main.tf", line=12),
        ],
        resources=[
            ResourceRecord("alicloud_kms_key.main", "alicloud_kms_key", ".", "main.tf", 1),
            ResourceRecord("alicloud_kms_secret.db", "alicloud_kms_secret", ".", "main.tf", 5),
        ],
        patches=[FilePatch("main.tf", Path("main.tf"), MAIN_TF, patched)],
    )


def empty_result(command: str = "check") -> Result:
    return Result(command=command, paths=["infra/prod", "infra/dev"])
