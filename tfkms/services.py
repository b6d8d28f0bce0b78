"""Service functions: build inputs (config project, truth), run one analysis, return a Result.

Nothing here prints; the CLI renders what these return.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tfkms.analysis.result import Result
from tfkms.config.project import Project, Root, build_project
from tfkms.errors import InputFileError, InputProblem, TfkmsError
from tfkms.knowledge.versions import ProviderVersion
from tfkms.analysis.join import Truth
from tfkms.truth.model import Inventory
from tfkms.truth.state import StateFile, load_state

if TYPE_CHECKING:
    from tfkms.analysis.fix import FixOptions
    from tfkms.settings import Settings


@dataclass
class ScanOptions:
    paths: list[Path]
    exclude: list[str] = field(default_factory=list)
    provider_version: str | None = None
    use_cache: bool = True
    workers: int | None = None
    config: Path | None = None  # --config; else the nearest .tfkms.toml / pyproject.toml [tool.tfkms]

    def settings(self) -> "Settings":
        from tfkms.settings import load_settings

        return load_settings(self.config, self.paths[0] if self.paths else Path.cwd())


@dataclass
class TruthOptions:
    states: list[str] = field(default_factory=list)  # "FILE" or "ROOT=FILE"
    inventory: Path | None = None
    live: bool = False
    regions: list[str] = field(default_factory=list)
    endpoint: str | None = None
    profile: str | None = None


def load_project(scan: ScanOptions, settings: "Settings | None" = None) -> Project:
    for path in scan.paths:
        if not path.exists():
            raise TfkmsError(f"{path}: no such file or directory")
        if not path.is_dir():
            raise TfkmsError(f"{path}: not a directory (tfkms scans directories of Terraform files)")
    override = None
    if scan.provider_version:
        try:
            override = ProviderVersion.parse(scan.provider_version)
        except ValueError:
            raise TfkmsError(f"--provider-version: {scan.provider_version!r} is not a version like 1.230.0") from None
    from tfkms.config.parallel import ParseCache

    cache = ParseCache.default() if scan.use_cache else None
    exclude = scan.exclude + (settings.exclude if settings else [])
    return build_project(scan.paths, exclude, override, cache=cache, workers=scan.workers)


def _match_root(project: Project, name: str) -> Root | None:
    wanted = name.rstrip("/") or "."
    for root in project.roots:
        if root.display == wanted or root.dir.path.resolve() == Path(wanted).resolve():
            return root
    return None


def load_truth(project: Project, options: TruthOptions, problems: list[InputProblem]) -> Truth:
    states: dict[str, StateFile] = {}
    for spec in options.states:
        root_name, sep, file_name = spec.partition("=")
        if not sep:
            file_name, root_name = spec, ""
        if root_name:
            root = _match_root(project, root_name)
            if root is None:
                known = ", ".join(r.display for r in project.roots) or "none"
                raise TfkmsError(f"--state {spec}: no root {root_name!r} under the scanned paths (roots: {known})")
        elif len(project.roots) == 1:
            root = project.roots[0]
        elif not project.roots:
            raise TfkmsError(f"--state {spec}: no Terraform root with KMS resources under the scanned paths")
        else:
            known = ", ".join(r.display for r in project.roots)
            raise TfkmsError(f"--state {spec}: several roots were found ({known}); name one: --state ROOT=FILE")
        path = Path(file_name)
        try:
            states[root.display] = load_state(path, file_name)
        except InputFileError as exc:
            problems.append(exc.problem)
    for root in project.roots:
        local = root.dir.path / "terraform.tfstate"
        if root.display not in states and local.is_file():
            try:
                states[root.display] = load_state(local, os.path.relpath(local))
            except InputFileError as exc:
                problems.append(exc.problem)
    inventory = None
    if options.inventory is not None:
        from tfkms.truth.inventory import load_inventory

        try:
            inventory = load_inventory(options.inventory)
        except InputFileError as exc:
            problems.append(exc.problem)
    from tfkms import logs

    log = logs.get("truth")
    for root_display, state in sorted(states.items()):
        log.info("root %s: state %s (%d KMS instance(s))", root_display, state.display, len(state.kms()))
    truth = Truth(states=states, inventory=inventory)
    if options.live:
        truth.index_inventory(_live_inventory(project, truth, options))
    return truth


def _live_inventory(project: Project, truth: Truth, options: TruthOptions) -> Inventory:
    """Identity from state when there is one (describe just those), else list whole regions."""
    from tfkms.truth import live

    live_options = live.LiveOptions(endpoint=options.endpoint, profile=options.profile)
    regions = set(options.regions)
    wanted: dict[str, tuple[set[str], set[str]]] = {}
    needs_listing: set[str] = set()
    for root in project.roots:
        state = truth.state_for(root)
        for inst in root.resource_instances():
            region = inst.region or (options.regions[0] if len(options.regions) == 1 else None)
            if region is None or (regions and region not in regions):
                continue
            keys, secrets = wanted.setdefault(region, (set(), set()))
            found = state.instances.get(inst.address) if state else None
            if inst.resource.type == "alicloud_kms_key" and inst.resource.mode == "managed":
                if found is not None and isinstance(found.get("id"), str):
                    keys.add(found.get("id"))
                else:
                    needs_listing.add(region)
            elif inst.resource.type == "alicloud_kms_secret" and inst.resource.mode == "managed":
                name = found.get("secret_name") if found is not None else inst.value("secret_name")
                if isinstance(name, str):
                    secrets.add(name)
                else:
                    needs_listing.add(region)
    merged = Inventory(source="live")
    progress = sys.stderr.isatty()
    if needs_listing:
        part = live.collect_inventory(sorted(needs_listing), live_options, progress=progress)
        merged.regions.update(part.regions)
    for region, (keys, secrets) in sorted(wanted.items()):
        if region in needs_listing:
            continue
        part = live.describe_resources(region, sorted(keys), sorted(secrets), live_options)
        merged.regions.update(part.regions)
    return merged


def run_check(scan: ScanOptions, truth_options: TruthOptions, target: str | None) -> Result:
    from tfkms.analysis.check import check_project

    settings = scan.settings()
    project = load_project(scan, settings)
    problems: list[InputProblem] = []
    truth = load_truth(project, truth_options, problems)
    result = settings.apply(check_project(project, truth, target or settings.target or "software"))
    result.problems.extend(problems)
    result.paths = [p.as_posix() for p in scan.paths]
    return result


def run_fix(scan: ScanOptions, truth_options: TruthOptions, options: "FixOptions", write: bool = False) -> Result:
    from tfkms.analysis.fix import fix_project
    from tfkms.patch.apply import write_patches

    settings = scan.settings()
    project = load_project(scan, settings)
    problems: list[InputProblem] = []
    truth = load_truth(project, truth_options, problems)
    if not truth.states and not truth.has_cloud_facts and not problems:
        raise TfkmsError("fix needs the post-migration truth: --state FILE, --inventory FILE or --live "
                         "(or a terraform.tfstate in the root)")
    if options.strategy is None:
        options.strategy = settings.strategy or "auto"
    result = fix_project(project, truth, options)
    if write:
        result.problems.extend(write_patches(result.patches, list(project.loader_by_base)))
        result.mark_written()
    result = settings.apply(result)
    result.problems.extend(problems)
    result.paths = [p.as_posix() for p in scan.paths]
    return result


def run_audit(scan: ScanOptions, truth_options: TruthOptions) -> Result:
    """States (identity) against one whole inventory of the cloud (a snapshot or a live listing).

    Live audit lists every key and secret of each region, not just the ones state names:
    finding what no state manages is the point."""
    from dataclasses import replace

    from tfkms.analysis.audit import audit_project

    if truth_options.live == (truth_options.inventory is not None):
        raise TfkmsError("audit compares states with the cloud: pass --inventory FILE, or --live --region REGION")
    project = load_project(scan)
    problems: list[InputProblem] = []
    truth = load_truth(project, replace(truth_options, inventory=None, live=False), problems)
    cloud = _audit_inventory(truth_options, problems)
    if cloud is None:
        result = Result(command="audit", problems=list(project.problems))
    else:
        truth.inventory = cloud
        truth.index_inventory(cloud)
        result = audit_project(project, truth, cloud)
    result.problems.extend(problems)
    result.paths = [p.as_posix() for p in scan.paths]
    return result


def _audit_inventory(options: TruthOptions, problems: list[InputProblem]) -> Inventory | None:
    if options.live:
        from tfkms.truth import live

        return live.collect_inventory(options.regions, live.LiveOptions(endpoint=options.endpoint,
                                                                         profile=options.profile),
                                      progress=sys.stderr.isatty())
    from tfkms.truth.inventory import load_inventory

    assert options.inventory is not None
    try:
        inventory = load_inventory(options.inventory)
    except InputFileError as exc:
        problems.append(exc.problem)
        return None
    if options.regions:  # --region narrows a snapshot to the regions asked for
        unknown = [r for r in options.regions if r not in inventory.regions]
        if unknown:
            have = ", ".join(sorted(inventory.regions)) or "none"
            raise TfkmsError(f"--region {', '.join(unknown)}: not in {options.inventory} (it covers: {have})")
        inventory.regions = {r: body for r, body in inventory.regions.items() if r in options.regions}
    return inventory
