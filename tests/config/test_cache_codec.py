"""The parse cache's JSON codec: every parsed fixture round-trips exactly; nothing it reads can
name a class, a function or a module it does not know (a pickle would run it)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tfkms.config.cache_codec import CodecError, decode, encode
from tfkms.config.files import load_source

REPO = Path(__file__).resolve().parents[2]
FILES = sorted([*REPO.joinpath("fixtures").rglob("*.tf"), *REPO.joinpath("fixtures").rglob("*.tf.json"),
                *REPO.joinpath("tests", "golden", "fix").rglob("input/**/*.tf")])


@pytest.mark.parametrize("path", FILES[::3], ids=lambda p: str(p.relative_to(REPO)))
def test_a_parsed_file_round_trips(path: Path) -> None:
    source = load_source(path, path.name)
    source.text = ""  # the cache never stores file text
    back = decode(encode(source))
    assert back == source
    for block, again in zip(source.blocks, back.blocks, strict=True):  # lark positions survive
        for name, attr in block.attributes.items():
            tree = attr.expr.node
            if tree is not None and hasattr(tree, "meta") and not tree.meta.empty:
                assert again.attributes[name].expr.node.meta.line == tree.meta.line


@pytest.mark.parametrize("payload", [
    ["c", "PosixPath", ["/etc/passwd"]],  # a class the codec does not list
    ["n", "system"],  # a function it does not know
    ["x", 1],
    {"__reduce__": "os.system"},
    ["c", "SourceFile", []],  # wrong shape
])
def test_anything_it_did_not_write_is_refused(payload: object) -> None:
    with pytest.raises(CodecError):
        decode(json.dumps(payload).encode())


def test_a_pickle_is_not_read() -> None:
    import pickle

    with pytest.raises(CodecError):
        decode(pickle.dumps({"a": 1}))


def test_shallow_headers_round_trip_and_a_damaged_one_is_refused(tmp_path: Path) -> None:
    """The headers of blocks read shallow (issue 18) are stored as plain arrays, checked when read."""
    path = tmp_path / "main.tf"
    path.write_text("".join(f'resource "alicloud_vpc" "v{i}" {{\n}}\n\n' for i in range(3))
                    + 'resource "alicloud_kms_key" "k" {\n}\n')
    source = load_source(path, "main.tf")
    assert source.shallow == [("resource", ("alicloud_vpc", f"v{i}"), 1 + 3 * i) for i in range(3)]
    payload = encode(source)
    assert decode(payload).shallow == source.shallow
    damaged = payload.replace(b'"alicloud_vpc","v1"],4]', b'"alicloud_vpc",1],4]')
    assert damaged != payload
    with pytest.raises(CodecError):
        decode(damaged)
