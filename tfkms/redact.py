"""Masking secret literals in text tfkms shows (diffs, suggestions): a `secret_data = "..."`
written into a .tf file is already in the user's repo, but must not spread to CI logs and PR
comments through tfkms's output."""
from __future__ import annotations

import re

MASK = '"(redacted by tfkms)"'
_LITERAL = re.compile(
    r'(?P<lead>(?:^|(?<=[\s{,]))"?(?:secret_data|plaintext|password)"?\s*[=:]\s*)"(?:[^"\\\n]|\\.)*"', re.MULTILINE)


def mask_secret_literals(text: str) -> str:
    """A template ("${var.x}") is a reference, not a secret: it stays readable."""
    return _LITERAL.sub(lambda m: m.group(0) if "${" in m.group(0) else m.group("lead") + MASK, text)
