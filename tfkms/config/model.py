"""What one configuration directory declares (one Terraform module, not yet instantiated)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tfkms.config.evaluator import evaluate
from tfkms.config.syntax import Attribute, Block, Expr, SourceFile
from tfkms.errors import InputProblem

KMS_PREFIX = "alicloud_kms_"
PROVIDER_NAME = "alicloud"


class _Declared:
    """A declaration read from one block (the subclasses are dataclasses holding `block`)."""

    block: Block

    def attr(self, name: str) -> Attribute | None:
        return self.block.attributes.get(name)


@dataclass
class ResourceBlock(_Declared):
    mode: str  # managed | data
    type: str
    name: str
    block: Block
    file: SourceFile

    @property
    def config_name(self) -> str:
        prefix = "data." if self.mode == "data" else ""
        return f"{prefix}{self.type}.{self.name}"

    @property
    def is_kms(self) -> bool:
        return self.type.startswith(KMS_PREFIX)


@dataclass
class ModuleCall(_Declared):
    name: str
    block: Block
    file: SourceFile

    @property
    def arguments(self) -> dict[str, Attribute]:
        meta = {"source", "version", "count", "for_each", "providers", "depends_on"}
        return {k: v for k, v in self.block.attributes.items() if k not in meta}


@dataclass
class ProviderBlock(_Declared):
    name: str
    alias: str | None
    block: Block
    file: SourceFile

    @property
    def ref(self) -> str:
        return f"{self.name}.{self.alias}" if self.alias else self.name


@dataclass
class VariableDecl(_Declared):
    name: str
    block: Block
    file: SourceFile

    @property
    def default(self) -> Expr | None:
        attr = self.attr("default")
        return attr.expr if attr else None


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

    def add_file(self, source: SourceFile) -> None:
        self.files.append(source)
        for block in source.blocks:
            kind, labels = block.type, block.labels
            if kind in ("resource", "data") and len(labels) == 2:
                mode = "managed" if kind == "resource" else "data"
                self.resources.append(ResourceBlock(mode, labels[0], labels[1], block, source))
            elif kind == "module" and len(labels) == 1:
                self.module_calls[labels[0]] = ModuleCall(labels[0], block, source)
            elif kind == "provider" and len(labels) == 1:
                alias_attr = block.attributes.get("alias")
                alias = evaluate(alias_attr.expr) if alias_attr else None
                self.providers.append(ProviderBlock(labels[0], alias if isinstance(alias, str) else None,
                                                    block, source))
            elif kind == "variable" and len(labels) == 1:
                self.variables[labels[0]] = VariableDecl(labels[0], block, source)
            elif kind == "locals":
                for name, attr in block.attributes.items():
                    self.locals[name] = attr.expr
            elif kind == "terraform":
                self._read_required_providers(block, source)

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
