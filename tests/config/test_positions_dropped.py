"""Parsed `.tf` files drop Lark's position records inside kept trees (files.drop_positions): the
spans tfkms uses are taken when the file is read, and the records are most of what a parsed file
weighs when a worker ships it back. The one tree an edit reads positions from keeps them: a
lifecycle's ignore_changes list, which `fix` extends in place."""
from __future__ import annotations

import pickle
from pathlib import Path

from tfkms.config.files import parse_source
from tfkms.config.hcl_parser import parse_hcl
from tfkms.patch.apply import splice
from tfkms.patch.hcl_edits import extend_ignore_changes

TEXT = '''resource "alicloud_kms_key" "k" {
  description = "${var.team}-key"
  tags        = merge(var.tags, { Owner = "platform" })

  lifecycle {
    ignore_changes = [
      tags, # owned by the tagging bot
    ]
  }
}
'''


def _metas(node: object) -> list[object]:
    return [sub._meta for sub in node.iter_subtrees()]  # type: ignore[attr-defined]


def test_kept_trees_ship_without_positions_but_ignore_changes_keeps_them() -> None:
    source = parse_source(Path("main.tf"), "main.tf", TEXT)
    key = source.blocks[0]
    assert all(meta is None for name in ("description", "tags") for meta in _metas(key.attributes[name].expr.node))
    assert key.attributes["tags"].expr.text == 'merge(var.tags, { Owner = "platform" })'  # spans were kept
    ignore = key.blocks[0].attributes["ignore_changes"]
    assert ignore.expr.node.meta.end_pos == TEXT.index("]") + 1
    full = parse_hcl(TEXT)[1][0]  # the same file with every position record
    assert len(pickle.dumps(source.blocks)) < 0.75 * len(pickle.dumps([full]))


def test_fix_still_extends_an_ignore_changes_list_in_place() -> None:
    source = parse_source(Path("main.tf"), "main.tf", TEXT)
    ignore = source.blocks[0].blocks[0].attributes["ignore_changes"]
    edits = extend_ignore_changes(source, ignore, ["dkms_instance_id"])
    patched = splice(TEXT, edits)
    assert "      tags, # owned by the tagging bot\n      dkms_instance_id,\n    ]" in patched
