"""Service functions: the work behind each command, from typed options to what the command renders.

The command layer (tfkms/commands) parses flags into the options below and tells these functions what
the terminal is; nothing here reads flags, prints a report or calls isatty. Heavy modules are imported
inside the functions, so `tfkms inventory` and `tfkms emulator` do not load the configuration parser.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tfkms.defaults import DEFAULT_LIVE_TIMEOUT_S
from tfkms.errors import InputFileError, InputProblem, TfkmsError
from tfkms.state_sources import StateSource, apply_state_moves, load_states

if TYPE_CHECKING:
    from tfkms.analysis.fix import FixOptions
    from tfkms.analysis.join import Truth
    from tfkms.analysis.result import Finding, Result
    from tfkms.config.scan import Project
    from tfkms.emulator import EmulatorOptions
    from tfkms.settings import Settings
    from tfkms.truth.live import LiveOptions
    from tfkms.truth.model import Inventory

# Per region, the cloud resources to describe one by one: (key ids, secret names).
Wanted = dict[str, tuple[set[str], set[str]]]


@dataclass
class ScanOptions:
    paths: list[Path]
    exclude: list[str] = field(default_factory=list)
    provider_version: str | None = None
    use_cache: bool = True
    workers: int | None = None
    config: Path | None = None  # --config; else the nearest .tfkms.toml / pyproject.toml [tool.tfkms]
    # The region of a provider configuration that sets none (the command's Environment.default_region:
    # ALIBABA_CLOUD_REGION / ALICLOUD_REGION); None: such resources are in an unknown region.
    default_region: str | None = None

    def settings(self) -> Settings:
        from tfkms.settings import load_settings

        return load_settings(self.config, self.paths[0] if self.paths else Path.cwd())


@dataclass
class TruthOptions:
    states: list[StateSource] = field(default_factory=list)
    inventory: Path | None = None
    live: bool = False
    regions: list[str] = field(default_factory=list)
    endpoint: str | None = None
    profile: str | None = None
    progress: bool = False  # live listings show progress on stderr (the command knows if it is a terminal)
    stdin: Callable[[], bytes] | None = None  # reads the state of `--state -` (the command's stdin)
    insecure_http: bool = False  # --insecure-http: plain HTTP to an endpoint that is not loopback
    live_timeout_s: float | None = DEFAULT_LIVE_TIMEOUT_S  # --timeout: the whole --live run (None: no limit)


def load_project(scan: ScanOptions, settings: Settings | None = None) -> Project:
    from tfkms.config.parallel import ParseCache
    from tfkms.config.scan import build_project
    from tfkms.knowledge.versions import ProviderVersion

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
    cache = ParseCache.default() if scan.use_cache else None
    exclude = scan.exclude + (settings.exclude if settings else [])
    return build_project(scan.paths, exclude, override, cache=cache, workers=scan.workers,
                         default_region=scan.default_region)


def load_truth(project: Project, options: TruthOptions, problems: list[InputProblem],
               notes: list[Finding] | None = None, regions: list[Finding] | None = None) -> Truth:
    """The truth the user named, or the run stops: a named state or inventory that cannot be read, or
    that has the wrong shape, raises (one line naming the file) before anything is judged or written.
    A root's own terraform.tfstate is read only when no truth is named at all. With `notes`, a named
    state must belong to its root (analysis.join.state_coverage) and `notes` receives a warning per
    KMS resource of the config that state does not hold. With `regions`, a warning per KMS resource
    whose region tfkms cannot tell (analysis.join.region_notes)."""
    from tfkms import logs
    from tfkms.analysis.join import Truth

    implicit = not options.states and options.inventory is None and not options.live
    states, named, spaces = load_states(project, options.states, problems, implicit=implicit, stdin=options.stdin)
    moved = apply_state_moves(project, states, spaces.workspaces)
    inventory = None
    if options.inventory is not None:
        from tfkms.truth.inventory import load_inventory

        try:
            inventory = load_inventory(options.inventory)
        except InputFileError as exc:
            raise TfkmsError(f"--inventory {exc.problem.render()}") from None
    if notes is not None:  # check and fix: does each named state belong to its root?
        from tfkms.analysis.join import state_coverage

        notes.extend(state_coverage(project, states, named))
    log = logs.get("truth")
    for root_display, state in sorted(states.items()):
        log.info("root %s: state %s (%d KMS instance(s))", root_display, state.display, len(state.kms()))
    truth = Truth(states=states, inventory=inventory, moved=moved, workspaces=spaces.workspaces,
                  unread_workspaces=spaces.unread)
    if options.live:
        truth.live_inventory = _live_inventory(project, truth, options)
        truth.index_inventory(truth.live_inventory, live=True)
    if regions is not None:  # lookups are by region: say which resources have none tfkms can tell
        from tfkms.analysis.join import region_notes

        regions.extend(region_notes(project, truth))
    return truth


def _add_notes(result: Result, notes: list[Finding]) -> None:
    """Coverage warnings, unless the analysis already said the same of the same resource."""
    said = {(f.rule, f.address) for f in result.findings}
    result.findings.extend(n for n in notes if (n.rule, n.address) not in said)


def _add_region_notes(result: Result, notes: list[Finding]) -> None:
    """Region warnings: the analysis's own finding on the same resource (it found nothing to match,
    for instance) is a consequence, not the same message, so both stay."""
    said = {(f.rule, f.address, f.message) for f in result.findings}
    result.findings.extend(n for n in notes if (n.rule, n.address, n.message) not in said)


def _outside_base(project: Project) -> str | None:
    """The folder printed paths are relative to, when it is not the working directory (PATHs outside it)."""
    here = Path(os.path.abspath(Path.cwd()))
    return None if project.display_base == here else project.display_base.as_posix()


def _live_inventory(project: Project, truth: Truth, options: TruthOptions) -> Inventory:
    """Identity from state when there is one (describe just those), else list whole regions."""
    from tfkms.truth import live
    from tfkms.truth.model import Inventory

    live_options = live.LiveOptions(endpoint=options.endpoint, profile=options.profile,
                                    insecure_http=options.insecure_http,
                                    timeout_s=options.live_timeout_s).started()  # one deadline for all calls
    wanted, needs_listing = _wanted_resources(project, truth, options.regions)
    merged = Inventory(source="live")
    if needs_listing:
        part = live.collect_inventory(sorted(needs_listing), live_options, progress=options.progress)
        merged.regions.update(part.regions)
    for region, (keys, secrets) in sorted(wanted.items()):
        if region in needs_listing:
            continue
        part = live.describe_resources(region, sorted(keys), sorted(secrets), live_options)
        merged.regions.update(part.regions)
    return merged


def _wanted_resources(project: Project, truth: Truth, regions: list[str]) -> tuple[Wanted, set[str]]:
    """What to describe per region, and the regions to list whole (a resource whose identity is unknown)."""
    only = set(regions)
    wanted: Wanted = {}
    needs_listing: set[str] = set()
    for root in project.roots:
        state = truth.state_for(root)
        for inst in root.resource_instances():
            region = inst.region  # unknown: not looked up (the join says so), never assumed to be --region
            if region is None or (only and region not in only):
                continue
            keys, secrets = wanted.setdefault(region, (set(), set()))
            found = state.instances.get(inst.address) if state else None
            managed = inst.resource.mode == "managed"
            if inst.resource.type == "alicloud_kms_key" and managed:
                key_id = found.get("id") if found is not None else None
                if isinstance(key_id, str):
                    keys.add(key_id)
                else:
                    needs_listing.add(region)
            elif inst.resource.type == "alicloud_kms_secret" and managed:
                name = found.get("secret_name") if found is not None else inst.value("secret_name")
                if isinstance(name, str):
                    secrets.add(name)
                else:
                    needs_listing.add(region)
    return wanted, needs_listing


def run_check(scan: ScanOptions, truth_options: TruthOptions, target: str | None) -> Result:
    from tfkms.analysis.check import check_project

    settings = scan.settings()
    project = load_project(scan, settings)
    problems: list[InputProblem] = []
    notes: list[Finding] = []
    regions: list[Finding] = []
    truth = load_truth(project, truth_options, problems, notes, regions)
    result = check_project(project, truth, target or settings.target or "software")
    _add_notes(result, notes)
    _add_region_notes(result, regions)
    result = settings.apply(result)
    result.problems.extend(problems)
    result.paths = [p.as_posix() for p in scan.paths]
    result.display_base = _outside_base(project)
    return result


def run_fix(scan: ScanOptions, truth_options: TruthOptions, options: FixOptions, write: bool = False) -> Result:
    from tfkms.analysis.fix import fix_project
    from tfkms.patch.apply import write_patches

    settings = scan.settings()
    project = load_project(scan, settings)
    problems: list[InputProblem] = []
    notes: list[Finding] = []
    regions: list[Finding] = []
    truth = load_truth(project, truth_options, problems, notes, regions)
    if not truth.states and not truth.has_cloud_facts and not problems:
        raise TfkmsError("fix needs the post-migration truth: --state FILE, --inventory FILE or --live "
                         "(or a terraform.tfstate in the root)")
    if options.strategy is None:
        options.strategy = settings.strategy or "auto"
    result = fix_project(project, truth, options)
    _add_notes(result, notes)
    _add_region_notes(result, regions)
    if write:
        result.problems.extend(write_patches(result.patches, list(project.loader_by_base)))
        result.mark_written()
    result = settings.apply(result)
    result.problems.extend(problems)
    result.paths = [p.as_posix() for p in scan.paths]
    result.display_base = _outside_base(project)
    return result


def run_guard(*plans: Path) -> Result:
    from tfkms.analysis.guard import guard_plans

    return guard_plans(list(plans))


def run_audit(scan: ScanOptions, truth_options: TruthOptions) -> Result:
    """States (identity) against one whole inventory of the cloud (a snapshot or a live listing).

    Live audit lists every key and secret of each region, not just the ones state names:
    finding what no state manages is the point."""
    from tfkms.analysis.audit import audit_project

    if truth_options.live == (truth_options.inventory is not None):
        raise TfkmsError("audit compares states with the cloud: pass --inventory FILE, or --live --region REGION")
    settings = scan.settings()  # .tfkms.toml / [tool.tfkms] / --config, as for check and fix
    project = load_project(scan, settings)
    problems: list[InputProblem] = []
    # The implicit terraform.tfstate of each root stays (the inventory is what states are compared with).
    # No coverage check: audit judges states against the cloud, config only places them, and it reports
    # what config declares and no state tracks itself.
    truth = load_truth(project, replace(truth_options, inventory=None, live=False), problems)
    cloud = _audit_inventory(truth_options, problems)
    truth.inventory = cloud
    truth.index_inventory(cloud)
    result = settings.apply(audit_project(project, truth, cloud))
    result.problems.extend(problems)
    result.paths = [p.as_posix() for p in scan.paths]
    result.display_base = _outside_base(project)
    return result


def _audit_inventory(options: TruthOptions, problems: list[InputProblem]) -> Inventory:
    if options.live:
        from tfkms.truth import live

        live_options = live.LiveOptions(endpoint=options.endpoint, profile=options.profile,
                                        insecure_http=options.insecure_http, timeout_s=options.live_timeout_s)
        return live.collect_inventory(options.regions, live_options,
                                      progress=options.progress)
    from tfkms.truth.inventory import load_inventory

    assert options.inventory is not None
    try:
        inventory = load_inventory(options.inventory)
    except InputFileError as exc:
        raise TfkmsError(f"--inventory {exc.problem.render()}") from None
    if options.regions:  # --region narrows a snapshot to the regions asked for
        unknown = [r for r in options.regions if r not in inventory.regions]
        if unknown:
            have = ", ".join(sorted(inventory.regions)) or "none"
            raise TfkmsError(f"--region {', '.join(unknown)}: not in {options.inventory} (it covers: {have})")
        inventory.regions = {r: body for r, body in inventory.regions.items() if r in options.regions}
    return inventory


def export_inventory(regions: list[str], options: LiveOptions, output: Path | None, *,
                     stdout: TextIO, progress: bool) -> Inventory:
    """List the regions and write the snapshot: atomically to `output`, else as JSON to `stdout`."""
    if output is not None and (output.is_dir() or not output.parent.is_dir()):
        raise TfkmsError(f"{output}: not a file in an existing folder")  # say so before minutes of API calls
    from tfkms.truth.inventory import dumps_inventory, write_inventory_atomic
    from tfkms.truth.live import collect_inventory

    try:
        snapshot = collect_inventory(regions, options, progress=progress)
        if output is None:
            stdout.write(dumps_inventory(snapshot))
        else:
            write_inventory_atomic(snapshot, output)
    except OSError as exc:
        raise TfkmsError(f"{output}: cannot write the snapshot: {exc.strerror or exc}") from None
    except KeyboardInterrupt:
        raise TfkmsError("interrupted; no snapshot written") from None
    return snapshot


def serve_emulator(snapshot: Path, options: EmulatorOptions, port: int,
                   on_ready: Callable[[str, list[str]], None]) -> None:
    """Serve the snapshot on 127.0.0.1:`port` until Ctrl-C; `on_ready(url, regions)` once it listens."""
    from tfkms.emulator import EmulatorState, KmsEmulator, serve_forever
    from tfkms.truth.inventory import load_inventory

    state = EmulatorState.from_inventory(load_inventory(snapshot), seed=options.seed)
    try:
        serve_forever(KmsEmulator(state, options), port=port, on_ready=lambda url: on_ready(url, sorted(state.regions)))
    except OSError as exc:
        raise TfkmsError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
