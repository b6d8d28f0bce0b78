"""Shared test fixtures: the HCL oracle, the canary secret, CLI runners."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures" / "terraform"
GOLDEN_FIX = Path(__file__).resolve().parent / "golden" / "fix"
CANARY = "CANARY-s3cr3t-7f3a9"  # planted as secret_data in every test state; must never be printed


def _oracle_path() -> Path | None:
    configured = os.environ.get("TFKMS_HCL_ORACLE")
    if configured:
        return Path(configured)
    local = REPO / ".oracle" / "hcl-oracle"
    if local.exists():
        return local
    setup = REPO.parent / "shared" / "tools" / "hcl-oracle" / "setup.sh"
    if setup.exists() and shutil.which("bash"):
        done = subprocess.run(["bash", str(setup), str(REPO / ".oracle")], capture_output=True, text=True)
        if done.returncode == 0 and local.exists():
            return local
    return None


class Oracle:
    """HashiCorp's HCL parser and formatter (../shared/tools/hcl-oracle)."""

    def __init__(self, exe: Path) -> None:
        self.exe = exe

    def results(self, paths: list[Path]) -> list[dict]:
        done = subprocess.run([str(self.exe), "json", "-q", "-files-from", "-"],
                              input="\n".join(str(p) for p in paths), capture_output=True, text=True)
        assert not done.returncode & (4 | 64), done.stderr
        return [json.loads(line) for line in done.stdout.splitlines()]

    def assert_accepts(self, paths: list[Path]) -> None:
        for r in self.results(paths):
            assert r["parse_ok"], f"HashiCorp's parser rejects {r['path']}: {r['diagnostics']}"

    def fmt_clean(self, path: Path) -> bool:
        (r,) = self.results([path])
        return r["parse_ok"] and not (r.get("fmt") or {}).get("changed", False)

    def fmt_diff(self, path: Path) -> str:
        done = subprocess.run([str(self.exe), "fmt", "-diff", "-q", str(path)], capture_output=True, text=True)
        return done.stdout


@pytest.fixture(scope="session")
def oracle() -> Oracle:
    exe = _oracle_path()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("the HCL oracle is required in CI (TFKMS_HCL_ORACLE)")
        pytest.skip("HCL oracle not available (set TFKMS_HCL_ORACLE or run ../shared/tools/hcl-oracle/setup.sh)")
    return Oracle(exe)


@pytest.fixture(autouse=True)
def _no_proxy_no_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    # darabonba reads proxy variables per request and ignores NO_PROXY: loopback must stay loopback.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # The parse cache lives in the user's cache dir; tests get their own, shared per session.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    return dst
