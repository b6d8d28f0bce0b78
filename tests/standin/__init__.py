"""Real Terraform as the judge: `terraform plan` against the stand-in alicloud provider, and
`terraform fmt` for formatting and syntax.

    judge = Terraform.start(workdir)               # one per test session (see conftest.py)
    result = judge.plan(config_dir, state, "1.230.0")
    result.destroyed_kms()                         # KMS resources the plan deletes or replaces

The provider is installed offline: one filesystem mirror per provider version holding a launcher
for `provider.py`, reached through a CLI config in `TF_CLI_CONFIG_FILE` (never ~/.terraformrc).
The copy that is planned drops the case's lock file (its hashes belong to the real provider) and
lets `terraform init` write one for the stand-in; the version under test comes from that lock
file unless the caller names one.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROVIDER_PY = Path(__file__).resolve().with_name("provider.py")
# Without a lock file `terraform init` takes the newest release the constraints admit: the mirror
# then offers one release on each side of every version where a KMS schema changed.
RELEASES = ("1.170.0", "1.182.0", "1.183.0", "1.206.0", "1.207.0", "1.223.0", "1.224.0", "1.234.0",
            "1.235.0", "1.239.0", "1.240.0", "1.289.0")
DEFAULT_VERSION = RELEASES[-1]
# Nothing may leave the machine: a backend or module source that tries is sent to a closed port.
NO_NETWORK = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}
LOCAL_BACKEND = "_judge_override.tf"
NAMESPACES = ("aliyun", "hashicorp")  # hashicorp/alicloud is what a config without a source gets
# Resources whose loss is the one tfkms exists to prevent.
PROTECTED = ("alicloud_kms_key", "alicloud_kms_secret", "alicloud_oos_secret_parameter")
_LOCKED = re.compile(r'provider\s+"registry\.terraform\.io/(?:aliyun|hashicorp)/alicloud"\s*\{[^}]*?'
                     r'version\s*=\s*"([^"]+)"', re.DOTALL)


class TerraformMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class ResourceChange:
    address: str
    type: str
    actions: tuple[str, ...]
    replace_paths: tuple[tuple[Any, ...], ...] = ()

    @property
    def destroys(self) -> bool:
        return "delete" in self.actions


@dataclass
class PlanResult:
    """What Terraform said: the resource changes of the saved plan, or why there is none."""

    workdir: Path
    version: str | None
    ok: bool
    changes: list[ResourceChange] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    log: str = ""

    def actions(self) -> dict[str, tuple[str, ...]]:
        return {c.address: c.actions for c in self.changes}

    def destroyed(self) -> list[ResourceChange]:
        return [c for c in self.changes if c.destroys]

    def destroyed_kms(self) -> list[ResourceChange]:
        return [c for c in self.destroyed() if c.type.startswith("alicloud_kms_") or c.type in PROTECTED]

    def describe(self) -> str:
        lines = [f"terraform plan in {self.workdir} (provider {self.version}): {'ok' if self.ok else 'FAILED'}"]
        lines += [f"  {c.address}: {'/'.join(c.actions)} {list(map(list, c.replace_paths)) or ''}"
                  for c in self.changes if c.actions != ("no-op",)]
        lines += [f"  error: {e}" for e in self.errors]
        if not self.ok and not self.errors:
            lines.append(self.log[-3000:])
        return "\n".join(lines)


def locked_version(config_dir: Path) -> str | None:
    lock = config_dir / ".terraform.lock.hcl"
    if not lock.is_file():
        return None
    match = _LOCKED.search(lock.read_text())
    return match.group(1) if match else None


class Terraform:
    """The real `terraform` binary with the stand-in provider installed offline."""

    def __init__(self, exe: str, home: Path) -> None:
        self.exe = exe
        self.home = home
        self._configs: dict[str, Path] = {}

    @classmethod
    def start(cls, home: Path) -> Terraform:
        exe = shutil.which("terraform")
        if exe is None:
            raise TerraformMissing("terraform (>= 1.5) is not on PATH")
        home.mkdir(parents=True, exist_ok=True)
        return cls(exe, home)

    # --------------------------------------------------------------- installation
    def cli_config(self, versions: tuple[str, ...]) -> Path:
        """The CLI config whose only installation method is a mirror holding these versions."""
        key = "+".join(versions)
        if key not in self._configs:
            mirror = self.home / ("mirror-" + (versions[0] if len(versions) == 1 else "releases"))
            for version in versions:
                for namespace in NAMESPACES:
                    target = mirror / "registry.terraform.io" / namespace / "alicloud" / version / "linux_amd64"
                    target.mkdir(parents=True, exist_ok=True)
                    launcher = target / f"terraform-provider-alicloud_v{version}"
                    launcher.write_text(f"#!/bin/sh\nHOME='{self.home}' exec '{sys.executable}' '{PROVIDER_PY}' "
                                        f"{version} \"$@\"\n")
                    launcher.chmod(0o755)
            config = self.home / f"cli-{mirror.name}.tfrc"
            config.write_text('provider_installation {\n  filesystem_mirror {\n'
                              f'    path    = "{mirror}"\n'
                              '    include = ["registry.terraform.io/*/*"]\n  }\n}\n'
                              'disable_checkpoint = true\n')
            self._configs[key] = config
        return self._configs[key]

    def env(self, version: str | None = None) -> dict[str, str]:
        """Environment for `terraform`: this version's mirror (or every release), no network."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("TF_", "CHECKPOINT_")) and k.upper() not in ("HTTP_PROXY", "HTTPS_PROXY",
                                                                                 "NO_PROXY", "ALL_PROXY")}
        env.update(NO_NETWORK, TF_CLI_CONFIG_FILE=str(self.cli_config((version,) if version else RELEASES)),
                   TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1", TF_INPUT="0")
        return env

    def run(self, args: list[str], cwd: Path, version: str | None = None,
            stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.exe, *args], cwd=cwd, check=False, env={**self.env(version), **(env or {})},
                              input=stdin,
                              capture_output=True, text=True, timeout=300)

    # --------------------------------------------------------------- plan
    def plan(self, config_dir: Path, state: dict[str, Any] | Path | None = None,
             provider_version: str | None = None, *, var_files: Iterable[Path] = (),
             variables: dict[str, Any] | None = None, root: str = ".", workspace: str | None = None
             ) -> PlanResult:
        """init + plan -out + show -json on a copy of config_dir with `state` as its local state.
        `root`: the folder inside config_dir to plan (the rest of the tree is copied beside it, for
        modules that live outside the root); `workspace`: plan in that workspace (TF_WORKSPACE), with
        `state` as that workspace's state."""
        top = Path(tempfile.mkdtemp(prefix="plan-", dir=self.home))
        shutil.copytree(config_dir, top, dirs_exist_ok=True, symlinks=True, ignore=_not_planned)
        work = top / root
        version = provider_version or locked_version(config_dir / root)
        extra_env = {"TF_WORKSPACE": workspace} if workspace else {}
        if variables:
            (work / "_judge.auto.tfvars.json").write_text(json.dumps(variables))
        (work / LOCAL_BACKEND).write_text('terraform {\n  backend "local" {}\n}\n')  # never the case's backend
        if state is not None:
            data = json.loads(state.read_text()) if isinstance(state, Path) else state
            data = data.get("prior_state", data)  # a saved plan's JSON: its refreshed state
            state_path = work / "terraform.tfstate"
            if workspace:
                state_path = work / "terraform.tfstate.d" / workspace / "terraform.tfstate"
                state_path.parent.mkdir(parents=True, exist_ok=True)
            state_path.write_text(json.dumps(state_from_show(data) if "values" in data else data))
        elif workspace:
            (work / "terraform.tfstate.d" / workspace).mkdir(parents=True, exist_ok=True)
        init_args = ["init", "-input=false", "-no-color", "-backend=true"]
        if workspace:  # workspaces on disk read as a backend change: the "migration" is local to itself
            init_args.append("-force-copy")
        if (work / ".terraform" / "modules" / "modules.json").is_file():
            init_args.append("-get=false")  # modules the case ships (registry modules need the network)
        init = self.run(init_args, work, version, env=extra_env)
        if init.returncode != 0:
            return PlanResult(work, version, False, errors=[_first_error(init.stderr)], log=init.stdout + init.stderr)
        args = ["plan", "-input=false", "-no-color", "-lock=false", "-json", "-out=tfplan"]
        args += [f"-var-file={Path(f).resolve()}" for f in var_files]
        planned = self.run(args, work, version, env=extra_env)
        errors, warnings = _diagnostics(planned.stdout)
        if planned.returncode != 0:
            return PlanResult(work, version, False, errors=errors or [_first_error(planned.stderr)],
                              warnings=warnings, log=planned.stdout + planned.stderr)
        shown = self.run(["show", "-json", "tfplan"], work, version, env=extra_env)
        if shown.returncode != 0:
            return PlanResult(work, version, False, errors=[_first_error(shown.stderr)], log=shown.stderr)
        plan = json.loads(shown.stdout)
        installed = _installed_version(work)
        return PlanResult(work, installed or version or "?", True, _changes(plan), errors, warnings)

    def plan_many(self, jobs: list[dict[str, Any]], workers: int = 3) -> list[PlanResult]:
        """Plans in parallel (keyword arguments of `plan` per job): each is mostly waiting on processes."""
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda job: self.plan(**job), jobs))

    # --------------------------------------------------------------- fmt
    def fmt_unformatted(self, paths: list[Path]) -> list[Path]:
        """The files `terraform fmt -check` would change. A file Terraform cannot parse fails the test."""
        rejected = self.rejects(paths)
        assert not rejected, f"Terraform cannot parse: {rejected}"
        with _as_tf(paths) as names:
            done = self.run(["fmt", "-check", "-list=true", "-no-color", *names], Path.cwd())
        listed = {line.strip() for line in done.stdout.splitlines() if line.strip()}
        return [p for p, name in zip(paths, names, strict=True) if name in listed]

    def fmt_clean(self, path: Path) -> bool:
        return not self.fmt_unformatted([path])

    def fmt_diff(self, path: Path) -> str:
        with _as_tf([path]) as (name,):
            return self.run(["fmt", "-check", "-diff", "-no-color", name], Path.cwd()).stdout

    def rejects(self, paths: list[Path]) -> dict[str, str]:
        """Files Terraform's own parser rejects, with its error (`terraform fmt` parses before it formats)."""
        out = {}
        with _as_tf(paths) as names:
            for path, name in zip(paths, names, strict=True):
                done = self.run(["fmt", "-check", "-list=false", "-no-color", name], Path.cwd())
                if done.returncode not in (0, 3):
                    out[str(path)] = done.stderr.strip()
        return out

    def assert_parses(self, paths: list[Path]) -> None:
        rejected = self.rejects(paths)
        assert not rejected, "Terraform rejects " + "; ".join(f"{p}: {e}" for p, e in rejected.items())


class _as_tf:
    """`terraform fmt` takes .tf/.tfvars/.tftest.hcl names only: other HCL files (a lock file,
    a Terragrunt file) are judged through a .tf copy."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        self.tmp: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> list[str]:
        names = []
        for i, p in enumerate(self.paths):
            if p.name.endswith((".tf", ".tfvars", ".tftest.hcl")):
                names.append(str(p))
                continue
            if self.tmp is None:
                self.tmp = tempfile.TemporaryDirectory(prefix="fmt-")
            copy = Path(self.tmp.name) / f"{i}-{p.name}.tf"
            copy.write_bytes(p.read_bytes())
            names.append(str(copy))
        return names

    def __exit__(self, *exc: object) -> None:
        if self.tmp is not None:
            self.tmp.cleanup()


def state_from_show(doc: dict[str, Any]) -> dict[str, Any]:
    """A v4 state file from `terraform show -json` of a state (what a test may hold as truth)."""
    grouped: dict[tuple[str, str, str, str], dict[str, Any]] = {}

    def walk(module: dict[str, Any]) -> None:
        for r in module.get("resources", []):
            module_address = r["address"].rsplit(f"{'data.' if r['mode'] == 'data' else ''}{r['type']}.", 1)[0]
            key = (module_address.rstrip("."), r["mode"], r["type"], r["name"])
            entry = grouped.setdefault(key, {
                **({"module": key[0]} if key[0] else {}), "mode": r["mode"], "type": r["type"], "name": r["name"],
                "provider": f'provider["{r["provider_name"]}"]', "instances": []})
            instance: dict[str, Any] = {"schema_version": r.get("schema_version", 0), "attributes": r["values"]}
            if "index" in r:
                instance["index_key"] = r["index"]
            entry["instances"].append(instance)
        for child in module.get("child_modules", []):
            walk(child)

    walk(doc.get("values", {}).get("root_module", {}))
    return {"version": 4, "terraform_version": doc.get("terraform_version", "1.5.0"), "serial": 1,
            "lineage": "standin-judge", "outputs": {}, "resources": list(grouped.values())}


def _installed_version(work: Path) -> str | None:
    lock = work / ".terraform.lock.hcl"
    return locked_version(work) if lock.is_file() else None


def _not_planned(directory: str, names: list[str]) -> list[str]:
    """The case's lock file and installed providers belong to the real provider; its state is the caller's."""
    dropped = [n for n in names if n == ".terraform.lock.hcl" or n.startswith("terraform.tfstate")]
    if Path(directory).name == ".terraform":
        dropped += [n for n in names if n == "providers"]
    return dropped


def _diagnostics(stream: str) -> tuple[list[str], list[str]]:
    errors: list[str] = []
    warnings: list[str] = []
    for line in stream.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get("type") != "diagnostic":
            continue
        diag = message["diagnostic"]
        where = diag.get("range") or {}
        text = f"{diag.get('summary')}: {diag.get('detail', '')}".strip()
        if where:
            text += f" ({where.get('filename')}:{where.get('start', {}).get('line')})"
        (errors if diag.get("severity") == "error" else warnings).append(text)
    return errors, warnings


def _first_error(stderr: str) -> str:
    for line in stderr.splitlines():
        if line.strip().startswith("Error:") or line.strip().startswith("│ Error:"):
            return line.strip(" │")
    return stderr.strip()[-2000:]


def _changes(plan: dict[str, Any]) -> list[ResourceChange]:
    return [ResourceChange(rc["address"], rc["type"], tuple(rc["change"]["actions"]),
                           tuple(tuple(p) for p in rc["change"].get("replace_paths") or ()))
            for rc in plan.get("resource_changes", []) if rc.get("mode", "managed") == "managed"]
