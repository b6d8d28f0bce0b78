"""Running the user's own `terraform` (or `tofu`): output captured, never a prompt, never a change.

tfkms only ever reads through Terraform (init, plan, show, workspace list). Its output is
captured rather than streamed: a plan's stdout can show attribute values, and `show -json`
of a saved plan holds secrets in plain text, so the caller decides what (if anything) is shown.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tfkms.errors import TfkmsError

# Defence in depth: no code path of tfkms may change infrastructure, whatever its caller passes.
_FORBIDDEN_ARGS = frozenset({"apply", "destroy", "import", "-auto-approve", "-destroy"})


@dataclass(frozen=True)
class Completed:
    status: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.status == 0


def find_binary(name_or_path: str) -> str:
    """A name looked up on PATH (`terraform`, `tofu`) or a path to an executable."""
    found = shutil.which(name_or_path)
    if found is not None:
        return os.path.abspath(found)  # terraform runs inside each root: a relative path would miss
    if os.sep in name_or_path or (os.altsep and os.altsep in name_or_path):
        raise TfkmsError(f"--terraform {name_or_path}: no such executable file")
    raise TfkmsError(f"--terraform {name_or_path}: not found on PATH; install it or pass its path")


@dataclass(frozen=True)
class TerraformCli:
    exe: str
    env: dict[str, str]

    @property
    def name(self) -> str:
        """What the user calls it (`terraform`, `tofu`), for messages."""
        return Path(self.exe).name

    def data_dir(self, root: Path) -> Path:
        """Where `init` leaves providers and modules (TF_DATA_DIR is relative to the root)."""
        return root / self.env.get("TF_DATA_DIR", ".terraform")

    def run(self, args: list[str], cwd: Path) -> Completed:
        if _FORBIDDEN_ARGS.intersection(args):
            raise AssertionError(f"tfkms must not run {self.name} {' '.join(args)}")
        try:
            done = subprocess.run([self.exe, *args], cwd=cwd, env=self.env, stdin=subprocess.DEVNULL,
                                  capture_output=True, encoding="utf-8", errors="replace", check=False)
        except OSError as exc:
            raise TfkmsError(f"cannot run {self.exe}: {exc.strerror or exc}") from None
        return Completed(done.returncode, done.stdout, done.stderr)
