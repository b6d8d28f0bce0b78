"""`.tf.json` in every array spelling HCL's JSON syntax allows (issue 13, "Every valid spelling is
seen"): at the block-type level, the type level, the name level and for nested blocks, each level may
be one object or an array of objects. Every spelling must give the same blocks, with spans that
point into the right object, and the JSON edits must land in the resource's own object."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tfkms.config.files import parse_source
from tfkms.config.json_parser import json_to_blocks, parse_json
from tfkms.config.loader import Loader
from tfkms.config.syntax import Block, SourceFile
from tfkms.patch import json_edits
from tfkms.patch.model import Edit

BODY = {"description": "app key", "pending_window_in_days": 7}
SPELLINGS = {
    "plain": {"resource": {"alicloud_kms_key": {"k": BODY}}},
    "top array": {"resource": [{"alicloud_kms_key": {"k": BODY}}]},
    "type array": {"resource": {"alicloud_kms_key": [{"k": BODY}]}},
    "name array": {"resource": {"alicloud_kms_key": {"k": [BODY]}}},
    "every level": {"resource": [{"alicloud_kms_key": [{"k": [BODY]}]}]},
}


def _source(doc: object, name: str = "main.tf.json", indent: int | None = 2) -> SourceFile:
    return parse_source(Path(name), name, json.dumps(doc, indent=indent) + "\n")


def _apply(source: SourceFile, edits: list[Edit]) -> str:
    text = source.text
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        assert text[edit.start:edit.end] == edit.before
        text = text[:edit.start] + edit.after + text[edit.end:]
    return text


def _resource(source: SourceFile) -> Block:
    (block,) = [b for b in source.blocks if b.type == "resource"]
    return block


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_gives_the_same_block(spelling: str) -> None:
    source = _source(SPELLINGS[spelling])
    block = _resource(source)
    assert (block.type, block.labels) == ("resource", ["alicloud_kms_key", "k"])
    assert set(block.attributes) == {"description", "pending_window_in_days"}
    assert json.loads(source.text[block.json_node.start:block.json_node.end]) == BODY
    attr = block.attributes["description"]
    assert source.text[attr.expr.start:attr.expr.end] == '"app key"'
    assert source.text[attr.start:attr.start + len('"description"')] == '"description"'


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_insert_attribute_lands_in_the_resource_object(spelling: str) -> None:
    source = _source(SPELLINGS[spelling])
    edits = json_edits.insert_attribute(source, _resource(source), "dkms_instance_id", "kst-x")
    after = parse_source(Path("main.tf.json"), "main.tf.json", _apply(source, edits))
    block = _resource(after)
    assert json.loads(after.text[block.json_node.start:block.json_node.end]) == {**BODY, "dkms_instance_id": "kst-x"}


@pytest.mark.parametrize("lifecycle", [None, {"ignore_changes": ["tags"]}, [{"ignore_changes": ["tags"]}],
                                       [{"create_before_destroy": True}]])
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_ignore_changes_lands_in_the_resource_object(spelling: str, lifecycle: Any) -> None:
    body = {**BODY, **({"lifecycle": lifecycle} if lifecycle is not None else {})}
    doc = json.loads(json.dumps(SPELLINGS[spelling]).replace(json.dumps(BODY), json.dumps(body)))
    for indent in (2, None):
        source = _source(doc, indent=indent)
        edits = json_edits.add_ignore_changes(source, _resource(source), ["dkms_instance_id"])
        after = parse_source(Path("main.tf.json"), "main.tf.json", _apply(source, edits))
        (lc,) = _resource(after).child_blocks("lifecycle")
        listed = json.loads(lc.attributes["ignore_changes"].expr.text)
        before = lifecycle if isinstance(lifecycle, dict) else (lifecycle or [{}])[0]
        assert listed == before.get("ignore_changes", []) + ["dkms_instance_id"]


def test_other_blocks_in_array_forms() -> None:
    doc = {
        "terraform": [{"required_providers": [{"alicloud": {"source": "aliyun/alicloud", "version": "~> 1.230"}}]}],
        "provider": [{"alicloud": {"region": "cn-hangzhou"}}, {"alicloud": [{"alias": "sh", "region": "cn-shanghai"}]}],
        "variable": [{"n": [{"default": 7}]}, {"m": {"default": 1}}],
        "locals": [{"a": "x"}, {"b": "y"}],
        "module": [{"kms": [{"source": "./kms"}]}],
        "data": [{"alicloud_kms_keys": {"all": [{}]}}],
        "output": {"o": [{"value": "${local.a}"}]},
    }
    attributes, blocks = json_to_blocks(json.dumps(doc, indent=2), parse_json(json.dumps(doc, indent=2)))
    assert attributes == {}
    got = sorted((b.type, tuple(b.labels), tuple(sorted(b.attributes))) for b in blocks)
    assert got == sorted([
        ("terraform", (), ()), ("provider", ("alicloud",), ("region",)),
        ("provider", ("alicloud",), ("alias", "region")),
        ("variable", ("n",), ("default",)), ("variable", ("m",), ("default",)), ("locals", (), ("a",)),
        ("locals", (), ("b",)), ("module", ("kms",), ("source",)), ("data", ("alicloud_kms_keys", "all"), ()),
        ("output", ("o",), ("value",))])
    (tf,) = [b for b in blocks if b.type == "terraform"]
    assert [rp.attributes["alicloud"].name for rp in tf.child_blocks("required_providers")] == ["alicloud"]
    starts = [b.start for b in blocks]
    assert len(starts) == len(set(starts)), "two blocks of one file share a start"


def test_module_dir_reads_array_forms(tmp_path: Path) -> None:
    (tmp_path / "main.tf.json").write_text(json.dumps({
        "terraform": [{"required_providers": [{"alicloud": {"source": "aliyun/alicloud", "version": "1.230.0"}}]}],
        "provider": [{"alicloud": {"region": "cn-hangzhou"}}, {"alicloud": {"alias": "sh", "region": "cn-shanghai"}}],
        "variable": [{"days": [{"default": 7}]}],
        "locals": [{"app": "billing"}],
        "module": {"kms": [{"source": "./kms"}]},
        "resource": [{"alicloud_kms_key": [{"k": [{"description": "${local.app}"}]}]},
                     {"alicloud_kms_secret": {"s": {"secret_name": "s", "secret_data": "x", "version_id": "v1"}}}],
    }, indent=2))
    module = Loader(tmp_path).load(tmp_path)
    assert not module.problems
    assert sorted(r.config_name for r in module.resources) == ["alicloud_kms_key.k", "alicloud_kms_secret.s"]
    assert sorted(p.ref for p in module.providers) == ["alicloud", "alicloud.sh"]
    assert set(module.variables) == {"days"} and set(module.locals) == {"app"} and set(module.module_calls) == {"kms"}
    assert [c.constraint for c in module.alicloud_constraints] == ["1.230.0"]
