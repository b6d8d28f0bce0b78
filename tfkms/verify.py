"""`tfkms verify`: plan each root with the user's own terraform, then judge the plan as guard does.

The saved plan holds secret values in plain text (secret_data, sensitive variables), so it lives
in a private temp dir (0700, outside the user's tree) only between `plan -out` and `show -json`,
and its JSON goes straight to guard's parser, which drops every value. Nothing here prints.
"""
from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import takewhile
from pathlib import Path

from tfkms import logs
from tfkms.analysis.guard import guard_plan_text
from tfkms.analysis.result import Result
from tfkms.errors import InputProblem, TfkmsError
from tfkms.redact import mask_secret_literals
from tfkms.terraform_cli import Completed, TerraformCli, find_binary

# Plan errors that `init` cures: missing providers or modules, a lock file or backend not set up yet.
_NEEDS_INIT = re.compile(r'\b(?:terraform|tofu) init\b|Required plugins are not installed|Module not installed'
                         r'|Inconsistent dependency lock file|[Bb]ackend initialization required'
                         r'|Initialization required')
# `workspace list` lines: "  default", "* blue".
_WORKSPACE_LINE = re.compile(r"^\*?\s+(\S+)\s*$")

log = logs.get("verify")


@dataclass
class VerifyOptions:
    roots: list[Path]
    var_files: list[Path] = field(default_factory=list)
    workspace: str | None = None
    terraform: str = "terraform"  # a name on PATH (tofu) or a path


@dataclass(frozen=True)
class TerraformFailure:
    """A terraform step that failed, with its own error output (secret literals masked)."""

    root: str
    command: str  # e.g. "terraform plan"
    status: int
    stderr: str

    def render(self) -> str:
        body = self.stderr.strip("\n") or "(it printed no error output)"
        return f"tfkms: {self.root}: `{self.command}` failed (exit {self.status}):\n{body}\n"


@dataclass
class Verification:
    result: Result
    failures: list[TerraformFailure] = field(default_factory=list)


class _RootFailed(Exception):
    """Stops one root: `problem` goes in the report, `failure` (Terraform's own words) to stderr."""

    def __init__(self, problem: str, failure: TerraformFailure | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.failure = failure


def run_verify(options: VerifyOptions) -> Verification:
    """One Result for all roots; a root whose terraform fails is a problem, and the others still run."""
    _require_inputs(options)
    # An inherited TF_WORKSPACE selects a workspace just as --workspace does, so it is checked the same way.
    workspace = options.workspace if options.workspace is not None else os.environ.get("TF_WORKSPACE") or None
    cli = TerraformCli(find_binary(options.terraform), _child_env(workspace))
    # Terraform runs inside each root, but the user named the var files from here.
    var_args = [f"-var-file={path.absolute()}" for path in options.var_files]
    verification = Verification(Result(command="verify", paths=[r.as_posix() for r in options.roots]))
    with _private_dir() as private:
        for n, root in enumerate(options.roots):
            run = _RootRun(cli, root, workspace)
            _verify_root(run, private / f"root-{n}.tfplan", var_args, verification)
    return verification


def _require_inputs(options: VerifyOptions) -> None:
    # Checked before any terraform runs: a typo should not cost a plan of every other root.
    for root in options.roots:
        if not root.is_dir():
            raise TfkmsError(f"{root}: not a directory (verify plans Terraform root directories)")
    for path in options.var_files:
        if not path.is_file():
            raise TfkmsError(f"--var-file {path}: no such file")


def _child_env(workspace: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TF_WORKSPACE"}
    if workspace is not None:
        env["TF_WORKSPACE"] = workspace
    return env


@contextmanager
def _private_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="tfkms-verify-", ignore_cleanup_errors=True) as name:
        path = Path(name)
        path.chmod(0o700)  # mkdtemp already makes it 0700; say so rather than rely on it
        yield path


def _verify_root(run: _RootRun, plan_file: Path, var_args: list[str], verification: Verification) -> None:
    display = run.root.as_posix()
    try:
        text = _plan_json(run, plan_file, var_args)
    except _RootFailed as exc:
        if exc.failure is not None:
            verification.failures.append(exc.failure)
        verification.result.problems.append(InputProblem(display, None, None, exc.problem))
        return
    guard_plan_text(verification.result, text, display, root=display, saved=False)


def _plan_json(run: _RootRun, plan_file: Path, var_args: list[str]) -> str:
    """`show -json` of a fresh plan of the root."""
    if not run.cli.data_dir(run.root).is_dir():
        run.init()
    if run.workspace is not None:
        _require_workspace(run, run.workspace)
    try:
        run.step(["plan", "-input=false", "-no-color", f"-out={plan_file}", *var_args])
        return run.step(["show", "-json", "-no-color", str(plan_file)]).stdout
    finally:
        plan_file.unlink(missing_ok=True)  # holds secrets: gone as soon as it is read


def _require_workspace(run: _RootRun, workspace: str) -> None:
    # TF_WORKSPACE naming a workspace that does not exist plans against an empty state: a typo would
    # pass the gate with a plan that destroys nothing.
    listed = run.step(["workspace", "list", "-no-color"])
    names = {m.group(1) for m in map(_WORKSPACE_LINE.match, listed.stdout.splitlines()) if m}
    if workspace not in names:
        known = ", ".join(sorted(names)) or "none"
        raise _RootFailed(f"workspace {workspace!r} does not exist here (it has: {known}); "
                          "check --workspace / TF_WORKSPACE")


@dataclass
class _RootRun:
    """Terraform in one root: `init` at most once, when the root lacks it or a command asks for it."""

    cli: TerraformCli
    root: Path
    workspace: str | None
    initialized: bool = False

    def init(self) -> None:
        # Without TF_WORKSPACE: init would create the workspace it names, and hide a typo from the check.
        args = ["init", "-input=false", "-no-color"]
        env = {k: v for k, v in self.cli.env.items() if k != "TF_WORKSPACE"}
        self._check(args, self._run(replace(self.cli, env=env), args))
        self.initialized = True

    def step(self, args: list[str]) -> Completed:
        done = self._run(self.cli, args)
        if not done.ok and not self.initialized and _NEEDS_INIT.search(done.stderr):
            self.init()
            done = self._run(self.cli, args)
        self._check(args, done)
        return done

    def _run(self, cli: TerraformCli, args: list[str]) -> Completed:
        log.info("%s: %s %s", self.root.as_posix(), cli.name, " ".join(args))
        return cli.run(args, self.root)

    def _check(self, args: list[str], done: Completed) -> None:
        if done.ok:
            return
        words = " ".join(takewhile(lambda arg: not arg.startswith("-"), args))  # "plan", "workspace list"
        failure = TerraformFailure(self.root.as_posix(), f"{self.cli.name} {words}", done.status,
                                   mask_secret_literals(done.stderr))
        raise _RootFailed(f"`{failure.command}` failed (exit {failure.status}); its error output is on stderr",
                          failure)
