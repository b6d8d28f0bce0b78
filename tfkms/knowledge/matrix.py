"""The vendor's migration rules (reference/kms-migration-guide.txt) as data."""
from __future__ import annotations

SOFTWARE, HSM = "SOFTWARE", "HSM"

# (protection level, key spec) -> instance types it can migrate to, single version.
_SINGLE: dict[tuple[str, str], frozenset[str]] = {
    (SOFTWARE, "Aliyun_AES_256"): frozenset({"software", "hardware"}),
    (SOFTWARE, "RSA_2048"): frozenset({"software"}),
    (SOFTWARE, "EC_P256"): frozenset({"software"}),
    (SOFTWARE, "EC_P256K"): frozenset({"software"}),
    (HSM, "Aliyun_AES_256"): frozenset({"software", "hardware"}),
    (HSM, "Aliyun_SM4"): frozenset({"hardware"}),
    (HSM, "RSA_2048"): frozenset({"software", "hardware"}),
    (HSM, "EC_P256"): frozenset({"software", "hardware"}),
    (HSM, "EC_P256K"): frozenset({"software", "hardware"}),
    (HSM, "RSA_3072"): frozenset({"software", "hardware"}),
    (HSM, "EC_SM2"): frozenset({"hardware"}),
}
# Multi-version keys: only the rows the guide lists as "(multi-version)".
_MULTI: dict[tuple[str, str], frozenset[str]] = {
    (SOFTWARE, "Aliyun_AES_256"): frozenset({"software", "hardware"}),
    (HSM, "Aliyun_AES_256"): frozenset({"software", "hardware"}),
    (HSM, "Aliyun_SM4"): frozenset({"hardware"}),
}

DEFAULT_KEY_SPEC = "Aliyun_AES_256"  # what CreateKey uses when key_spec is omitted
DEFAULT_PROTECTION_LEVEL = SOFTWARE  # the provider's schema default


def migratable_targets(protection_level: str, key_spec: str, multi_version: bool = False) -> frozenset[str]:
    table = _MULTI if multi_version else _SINGLE
    return table.get((protection_level.upper(), key_spec), frozenset())


# Chinese mainland regions (HSM keys elsewhere cannot migrate). Hong Kong is not mainland.
def is_mainland(region: str) -> bool:
    return region.startswith("cn-") and region != "cn-hongkong"
