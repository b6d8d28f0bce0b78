"""ForceNew attributes that are not Computed, by resource type and alicloud provider version.

Such an attribute is the trap a KMS migration springs: when the refreshed state holds a value
the configuration does not set, Terraform plans destroy-and-create. `alicloud_kms_key` and
`alicloud_kms_secret` have specialised rules (tfkms.analysis.fix_needs); every other type listed
here is protected generically (tfkms.analysis.fix_generic).

Source: the project's research of terraform-provider-alicloud, condensed as
`tests/standin/alicloud-schema.json` (schema flags at HEAD plus each flag's history by version;
`alicloud_oos_secret_parameter.dkms_instance_id` is Optional+ForceNew, not Computed, since
v1.241.0, provider PR #8067). The table below was generated from that file once (every
`alicloud_kms_*` managed resource type and `alicloud_oos_secret_parameter`; nested-block
attributes left out) and is committed as product data: tfkms never reads tests/ at run time.
tests/analysis/test_fix_generic.py derives the table again from the schema file and fails when
the two disagree; regenerate by pasting what that test's `derive_table()` returns.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from tfkms.knowledge.resource_types import KEY_TYPE, SECRET_TYPE
from tfkms.knowledge.versions import ProviderVersion


@dataclass(frozen=True)
class ForceNewSpan:
    """`attribute` of `type` is ForceNew and not Computed from `since` until `until` (exclusive;
    None: still so on every release known, 2.x betas included)."""

    type: str
    attribute: str
    since: ProviderVersion
    until: ProviderVersion | None
    required: bool = False
    sensitive: bool = False
    default: Any = None  # the schema default (what an omitted argument means), None when none

    def holds(self, version: ProviderVersion) -> bool:
        return self.since <= version and (self.until is None or version < self.until)


# (type, attribute, since, until, required, sensitive, default) -- generated, do not edit by hand.
_ROWS: tuple[tuple[str, str, str, str | None, bool, bool, Any], ...] = (
    ('alicloud_kms_alias', 'alias_name', '1.77.0', None, True, False, None),
    ('alicloud_kms_application_access_point', 'application_access_point_name', '1.210.0', None, True, False, None),
    ('alicloud_kms_ciphertext', 'encryption_context', '1.63.0', None, False, False, None),
    ('alicloud_kms_ciphertext', 'key_id', '1.63.0', None, True, False, None),
    ('alicloud_kms_ciphertext', 'plaintext', '1.63.0', None, True, True, None),
    ('alicloud_kms_client_key', 'aap_name', '1.210.0', None, True, False, None),
    ('alicloud_kms_client_key', 'not_after', '1.210.0', None, False, False, None),
    ('alicloud_kms_client_key', 'not_before', '1.210.0', None, False, False, None),
    ('alicloud_kms_client_key', 'password', '1.210.0', None, True, True, None),
    ('alicloud_kms_client_key', 'private_key_data_file', '1.210.0', None, False, False, None),
    ('alicloud_kms_instance', 'vpc_id', '1.210.0', None, True, False, None),
    ('alicloud_kms_instance', 'vswitch_ids', '1.210.0', None, True, False, None),
    ('alicloud_kms_instance', 'zone_ids', '1.210.0', None, True, False, None),
    ('alicloud_kms_key', 'description', '1.52.0', '1.85.0', False, False, 'From Terraform'),
    ('alicloud_kms_key', 'dkms_instance_id', '1.183.0', '1.235.0', False, False, None),
    ('alicloud_kms_key', 'key_spec', '1.85.0', '1.90.0', False, False, None),
    ('alicloud_kms_key', 'key_usage', '1.7.0', '1.207.0', False, False, 'ENCRYPT/DECRYPT'),
    ('alicloud_kms_key', 'origin', '1.85.0', '1.183.0', False, False, 'Aliyun_KMS'),
    ('alicloud_kms_key', 'protection_level', '1.85.0', None, False, False, 'SOFTWARE'),
    ('alicloud_kms_key_version', 'key_id', '1.85.0', None, True, False, None),
    ('alicloud_kms_policy', 'kms_instance_id', '1.210.0', None, True, False, None),
    ('alicloud_kms_policy', 'policy_name', '1.210.0', None, True, False, None),
    ('alicloud_kms_secret', 'dkms_instance_id', '1.183.0', None, False, False, None),
    ('alicloud_kms_secret', 'encryption_key_id', '1.76.0', None, False, False, None),
    ('alicloud_kms_secret', 'extended_config', '1.204.1', None, False, False, None),
    ('alicloud_kms_secret', 'secret_name', '1.76.0', None, True, False, None),
    ('alicloud_kms_value_added_service', 'payment_type', '1.267.0', None, True, False, None),
    ('alicloud_oos_secret_parameter', 'dkms_instance_id', '1.241.0', None, False, False, None),
    ('alicloud_oos_secret_parameter', 'key_id', '1.147.0', None, False, False, None),
    ('alicloud_oos_secret_parameter', 'secret_parameter_name', '1.147.0', None, True, False, None),
)

FORCE_NEW: tuple[ForceNewSpan, ...] = tuple(
    ForceNewSpan(t, a, ProviderVersion.parse(s), ProviderVersion.parse(u) if u else None, r, x, d)
    for t, a, s, u, r, x, d in _ROWS)

# Resource types the table covers: what `tfkms fix` protects beyond the alicloud_kms_* family.
KNOWN_TYPES: frozenset[str] = frozenset(span.type for span in FORCE_NEW)
PROTECTED_TYPES: frozenset[str] = frozenset(t for t in KNOWN_TYPES if not t.startswith("alicloud_kms_"))


@cache
def _by_type() -> dict[str, tuple[ForceNewSpan, ...]]:
    out: dict[str, list[ForceNewSpan]] = {}
    for span in FORCE_NEW:
        out.setdefault(span.type, []).append(span)
    return {t: tuple(spans) for t, spans in out.items()}


def history(resource_type: str, attribute: str | None = None) -> tuple[ForceNewSpan, ...]:
    """Every span of a type (or of one of its attributes), oldest first."""
    return tuple(s for s in _by_type().get(resource_type, ()) if attribute is None or s.attribute == attribute)


def force_new_attributes(resource_type: str, version: ProviderVersion) -> tuple[ForceNewSpan, ...]:
    """The attributes of `resource_type` that are ForceNew and not Computed on `version`."""
    return tuple(s for s in _by_type().get(resource_type, ()) if s.holds(version))


def state_attribute_names() -> frozenset[str]:
    """Attributes a state must keep for the generic protection: optional, never sensitive,
    of the types without specialised rules."""
    return frozenset(s.attribute for s in FORCE_NEW
                     if not s.sensitive and not s.required and s.type not in (KEY_TYPE, SECRET_TYPE))
