"""The edit engine, case by case: exact expected text, HashiCorp's parser accepts it, and a
`terraform fmt`-clean input stays fmt-clean."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from standin import Terraform

from tfkms.analysis.result import Edit
from tfkms.config.files import parse_source
from tfkms.config.syntax import Block, SourceFile
from tfkms.patch import hcl_edits, json_edits
from tfkms.patch.apply import EditConflict, splice


def _source(text: str, name: str = "main.tf") -> SourceFile:
    return parse_source(Path(name), name, text)


def _apply(text: str, op: Callable[[SourceFile, Block], list], name: str = "main.tf") -> str:
    source = _source(text, name)
    return splice(text, op(source, source.blocks[0]))


def add_dkms(source: SourceFile, block: Block) -> list:
    return hcl_edits.insert_attribute(source, block, "dkms_instance_id", '"kst-1"')


def ignore_dkms(source: SourceFile, block: Block) -> list:
    return hcl_edits.add_ignore_changes(source, block, ["dkms_instance_id"])


def ignore_two(source: SourceFile, block: Block) -> list:
    return hcl_edits.add_ignore_changes(source, block, ["dkms_instance_id", "protection_level"])


CASES = {
    "joins an aligned group": (add_dkms, '''\
resource "alicloud_kms_key" "k" {
  description            = "x"
  pending_window_in_days = 7
}
''', '''\
resource "alicloud_kms_key" "k" {
  description            = "x"
  pending_window_in_days = 7
  dkms_instance_id       = "kst-1"
}
'''),
    "a multi-line value is not aligned": (lambda s, b: hcl_edits.insert_attribute(
        s, b, "dkms_instance_id", '{\n    "a" = "kst-1"\n    "b" = null\n  }[each.key]'), '''\
resource "alicloud_kms_key" "k" {
  for_each               = toset(["a", "b"])
  pending_window_in_days = 7
}
''', '''\
resource "alicloud_kms_key" "k" {
  for_each               = toset(["a", "b"])
  pending_window_in_days = 7
  dkms_instance_id = {
    "a" = "kst-1"
    "b" = null
  }[each.key]
}
'''),
    "longer than the group: a group of its own": (add_dkms, '''\
resource "alicloud_kms_key" "k" {
  description = "x"
  key_spec    = "RSA_2048"
}
''', '''\
resource "alicloud_kms_key" "k" {
  description = "x"
  key_spec    = "RSA_2048"

  dkms_instance_id = "kst-1"
}
'''),
    "after a multi-line value": (add_dkms, '''\
resource "alicloud_kms_key" "k" {
  description = "x"
  tags = {
    team = "a"
  }
}
''', '''\
resource "alicloud_kms_key" "k" {
  description = "x"
  tags = {
    team = "a"
  }
  dkms_instance_id = "kst-1"
}
'''),
    "after a heredoc the group goes on": (add_dkms, '''\
resource "alicloud_kms_key" "k" {
  pending_window_in_days = 7
  policy                 = <<POLICY
{"Statement": [{"Effect": "Allow"}]}
POLICY
}
''', '''\
resource "alicloud_kms_key" "k" {
  pending_window_in_days = 7
  policy                 = <<POLICY
{"Statement": [{"Effect": "Allow"}]}
POLICY
  dkms_instance_id       = "kst-1"
}
'''),
    "before nested blocks": (add_dkms, '''\
resource "alicloud_kms_secret" "s" {
  secret_name                   = "db"
  force_delete_without_recovery = true

  lifecycle {
    prevent_destroy = true
  }
}
''', '''\
resource "alicloud_kms_secret" "s" {
  secret_name                   = "db"
  force_delete_without_recovery = true
  dkms_instance_id              = "kst-1"

  lifecycle {
    prevent_destroy = true
  }
}
'''),
    "empty one-line block": (add_dkms, '''\
resource "alicloud_kms_key" "k" {}
''', '''\
resource "alicloud_kms_key" "k" {
  dkms_instance_id = "kst-1"
}
'''),
    "empty multi-line block": (add_dkms, '''\
resource "alicloud_kms_key" "k" {
}
''', '''\
resource "alicloud_kms_key" "k" {
  dkms_instance_id = "kst-1"
}
'''),
    "tabs, CRLF, CJK comment and legacy interpolation are kept": (
        add_dkms,
        'resource "alicloud_kms_key" "k" {\r\n\t# 密钥: 支付\r\n\tdescription = "${var.x}"\r\n}\r\n',
        ('resource "alicloud_kms_key" "k" {\r\n\t# 密钥: 支付\r\n\tdescription = "${var.x}"\r\n'
        '\r\n\tdkms_instance_id = "kst-1"\r\n}\r\n')),
    "no final newline": (add_dkms, 'resource "alicloud_kms_key" "k" {\n  description = "x"\n}',
                         'resource "alicloud_kms_key" "k" {\n  description = "x"\n\n  dkms_instance_id = "kst-1"\n}'),
    "new lifecycle block": (ignore_two, '''\
resource "alicloud_kms_key" "k" {
  description = "x"
}
''', '''\
resource "alicloud_kms_key" "k" {
  description = "x"

  lifecycle {
    ignore_changes = [dkms_instance_id, protection_level]
  }
}
'''),
    "lifecycle without ignore_changes": (ignore_dkms, '''\
resource "alicloud_kms_key" "k" {
  description = "x"

  lifecycle {
    create_before_destroy = false
  }
}
''', '''\
resource "alicloud_kms_key" "k" {
  description = "x"

  lifecycle {
    create_before_destroy = false
    ignore_changes        = [dkms_instance_id]
  }
}
'''),
    "single-line list": (ignore_two, '''\
resource "alicloud_kms_key" "k" {
  lifecycle {
    ignore_changes = [tags, protection_level]
  }
}
''', '''\
resource "alicloud_kms_key" "k" {
  lifecycle {
    ignore_changes = [tags, protection_level, dkms_instance_id]
  }
}
'''),
    "multi-line list with trailing comma and comments": (ignore_dkms, '''\
resource "alicloud_kms_key" "k" {
  lifecycle {
    ignore_changes = [
      tags, # owned by the tagging bot
      description,
    ]
  }
}
''', '''\
resource "alicloud_kms_key" "k" {
  lifecycle {
    ignore_changes = [
      tags, # owned by the tagging bot
      description,
      dkms_instance_id,
    ]
  }
}
'''),
    "multi-line list without trailing comma": (ignore_two, '''\
resource "alicloud_kms_key" "k" {
  lifecycle {
    ignore_changes = [
      tags
    ]
  }
}
''', '''\
resource "alicloud_kms_key" "k" {
  lifecycle {
    ignore_changes = [
      tags,
      dkms_instance_id,
      protection_level
    ]
  }
}
'''),
    "legacy quoted names stay quoted": (ignore_dkms, '''\
resource "alicloud_kms_key" "k" {
  lifecycle {
    ignore_changes = ["tags"]
  }
}
''', '''\
resource "alicloud_kms_key" "k" {
  lifecycle {
    ignore_changes = ["tags", "dkms_instance_id"]
  }
}
'''),
    "ignore_changes = all covers everything": (ignore_dkms, '''\
resource "alicloud_kms_key" "k" {
  lifecycle {
    ignore_changes = all
  }
}
''', None),
    "already listed": (ignore_dkms, '''\
resource "alicloud_kms_key" "k" {
  lifecycle {
    ignore_changes = [dkms_instance_id]
  }
}
''', None),
    "lifecycle into a one-line block": (ignore_dkms, '''\
resource "alicloud_kms_key" "k" { description = "x" }
''', '''\
resource "alicloud_kms_key" "k" {
  description = "x"

  lifecycle {
    ignore_changes = [dkms_instance_id]
  }
}
'''),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_edit_case(name: str, tmp_path: Path, terraform: Terraform) -> None:
    op, before, expected = CASES[name]
    after = _apply(before, op)
    assert after == (before if expected is None else expected)
    original, patched = tmp_path / "before.tf", tmp_path / "after.tf"
    original.write_bytes(before.encode())
    patched.write_bytes(after.encode())
    terraform.assert_parses([patched])
    if terraform.fmt_clean(original):
        assert terraform.fmt_clean(patched), terraform.fmt_diff(patched)


def test_overlapping_edits_are_rejected() -> None:
    with pytest.raises(EditConflict):
        splice("abcdef", [Edit("f", 1, 0, 3, "abc", "x"), Edit("f", 1, 2, 4, "cd", "y")])


JSON_BEFORE = '''{
  "resource": {
    "alicloud_kms_key": {
      "k": {
        "description": "x",
        "pending_window_in_days": 7
      }
    }
  }
}
'''


def test_json_insert_keeps_indentation() -> None:
    after = _apply(JSON_BEFORE, lambda s, b: json_edits.insert_attribute(s, b, "dkms_instance_id", "kst-1"),
                   "main.tf.json")
    assert after == JSON_BEFORE.replace('"pending_window_in_days": 7\n',
                                        '"pending_window_in_days": 7,\n        "dkms_instance_id": "kst-1"\n')


def test_json_lifecycle_added_then_extended() -> None:
    once = _apply(JSON_BEFORE, lambda s, b: json_edits.add_ignore_changes(s, b, ["dkms_instance_id"]), "main.tf.json")
    assert '"lifecycle": {\n          "ignore_changes": ["dkms_instance_id"]\n        }' in once
    twice = _apply(once, lambda s, b: json_edits.add_ignore_changes(s, b, ["dkms_instance_id", "protection_level"]),
                   "main.tf.json")
    assert json.loads(twice)["resource"]["alicloud_kms_key"]["k"]["lifecycle"]["ignore_changes"] == [
        "dkms_instance_id", "protection_level"]
