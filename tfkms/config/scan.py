"""The scan pipeline: walk the PATHs, read and pre-filter directories, parse files (cached,
in parallel), load module directories, then build one Root per directory no other calls."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tfkms import logs
from tfkms.config.discover import ConfigDir, walk_config_dirs
from tfkms.config.files import decode, redact_fed, redact_tfvars
from tfkms.config.instances import Root
from tfkms.config.loader import Loader, display_base, display_leads
from tfkms.config.model import ModuleDir
from tfkms.config.modules import ModuleExpander, local_call_target
from tfkms.config.prefilter import DirBytes, read_dir, relevant_dirs, side_files
from tfkms.config.provider_versions import assign_provider_version
from tfkms.config.terragrunt import TerragruntUnit
from tfkms.errors import InputFileError, InputProblem, TfkmsError
from tfkms.knowledge.versions import ProviderVersion

if TYPE_CHECKING:
    from tfkms.config.parallel import ParseCache, ParseJob, ParsePool

EARLY_POOL_DIRS = 64  # a tree this big pays for starting parse workers before reading it


@dataclass
class Project:
    roots: list[Root]
    problems: list[InputProblem]
    loader_by_base: dict[Path, Loader]
    display_base: Path  # every display (file, root) is relative to it: see loader.display_base
    units: list[TerragruntUnit] = field(default_factory=list)  # Terragrunt units read (refused ones too)


def build_project(paths: list[Path], exclude: list[str], provider_version: ProviderVersion | None = None,
                  cache: ParseCache | None = None, workers: int | None = None,
                  prefilter: bool = True, default_region: str | None = None, cwd: Path | None = None) -> Project:
    """`default_region`: the region a provider configuration without `region` targets (the command
    reads ALIBABA_CLOUD_REGION / ALICLOUD_REGION, as Terraform's provider does; None: unknown).
    `cwd`: the folder tfkms runs in, which printed paths are relative to (default: the process's)."""
    # parallel is imported here, not at the top: multiprocessing is only needed once a scan runs.
    from tfkms.config.parallel import ParsePool, default_workers

    unit_dirs: dict[Path, list[Path]] = {base: [] for base in paths}  # Terragrunt units, found in the walk
    walked = [(base, walk_config_dirs(base, exclude, unit_dirs[base])) for base in paths]
    for base, found in walked:  # a typo'd path or an empty checkout must not read as "ready"
        if not any(d.config_files for d in found) and not unit_dirs[base]:
            raise TfkmsError(f"no Terraform files (.tf, .tf.json, .tofu, .tofu.json) under {base}")
    size = workers if workers is not None else default_workers()
    big = sum(len(found) for _, found in walked) >= EARLY_POOL_DIRS
    pool = ParsePool(size) if size > 1 and big else None  # warms up while the files are read
    base = display_base(paths, cwd if cwd is not None else Path.cwd())
    leads = display_leads(paths, base)
    loaders = {path: Loader(path, leads[path]) for path, _ in walked}
    try:
        return _build(walked, loaders, base, provider_version, cache, workers, prefilter, pool, default_region,
                      unit_dirs)
    finally:
        if pool is not None:
            pool.close()


def _build(walked: list[tuple[Path, list[ConfigDir]]], loaders: dict[Path, Loader], shown_from: Path,
           provider_version: ProviderVersion | None,
           cache: ParseCache | None, workers: int | None, prefilter: bool, pool: ParsePool | None,
           default_region: str | None = None, unit_dirs: dict[Path, list[Path]] | None = None) -> Project:
    from tfkms.config.parallel import parse_files, store_parsed
    from tfkms.config.terragrunt_scan import read_units

    problems: list[InputProblem] = []
    selected, jobs = _read(walked, loaders, prefilter, problems)
    log = logs.get("config")
    log.info("%d configuration director%s relevant, %d file(s) to parse", len(selected),
             "y" if len(selected) == 1 else "ies", len(jobs))
    parsed = parse_files(jobs, cache, workers, store=False, pool=pool)
    fresh = dict(parsed)
    for loader in loaders.values():
        loader.preload(parsed)
    candidates: list[tuple[Path, ModuleDir]] = []
    called: set[Path] = set()
    for base, found in sorted(selected, key=lambda item: (str(item[0]), item[1].path.as_posix())):
        module_dir = loaders[base].load(found.path, found)
        candidates.append((base, module_dir))
        called.update(target for call in module_dir.module_calls.values()
                      if (target := local_call_target(module_dir, call)) is not None)
    units, unit_modules = read_units(unit_dirs or {}, loaders, problems)
    called.update(module_dir.path.resolve() for _, _, module_dir in unit_modules)  # the units' configuration
    for _, module_dir in candidates + [(base, module_dir) for base, _, module_dir in unit_modules]:
        redact_fed(module_dir.files)  # before caching: no value a secret reads is ever stored
        redact_tfvars(module_dir.tfvars, module_dir.files)
    store_parsed(cache, [j for j in jobs if j.path in fresh], fresh)
    roots: list[Root] = []
    for base, module_dir in candidates:
        if module_dir.path.resolve() in called:
            continue
        root = ModuleExpander(loaders[base], default_region).root(module_dir, base)
        assign_provider_version(root, provider_version, problems)
        _refuse_invalid(root)
        roots.append(root)
    for base, unit, module_dir in unit_modules:
        root = ModuleExpander(loaders[base], default_region).root(module_dir, base, unit)
        assign_provider_version(root, provider_version, problems)
        _refuse_invalid(root)
        roots.append(root)
    for loader in loaders.values():
        problems.extend(loader.all_problems())
    log.info("%d root(s): %s", len(roots), ", ".join(r.display for r in roots) or "none")
    for root in roots:
        log.debug("root %s: alicloud provider %s (%s)", root.display, root.provider_version, root.version_origin)
    return Project(roots=roots, problems=_dedupe(problems), loader_by_base=loaders, display_base=shown_from,
                   units=units)


def _read(walked: list[tuple[Path, list[ConfigDir]]], loaders: dict[Path, Loader], prefilter: bool,
          problems: list[InputProblem]) -> tuple[list[tuple[Path, ConfigDir]], list[ParseJob]]:
    """The directories worth parsing, each with its PATH, and a parse job for each of their files."""
    selected: list[tuple[Path, ConfigDir]] = []
    jobs: list[ParseJob] = []
    for base, found_dirs in walked:
        scanned = [read_dir(found) for found in found_dirs]
        relevant = relevant_dirs(scanned) if prefilter else scanned
        problems.extend(_cheap_checks([d for d in scanned if d not in relevant], loaders[base]))
        for dir_bytes in relevant:
            selected.append((base, dir_bytes.config))
            jobs.extend(_parse_jobs(dir_bytes, loaders[base], problems))
    return selected, jobs


def _parse_jobs(dir_bytes: DirBytes, loader: Loader, problems: list[InputProblem]) -> list[ParseJob]:
    """Jobs for a directory's config files (already read) and its side files (read now)."""
    from tfkms.config.parallel import ParseJob

    found, base, display = dir_bytes.config, loader.base, loader.display
    jobs = [ParseJob(found.path / name, display(found.path / name), data, dir_bytes.stats.get(name, 0))
            for name, data in dir_bytes.files.items()]
    for name, reason in dir_bytes.unreadable.items():
        problems.append(InputProblem(display(found.path / name), None, None, f"cannot read: {reason}"))
    for name in side_files(found):
        path = found.path / name
        if _leaves_tree(path, base):  # a PR's terraform.tfvars -> ~/.env must not be read (or echoed)
            problems.append(InputProblem(display(path), None, None,
                                         "a symlink to a file outside the scanned tree: not read"))
            continue
        try:
            jobs.append(ParseJob(path, display(path), path.read_bytes(), path.stat().st_mtime_ns))
        except OSError as exc:
            problems.append(InputProblem(display(path), None, None, f"cannot read: {exc.strerror or exc}"))
    return jobs


def _leaves_tree(path: Path, base: Path) -> bool:
    """A symlink whose target lies outside both the scanned tree and the file's own folder."""
    if not path.is_symlink():
        return False
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return True  # dangling or looping: nothing to read there either
    inside = (base.resolve(), path.parent.resolve())
    return not any(target == top or top in target.parents for top in inside)


def _cheap_checks(skipped: list[DirBytes], loader: Loader) -> list[InputProblem]:
    """Files the pre-filter does not parse are still checked for binary data and bad UTF-8."""
    out = []
    for dir_bytes in skipped:
        for name, data in dir_bytes.files.items():
            try:
                data.decode("utf-8")  # the common case, without building a display path
                if b"\x00" not in data[:8192]:
                    continue
            except UnicodeDecodeError:
                pass
            try:
                decode(data, loader.display(dir_bytes.config.path / name))
            except InputFileError as exc:
                out.append(exc.problem)
    return out


def _refuse_invalid(root: Root) -> None:
    """A root whose configuration Terraform refuses (a duplicate declaration in it or in a module it
    calls: ModuleDir.config_errors, already among the problems, so the run exits 1) is judged on
    nothing: no module instances, so no finding, no edit and no write for it. Other roots go on."""
    refused = [m.dir for m in root.modules if m.dir.config_errors]
    if refused:
        logs.get("config").info("root %s: Terraform refuses its configuration (%s); not analysed", root.display,
                                "; ".join(p.render() for d in refused for p in d.config_errors))
        root.modules = []


def _dedupe(problems: list[InputProblem]) -> list[InputProblem]:
    seen: set[str] = set()
    out = []
    for p in problems:
        if p.render() not in seen:
            seen.add(p.render())
            out.append(p)
    return sorted(out, key=lambda p: (p.file, p.line or 0))
