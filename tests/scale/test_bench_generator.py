"""bench/gen_monorepo.py: its manifest says what its files hold, and `tfkms check` finds exactly that.

The manifest is rebuilt here from the files alone (python-hcl2's `hcl2.load`, module calls
followed by hand), never from the generator's bookkeeping. Nothing here is timed: speed is
shown by bench/run_bench.py, not asserted by tests.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hcl2
import pytest
from bench_modules import load_bench
from standin import Terraform
from typer.testing import CliRunner

from tfkms.cli import app

STACK_FILES = ["main.tf", "outputs.tf", "variables.tf", "versions.tf"]


gen: Any = load_bench("gen_monorepo")


def _unquote(label: str) -> str:
    return label[1:-1] if len(label) >= 2 and label[0] == label[-1] == '"' else label


def _read_dir(directory: Path) -> tuple[list[str], dict[str, str]]:
    """KMS config names (`alicloud_kms_key.x`, `data.alicloud_kms_keys.y`) and module calls (name -> source)."""
    kms: list[str] = []
    calls: dict[str, str] = {}
    for path in sorted(directory.glob("*.tf")):
        with path.open(encoding="utf-8") as handle:
            doc = hcl2.load(handle)
        for mode, prefix in (("resource", ""), ("data", "data.")):
            for by_type in doc.get(mode, []):
                for rtype, by_name in by_type.items():
                    if not _unquote(rtype).startswith("alicloud_kms_"):
                        continue
                    for name in by_name:
                        if name != "__is_block__":
                            kms.append(f"{prefix}{_unquote(rtype)}.{_unquote(name)}")
        for call in doc.get("module", []):
            for name, body in call.items():
                if name != "__is_block__":
                    calls[_unquote(name)] = _unquote(body["source"])
    return kms, calls


def _expected_pairs(out: Path) -> set[tuple[str, str]]:
    """Every KMS block under every root, module-qualified, from the files alone."""
    dirs = sorted({p.parent for p in out.rglob("*.tf")})
    parsed = {d: _read_dir(d) for d in dirs}
    called = {(d / source).resolve() for d, (_, calls) in parsed.items() for source in calls.values()
              if source.startswith(("./", "../"))}
    pairs: set[tuple[str, str]] = set()

    def walk(directory: Path, prefix: str, root: str, depth: int = 0) -> None:
        assert depth < 8, "module loop"
        kms, calls = parsed[directory] if directory in parsed else _read_dir(directory)
        pairs.update((root, prefix + address) for address in kms)
        for name, source in calls.items():
            walk((directory / source).resolve(), f"{prefix}module.{name}.", root, depth + 1)

    for d in dirs:
        if d.resolve() not in called:
            walk(d.resolve(), "", d.relative_to(out).as_posix())
    return pairs


def _manifest_pairs(out: Path) -> set[tuple[str, str]]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest == sorted(manifest, key=lambda p: (p["root"], p["address"])), "manifest must be sorted"
    pairs = {(p["root"], p["address"]) for p in manifest}
    assert len(pairs) == len(manifest), "manifest has duplicates"
    return pairs


def _tfkms_pairs(out: Path) -> set[tuple[str, str]]:
    result = CliRunner().invoke(app, ["check", str(out), "--format", "json"])
    assert result.exit_code in (0, 2), result.stderr
    report = json.loads(result.stdout)
    assert report["errors"] == []
    return {(r["root"], r["address"]) for r in report["resources"]}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench") / "monorepo"
    gen.generate(out, 20, seed=0)
    return out


@pytest.fixture(scope="module")
def dense_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every KMS variant and every kind of module call, in 20 stacks."""
    out = tmp_path_factory.mktemp("bench") / "dense"
    gen.generate(out, 20, seed=7, kms_share=len(gen.KMS_VARIANTS) / 20, module_share=len(gen.MODULE_CALLS) / 20)
    return out


def test_layout_sizes_and_shares(repo: Path) -> None:
    stacks = sorted(p for p in (repo / "stacks").glob("*/*") if p.is_dir())
    assert len(stacks) == 20
    for stack in stacks:
        assert sorted(p.name for p in stack.glob("*.tf")) == STACK_FILES
    tf = sorted(repo.rglob("*.tf"))
    assert len(tf) == 20 * 4 + 1 and (repo / "modules" / "kms-key" / "main.tf") in tf
    for path in tf:
        assert 1024 <= path.stat().st_size <= 4096, f"{path} is {path.stat().st_size} bytes"
    roots = {root for root, _ in _manifest_pairs(repo)}
    callers = {root for root, address in _manifest_pairs(repo) if address.startswith("module.")}
    assert len(roots) == 2 and len(callers) == 1  # max(1, 2% of 20) KMS stacks, max(1, 1% of 20) callers
    assert any((s / ".terraform.lock.hcl").is_file() for s in stacks)


@pytest.mark.parametrize("fixture", ["repo", "dense_repo"])
def test_manifest_matches_the_files(fixture: str, request: pytest.FixtureRequest) -> None:
    out = request.getfixturevalue(fixture)
    assert _manifest_pairs(out) == _expected_pairs(out)


def test_dense_repo_covers_every_variant(dense_repo: Path) -> None:
    addresses = {address for _, address in _manifest_pairs(dense_repo)}
    for variant in gen.KMS_VARIANTS:
        assert set(variant.addresses) <= addresses
    assert {"module.kms.alicloud_kms_key.this", "module.tenant_kms.alicloud_kms_key.this",
            "module.logs_key.alicloud_kms_alias.this", "module.data_key.alicloud_kms_key.this"} <= addresses
    assert any(a.startswith("data.alicloud_kms_") for a in addresses)


@pytest.mark.parametrize("fixture", ["repo", "dense_repo"])
def test_tfkms_reports_exactly_the_manifest(fixture: str, request: pytest.FixtureRequest) -> None:
    out = request.getfixturevalue(fixture)
    assert _tfkms_pairs(out) == _manifest_pairs(out)


def test_generation_is_deterministic(tmp_path: Path) -> None:
    gen.generate(tmp_path / "a", 12, seed=3)
    gen.generate(tmp_path / "b", 12, seed=3)
    gen.generate(tmp_path / "c", 12, seed=4)
    assert gen.tree_digest(tmp_path / "a") == gen.tree_digest(tmp_path / "b")
    assert gen.tree_digest(tmp_path / "a") != gen.tree_digest(tmp_path / "c")


def test_hashicorp_parser_accepts_every_file(repo: Path, dense_repo: Path, tmp_path: Path,
                                             terraform: Terraform) -> None:
    info = gen.generate_fix(tmp_path / "fix", 3, seed=0)
    assert info["tf_files"] == 12 and info["patchable"] == 6
    paths = [p for base in (repo, dense_repo, tmp_path / "fix") for p in sorted(base.rglob("*.tf"))]
    paths += [p for base in (repo, dense_repo, tmp_path / "fix") for p in sorted(base.rglob(".terraform.lock.hcl"))]
    assert terraform.fmt_unformatted(paths) == [], "generated files should be `terraform fmt`-clean"


def test_fix_variant_state_is_v4_and_every_resource_needs_a_patch(tmp_path: Path) -> None:
    out = tmp_path / "fix"
    info = gen.generate_fix(out, 3, seed=0)
    states = sorted(out.rglob("terraform.tfstate"))
    assert len(states) == 3
    for state in states:
        data = json.loads(state.read_text(encoding="utf-8"))
        assert data["version"] == 4 and any(r["type"] == "alicloud_vpc" for r in data["resources"])
        kms = [r for r in data["resources"] if r["type"].startswith("alicloud_kms_")]
        assert all(i["attributes"]["dkms_instance_id"].startswith("kst-") for r in kms for i in r["instances"])
    result = CliRunner().invoke(app, ["fix", str(out), "--format", "json"])
    assert result.exit_code == 2, result.stderr
    report = json.loads(result.stdout)
    assert sum(1 for f in report["findings"] if f.get("edits")) == info["patchable"]
    assert {(r["root"], r["address"]) for r in report["resources"]} == _manifest_pairs(out)
