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
