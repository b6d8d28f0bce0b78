"""bench/gen_big_file.py (issue 18's big-file case): deterministic, valid HCL, and what it claims to hold.

Counts come from the files through python-hcl2's `hcl2.load`, never from the generator's
bookkeeping. HashiCorp's parser judges the files through the session's real Terraform, as in
test_bench_generator.py. Nothing here is timed: speed is shown by bench/run_bench.py.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import hcl2
import pytest
from bench_modules import load_bench
from standin import Terraform
from typer.testing import CliRunner

from tfkms.cli import app

FILES = ["kms.tf", "main.tf", "manifest.json", "versions.tf"]
# Every construct the generator varies (block indices are fixed), all present from 1,000 blocks on.
CONSTRUCTS = ["<<EOT\nImport note", 'resource "alicloud_kms_key" "inside_heredoc" {', "<<-EOT",
              '%{if var.env == "prod"}', "$${not_interpolated}", "/* renumbered", "// Legacy", '19" rack {.',
              'lookup({ a = "x}" }', '"cost/center" = "cc-', "{ not a block # nor a comment // nor /*",
              "enable_ipv6 = true"]


gen: Any = load_bench("gen_big_file")


def _digest(out: Path) -> str:
    h = hashlib.sha256()
    for name in FILES:
        h.update(name.encode() + b"\0" + (out / name).read_bytes() + b"\0")
    return h.hexdigest()


def _unquote(label: str) -> str:
    return label[1:-1] if len(label) >= 2 and label[0] == label[-1] == '"' else label


def _blocks(path: Path, mode: str) -> list[str]:
    """`type.name` of every block of one mode (`resource`, `variable`) in one file, by hcl2.load."""
    with path.open(encoding="utf-8") as handle:
        doc = hcl2.load(handle)
    names = []
    for entry in doc.get(mode, []):
        for key, body in entry.items():
            if mode == "variable":
                names.append(_unquote(key))
                continue
            names.extend(f"{_unquote(key)}.{_unquote(name)}" for name in body if name != "__is_block__")
    return names


@pytest.fixture(scope="module")
def thousand(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("big") / "bigfile"
    gen.generate(out, 1000, seed=0)
    return out


def test_generation_is_deterministic(tmp_path: Path) -> None:
    gen.generate(tmp_path / "a", 1000, seed=0)
    gen.generate(tmp_path / "b", 1000, seed=0)
    gen.generate(tmp_path / "c", 1000, seed=1)
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == FILES
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")
    # A smaller instance is the start of a bigger one: the 200-block test stands for the 40,000.
    assert gen.main_tf(1000, 0).startswith(gen.main_tf(200, 0))


def test_default_size_is_the_issue_case() -> None:
    text = gen.main_tf(gen.RESOURCES, 0)
    assert text.count('\nresource "alicloud_vpc" ') == 40_000
    assert 2.6e6 <= len(text.encode("utf-8")) <= 3.2e6


def test_every_variant_is_present(thousand: Path) -> None:
    text = (thousand / "main.tf").read_text(encoding="utf-8")
    assert [c for c in CONSTRUCTS if c not in text] == []


def test_hcl2_load_counts_the_blocks(tmp_path: Path) -> None:
    out = tmp_path / "bigfile"
    manifest = gen.generate(out, 200, seed=0)
    assert _blocks(out / "main.tf", "resource") == [f"alicloud_vpc.n{i}" for i in range(200)]
    assert _blocks(out / "main.tf", "variable") == ["prefix", "env"]
    assert _blocks(out / "kms.tf", "resource") == [gen.KMS_ADDRESS]
    assert manifest == json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest == [{"root": ".", "address": gen.KMS_ADDRESS}]


def test_tfkms_reports_exactly_the_kms_key(tmp_path: Path) -> None:
    """The heredoc look-alike in block 2 is text, not a second KMS key."""
    out = tmp_path / "bigfile"
    manifest = gen.generate(out, 200, seed=0)
    result = CliRunner().invoke(app, ["check", str(out), "--format", "json"])
    assert result.exit_code in (0, 2), result.stderr
    report = json.loads(result.stdout)
    assert report["errors"] == []
    assert [{"root": r["root"], "address": r["address"]} for r in report["resources"]] == manifest


def test_hashicorp_parser_accepts_every_file(thousand: Path, terraform: Terraform) -> None:
    paths = sorted(thousand.glob("*.tf"))
    assert terraform.fmt_unformatted(paths) == [], "generated files should be `terraform fmt`-clean"
