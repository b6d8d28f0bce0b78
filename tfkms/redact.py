"""Masking secret literals in text tfkms shows (diffs, suggestions): a `secret_data = "..."`
written into a .tf file is already in the user's repo, but must not spread to CI logs and PR
comments through tfkms's output."""
from __future__ import annotations

import re

# The alicloud provider's secret-bearing arguments: its own credentials (provider block and its
# assume_role), and resources' passwords, keys and secret values.
SENSITIVE_ARGUMENTS = frozenset({
    "secret_data", "plaintext", "password", "account_password", "secret_key", "access_key", "security_token",
    "private_key", "db_password", "master_password", "admin_password", "root_password", "auth_token",
    "credentials", "client_secret", "api_key", "token",
})
# Arguments secret only on some types (`value` is an OOS secret parameter's secret, a tag's elsewhere).
SENSITIVE_BY_TYPE = frozenset({("alicloud_oos_secret_parameter", "value"), ("alicloud_kms_ciphertext", "plaintext")})

MASK = '"(redacted by tfkms)"'
_NAMES = "|".join(sorted(SENSITIVE_ARGUMENTS | {name for _, name in SENSITIVE_BY_TYPE if name != "value"}))
_LITERAL = re.compile(
    rf'(?P<lead>(?:^|(?<=[\s{{,]))"?(?:{_NAMES})"?\s*[=:]\s*)"(?:[^"\\\n]|\\.)*"', re.MULTILINE)


# A bare reference (`var.db_password`, `alicloud_kms_key.k.id`), or a template that is one and nothing
# else ("${var.x}"): it names a secret but holds none, so it stays readable in a diff.
_REFERENCE = re.compile(r'(?:"\$\{)?[A-Za-z_][\w-]*(?:\.[A-Za-z_*][\w-]*|\[[\w.]+\])+(?:\}")?')


def is_reference(text: str) -> bool:
    return _REFERENCE.fullmatch(text.strip()) is not None


def mask_secret_literals(text: str) -> str:
    """Every quoted value of a secret-bearing argument, templates too ("postgres://app:PW@${var.host}");
    a template that is one reference and nothing else ("${var.x}") holds no secret and stays readable."""
    def mask(m: re.Match[str]) -> str:
        value = m.group(0)[len(m.group("lead")):]
        return m.group(0) if value.startswith('"') and is_reference(value) else m.group("lead") + MASK

    return _LITERAL.sub(mask, text)
