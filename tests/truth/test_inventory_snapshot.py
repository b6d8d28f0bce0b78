"""The snapshot format: load, validate with file:line errors, dump stably, write atomically."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from live_support import DEMO, SCHEMA, demo, generated, schema_errors

from tfkms.errors import InputFileError, TfkmsError
from tfkms.truth.inventory import (
    FIELD_KINDS,
    dumps_inventory,
    inventory_to_dict,
    load_inventory,
    write_inventory_atomic,
)
from tfkms.truth.model import CloudInstance, CloudKey, CloudSecret, Inventory


def test_demo_snapshot_loads_with_regions_and_dumps_back_to_the_same_bytes() -> None:
    inventory = demo()
    assert sorted(inventory.regions) == ["ap-southeast-1", "cn-hangzhou"]
    hz = inventory.regions["cn-hangzhou"]
    assert {k.region for k in hz.keys} == {"cn-hangzhou"}
    assert any(k.migrated and k.aliases for k in hz.keys) and any(not k.migrated for k in hz.keys)
    assert any(k.protection_level == "HSM" for k in inventory.all_keys())
    assert {i.instance_type for i in hz.instances} == {"software", "hardware"}
    assert dumps_inventory(inventory) == DEMO.read_text(encoding="utf-8")


def test_dump_is_sorted_indented_and_ends_with_a_newline() -> None:
    inventory = Inventory(regions={})
    inventory.region("cn-shanghai").keys += [CloudKey("b", aliases=("alias/z", "alias/a")), CloudKey("a")]
    text = dumps_inventory(inventory)
    assert text.endswith("}\n") and text.startswith('{\n  "regions"')
    keys = json.loads(text)["regions"]["cn-shanghai"]["keys"]
    assert [k["key_id"] for k in keys] == ["a", "b"]
    assert keys[1]["aliases"] == ["alias/a", "alias/z"]
    assert json.loads(text)["version"] == 1


def test_demo_and_generated_snapshots_match_the_json_schema() -> None:
    assert schema_errors(json.loads(DEMO.read_text())) == []
    assert schema_errors(inventory_to_dict(generated({"cn-beijing": (7, 3, 2), "eu-central-1": (2, 0, 0)}))) == []


def test_schema_checker_reports_problems() -> None:
    bad = {"version": 2, "regions": {"cn-hangzhou": {"keys": [{"key_id": "", "version_count": -1, "x": 1}]}}}
    errors = schema_errors(bad)
    assert any(e.startswith("$.version: ") for e in errors) and any("additionalProperties" in e for e in errors)
    assert any("minLength" in e for e in errors) and any("minimum" in e for e in errors)


def test_schema_and_loader_know_the_same_fields() -> None:
    schema = json.loads(SCHEMA.read_text())
    for collection, definition in (("keys", "key"), ("secrets", "secret"), ("instances", "instance")):
        assert set(schema["$defs"][definition]["properties"]) == set(FIELD_KINDS[collection])


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ('{"version": 1,\n "regions": {\n', 3, "not valid JSON"),
        ('{\n  "version": 2,\n  "regions": {}\n}\n', 2, "unsupported snapshot version 2"),
        ('{\n  "regions": {}\n}\n', 1, 'missing "version"'),
        (
            '{"version": 1,\n "regions": {"cn-hangzhou": {"keys": [\n  {"key_id": "a"},\n  {"arn": "x"}\n]}}}\n',
            4,
            'missing "key_id"',
        ),
        (
            '{"version": 1,\n "regions": {"cn-hangzhou": {"keys": [\n  {"key_id": "a",\n   "dkms_instanceid": "kst-1"}]}}}\n',
            4,
            'unknown field "dkms_instanceid"',
        ),
        (
            '{"version": 1,\n "regions": {"cn-hangzhou": {"secrets": [\n  {"secret_name": "s",\n   "dkms_instance_id": 5}]}}}\n',
            4,
            "must be a string",
        ),
        (
            '{"version": 1,\n "regions": {"cn-hangzhou": {"instances": [\n  {"instance_id": "kst-1", "instance_type": "cloud"}]}}}\n',
            3,
            "must be one of hardware, software",
        ),
        (
            '{"version": 1,\n "regions": {"cn-hangzhou": {"keys": [{"key_id": "a"},\n {"key_id": "a"}]}}}\n',
            3,
            "duplicate key_id",
        ),
        ("[1, 2]\n", 1, "JSON object"),
    ],
)
def test_bad_snapshots_name_the_file_and_line(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    path = tmp_path / "kms.json"
    path.write_text(text)
    with pytest.raises(InputFileError) as caught:
        load_inventory(path)
    problem = caught.value.problem
    assert problem.file == str(path)
    assert problem.line == line, str(caught.value)
    assert fragment in problem.message
    assert str(caught.value).startswith(f"{path}:{line}")


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="cannot read inventory"):
        load_inventory(tmp_path / "absent.json")


def test_atomic_write_keeps_mode_bits_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "kms.json"
    target.write_text("old")
    os.chmod(target, 0o640)
    write_inventory_atomic(demo(), target)
    assert target.read_text() == DEMO.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kms.json"]


def test_failed_atomic_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "kms.json"
    target.write_text("old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(TfkmsError, match="No space left on device"):
        write_inventory_atomic(demo(), target)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kms.json"]


_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-/_é", min_size=1, max_size=12)
_maybe = st.none() | st.text(max_size=10)


@st.composite
def inventories(draw: st.DrawFn) -> Inventory:
    inventory = Inventory(
        generated_at=draw(st.none() | st.just("2026-11-28T00:00:00Z")), source=draw(st.none() | _names)
    )
    for region in draw(st.lists(st.sampled_from(["cn-hangzhou", "cn-beijing", "eu-west-1"]), unique=True, max_size=2)):
        body = inventory.region(region)
        for key_id in draw(st.lists(_names, unique=True, max_size=4)):
            body.keys.append(
                CloudKey(
                    key_id,
                    region,
                    key_state=draw(_maybe),
                    dkms_instance_id=draw(_maybe),
                    version_count=draw(st.none() | st.integers(0, 9)),
                    aliases=tuple(sorted(draw(st.lists(_names, unique=True, max_size=2)))),
                )
            )
        for name in draw(st.lists(_names, unique=True, max_size=3)):
            body.secrets.append(CloudSecret(name, region, encryption_key_id=draw(_maybe), description=draw(_maybe)))
        for instance_id in draw(st.lists(_names, unique=True, max_size=2)):
            body.instances.append(
                CloudInstance(instance_id, region, instance_type=draw(st.sampled_from([None, "software", "hardware"])))
            )
    return inventory


@settings(max_examples=60, deadline=None)
@given(inventories())
def test_any_inventory_survives_write_and_load(tmp_path_factory: pytest.TempPathFactory, inventory: Inventory) -> None:
    path = tmp_path_factory.mktemp("snap") / "kms.json"
    write_inventory_atomic(inventory, path)
    loaded = load_inventory(path)
    assert loaded.source == (inventory.source or str(path))  # a snapshot without a source is named by its file
    loaded.source = inventory.source
    assert dumps_inventory(loaded) == dumps_inventory(inventory)
    assert schema_errors(json.loads(path.read_text())) == []
    for name, region in inventory.regions.items():
        assert sorted(loaded.regions[name].keys, key=lambda k: k.key_id) == sorted(region.keys, key=lambda k: k.key_id)
