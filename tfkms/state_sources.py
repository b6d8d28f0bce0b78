"""Which state belongs to which root: the `--state [ROOT=]FILE` sources read (stdin included), each
matched to its root (as printed, as a path, or relative to its scanned PATH), a root's own
terraform.tfstate and terraform.tfstate.d workspaces when no truth is named, and Terraform's moves
applied so each state reads as `terraform plan` sees it. Any fault stops the run before anything is
judged or written (TfkmsError, one line naming the file)."""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tfkms.errors import InputFileError, InputProblem, TfkmsError

if TYPE_CHECKING:
    from tfkms.config.instances import Root
    from tfkms.config.scan import Project
    from tfkms.truth.state import StateFile


@dataclass(frozen=True)
class StateSource:
    """One state file, for the root named `root`, or for the only root there is when `root` is None."""

    file: str  # as given: messages and reports name it so
    root: str | None = None
    typed: str | None = None  # the --state value as typed, which messages quote (None: rebuilt)

    @property
    def flag_value(self) -> str:
        if self.typed is not None:
            return self.typed
        return self.file if self.root is None else f"{self.root}={self.file}"


def apply_state_moves(project: Project, states: dict[str, StateFile],
                 workspaces: dict[str, dict[str, StateFile]]) -> dict[str, dict[str, str]]:
    """Each root's state (and each of its workspaces') as `terraform plan` sees it: after its
    `moved` blocks and implied moves. Also: the root's new address -> address in the state file."""
    from tfkms.analysis.moves import apply_moves

    moved: dict[str, dict[str, str]] = {}
    for root in project.roots:
        state = states.get(root.display)
        if state is None:
            continue
        states[root.display], moved[root.display] = apply_moves(state, root)
        by_name = workspaces.get(root.display, {})
        for name, other in by_name.items():  # the root's state is one of them: moved once
            by_name[name] = states[root.display] if other is state else apply_moves(other, root)[0]
    return moved


STDIN = "-"  # --state - / --state ROOT=-: the state comes on stdin (terraform state pull | tfkms ...)


@dataclass
class Workspaces:
    workspaces: dict[str, dict[str, StateFile]] = field(default_factory=dict)  # root -> workspace -> state
    unread: dict[str, list[str]] = field(default_factory=dict)  # root -> workspaces on disk no state was read of


def _workspace_name(path: Path, root: Root, several: bool) -> str | None:
    """`terraform.tfstate.d/prod/terraform.tfstate` -> prod, the root's terraform.tfstate -> default;
    among several states for one root, `prod.tfstate` / `dev.json` -> their stem; else unknown."""
    if path.name == "-":
        return None
    parts = path.resolve().parts
    if len(parts) >= 3 and parts[-3] == "terraform.tfstate.d":
        return parts[-2]
    if path.resolve() == (root.path / "terraform.tfstate").resolve():
        return "default"
    return (path.name.split(".")[0] or None) if several else None


def _disk_workspaces(root: Root) -> dict[str, Path]:
    """The local backend's workspaces, when it has any besides default: terraform.tfstate.d/NAME
    (and terraform.tfstate, the default workspace's)."""
    out: dict[str, Path] = {}
    spaces = root.path / "terraform.tfstate.d"
    if spaces.is_dir():
        for child in sorted(spaces.iterdir()):
            if (child / "terraform.tfstate").is_file():
                out[child.name] = child / "terraform.tfstate"
    local = root.path / "terraform.tfstate"
    if out and local.is_file():
        out["default"] = local
    return out


def load_states(project: Project, sources: list[StateSource], problems: list[InputProblem], *,
                 implicit: bool = True, stdin: Callable[[], bytes] | None = None
                 ) -> tuple[dict[str, StateFile], set[str], Workspaces]:
    """Each state named on the command line (any fault stops the run), then, when `implicit`
    (no truth named at all), a root's own terraform.tfstate and its terraform.tfstate.d workspaces.
    Also: the roots whose state was named, and each root's workspaces when it has several states
    (one config serves them all: a fix must be right for each)."""
    from tfkms.truth.state import load_state

    states: dict[str, StateFile] = {}
    named: set[str] = set()
    spaces = Workspaces()
    per_root: dict[str, dict[str | None, StateFile]] = {}
    stdin_used = False
    for source in sources:
        root = root_for_state(project, source)
        raw = None
        display = source.file
        if source.file == STDIN:
            if stdin_used:
                raise TfkmsError(f"--state {source.flag_value}: stdin can carry one state only")
            stdin_used = True
            display = "<stdin>"
            if stdin is None:
                raise TfkmsError(f"--state {source.flag_value}: this process has no stdin to read the state from")
            raw = stdin()
        try:
            loaded = load_state(Path(source.file), display, raw)
        except InputFileError as exc:
            raise TfkmsError(f"--state {exc.problem.render()}") from None
        several = sum(1 for other in sources if root_for_state(project, other) is root) > 1
        workspace = _workspace_name(Path(source.file), root, several)
        mine = per_root.setdefault(root.display, {})
        if workspace in mine:
            raise TfkmsError(f"--state {source.flag_value}: a second state for root {root.display}"
                             + (f" and workspace {workspace!r}" if workspace else "")
                             + " (name each workspace's state after it: prod.tfstate, dev.tfstate)")
        mine[workspace] = loaded
        states.setdefault(root.display, loaded)
        named.add(root.display)
    for root in project.roots:
        if implicit and root.display not in states:
            local = root.path / "terraform.tfstate"
            found = _disk_workspaces(root) or ({"default": local} if local.is_file() else {})
            for workspace, path in found.items():
                try:
                    loaded = load_state(path, os.path.relpath(path))
                except InputFileError as exc:
                    problems.append(exc.problem)
                    continue
                per_root.setdefault(root.display, {})[workspace] = loaded
                states.setdefault(root.display, loaded)
        mine = per_root.get(root.display, {})
        on_disk = set(_disk_workspaces(root)) if mine else set()
        unread = sorted(on_disk - {w for w in mine if w})
        if len(mine) > 1 or (mine and unread):
            if None in mine:  # a state whose workspace is unknown cannot be keyed by it
                raise TfkmsError(f"root {root.display} has workspaces ({', '.join(unread)}) in terraform.tfstate.d; "
                                 f"tfkms cannot tell which workspace {mine[None].display} is: pass that "
                                 "workspace's own state file, or every workspace's state named after it "
                                 "(prod.tfstate, dev.tfstate)")
            spaces.workspaces[root.display] = {w: st for w, st in mine.items() if w}
            if unread:
                spaces.unread[root.display] = unread
    return states, named, spaces




def root_for_state(project: Project, source: StateSource) -> Root:
    flag = source.flag_value
    if source.root:
        root = match_root(project, source.root)
        if root is None:
            known = ", ".join(r.display for r in project.roots) or "none"
            raise TfkmsError(f"--state {flag}: no root {source.root!r} under the scanned paths (roots: {known})")
        return root
    if len(project.roots) == 1:
        return project.roots[0]
    if not project.roots:
        raise TfkmsError(f"--state {flag}: no Terraform root with KMS resources under the scanned paths")
    known = ", ".join(r.display for r in project.roots)
    raise TfkmsError(f"--state {flag}: several roots were found ({known}); name one: --state ROOT=FILE")


def match_root(project: Project, name: str) -> Root | None:
    """ROOT of `--state ROOT=FILE`: as printed (relative to the working directory), as a path, or
    relative to the scanned PATH it lies in (`tfkms fix infra --state .=s.json`)."""
    wanted = name.rstrip("/") or "."
    exact = [r for r in project.roots if r.display == wanted or r.path.resolve() == Path(wanted).resolve()]
    if exact:
        return exact[0]
    within = [r for r in project.roots if r.path.resolve() == (r.base / wanted).resolve()]
    if len(within) > 1:
        raise TfkmsError(f"--state {name}=...: names a root in several scanned paths "
                         f"({', '.join(r.display for r in within)}); name it as printed")
    return within[0] if within else None
