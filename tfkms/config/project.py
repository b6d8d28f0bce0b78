"""Roots, module instances and resource instances: the Terraform side, fully addressed."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from tfkms import logs
from tfkms.config.discover import ConfigDir, walk_config_dirs
from tfkms.config.expr import UNKNOWN, Deferred, Scope, Unknown, evaluate, traversal_of
from tfkms.config.loader import Loader, display_path, read_modules_json
from tfkms.config.model import (
    PROVIDER_NAME,
    ModuleCall,
    ModuleDir,
    ProviderBlock,
    ResourceBlock,
    VariableDecl,
)
from tfkms.address import UNKNOWN_KEY, format_key
from tfkms.config.syntax import Attribute
from tfkms.errors import InputProblem
from tfkms.knowledge.versions import ConstraintError, ProviderVersion, lowest_admitted

if TYPE_CHECKING:
    from tfkms.config.parallel import ParseCache, ParsePool
    from tfkms.config.prefilter import DirBytes


MAX_MODULE_DEPTH = 32


def source_kind(source: str) -> str:
    if source.startswith(("./", "../", ".\\", "..\\")):
        return "local"
    if source.startswith(("git::", "git@", "github.com/", "bitbucket.org/")) or ".git" in source:
        return "git"
    if re.match(r"^([\w.-]+/)?[\w-]+/[\w-]+/[\w-]+(//.*)?$", source):
        return "registry"
    return "remote"


@dataclass
class ProviderBinding:
    ref: str
    region: str | None
    block: ProviderBlock | None


@dataclass
class ModuleInstance:
    root: "Root"
    steps: tuple[tuple[str, Any], ...]
    dir: ModuleDir
    scope: Scope
    providers: dict[str, ProviderBinding]
    kinds: tuple[str, ...]  # source kind of each call on the way from the root
    calls: tuple[ModuleCall, ...]
    source: str | None = None

    @property
    def address_prefix(self) -> str:
        return "".join(f"module.{name}{format_key(key)}." for name, key in self.steps)

    @property
    def config_prefix(self) -> str:
        return "".join(f"module.{name}." for name, _ in self.steps)

    @property
    def editable(self) -> bool:
        return all(kind == "local" for kind in self.kinds)

    @property
    def owner_kind(self) -> str | None:
        """The first non-local source on the way down (registry/git/remote), else local/None."""
        for kind in self.kinds:
            if kind != "local":
                return kind
        return "local" if self.kinds else None


@dataclass
class ResourceInstance:
    resource: ResourceBlock
    module: ModuleInstance
    key: Any
    scope: Scope

    @property
    def address(self) -> str:
        return f"{self.module.address_prefix}{self.resource.config_name}{format_key(self.key)}"

    @property
    def config_address(self) -> str:
        return f"{self.module.config_prefix}{self.resource.config_name}"

    @property
    def provider(self) -> ProviderBinding | None:
        attr = self.resource.attr("provider")
        ref = PROVIDER_NAME
        if attr is not None:
            ref = _provider_ref(attr) or ref
        return self.module.providers.get(ref)

    @property
    def region(self) -> str | None:
        binding = self.provider
        return binding.region if binding else None

    def value(self, name: str) -> Any:
        """The evaluated argument, None when absent, Unknown when not statically known."""
        attr = self.resource.attr(name)
        return evaluate(attr.expr, self.scope) if attr is not None else None


@dataclass
class Root:
    dir: ModuleDir
    base: Path
    modules_json: dict[str, tuple[str, Path]] = field(default_factory=dict)
    provider_version: ProviderVersion | None = None
    version_origin: str = "unknown"  # lock file | constraint | --provider-version | unknown
    version_file: str | None = None
    version_line: int | None = None
    modules: list[ModuleInstance] = field(default_factory=list)

    @property
    def display(self) -> str:
        return self.dir.display

    def resource_instances(self, kms_only: bool = True) -> Iterator[ResourceInstance]:
        for module in self.modules:
            for resource in module.dir.resources:
                if kms_only and not resource.is_kms:
                    continue
                yield from expand_resource(resource, module)


@dataclass
class Project:
    roots: list[Root]
    problems: list[InputProblem]
    loader_by_base: dict[Path, Loader]


def _provider_ref(attr: Attribute) -> str | None:
    if attr.expr.syntax == "json":
        value = evaluate(attr.expr)
        return value if isinstance(value, str) else None
    trav = traversal_of(attr.expr.tree())
    if trav and all(isinstance(s, str) for s in trav):
        return ".".join(trav)
    return None


def expand_keys(attr_count: Attribute | None, attr_for_each: Attribute | None, scope: Scope
                ) -> list[tuple[Any, Scope]]:
    """Instance keys with the scope each instance evaluates in."""
    if attr_count is not None:
        n = evaluate(attr_count.expr, scope)
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            return [(UNKNOWN_KEY, scope.with_count(UNKNOWN))]
        return [(i, scope.with_count(i)) for i in range(n)]
    if attr_for_each is not None:
        value = evaluate(attr_for_each.expr, scope)
        if isinstance(value, dict) and not isinstance(value, Unknown):
            return [(k, scope.with_each(k, value[k])) for k in sorted(value)]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [(k, scope.with_each(k, k)) for k in sorted(set(value))]
        return [(UNKNOWN_KEY, scope.with_each(UNKNOWN, UNKNOWN))]
    return [(None, scope)]


def expand_resource(resource: ResourceBlock, module: ModuleInstance) -> list[ResourceInstance]:
    keys = expand_keys(resource.attr("count"), resource.attr("for_each"), module.scope)
    return [ResourceInstance(resource, module, key, scope) for key, scope in keys]


def _default(decl: VariableDecl) -> Any:
    return Deferred(partial(evaluate, decl.default)) if decl.default is not None else UNKNOWN


def _root_scope(module_dir: ModuleDir) -> Scope:
    variables: dict[str, Any] = {name: _default(decl) for name, decl in module_dir.variables.items()}
    for tfvars in module_dir.tfvars:
        for name, attr in tfvars.attributes.items():
            variables[name] = Deferred(partial(evaluate, attr.expr))
    return Scope(variables=variables, local_exprs=dict(module_dir.locals))


def _child_scope(module_dir: ModuleDir, call: ModuleCall, parent_scope: Scope) -> Scope:
    variables: dict[str, Any] = {name: _default(decl) for name, decl in module_dir.variables.items()}
    for name, attr in call.arguments.items():
        variables[name] = Deferred(partial(evaluate, attr.expr, parent_scope))
    return Scope(variables=variables, local_exprs=dict(module_dir.locals))


def _bind_providers(module_dir: ModuleDir, scope: Scope, inherited: dict[str, ProviderBinding]
                    ) -> dict[str, ProviderBinding]:
    bindings = dict(inherited)
    for provider in module_dir.providers:
        if provider.name != PROVIDER_NAME:
            continue
        attr = provider.block.attributes.get("region")
        region = evaluate(attr.expr, scope) if attr else None
        bindings[provider.ref] = ProviderBinding(provider.ref, region if isinstance(region, str) else None, provider)
    return bindings


def _call_providers(call: ModuleCall, parent: dict[str, ProviderBinding]) -> dict[str, ProviderBinding]:
    attr = call.attr("providers")
    if attr is None:  # only the default (unaliased) configuration is inherited implicitly
        return {PROVIDER_NAME: parent[PROVIDER_NAME]} if PROVIDER_NAME in parent else {}
    mapping: dict[str, str] = {}
    if attr.expr.syntax == "json":
        value = evaluate(attr.expr)
        if isinstance(value, dict):
            mapping = {k: v for k, v in value.items() if isinstance(v, str)}
    else:
        from lark import Tree

        for elem in attr.expr.tree().iter_subtrees():
            if isinstance(elem, Tree) and elem.data == "object_elem":
                key = traversal_of(elem.children[0].children[0])
                target = traversal_of(elem.children[2])
                if key and target:
                    mapping[".".join(map(str, key))] = ".".join(map(str, target))
    out: dict[str, ProviderBinding] = {}
    for child_ref, parent_ref in mapping.items():
        if parent_ref in parent:
            out[child_ref] = parent[parent_ref]
    return out


class _Builder:
    def __init__(self, loader: Loader) -> None:
        self.loader = loader

    def root(self, module_dir: ModuleDir, base: Path) -> Root:
        root = Root(dir=module_dir, base=base, modules_json=read_modules_json(module_dir.path))
        scope = _root_scope(module_dir)
        top = ModuleInstance(root=root, steps=(), dir=module_dir, scope=scope,
                             providers=_bind_providers(module_dir, scope, {}), kinds=(), calls=())
        self.expand(root, top, ())
        return root

    def expand(self, root: Root, parent: ModuleInstance, call_names: tuple[str, ...]) -> None:
        root.modules.append(parent)
        if len(parent.steps) >= MAX_MODULE_DEPTH:
            return
        for call in sorted(parent.dir.module_calls.values(), key=lambda c: c.name):
            resolved = self.resolve(root, parent, call, call_names + (call.name,))
            if resolved is None:
                continue
            kind, source, child_dir = resolved
            if any(m.dir.path.resolve() == child_dir.path.resolve() for m in _ancestors(root, parent)):
                continue  # a module calling itself: Terraform rejects it; do not loop
            for key, call_scope in expand_keys(call.attr("count"), call.attr("for_each"), parent.scope):
                scope = _child_scope(child_dir, call, call_scope)
                providers = _bind_providers(child_dir, scope, _call_providers(call, parent.providers))
                child = ModuleInstance(root=root, steps=parent.steps + ((call.name, key),), dir=child_dir,
                                       scope=scope, providers=providers, kinds=parent.kinds + (kind,),
                                       calls=parent.calls + (call,), source=source)
                self.expand(root, child, call_names + (call.name,))

    def resolve(self, root: Root, parent: ModuleInstance, call: ModuleCall, key: tuple[str, ...]
                ) -> tuple[str, str, ModuleDir] | None:
        attr = call.attr("source")
        source = evaluate(attr.expr) if attr else None
        if not isinstance(source, str):
            return None
        kind = source_kind(source)
        if kind == "local":
            path = (parent.dir.path / source).resolve()
            if not path.is_dir():
                return None
            return kind, source, self.loader.load(path)
        entry = root.modules_json.get(".".join(key))
        if entry is None or not entry[1].is_dir():
            return None
        return kind, source, self.loader.load(entry[1])


def _ancestors(root: Root, module: ModuleInstance) -> list[ModuleInstance]:
    return [m for m in root.modules if module.steps[:len(m.steps)] == m.steps and m is not module]


def _assign_provider_version(root: Root, override: ProviderVersion | None, problems: list[InputProblem]) -> None:
    if override is not None:
        root.provider_version, root.version_origin = override, "--provider-version"
        return
    pinned = root.dir.lock_version()
    if pinned is not None and root.dir.lock_file is not None:
        try:
            root.provider_version = ProviderVersion.parse(pinned[0])
        except ValueError:
            problems.append(InputProblem(root.dir.lock_file.display, pinned[1], None,
                                         f"cannot read provider version {pinned[0]!r}"))
            return
        root.version_origin = "lock file"
        root.version_file, root.version_line = root.dir.lock_file.display, pinned[1]
        return
    constraints = []
    seen: set[int] = set()
    for module in root.modules:
        if id(module.dir) in seen:
            continue
        seen.add(id(module.dir))
        constraints.extend(module.dir.alicloud_constraints)
    if not constraints:
        return
    try:
        version = lowest_admitted([c.constraint for c in constraints])
    except ConstraintError as exc:
        first = constraints[0]
        problems.append(InputProblem(first.file.display, first.line, None, str(exc)))
        return
    if version is not None:
        root.provider_version, root.version_origin = version, "constraint"
        root.version_file, root.version_line = constraints[0].file.display, constraints[0].line


EARLY_POOL_DIRS = 64  # a tree this big pays for starting parse workers before reading it


def build_project(paths: list[Path], exclude: list[str], provider_version: ProviderVersion | None = None,
                  cache: "ParseCache | None" = None, workers: int | None = None,
                  prefilter: bool = True) -> Project:
    from tfkms.config.parallel import ParsePool, default_workers

    walked = [(base, walk_config_dirs(base, exclude)) for base in paths]
    size = workers if workers is not None else default_workers()
    big = sum(len(found) for _, found in walked) >= EARLY_POOL_DIRS
    pool = ParsePool(size) if size > 1 and big else None  # warms up while the files are read
    try:
        return _build(walked, provider_version, cache, workers, prefilter, pool)
    finally:
        if pool is not None:
            pool.close()


def _build(walked: list[tuple[Path, list[ConfigDir]]], provider_version: ProviderVersion | None,
           cache: "ParseCache | None", workers: int | None, prefilter: bool, pool: "ParsePool | None") -> Project:
    from tfkms.config.files import redact_fed
    from tfkms.config.loader import display_path
    from tfkms.config.parallel import ParseJob, parse_files, store_parsed
    from tfkms.config.prefilter import read_dir, relevant_dirs, side_files

    roots: list[Root] = []
    problems: list[InputProblem] = []
    loaders: dict[Path, Loader] = {}
    selected: list[tuple[Path, ConfigDir]] = []
    jobs: list[ParseJob] = []
    for base, found_dirs in walked:
        loaders[base] = Loader(base)
        scanned = [read_dir(found) for found in found_dirs]
        relevant = relevant_dirs(scanned) if prefilter else scanned
        problems.extend(_cheap_checks([d for d in scanned if d not in relevant], base))
        for dir_bytes in relevant:
            found = dir_bytes.config
            selected.append((base, found))
            for name, data in dir_bytes.files.items():
                jobs.append(ParseJob(found.path / name, display_path(found.path / name, base), data,
                                     dir_bytes.stats.get(name, 0)))
            for name, reason in dir_bytes.unreadable.items():
                problems.append(InputProblem(display_path(found.path / name, base), None, None,
                                             f"cannot read: {reason}"))
            for name in side_files(found):
                path = found.path / name
                try:
                    jobs.append(ParseJob(path, display_path(path, base), path.read_bytes(), path.stat().st_mtime_ns))
                except OSError as exc:
                    problems.append(InputProblem(display_path(path, base), None, None,
                                                 f"cannot read: {exc.strerror or exc}"))
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
        for call in module_dir.module_calls.values():
            attr = call.attr("source")
            source = evaluate(attr.expr) if attr else None
            if isinstance(source, str) and source_kind(source) == "local":
                called.add((module_dir.path / source).resolve())
    for _, module_dir in candidates:
        redact_fed(module_dir.files)  # before caching: no value a secret reads is ever stored
    store_parsed(cache, [j for j in jobs if j.path in fresh], fresh)
    for base, module_dir in candidates:
        if module_dir.path.resolve() in called:
            continue
        builder = _Builder(loaders[base])
        root = builder.root(module_dir, base)
        _assign_provider_version(root, provider_version, problems)
        roots.append(root)
    for loader in loaders.values():
        problems.extend(loader.all_problems())
    log.info("%d root(s): %s", len(roots), ", ".join(r.display for r in roots) or "none")
    for root in roots:
        log.debug("root %s: alicloud provider %s (%s)", root.display, root.provider_version, root.version_origin)
    return Project(roots=roots, problems=_dedupe(problems), loader_by_base=loaders)


def _cheap_checks(skipped: list["DirBytes"], base: Path) -> list[InputProblem]:
    """Files the pre-filter does not parse are still checked for binary data and bad UTF-8."""
    from tfkms.config.files import decode
    from tfkms.config.loader import display_path
    from tfkms.errors import InputFileError

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
                decode(data, display_path(dir_bytes.config.path / name, base))
            except InputFileError as exc:
                out.append(exc.problem)
    return out


def _dedupe(problems: list[InputProblem]) -> list[InputProblem]:
    seen: set[str] = set()
    out = []
    for p in problems:
        if p.render() not in seen:
            seen.add(p.render())
            out.append(p)
    return sorted(out, key=lambda p: (p.file, p.line or 0))


def root_display(root: Root) -> str:
    return display_path(root.dir.path, root.base)
