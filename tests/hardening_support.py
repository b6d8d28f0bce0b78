"""Helpers for the hardening tests (tests/hardening/): run the real CLI as a
subprocess, build states with the canary secret, generate repositories, snapshot trees.

Every CLI run goes through `run_cli`, which enforces a wall-clock cap (a hang is a failure,
not a stuck CI job) and checks that no traceback reached the user.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

REPO = Path(__file__).resolve().parents[1]
GOLDEN_FIX = REPO / "tests" / "golden" / "fix"
FIXTURES = REPO / "fixtures"
CANARY = "CANARY-s3cr3t-7f3a9"
RUN_CAP_S = 30.0  # every CLI run must finish within this (issue 7)
PROVIDER = 'provider["registry.terraform.io/aliyun/alicloud"]'

LOCK_1230 = """\
# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/aliyun/alicloud" {
  version     = "1.230.0"
  constraints = "~> 1.230"
  hashes = [
    "h1:MHnVW91Y8yPsuzLhak2hhyeijSZc1BGYL8uTbUnayh0=",
  ]
}
"""

VERSIONS_TF = """\
terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = "~> 1.230"
    }
  }
}

provider "alicloud" {
  region = "cn-hangzhou"
}
"""


@dataclass
class Run:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self) -> dict[str, Any]:
        return json.loads(self.stdout)

    def describe(self) -> str:
        return (f"tfkms {' '.join(self.args)} -> exit {self.returncode}\n--- stdout (head)\n{self.stdout[:2000]}"
                f"\n--- stderr (head)\n{self.stderr[:2000]}")


def cli_env(cache: Path | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("TFKMS_DEBUG", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")}
    env["PYTHONPATH"] = str(REPO)
    env["NO_COLOR"] = "1"
    env["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
    if cache is not None:
        env["XDG_CACHE_HOME"] = str(cache)
    env.update(extra)
    return env


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tfkms", *args]


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = RUN_CAP_S, prefix: Iterable[str] = ()) -> Run:
    """`python -m tfkms ARGS` with a hard cap; a run that exceeds it fails the test.

    The run gets its own process group, so a parse worker it started dies with it."""
    import pytest

    result = run_cli_capped(*args, cwd=cwd, env=env, timeout=timeout, prefix=prefix)
    if result is None:
        pytest.fail(f"tfkms {' '.join(args)} did not finish within {timeout:.0f} s")
    return result


def run_cli_capped(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
                   timeout: float = RUN_CAP_S, prefix: Iterable[str] = ()) -> Run | None:
    """Like run_cli, but None (instead of a test failure) when the cap is exceeded."""
    import signal

    command = [*prefix, *cli_command(*args)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace",
                            cwd=cwd, env=env or cli_env(), start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        return None
    return Run(list(args), proc.returncode, stdout, stderr)


def invoke_in_process(args: list[str], env: dict[str, str] | None = None) -> Run:
    """The CLI in this process (typer's runner): ~20 ms a run instead of a new interpreter. An
    exception escaping the CLI is reported as a traceback, as the real entry point would print it."""
    import traceback

    from typer.testing import CliRunner

    from tfkms.cli import app

    result = CliRunner().invoke(app, args, env=env)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "Traceback (most recent call last):\n" + "".join(traceback.format_exception(result.exception))
    return Run(list(args), result.exit_code, result.stdout, stderr)


def assert_no_traceback(run: Run) -> None:
    assert "Traceback" not in run.output, run.describe()
    assert "internal error" not in run.stderr, run.describe()


# ---------------------------------------------------------------- states


def state_resource(rtype: str, name: str, attributes: dict[str, Any], module: str | None = None,
                   index_key: Any = None) -> dict[str, Any]:
    attrs = dict(attributes)
    if rtype == "alicloud_kms_secret":
        attrs.setdefault("secret_data", CANARY)
    instance: dict[str, Any] = {"schema_version": 0, "attributes": attrs, "sensitive_attributes": [],
                                "private": "eyJzY2hlbWFfdmVyc2lvbiI6IjAifQ=="}
    if index_key is not None:
        instance["index_key"] = index_key
    res: dict[str, Any] = {"mode": "managed", "type": rtype, "name": name, "provider": PROVIDER,
                           "instances": [instance]}
    if module:
        res["module"] = module
    return res


def migrated_key(name: str, instance: str = "kst-hzz0000000000000001", **extra: Any) -> dict[str, Any]:
    attrs = {"id": f"key-{name}", "arn": f"acs:kms:cn-hangzhou:1:key/key-{name}", "dkms_instance_id": instance,
             "protection_level": "SOFTWARE", "key_spec": "Aliyun_AES_256", "key_usage": "ENCRYPT/DECRYPT",
             "status": "Enabled", "key_state": "Enabled", "automatic_rotation": "Disabled", "origin": "Aliyun_KMS",
             "description": f"key {name}"}
    attrs.update(extra)
    return state_resource("alicloud_kms_key", name, attrs)


def migrated_secret(name: str, instance: str = "kst-hzz0000000000000001", **extra: Any) -> dict[str, Any]:
    attrs = {"id": f"app/{name}", "secret_name": f"app/{name}", "dkms_instance_id": instance,
             "secret_type": "Generic", "encryption_key_id": "", "version_id": "v1", "secret_data": CANARY,
             "enable_automatic_rotation": False}
    attrs.update(extra)
    return state_resource("alicloud_kms_secret", name, attrs)


def tfstate(resources: list[dict[str, Any]], serial: int = 7) -> str:
    return json.dumps({"version": 4, "terraform_version": "1.6.6", "serial": serial,
                       "lineage": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
                       "outputs": {"db_password": {"value": CANARY, "type": "string", "sensitive": True}},
                       "resources": resources}, indent=2) + "\n"


def key_tf(name: str, description: str | None = None) -> str:
    return (f'resource "alicloud_kms_key" "{name}" {{\n'
            f'  description            = "{description or "key " + name}"\n'
            f'  pending_window_in_days = 7\n'
            f'  status                 = "Enabled"\n'
            f'}}\n')


def secret_tf(name: str, literal_secret: bool = True) -> str:
    data = f'"{CANARY}"' if literal_secret else "var.secret"
    return (f'resource "alicloud_kms_secret" "{name}" {{\n'
            f'  secret_name = "app/{name}"\n'
            f'  secret_data = {data}\n'
            f'  version_id  = "v1"\n'
            f'}}\n')


def write_root(root: Path, files: dict[str, str], lock: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text)
    if lock:
        (root / ".terraform.lock.hcl").write_text(LOCK_1230)
    return root


# ---------------------------------------------------------------- trees


def tree_bytes(root: Path, include_hidden: bool = True) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        if not include_hidden and any(part.startswith(".") for part in rel.split("/")):
            continue
        out[rel] = path.read_bytes()
    return out


def files_containing(roots: Iterable[Path], needle: bytes) -> list[Path]:
    """Every regular file under `roots` whose bytes contain `needle` (symlinks not followed)."""
    found = []
    for base in roots:
        if not base.exists():
            continue
        for folder, _, names in os.walk(base):
            for name in names:
                path = Path(folder) / name
                if path.is_symlink():
                    continue
                try:
                    if needle in path.read_bytes():
                        found.append(path)
                except OSError:
                    continue
    return found


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    return dst


def golden_truth(case: Path) -> Path:
    for name in ("state.tfstate", "show.json"):
        if (case / name).exists():
            return case / name
    raise AssertionError(f"{case} has no truth file")


def golden_args(case: Path) -> list[str]:
    path = case / "args.txt"
    if not path.exists():
        return []
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
