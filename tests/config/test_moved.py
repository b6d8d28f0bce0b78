"""`moved` blocks in the module directory model (issue 12): each `from`/`to` as the text Terraform
prints for that address (checked against Terraform's own plan), in .tf and .tf.json; an address
tfkms cannot read is kept as None, never dropped."""
from __future__ import annotations

import json
from pathlib import Path

from hardening_support import key_tf, migrated_key, tfstate, write_root
from standin import Terraform

from tfkms.config.loader import Loader
from tfkms.config.model import ModuleDir

MOVES_TF = '''\
moved {
  from = alicloud_kms_key.a
  to   = alicloud_kms_key.b[0]
}

moved {
  from = alicloud_kms_key.c[1]
  to   = alicloud_kms_key.d["x"]
}

moved {
  # into a module (a comment inside the block)
  from = alicloud_kms_key.m
  to   = module.x.alicloud_kms_key.k
}

moved {
  from = module.old
  to   = module.new["eu"]
}
'''

MOVES_JSON = {"moved": [
    {"from": "alicloud_kms_key.j", "to": "alicloud_kms_key.j2[\"é \\\"q\\\"\"]"},
    {"from": "module.y[0].alicloud_kms_key.k", "to": "module.y[\"a\"].alicloud_kms_key.k"},
]}


VERSIONS = 'terraform {\n  required_providers {\n    alicloud = {\n      source = "aliyun/alicloud"\n    }\n  }\n}\n'


def _load(root: Path) -> ModuleDir:
    return Loader(root).load(root)


def _moves(module_dir: ModuleDir) -> list[tuple[str, int, str | None, str | None]]:
    return [(m.file.display, m.block.line, m.from_address, m.to_address) for m in module_dir.moved]


def test_moved_blocks_in_native_syntax(tmp_path: Path) -> None:
    root = write_root(tmp_path / "root", {"main.tf": key_tf("b"), "moves.tf": MOVES_TF})
    assert _moves(_load(root)) == [
        ("moves.tf", 1, "alicloud_kms_key.a", "alicloud_kms_key.b[0]"),
        ("moves.tf", 6, "alicloud_kms_key.c[1]", 'alicloud_kms_key.d["x"]'),
        ("moves.tf", 11, "alicloud_kms_key.m", "module.x.alicloud_kms_key.k"),
        ("moves.tf", 17, "module.old", 'module.new["eu"]'),
    ]
    block = _load(root).moved[0].block
    assert block.type == "moved" and set(block.attributes) == {"from", "to"}


def test_moved_blocks_in_json_syntax(tmp_path: Path) -> None:
    text = json.dumps(MOVES_JSON, indent=2, ensure_ascii=False) + "\n"
    root = write_root(tmp_path / "root", {"main.tf": key_tf("j2"), "moves.tf.json": text})
    moved = _load(root).moved
    assert [(m.from_address, m.to_address) for m in moved] == [
        ("alicloud_kms_key.j", 'alicloud_kms_key.j2["é \\"q\\""]'),
        ("module.y[0].alicloud_kms_key.k", 'module.y["a"].alicloud_kms_key.k'),
    ]
    assert [m.block.line for m in moved] == [3, 7]
    first = moved[0].block
    assert text[first.start:first.end].startswith("{") and text[first.start:first.end].endswith("}")
    assert first.attributes["to"].line == 5 and first.syntax == "json"


def test_unreadable_addresses_are_kept_as_none(tmp_path: Path) -> None:
    tf = '''\
moved {
  from = "alicloud_kms_key.a"
  to   = alicloud_kms_key.b
}

moved {
  from = alicloud_kms_key.c[var.i]
  to   = alicloud_kms_key.d[-1]
}

moved {
  to = alicloud_kms_key.e
}
'''
    doc = {"moved": [{"from": 3, "to": "alicloud_kms_key.f"}, {"from": "alicloud_kms_key.g", "to": "lower(x)"}]}
    root = write_root(tmp_path / "root", {"main.tf": key_tf("b"), "moves.tf": tf, "z.tf.json": json.dumps(doc)})
    assert [(m.from_address, m.to_address) for m in _load(root).moved] == [
        (None, "alicloud_kms_key.b"),
        (None, None),
        (None, "alicloud_kms_key.e"),
        (None, "alicloud_kms_key.f"),
        ("alicloud_kms_key.g", None),
    ]


def test_terraform_prints_the_same_addresses(tmp_path: Path, terraform: Terraform) -> None:
    """Plan the moves against a state holding every `from`: Terraform's previous_address/address
    pairs are exactly tfkms's from/to texts."""
    root = write_root(tmp_path / "root", {
        "main.tf": (key_tf("b").replace("{\n", "{\n  count = 1\n", 1)
                    + key_tf("d").replace("{\n", '{\n  for_each = toset(["x"])\n', 1)
                    + 'module "x" {\n  source = "./x"\n}\n'),
        "moves.tf": MOVES_TF.split("moved {\n  from = module.old")[0],
        "versions.tf": VERSIONS,
    })
    write_root(root / "x", {"main.tf": key_tf("k"), "versions.tf": VERSIONS}, lock=False)
    c = migrated_key("c")
    c["instances"][0]["index_key"] = 1
    state = tfstate([migrated_key("a"), c, migrated_key("m")])
    expected = {(m.from_address, m.to_address) for m in _load(root).moved}
    assert len(expected) == 3

    planned = terraform.plan(root, json.loads(state))
    assert planned.ok, planned.describe()
    shown = terraform.run(["show", "-json", "tfplan"], planned.workdir)
    changes = json.loads(shown.stdout)["resource_changes"]
    assert {(c["previous_address"], c["address"]) for c in changes if "previous_address" in c} == expected

