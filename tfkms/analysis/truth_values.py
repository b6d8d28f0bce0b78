"""Values from the truth (state, a saved plan, the inventory, the live API) are data, never code.

tfkms writes what the cloud reports into HCL and .tf.json. Before a value is written it must have
the shape the KMS API documents for its attribute: anything else (`kst-${var.db_password}`, a
control character, an ANSI escape) is refused, and the refusal shows the value `safe`ly: escaped,
truncated, never interpreted by a terminal or by Terraform.
"""
from __future__ import annotations

import re
from typing import Any

# A KMS 3.0 instance id: `kst-` and lowercase letters and digits, in groups joined by `-`
# (`kst-hzz65f176a0ogplgq4ehe`, `kst-cn-0001`). The API reports it as KeyMetadata.DKMSInstanceId
# and DescribeSecret.DKMSInstanceId; the instance ARN ends in `keystore/kst-...`.
_INSTANCE_ID = re.compile(r"kst-[a-z0-9]+(?:-[a-z0-9]+)*")
# A key id is not parsed (3.0 keys are `key-...`, 1.0 keys UUIDs; the docs say not to rely on
# either): a plain token of the characters key ids, aliases and ARNs use, and nothing a template,
# a shell or a terminal reads.
_KEY_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_./:-]*[A-Za-z0-9_])?")
_PROTECTION_LEVELS = ("SOFTWARE", "HSM")
_MAX_LEN = 256
REFUSED = "the cloud reports a value tfkms will not write: "  # every refusal starts so (TFKMS204)


def check_value(attribute: str, value: Any) -> str | None:
    """None when `value` may be written as `attribute`; else why it is refused (the value shown
    safely). None (null: not migrated) and "" (what a state says for it) are always writable."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        return f"{REFUSED}{safe(value)} (not a string)"
    if attribute == "dkms_instance_id":
        ok = len(value) <= 64 and _INSTANCE_ID.fullmatch(value) is not None
        shape = "a KMS instance id is kst- and lowercase letters and digits"
    elif attribute == "protection_level":
        ok = value.upper() in _PROTECTION_LEVELS  # a config's "hsm", written back where it stood
        shape = "protection_level is SOFTWARE or HSM"
    elif attribute == "encryption_key_id":
        ok = len(value) <= _MAX_LEN and _KEY_ID.fullmatch(value) is not None
        shape = "a key id is letters, digits and - _ . / :"
    else:
        ok = len(value) <= _MAX_LEN and value.isprintable() and "${" not in value and "%{" not in value
        shape = "printable text without a template sequence"
    if ok:
        return None
    return f"{REFUSED}{safe(value)} ({shape})"


def check_values(attribute: str, values: list[Any]) -> str | None:
    """The first refusal among `values`, or None."""
    for value in values:
        reason = check_value(attribute, value)
        if reason is not None:
            return reason
    return None


def safe(value: Any, limit: int = 80) -> str:
    """`value` for a message: Python's repr with every non-ASCII or unprintable character escaped
    (no raw control character, ANSI escape or bidi override reaches a terminal), truncated."""
    text = ascii(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"
