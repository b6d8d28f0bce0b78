"""The parse cache cannot be turned against its user: a swapped directory, a foreign or shared
folder, a planted pickle. Entries are JSON read back into known classes only."""
from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from tfkms.config.cache_store import ParseCache
from tfkms.config.files import parse_source

TEXT = 'resource "alicloud_kms_key" "k" {\n  description = "x"\n}\n'
DATA = TEXT.encode()


def _cache(tmp_path: Path) -> ParseCache:
    base = tmp_path / "xdg"
    base.mkdir(mode=0o700)
    return ParseCache(base / "tfkms" / "parse-test")


def _source(tmp_path: Path):
    return parse_source(tmp_path / "main.tf", "main.tf", TEXT)


def test_an_entry_round_trips(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    cache.put(DATA, _source(tmp_path))
    [entry] = list(cache.directory.rglob("*.json"))
    got = cache.get(DATA)
    assert got is not None and got.blocks[0].labels == ["alicloud_kms_key", "k"]
    assert entry.stat().st_mode & 0o077 == 0 or not entry.stat().st_mode & 0o022


class _Boom:
    def __reduce__(self):  # what a planted pickle would run on load
        return (Path.touch, (Path(os.environ["TFKMS_BOOM"]),))


def test_a_planted_pickle_is_never_executed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = _cache(tmp_path)
    cache.put(DATA, _source(tmp_path))
    [entry] = list(cache.directory.rglob("*.json"))
    boom = tmp_path / "boom"
    monkeypatch.setenv("TFKMS_BOOM", str(boom))
    import hashlib

    payload = pickle.dumps(_Boom())
    entry.write_bytes(hashlib.sha256(payload).digest() + payload)  # a valid checksum, a hostile body
    assert cache.get(DATA) is None
    assert not boom.exists()


def test_a_directory_swapped_for_a_symlink_is_not_followed(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    cache.put(DATA, _source(tmp_path))
    [entry] = list(cache.directory.rglob("*.json"))
    shard = entry.parent
    elsewhere = tmp_path / "attacker"
    shard.rename(elsewhere)  # the attacker's copy of the shard, behind a symlink
    shard.symlink_to(elsewhere, target_is_directory=True)
    assert cache.get(DATA) is None


def test_a_cache_under_a_folder_others_may_write_is_not_used(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # no sticky bit: anyone may rename what is inside
    cache = ParseCache(shared / "tfkms" / "parse-test")
    cache.put(DATA, _source(tmp_path))
    assert cache.get(DATA) is None
    assert not list(shared.rglob("*.json"))


def test_a_folder_on_the_way_that_others_may_write_is_refused(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    cache.put(DATA, _source(tmp_path))
    cache.directory.chmod(0o777)
    assert cache.get(DATA) is None


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="needs root to give a file away")
def test_an_entry_owned_by_someone_else_is_refused(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    cache.put(DATA, _source(tmp_path))
    [entry] = list(cache.directory.rglob("*.json"))
    os.chown(entry, 65534, 65534)
    assert cache.get(DATA) is None
