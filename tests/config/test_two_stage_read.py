"""The two-stage read of `.tf` files (issue 18): a structural pass (tfkms.config.hcl_structure)
finds every top-level block, and Lark reads only the blocks that matter (tfkms.config.block_scope).

What must hold: the structural pass finds exactly the blocks, labels and spans Lark finds, on the
project's own corpus and on generated files full of the characters that fool a brace counter; the
blocks Lark reads come back identical (spans, lines, attribute texts, suppression comments) to a
full parse, with only the skipped blocks' headers kept; a syntax error inside a block tfkms does
not read is not reported, one inside a block it reads is, at its line; and a file whose structure
cannot be read is an error naming the line, also when it is too big to hand to Lark.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tfkms.config.block_scope import read_plan
from tfkms.config.files import parse_source, redacted_spans
from tfkms.config.hcl_parser import FULL_PARSE_LIMIT, HclSyntaxError, parse_hcl
from tfkms.config.hcl_structure import StructureError, TopLevelArgument, scan_structure
from tfkms.config.syntax import Block
from tfkms.errors import InputFileError

REPO = Path(__file__).resolve().parents[2]
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _lark_blocks(text: str) -> list[tuple[Any, ...]]:
    return [(b.type, tuple(b.labels), b.start, b.end, b.line, b.end_line, b.open_brace, b.close_brace)
            for b in parse_hcl(text)[1]]


def _scanned(text: str) -> list[tuple[Any, ...]]:
    return [tuple(b) for b in scan_structure(text)]


def _shape(block: Block) -> tuple[Any, ...]:
    """Everything of a parsed block tfkms uses, nested blocks included (trees compared by text)."""
    return (block.type, tuple(block.labels), block.start, block.end, block.line, block.end_line,
            block.open_brace, block.close_brace,
            tuple((a.name, a.start, a.end, a.line, a.end_line, a.expr.text, a.expr.line, a.expr.end_line)
                  for a in block.attributes.values()),
            tuple(_shape(child) for child in block.blocks))


def _corpus() -> list[Path]:
    files = [p for p in sorted((REPO / "tests").rglob("*.tf")) + sorted((REPO / "fixtures").rglob("*.tf"))
             if ".terraform" not in p.parts]
    assert len(files) > 150
    return files


def _valid(path: Path) -> str | None:
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        attributes = parse_hcl(text)[0]
    except HclSyntaxError:
        return None
    return None if attributes else text  # top-level arguments: not a block file


def test_structure_matches_lark_on_the_project_corpus() -> None:
    compared = 0
    for path in _corpus():
        text = _valid(path)
        if text is None:
            continue
        assert _scanned(text) == _lark_blocks(text), path
        compared += 1
    assert compared > 150


def test_selective_read_keeps_what_tfkms_reads_identical_on_the_corpus() -> None:
    for path in _corpus():
        text = _valid(path)
        if text is None:
            continue
        full = parse_hcl(text)
        attributes, blocks, comments, shallow = parse_hcl(text, read_plan)
        plan = read_plan(scan_structure(text), text)
        assert attributes == {} and comments == full[2], path
        kept_starts = {b.start for b in blocks}
        for block in full[1]:
            if block.start in kept_starts:
                mine = next(b for b in blocks if b.start == block.start)
                if plan.unread:  # nested blocks tfkms never reads are left out
                    block.blocks = [c for c in block.blocks if not any(s <= c.start < e for s, e in plan.unread)]
                assert _shape(mine) == _shape(block), (path, block.type, block.labels)
            else:
                assert (block.type, tuple(block.labels), block.line) in shallow, path
        assert len(blocks) + len(shallow) == len(full[1]), path


# A generated file is blocks separated by blank lines and comments; each block holds arguments
# whose values carry everything that fools a brace or quote counter.
_TRICKY_VALUES = [
    '"plain"', '"{ not a block"', '"}"', '"# not a comment"', '"// nor this"', '"/* nor this */"',
    '"${var.x}-${local.y}"', '"${join(",", ["a}", "b{"])}"', '"$${literal} and %%{literal}"',
    '"%{ if var.on }on%{ else }off%{ endif }"', '"esc \\" quote { "', '"\\\\"', '"tab\\t\\u00e9"',
    '{ a = "}", b = { c = "{" } }', '[for s in var.l : upper(s) if s != "}"]',
    '{ for k, v in var.m : k => v if v != "{" }', "1 / 2 < 3", "var.a < var.b ? 1 : 2",
    '<<EOT\nresource "alicloud_kms_key" "inside_heredoc" {\n}\nEOT',
    '<<-EOT\n    %{ for x in var.l ~}\n    ${x} }\n    %{ endfor ~}\n    EOT',
    '<<EOT\n  EOTX is not the marker\n  "unbalanced\nEOT',
    '"数据 { 中文"', "jsonencode({ Statement = [{ Effect = \"Allow\" }] })",
]
_COMMENTS = ["# a comment { with a brace", "// another } one", "/* a block comment { } */",
             "/* a block\ncomment over lines } */", '# a comment with a lone "', "# 数仓 {不要删除}"]
_TYPES = [("resource", 2), ("data", 2), ("output", 1), ("variable", 1), ("locals", 0), ("module", 1),
          ("terraform", 0), ("provider", 1), ("moved", 0)]


@st.composite
def _block(draw: st.DrawFn, n: int) -> str:
    kind, label_count = draw(st.sampled_from(_TYPES))
    first = draw(st.sampled_from(["alicloud_kms_key", "alicloud_vpc", "alicloud_instance", "alicloud_kms_secret"]))
    labels = [first, f"r{n}"][:label_count] if kind in ("resource", "data") else [f"x{n}"][:label_count]
    header = " ".join([kind, *(f'"{label}"' for label in labels)])
    lines = []
    for i, value in enumerate(draw(st.lists(st.sampled_from(_TRICKY_VALUES), min_size=0, max_size=4))):
        lines.append(f"  a{i} = {value}")
        if draw(st.booleans()):
            lines.append("  " + draw(st.sampled_from(_COMMENTS)))
    if draw(st.booleans()):
        inner = draw(st.sampled_from(_TRICKY_VALUES))
        child = draw(st.sampled_from(["lifecycle", "validation", "backend \"oss\"", "dynamic \"x\""]))
        lines.append(f"  {child} {{\n    c = {inner}\n  }}")
    if not lines and draw(st.booleans()):
        return f"{header} {{}}"
    return header + " {\n" + "\n".join(lines) + "\n}"


@st.composite
def _file(draw: st.DrawFn) -> str:
    parts = []
    for n in range(draw(st.integers(min_value=1, max_value=6))):
        if draw(st.booleans()):
            parts.append(draw(st.sampled_from(_COMMENTS)))
        parts.append(draw(_block(n)))
    text = "\n\n".join(parts) + "\n"
    return text.replace("\n", "\r\n") if draw(st.booleans()) else text


@SETTINGS
@given(_file())
def test_structure_matches_lark_on_generated_files(text: str) -> None:
    try:
        expected = _lark_blocks(text)
    except HclSyntaxError:
        return  # a combination python-hcl2 refuses: nothing to compare
    assert _scanned(text) == expected


@SETTINGS
@given(_file())
def test_selective_read_matches_full_parse_on_generated_files(text: str) -> None:
    try:
        full = parse_hcl(text)
    except HclSyntaxError:
        return
    _, blocks, comments, shallow = parse_hcl(text, read_plan)
    unread = read_plan(scan_structure(text), text).unread
    by_start = {b.start: b for b in full[1]}
    for mine in blocks:
        theirs = by_start[mine.start]
        theirs.blocks = [c for c in theirs.blocks if not any(s <= c.start < e for s, e in unread)]
        assert _shape(mine) == _shape(theirs)
    assert comments == full[2]
    assert len(blocks) + len(shallow) == len(full[1])


def test_a_comment_ending_in_braces_is_never_read_as_a_block() -> None:
    """Regression: the block expression could backtrack into a comment line before a block it
    could not match whole (here one with a heredoc) and read `件 {不要删除}` as a block."""
    text = ('# 导出文件 {不要删除}\nresource "alicloud_kms_key" "k" {\n  policy = <<EOT\n{}\nEOT\n}\n')
    assert _scanned(text) == _lark_blocks(text)
    assert [b.labels for b in scan_structure(text)] == [("alicloud_kms_key", "k")]


def test_lines_and_suppressions_after_skipped_blocks_are_exact() -> None:
    vpcs = "".join(f'resource "alicloud_vpc" "v{i}" {{\n  cidr_block = "10.{i}.0.0/16"\n}}\n\n' for i in range(50))
    text = vpcs + '# tfkms:ignore TFKMS102 accepted\nresource "alicloud_kms_key" "k" {\n  description = "k"\n}\n'
    _, blocks, comments, shallow = parse_hcl(text, read_plan)
    full = parse_hcl(text)
    assert [_shape(b) for b in blocks] == [_shape(b) for b in full[1] if b.labels[0] == "alicloud_kms_key"]
    assert comments == full[2] == [(201, "# tfkms:ignore TFKMS102 accepted")]
    assert len(shallow) == 50 and shallow[49] == ("resource", ("alicloud_vpc", "v49"), 197)


def test_what_is_read_in_full() -> None:
    text = "\n".join([
        'resource "alicloud_vpc" "plain" {\n  cidr_block = "10.0.0.0/8"\n}',
        'resource "alicloud_db_account" "db" {\n  account_password = "hunter2"\n}',  # a secret: its span is needed
        'resource "alicloud_instance" "i" {\n  x = alicloud_kms_key.k.primary_key_version\n}',  # TFKMS108 reads it
        'resource "alicloud_ecs_disk" "d" {\n  kms_key_id = alicloud_kms_key.k.id\n}',  # names a KMS resource
        'output "key" {\n  value = alicloud_kms_key.k.id\n}',  # slim_unrelated never reads it
        'output "version" {\n  value = alicloud_kms_key.k.primary_key_version\n}',
        'resource "alicloud_oos_secret_parameter" "p" {\n  value = "s"\n}',  # a protected type
        'variable "v" {\n  default = 1\n\n  validation {\n    condition     = var.v > 0\n'
        '    error_message = "no"\n  }\n}',
    ]) + "\n"
    _, blocks, _, shallow = parse_hcl(text, read_plan)
    assert [b.labels[-1] for b in blocks] == ["db", "i", "d", "version", "p", "v"]
    assert [labels for _, labels, _ in shallow] == [("alicloud_vpc", "plain"), ("key",)]
    variable = blocks[-1]
    assert list(variable.attributes) == ["default"] and variable.blocks == []  # validation never read
    source = parse_source(Path("main.tf"), "main.tf", text)
    masked = [text[s:e] for s, e in redacted_spans(source)]
    assert masked == ['"hunter2"', '"s"']


def test_a_kms_name_in_text_is_no_reference_but_one_in_code_or_a_template_is() -> None:
    """A resource naming a KMS resource is read in full, unless every mention sits where no
    reference can be: a comment, a label, or a string or heredoc without templates."""
    bodies = {
        "comment": '  # moved from alicloud_kms_key.old\n  cidr_block = "10.0.0.0/8" // alicloud_kms_key.k\n',
        "string": '  description = "was encrypted by alicloud_kms_key.k"\n',
        "heredoc": '  description = <<EOT\nresource "alicloud_kms_key" "inside" {\n}\nEOT\n',
        "code": '  kms_key_id = alicloud_kms_key.k.id\n',
        "template": '  description = "key ${alicloud_kms_key.k.id}"\n',
        "heredoc_template": '  description = <<EOT\nkey: ${alicloud_kms_key.k.id}\nEOT\n',
        "nested": '  tags = {\n    key = lookup(var.m, "x", alicloud_kms_key.k.arn)\n  }\n',
    }
    text = "# alicloud_kms_key between blocks is a comment\n\n" + "".join(
        f'resource "alicloud_vpc" "{name}" {{\n{body}}}\n\n' for name, body in bodies.items())
    text += 'resource "alicloud_vpc" "alicloud_kms_label" {\n  cidr_block = "10.1.0.0/16"\n}\n'
    _, blocks, _, shallow = parse_hcl(text, read_plan)
    assert [b.labels[1] for b in blocks] == ["code", "template", "heredoc_template", "nested"]
    assert [labels[1] for _, labels, _ in shallow] == ["comment", "string", "heredoc", "alicloud_kms_label"]


def test_an_error_in_a_block_tfkms_does_not_read_is_not_reported() -> None:
    text = 'resource "alicloud_vpc" "v" {\n  cidr_block = = "x"\n}\n\nresource "alicloud_kms_key" "k" {\n}\n'
    with pytest.raises(HclSyntaxError):
        parse_hcl(text)  # Lark on the whole file refuses it
    source = parse_source(Path("main.tf"), "main.tf", text)
    assert [b.labels for b in source.blocks] == [["alicloud_kms_key", "k"]]


def test_an_error_in_a_block_tfkms_reads_names_its_line() -> None:
    vpcs = "".join(f'resource "alicloud_vpc" "v{i}" {{\n  cidr_block = "x"\n}}\n\n' for i in range(30))
    text = vpcs + 'resource "alicloud_kms_key" "k" {\n  description = = "k"\n}\n'
    with pytest.raises(InputFileError) as raised:
        parse_source(Path("main.tf"), "main.tf", text)
    assert raised.value.problem.line == 122 == parse_hcl_line(text)


def parse_hcl_line(text: str) -> int | None:
    try:
        parse_hcl(text)
    except HclSyntaxError as exc:
        return exc.line
    return None


@pytest.mark.parametrize(("broken", "line", "message"), [
    ('resource "alicloud_vpc" "b" {\n  cidr_block = "x"\n', 1, "unclosed"),  # where it opens
    ('resource "alicloud_vpc" "b" {\n  name = "no end\n}\n', 2, "unterminated string"),
    ('resource "alicloud_vpc" "b" {\n  d = <<EOT\n  text\n}\n', 2, "unterminated heredoc"),
    ('resource "alicloud_vpc" "b" {\n} resource "x" "y" {\n}\n', 2, "followed by a newline"),
])
def test_a_big_file_whose_structure_cannot_be_read_is_an_error_at_its_line(broken: str, line: int,
                                                                          message: str) -> None:
    filler = 'resource "alicloud_vpc" "f" {\n  cidr_block = "10.0.0.0/8"\n}\n\n'
    count = FULL_PARSE_LIMIT // len(filler) + 1
    text = filler * count + broken
    with pytest.raises(InputFileError) as raised:
        parse_source(Path("main.tf"), "main.tf", text)
    assert raised.value.problem.line == 4 * count + line
    assert message in raised.value.problem.message


def test_a_small_file_whose_structure_cannot_be_read_gets_lark_s_message() -> None:
    text = 'resource "alicloud_kms_key" "k" {\n  description = "k"\n'
    with pytest.raises(StructureError):
        scan_structure(text)
    with pytest.raises(InputFileError) as raised:
        parse_source(Path("main.tf"), "main.tf", text)
    assert raised.value.problem.message == "unexpected end of file (unclosed block, string or heredoc?)"


def test_top_level_arguments_are_parsed_whole() -> None:
    with pytest.raises(TopLevelArgument):
        scan_structure('a = 1\nresource "alicloud_vpc" "v" {\n}\n')
    source = parse_source(Path("main.tf"), "main.tf", 'a = 1\nresource "alicloud_vpc" "v" {\n}\n')
    assert list(source.attributes) == ["a"] and source.shallow == []


def test_duplicate_declarations_among_skipped_blocks_are_still_found(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "alicloud_kms_key" "k" {\n}\n\nresource "alicloud_vpc" "v" {\n}\n')
    (tmp_path / "more.tf").write_text('resource "alicloud_vpc" "v" {\n  cidr_block = "x"\n}\n')
    result = subprocess.run([sys.executable, "-m", "tfkms", "check", str(tmp_path), "--format", "text",
                             "--no-cache"], capture_output=True, text=True, cwd=tmp_path)
    assert "more.tf:1" in result.stdout + result.stderr
    assert 'duplicate resource "alicloud_vpc" configuration' in result.stderr and "main.tf:4" in result.stderr


def test_a_valid_file_of_40000_resources_beside_a_kms_key_is_read(tmp_path: Path) -> None:
    """The issue's case: before the two-stage read this file was skipped after 10 s (exit 1)."""
    block = ('resource "alicloud_vpc" "v{i}" {{\n  vpc_name   = "vpc-${{var.env}}-{i}"\n'
             '  cidr_block = "10.0.0.0/16"\n}}\n\n')
    (tmp_path / "main.tf").write_text("".join(block.format(i=i) for i in range(40_000)))
    (tmp_path / "kms.tf").write_text('resource "alicloud_kms_key" "k" {\n  description = "k"\n}\n')
    result = subprocess.run([sys.executable, "-m", "tfkms", "check", str(tmp_path), "--format", "json",
                             "--no-cache"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert '"address": "alicloud_kms_key.k"' in result.stdout and '"errors": []' in result.stdout


@pytest.mark.parametrize("header", ['resource "a"\t" b "', 'resource "a" " b"', 'resource a b', 'resource "a" b',
                                    'resource"a""b"', 'locals', 'data "a" "\\u0062"'])
def test_labels_are_read_as_lark_reads_them(header: str) -> None:
    text = f'{header} {{\n  x = 1\n}}\n'
    assert _scanned(text) == _lark_blocks(text)
