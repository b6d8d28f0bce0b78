"""What one configuration directory declares (one Terraform module, not yet instantiated)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfkms.address import format_key
from tfkms.config.evaluator import evaluate
from tfkms.config.syntax import Attribute, Block, Expr, SourceFile
from tfkms.errors import InputProblem

KMS_PREFIX = "alicloud_kms_"
PROVIDER_NAME = "alicloud"


class _Declared:
    """A declaration read from one block (the subclasses are dataclasses holding `block`, `file`
    and `overrides`).

    `overrides`: the blocks of override files (`override.tf`, `*_override.tf`, and .tf.json) that
    Terraform merges into this one, in the order it merges them (file name, then position). An
    argument an override sets replaces the base's (Terraform's override semantics): `attr` and
    `attributes` give the merged view, `attr_source` says which file sets it last."""

    block: Block
    file: SourceFile
    overrides: list[tuple[SourceFile, Block]]

    def attr(self, name: str) -> Attribute | None:
        found = self.attr_source(name)
        return found[1] if found is not None else None

    def attr_source(self, name: str) -> tuple[SourceFile, Attribute] | None:
        """The file and attribute that set `name` last: the last override setting it, else the base."""
        for source, block in reversed(self.overrides):
            if name in block.attributes:
                return source, block.attributes[name]
        attr = self.block.attributes.get(name)
        return (self.file, attr) if attr is not None else None

    @property
    def attributes(self) -> dict[str, Attribute]:
        """Every argument, merged (an override's replaces the base's)."""
        if not self.overrides:
            return self.block.attributes
        merged = dict(self.block.attributes)
        for _, block in self.overrides:
            merged.update(block.attributes)
        return merged

    @property
    def override_files(self) -> list[SourceFile]:
        return [source for source, _ in self.overrides]


@dataclass
class ResourceBlock(_Declared):
    mode: str  # managed | data
    type: str
    name: str
    block: Block
    file: SourceFile
    overrides: list[tuple[SourceFile, Block]] = field(default_factory=list)

    @property
    def config_name(self) -> str:
        prefix = "data." if self.mode == "data" else ""
        return f"{prefix}{self.type}.{self.name}"

    @property
    def is_kms(self) -> bool:
        return self.type.startswith(KMS_PREFIX)

    @property
    def is_protected(self) -> bool:
        """A KMS resource, or another type whose ForceNew attributes tfkms protects
        (tfkms.knowledge.forcenew, e.g. alicloud_oos_secret_parameter)."""
        from tfkms.knowledge.forcenew import PROTECTED_TYPES

        return self.is_kms or self.type in PROTECTED_TYPES

    def child_blocks(self, block_type: str) -> list[Block]:
        """Nested blocks of one type, merged: the last override holding blocks of that type replaces
        them all (Terraform's rule for nested blocks). For `lifecycle` see `lifecycle_source`."""
        for _, block in reversed(self.overrides):
            found = block.child_blocks(block_type)
            if found:
                return found
        return self.block.child_blocks(block_type)

    def lifecycle_source(self, name: str) -> tuple[SourceFile, Block, Attribute] | None:
        """The (file, resource block, attribute) whose `lifecycle` sets `name` last: Terraform merges
        lifecycle blocks argument by argument, the last override setting one wins."""
        for source, block in [*reversed(self.overrides), (self.file, self.block)]:
            for lifecycle in block.child_blocks("lifecycle"):
                if name in lifecycle.attributes:
                    return source, block, lifecycle.attributes[name]
        return None

    def lifecycle_target(self, name: str) -> tuple[SourceFile, Block]:
        """Where an edit of lifecycle argument `name` goes: the block whose lifecycle sets it last
        (an override's setting hides the base's), else the base block."""
        found = self.lifecycle_source(name)
        return (found[0], found[1]) if found is not None else (self.file, self.block)


@dataclass
class ModuleCall(_Declared):
    name: str
    block: Block
    file: SourceFile
    overrides: list[tuple[SourceFile, Block]] = field(default_factory=list)

    @property
    def arguments(self) -> dict[str, Attribute]:
        meta = {"source", "version", "count", "for_each", "providers", "depends_on"}
        return {k: v for k, v in self.attributes.items() if k not in meta}


@dataclass
class ProviderBlock(_Declared):
    name: str
    alias: str | None
    block: Block
    file: SourceFile
    overrides: list[tuple[SourceFile, Block]] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return f"{self.name}.{self.alias}" if self.alias else self.name


@dataclass
class VariableDecl(_Declared):
    name: str
    block: Block
    file: SourceFile
    overrides: list[tuple[SourceFile, Block]] = field(default_factory=list)

    @property
    def default(self) -> Expr | None:
        found = self.attr_source("default")
        return found[1].expr if found else None

    def attr(self, name: str) -> Attribute | None:
        """The base block's argument, None when an override sets it: callers pair the attribute
        with `self.file`/`self.block` (a value site), which would be the wrong file; evaluation
        reads `default` / `attr_source`, which see the override."""
        found = self.attr_source(name)
        return found[1] if found is not None and found[0] is self.file else None


@dataclass
class MovedBlock:
    """`moved { from = X  to = Y }`, each address as Terraform prints it: `alicloud_kms_key.a`,
    `alicloud_kms_key.b[0]`, `alicloud_kms_key.k["a"]`, `module.x.alicloud_kms_key.k`, `module.x[0]`
    (tfkms.address grammar). In `.tf.json`, `"moved": [{"from": "...", "to": "..."}]`; there `block`
    is made from the JSON object (attributes `from`/`to` with their spans).

    An address tfkms cannot read (missing, not a plain traversal such as a quoted string or a
    function call, an index that is not a literal whole number or string) is None: the block is
    kept, not dropped and not reported, so that whoever applies moves decides what to do with a
    half-known one (Terraform itself refuses such a block)."""

    from_address: str | None
    to_address: str | None
    block: Block
    file: SourceFile


@dataclass
class VersionConstraint:
    constraint: str
    file: SourceFile
    line: int


@dataclass
class ModuleDir:
    path: Path
    display: str  # relative to the scanned PATH ("." for PATH itself)
    files: list[SourceFile] = field(default_factory=list)
    tfvars: list[SourceFile] = field(default_factory=list)
    lock_file: SourceFile | None = None
    problems: list[InputProblem] = field(default_factory=list)
    resources: list[ResourceBlock] = field(default_factory=list)
    module_calls: dict[str, ModuleCall] = field(default_factory=dict)
    providers: list[ProviderBlock] = field(default_factory=list)
    variables: dict[str, VariableDecl] = field(default_factory=dict)
    locals: dict[str, Expr] = field(default_factory=dict)
    alicloud_constraints: list[VersionConstraint] = field(default_factory=list)
    moved: list[MovedBlock] = field(default_factory=list)
    # Problems for which Terraform refuses the whole module (a duplicate declaration): every root
    # that uses this directory is judged on nothing and patched nowhere. Also in `problems`.
    config_errors: list[InputProblem] = field(default_factory=list)
    _declared: dict[tuple[str, ...], tuple[str, int]] = field(default_factory=dict, repr=False, compare=False)
    # Override merging (Terraform's override files): declarations by header, override blocks read
    # before their base (a file sorting before the base's), locals an override has set.
    _by_header: dict[tuple[str, ...], _Declared] = field(default_factory=dict, repr=False, compare=False)
    _pending: dict[tuple[str, ...], list[tuple[SourceFile, Block]]] = field(default_factory=dict, repr=False,
                                                                            compare=False)
    _overridden_locals: set[str] = field(default_factory=set, repr=False, compare=False)

    def add_file(self, source: SourceFile) -> None:
        self.files.append(source)
        override = _is_override_file(source.path.name)
        if source.syntax == "json" and "moved" in source.attributes:
            self.moved.extend(_json_moved(source, source.attributes["moved"]))
        for block in source.blocks:
            kind, labels = block.type, block.labels
            if override and self._merge_override(block, source):
                continue
            if not override:
                self._check_unique(block, source)
            declared: _Declared | None = None
            if kind in ("resource", "data") and len(labels) == 2:
                mode = "managed" if kind == "resource" else "data"
                declared = ResourceBlock(mode, labels[0], labels[1], block, source)
                self.resources.append(declared)
            elif kind == "module" and len(labels) == 1:
                declared = self.module_calls[labels[0]] = ModuleCall(labels[0], block, source)
            elif kind == "provider" and len(labels) == 1:
                alias_attr = block.attributes.get("alias")
                alias = evaluate(alias_attr.expr) if alias_attr else None
                declared = ProviderBlock(labels[0], alias if isinstance(alias, str) else None, block, source)
                self.providers.append(declared)
            elif kind == "variable" and len(labels) == 1:
                declared = self.variables[labels[0]] = VariableDecl(labels[0], block, source)
            elif kind == "locals":
                for name, attr in block.attributes.items():
                    if name not in self._overridden_locals:
                        self.locals[name] = attr.expr
            elif kind == "terraform":
                self._read_required_providers(block, source)
            elif kind == "moved" and not labels:
                self.moved.append(MovedBlock(_moved_address(block.attributes.get("from")),
                                             _moved_address(block.attributes.get("to")), block, source))
            header = _header(block)
            if declared is not None and header is not None:
                self._by_header.setdefault(header, declared)
                declared.overrides.extend(self._pending.pop(header, []))
        if not override:
            for shallow_type, shallow_labels, line in source.shallow:  # never read: only their addresses clash
                self._declare((shallow_type, *shallow_labels), source, line)

    def _merge_override(self, block: Block, source: SourceFile) -> bool:
        """Merge a block of an override file into the declaration it overrides (or keep it until
        that declaration is read). False for blocks tfkms does not merge (read as usual)."""
        if block.type == "locals":
            for name, attr in block.attributes.items():
                self.locals[name] = attr.expr
                self._overridden_locals.add(name)
            return True
        header = _header(block)
        if header is None:
            return False
        base = self._by_header.get(header)
        if base is not None:
            base.overrides.append((source, block))
        else:
            self._pending.setdefault(header, []).append((source, block))
        return True

    def _check_unique(self, block: Block, source: SourceFile) -> None:
        """A second declaration of one address (in any file of the directory): Terraform's
        "Duplicate ... configuration" error, naming both places. Override files merge, never clash."""
        kind, labels = block.type, block.labels
        if kind in ("resource", "data", "module", "variable", "output") and labels:
            keys = [(kind, *labels)]
        elif kind == "provider" and len(labels) == 1:
            alias_attr = block.attributes.get("alias")
            alias = evaluate(alias_attr.expr) if alias_attr else None
            keys = [(kind, labels[0], alias if isinstance(alias, str) else "")]
        elif kind == "locals":
            keys = [("local", name) for name in block.attributes]
        else:
            return
        for key in keys:
            self._declare(key, source, block.attributes[key[1]].line if kind == "locals" else block.line)

    def _declare(self, key: tuple[str, ...], source: SourceFile, line: int) -> None:
        first = self._declared.setdefault(key, (source.display, line))
        if first == (source.display, line):
            return
        problem = InputProblem(source.display, line, None, _duplicate_message(key, f"{first[0]}:{first[1]}"))
        self.config_errors.append(problem)
        self.problems.append(problem)

    def _read_required_providers(self, block: Block, source: SourceFile) -> None:
        for rp in block.child_blocks("required_providers"):
            attr = rp.attributes.get(PROVIDER_NAME)
            if attr is None:
                continue
            value = evaluate(attr.expr)
            constraint = value if isinstance(value, str) else (
                value.get("version") if isinstance(value, dict) else None)
            if isinstance(constraint, str):
                self.alicloud_constraints.append(VersionConstraint(constraint, source, attr.line))

    def lock_version(self) -> tuple[str, int] | None:
        """The alicloud version pinned in .terraform.lock.hcl, with its line."""
        if self.lock_file is None:
            return None
        for block in self.lock_file.blocks:
            if block.type == "provider" and block.labels and block.labels[0].endswith("/alicloud"):
                attr = block.attributes.get("version")
                value = evaluate(attr.expr) if attr else None
                if isinstance(value, str):
                    return value, attr.line if attr else block.line
        return None


def _header(block: Block) -> tuple[str, ...] | None:
    """What an override block is matched by: its type and labels (a provider: name and alias)."""
    kind, labels = block.type, block.labels
    if kind in ("resource", "data") and len(labels) == 2:
        return (kind, *labels)
    if kind in ("module", "variable") and len(labels) == 1:
        return (kind, labels[0])
    if kind == "provider" and len(labels) == 1:
        alias_attr = block.attributes.get("alias")
        alias = evaluate(alias_attr.expr) if alias_attr else None
        return (kind, labels[0], alias if isinstance(alias, str) else "")
    return None


def _is_override_file(name: str) -> bool:
    """`override.tf`, `x_override.tf` (and .tf.json, .tofu, .tofu.json): merged into the blocks they name."""
    stem = name.removesuffix(".json").removesuffix(".tf").removesuffix(".tofu")
    return stem == "override" or stem.endswith("_override")


def _duplicate_message(key: tuple[str, ...], first: str) -> str:
    """Terraform's words for a second declaration, with where the first one is."""
    kind, name = key[0], key[-1]
    refused = "; Terraform refuses this configuration: remove or rename one of them"
    if kind in ("resource", "data"):
        noun = "resource" if kind == "resource" else "data resource"
        return (f"duplicate {kind} \"{key[1]}\" configuration: a {key[1]} {noun} named \"{name}\" was "
                f"already declared at {first}{refused}")
    if kind == "provider":
        shown = f"{key[1]}.{name}" if name else key[1]
        return f"duplicate provider configuration {shown!r}: already configured at {first}{refused}"
    words = {"module": "module call", "variable": "variable", "output": "output", "local": "local value"}
    return f"duplicate {words[kind]} \"{name}\": already declared at {first}{refused}"


def _moved_address(attr: Attribute | None) -> str | None:
    """The address a `moved` block's `from`/`to` names, as Terraform prints it, or None."""
    if attr is None or attr.expr.redacted:
        return None
    if attr.expr.syntax == "json":
        node = attr.expr.tree()
        if node is None or node.kind != "string":
            return None
        from tfkms.config.hcl_parser import parse_expression

        parsed = parse_expression(node.value)
        return _traversal_address(parsed.tree()) if parsed is not None else None
    return _traversal_address(attr.expr.tree())


def _traversal_address(node: Any) -> str | None:
    from tfkms.config.hcl_tree import significant
    from tfkms.config.traversal import traversal_of

    steps = traversal_of(node) if node is not None else None
    if not steps:
        return None
    out = str(steps[0])
    for step in steps[1:]:
        if isinstance(step, str):
            out += "." + step
            continue
        index = step[1]
        if index.data == "short_index":  # a.0: Terraform's legacy index syntax
            key: Any = int(str(index.children[1]))
        else:
            inner = significant(index)
            key = evaluate(Expr("hcl", inner[0], 0, 0, 0, 0, "")) if len(inner) == 1 else None
        if isinstance(key, bool) or not isinstance(key, (int, str)) or (isinstance(key, int) and key < 0):
            return None
        out += format_key(int(key) if isinstance(key, int) else str(key))
    return out


def _json_moved(source: SourceFile, attr: Attribute) -> list[MovedBlock]:
    """`"moved": [{"from": "a.b", "to": "a.c"}, ...]` (or one object) of a .tf.json file."""
    node = attr.expr.tree()
    if node is None:
        return []
    objects = node.items if node.kind == "array" else [node]
    out = []
    for obj in objects:
        if obj.kind != "object":
            continue
        attributes = {}
        for name, key_start, value in obj.members:
            expr = Expr("json", value, value.start, value.end, source.line_of(value.start),
                        source.line_of(value.end), source.text[value.start:value.end])
            attributes[name] = Attribute(name, key_start, value.end, source.line_of(key_start),
                                         source.line_of(value.end), expr)
        block = Block("moved", [], obj.start, obj.end, source.line_of(obj.start), source.line_of(obj.end),
                      obj.start, obj.end - 1, attributes=attributes, syntax="json", json_node=obj)
        out.append(MovedBlock(_moved_address(attributes.get("from")), _moved_address(attributes.get("to")),
                              block, source))
    return out
