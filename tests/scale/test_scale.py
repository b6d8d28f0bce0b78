"""The machinery behind speed: pre-filter equivalence, the pool's per-file timeout, the cache."""
from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from bench_modules import load_bench
from conftest import CANARY

from tfkms.analysis.check import check_project
from tfkms.analysis.join import Truth
from tfkms.config import files
from tfkms.config.hcl_structure import ReadPlan
from tfkms.config.parallel import ParseCache, ParseJob, parse_files
from tfkms.config.scan import build_project
from tfkms.config.syntax import SourceFile
from tfkms.errors import InputProblem
from tfkms.report.json_report import result_dict


def _monorepo(root: Path) -> Path:
    (root / "modules" / "key").mkdir(parents=True)
    (root / "modules" / "key" / "main.tf").write_text('resource "alicloud_kms_key" "this" {}\n')
    (root / "modules" / "net").mkdir(parents=True)
    (root / "modules" / "net" / "main.tf").write_text('resource "alicloud_vpc" "this" {}\n')
    for i in range(30):
        stack = root / "stacks" / f"s{i:02d}"
        stack.mkdir(parents=True)
        body = 'provider "alicloud" {\n  region = "cn-shanghai"\n}\nresource "alicloud_vpc" "v" {\n  cidr_block = "10.0.0.0/8"\n}\n'
        if i % 10 == 0:
            body += 'module "key" {\n  source = "../../modules/key"\n}\n'
        if i % 7 == 0:
            body += 'module "net" {\n  source = "../../modules/net"\n}\n'
        if i % 9 == 0:
            body += f'resource "alicloud_kms_secret" "s" {{\n  secret_name = "s{i}"\n  secret_data = "{CANARY}"\n  version_id = "v1"\n}}\n'
        (stack / "main.tf").write_text(body)
    return root


def _report(root: Path, **kwargs: object) -> dict:
    project = build_project([root], [], **kwargs)  # type: ignore[arg-type]
    data = result_dict(check_project(project, Truth(), "software"))
    return {k: data[k] for k in ("resources", "findings", "batches", "errors")}


def test_prefilter_gives_exactly_the_full_parse_result(tmp_path: Path) -> None:
    root = _monorepo(tmp_path)
    fast = _report(root)
    assert fast == _report(root, prefilter=False)
    assert {r["address"] for r in fast["resources"]} == {"module.key.alicloud_kms_key.this", "alicloud_kms_secret.s"}
    assert sorted({r["root"] for r in fast["resources"]}) == ["stacks/s00", "stacks/s09", "stacks/s10", "stacks/s18",
                                                             "stacks/s20", "stacks/s27"]


def test_pool_kills_a_slow_file_and_keeps_the_rest(tmp_path: Path) -> None:
    jobs = []
    for i in range(30):
        data = f'resource "alicloud_kms_key" "k{i}" {{}}\n'.encode()
        jobs.append(ParseJob(tmp_path / f"f{i}.tf", f"f{i}.tf", data, 0))
    huge = "".join(f'resource "alicloud_kms_key" "h{i}" {{\n  description = "{i}"\n}}\n' for i in range(40_000))
    jobs.append(ParseJob(tmp_path / "huge.tf", "huge.tf", huge.encode(), 0))
    results = parse_files(jobs, None, workers=2, timeout=0.5)
    assert isinstance(results[tmp_path / "huge.tf"], InputProblem)
    assert "longer than" in results[tmp_path / "huge.tf"].message
    assert all(isinstance(results[j.path], SourceFile) for j in jobs[:30])
    assert results[tmp_path / "f3.tf"].text.startswith('resource "alicloud_kms_key" "k3"')


def test_cache_round_trip_holds_no_secret_and_no_text(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path / "cache")
    data = f'resource "alicloud_kms_secret" "s" {{\n  secret_name = "n"\n  secret_data = "{CANARY}"\n}}\n'.encode()
    job = ParseJob(tmp_path / "s.tf", "s.tf", data, 0)
    first = parse_files([job], cache)[job.path]
    assert isinstance(first, SourceFile) and first.text == data.decode()
    stored = list((tmp_path / "cache").rglob("*.json"))
    assert len(stored) == 1 and CANARY.encode() not in stored[0].read_bytes()
    again = parse_files([job], cache)[job.path]
    assert isinstance(again, SourceFile) and again.text == data.decode()
    assert again.blocks[0].attributes["secret_name"].expr.text == '"n"'
    assert CANARY.encode() not in pickle.dumps(again.blocks)


def test_two_stage_read_gives_exactly_the_full_parse_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            ) -> None:
    """Issue 18: reading only the blocks that matter changes no report. The generated monorepo
    (every KMS variant, module callers, decoys, heredocs, validations, backends) is judged with the
    two-stage read and with every file given whole to Lark."""
    root = tmp_path / "mono"
    load_bench("gen_monorepo").generate(root, 20, seed=7, kms_share=0.5, module_share=0.25)
    selective = _report(root, workers=1)
    monkeypatch.setattr(files, "read_plan", lambda blocks, text: ReadPlan(set(), []))  # nothing skipped
    assert _report(root, workers=1) == selective
    assert len(selective["resources"]) > 10
