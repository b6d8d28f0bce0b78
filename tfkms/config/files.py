"""Reading configuration files losslessly and parsing them into SourceFiles."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tfkms.config.block_scope import is_protected_type, read_plan
from tfkms.config.hcl_parser import HclSyntaxError, parse_hcl
from tfkms.config.hcl_structure import ReadPlan, TopBlock
from tfkms.config.json_parser import JsonSyntaxError, json_to_blocks, parse_json
from tfkms.config.syntax import Attribute, Block, SourceFile, with_nested
from tfkms.config.traversal import references
from tfkms.errors import InputFileError, InputProblem
from tfkms.redact import SENSITIVE_ARGUMENTS, SENSITIVE_BY_TYPE, is_reference


def decode(data: bytes, display: str) -> str:
    """UTF-8 without newline translation, so offsets map back to exact bytes."""
    if b"\x00" in data[:8192]:
        raise InputFileError(InputProblem(display, None, None, "binary file (contains NUL bytes); not Terraform"))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputFileError(InputProblem(display, line, column,
                                          "not valid UTF-8 (Terraform requires UTF-8 files)")) from None


def read_text(path: Path, display: str) -> tuple[str, int, int]:
    try:
        stat = path.stat()
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(InputProblem(display, None, None, f"cannot read: {exc.strerror or exc}")) from None
    return decode(data, display), stat.st_mtime_ns, stat.st_size


def parse_source(path: Path, display: str, text: str,
                 structure: tuple[list[TopBlock], ReadPlan] | None = None) -> SourceFile:
    """Parse text already read (`structure`: its blocks and read plan, if the caller has them);
    raises InputFileError naming file:line:col."""
    syntax = "json" if path.name.endswith(".json") else "hcl"
    source = SourceFile(path=path, display=display, text=text, syntax=syntax)
    try:
        if syntax == "json":
            root = parse_json(text)
            source.attributes, source.blocks = json_to_blocks(text, root)
        else:
            skip: Callable[[list[TopBlock], str], ReadPlan] | None = None  # tfvars and .hcl: read whole
            found = None
            if structure is not None:
                found, plan = structure
                skip = _given(plan)
            elif path.name.endswith((".tf", ".tofu")):
                skip = read_plan
            source.attributes, source.blocks, source.comments, source.shallow = parse_hcl(text, skip, found)
    except (HclSyntaxError, JsonSyntaxError) as exc:
        raise InputFileError(InputProblem(display, exc.line, exc.column, exc.message)) from None
    redact_sensitive(source)
    slim_unrelated(source)
    detach_unrelated(source)
    if path.name.endswith((".tf", ".tofu")):
        drop_positions(source)
    return source


def _given(plan: ReadPlan) -> Callable[[list[TopBlock], str], ReadPlan]:
    """The read plan the caller made with the structure it passes."""
    return lambda _blocks, _text: plan


# Arguments whose trees are kept because tfkms evaluates them on most runs; every other tree
# outside KMS resources is detached (kept as text, re-parsed only if ever evaluated).
_KEEP_TREES = {"variable": {"default"}, "provider": {"region", "alias"}, "module": None, "locals": None,
               "required_providers": None}


def detach_unrelated(source: SourceFile) -> None:
    """Trees dominate the cost of shipping parsed files from workers and caching them, and
    most are never evaluated: keep text for those, trees only where tfkms reads them."""
    if source.syntax != "hcl":
        return
    for current in with_nested(block for block in source.blocks if not _is_kms_block(block)):
        keep = _KEEP_TREES.get(current.type, set())
        for name, attr in current.attributes.items():
            if attr.expr.node is not None and not (keep is None or name in keep):
                attr.expr.node, attr.expr.detached = None, True


# The only trees whose inner positions an edit reads (hcl_edits.extend_ignore_changes splices into the list).
_KEEP_POSITIONS = frozenset({"ignore_changes"})


def drop_positions(source: SourceFile) -> None:
    """Drop the position records (Lark's Meta) inside kept trees: every span tfkms uses was taken
    from them when the file was read (Block, Attribute, Expr), and they are most of what a parsed
    file weighs when shipped from a worker (2.4x the bytes, 3.5x the unpickling) or cached."""
    nodes: list[Any] = [attr.expr.node for block in with_nested(source.blocks)
                        for name, attr in block.attributes.items()
                        if attr.expr.node is not None and name not in _KEEP_POSITIONS]
    if not nodes:
        return  # a file read without Lark (simple_blocks) has no tree, and needs no lark import
    from lark import Tree

    trees = [node for node in nodes if isinstance(node, Tree)]
    while trees:
        tree = trees.pop()
        tree._meta = None
        trees.extend(child for child in tree.children if isinstance(child, Tree))


def slim_unrelated(source: SourceFile) -> None:
    """Drop the expression trees of resources tfkms never evaluates (not alicloud_kms_*, not
    reading key versions): most of a file, and most of the cost of caching and shipping it."""
    for block in source.blocks:
        if block.type == "output":
            pass  # outputs matter only when they read key versions (checked below)
        elif block.type not in ("resource", "data") or _is_kms_block(block) or not block.labels:
            continue
        if "key_version" in source.text[block.start:block.end]:
            continue
        for current in with_nested([block]):
            for attr in current.attributes.values():
                attr.expr.node = None


# Arguments that carry secret values in configuration: tfkms never reads them, so their values
# are dropped as soon as a file is parsed (spans stay, so edits still see where they are).


def redact_sensitive(source: SourceFile) -> None:
    """Drop the values of sensitive arguments and of `sensitive = true` variable defaults, and
    note which locals/variables a sensitive argument reads (dropped by `redact_fed` once the
    whole module is known): tfkms needs none of them (Terraform forbids sensitive values in
    count/for_each), so it never holds them."""
    stack = [(block, block.labels[0] if block.type == "resource" and block.labels else "") for block in source.blocks]
    while stack:
        block, kind = stack.pop()
        stack.extend((child, kind) for child in block.blocks)
        for name, attr in block.attributes.items():
            if name in SENSITIVE_ARGUMENTS or (kind, name) in SENSITIVE_BY_TYPE:
                source.sensitive_refs.update(".".join(r.split(".")[:2]) for r in references(attr.expr)
                                             if r.startswith(("local.", "var.")))
                _redact(attr)
    for block in source.blocks:
        if block.type == "variable" and "default" in block.attributes:
            flag = block.attributes.get("sensitive")
            if flag is not None and flag.expr.text.strip() in ("true", '"true"'):
                _redact(block.attributes["default"])
    redact_fed([source])


def redact_tfvars(tfvars: list[SourceFile], sources: list[SourceFile]) -> None:
    """Drop the tfvars values of variables declared `sensitive = true` or read by a sensitive
    argument (a PR pointing secret_data at var.x must not get x's tfvars value into a report)."""
    fed = set().union(*(s.sensitive_refs for s in sources))
    for source in sources:
        for block in source.blocks:
            flag = block.attributes.get("sensitive") if block.type == "variable" and block.labels else None
            if flag is not None and flag.expr.text.strip() in ("true", '"true"'):
                fed.add(f"var.{block.labels[0]}")
    for source in tfvars:
        for name, attr in source.attributes.items():
            if f"var.{name}" in fed:
                _redact(attr)


def redact_fed(sources: list[SourceFile]) -> None:
    """Drop the locals and variable defaults that sensitive arguments anywhere in these files
    (one module) read."""
    fed = set().union(*(s.sensitive_refs for s in sources))
    if not fed:
        return
    for source in sources:
        for block in source.blocks:
            if block.type == "locals":
                for name, attr in block.attributes.items():
                    if f"local.{name}" in fed:
                        _redact(attr)
            elif (block.type == "variable" and block.labels and f"var.{block.labels[0]}" in fed
                  and "default" in block.attributes):
                _redact(block.attributes["default"])


def _is_kms_block(block: Block) -> bool:
    """A KMS resource or data source, or a resource of a type tfkms protects the same way
    (tfkms.knowledge.forcenew): its trees are always kept (tfkms evaluates them)."""
    return block.type in ("resource", "data") and bool(block.labels) and is_protected_type(block.labels[0])


def _redact(attr: Attribute) -> None:
    expr = attr.expr
    expr.node, expr.text, expr.redacted = None, "", True


def load_source(path: Path, display: str) -> SourceFile:
    text, mtime_ns, size = read_text(path, display)
    source = parse_source(path, display, text)
    source.mtime_ns, source.size = mtime_ns, size
    return source


def redacted_spans(source: SourceFile) -> tuple[tuple[int, int], ...]:
    """Where the values tfkms dropped sit in the file (secret-bearing arguments, sensitive
    defaults and tfvars, what sensitive arguments read): a diff masks them by span."""
    attrs = list(source.attributes.values())
    for block in with_nested(source.blocks):
        attrs += block.attributes.values()
    spans = [(a.expr.start, a.expr.end) for a in attrs if a.expr.redacted
             and not is_reference(source.text[a.expr.start:a.expr.end])]
    return tuple(sorted(spans))
