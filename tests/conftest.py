"""Shared test fixtures: real Terraform as the judge, the canary secret, CLI runners."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from standin import Terraform, TerraformMissing

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures" / "terraform"
GOLDEN_FIX = Path(__file__).resolve().parent / "golden" / "fix"
CANARY = "CANARY-s3cr3t-7f3a9"  # planted as secret_data in every test state; must never be printed


@pytest.fixture(scope="session")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> Terraform:
    """Real Terraform with the stand-in alicloud provider (tests/standin), one mirror per session."""
    try:
        return Terraform.start(tmp_path_factory.mktemp("terraform"))
    except TerraformMissing as missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing}: CI needs it (the suite judges every patch with real Terraform)")
        pytest.skip(str(missing))


@pytest.fixture(autouse=True)
def _no_proxy_no_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    # darabonba reads proxy variables per request and ignores NO_PROXY: loopback must stay loopback.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
    for name in ("ALIBABA_CLOUD_REGION", "ALICLOUD_REGION"):  # a developer's shell must not change results
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    # On GitHub Actions the suite must not append to its own job summary (tests set it to a tmp file).
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.setenv("LANGUAGE", "en")  # a zh_CN shell must not turn the reports Chinese (tests/report/test_i18n.py)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # The parse cache lives in the user's cache dir; tests get their own, shared per session.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    return dst
