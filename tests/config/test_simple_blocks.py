"""`variable` and `provider` blocks with simple bodies are read without Lark (tfkms.config.simple_blocks).

What must hold: such a block comes back exactly as Lark reads it (spans, lines, value texts), its
values evaluate as before, a file made only of such blocks and shallow ones never loads Lark at
all, and anything the reader does not take (a comment, a heredoc, a template, a multi-line value,
a duplicate argument, an error) goes to Lark, which reads or reports it as it always has. The
corpus- and hypothesis-wide equivalence with a full parse is in test_two_stage_read.py.
"""
from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tfkms.config.block_scope import read_plan
from tfkms.config.evaluator import evaluate
from tfkms.config.hcl_parser import HclSyntaxError, parse_expression, parse_hcl, reparse_node
from tfkms.config.hcl_structure import scan_structure
from tfkms.config.simple_blocks import read_simple_blocks
from tfkms.config.simple_values import VALUE, simple_tree
from tfkms.config.syntax import Block

REPO = Path(__file__).resolve().parents[2]

VARIABLES = textwrap.dedent('''\
    variable "region" {
      description = "Region of the stack: see https://example.com/#regions (100% \\"kept\\")."
      type        = string
      default     = "cn-hangzhou"

      validation {
        condition     = contains(["cn-hangzhou", "cn-shanghai"], var.region)
        error_message = "Unsupported region."
      }
    }

    variable "count_of" {
      type    = number
      default = -3.5
    }

    variable "names" {
      type      = list(string)
      default   = ["a", "b\\tc"]
      sensitive = false
      nullable  = true
    }

    variable "tags" {
      type    = map(list(string))
      default = {}
    }

    provider "alicloud" {
      alias  = "dr"
      region = var.region
    }
    ''')


def _simple(text: str) -> dict[int, Block]:
    found = scan_structure(text)
    plan = read_plan(found, text)
    return read_simple_blocks(text, found, plan.shallow, plan.unread, reparse_node)


def _shape(block: Block) -> tuple[object, ...]:
    return (block.type, tuple(block.labels), block.start, block.end, block.line, block.end_line,
            block.open_brace, block.close_brace,
            tuple((a.name, a.start, a.end, a.line, a.end_line, a.expr.start, a.expr.end, a.expr.line,
                   a.expr.end_line, a.expr.text, a.expr.heredoc) for a in block.attributes.values()),
            tuple(_shape(child) for child in block.blocks))


def _lark_shapes(text: str) -> list[tuple[object, ...]]:
    """What Lark reads of the same file, a variable's `validation` left out as tfkms always does."""
    blocks = parse_hcl(text)[1]
    for block in blocks:
        block.blocks = [child for child in block.blocks if child.type != "validation"]
    return [_shape(block) for block in blocks]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_simple_bodies_read_exactly_as_lark_reads_them(newline: str) -> None:
    text = VARIABLES.replace("\n", newline)
    assert sorted(_simple(text)) == [0, 1, 2, 3, 4]  # every block is simple
    _, blocks, comments, shallow = parse_hcl(text, read_plan)
    assert [_shape(b) for b in blocks] == _lark_shapes(text)
    assert comments == [] and shallow == []
    assert blocks[0].attributes["default"].line == 4 and blocks[4].attributes["region"].end_line == 31


def test_detached_values_evaluate_as_before() -> None:
    blocks = parse_hcl(VARIABLES, read_plan)[1]
    assert all(a.expr.detached and a.expr.node is None for b in blocks for a in b.attributes.values())
    defaults = [evaluate(b.attributes["default"].expr) for b in blocks if "default" in b.attributes]
    assert defaults == ["cn-hangzhou", -3.5, ["a", "b\tc"], {}]
    assert evaluate(blocks[4].attributes["alias"].expr) == "dr"


@pytest.mark.parametrize("body", [
    '  default = "a" # a comment\n',  # comments may carry tfkms:ignore: Lark collects them
    '  # a comment line\n  default = "a"\n',
    '  default = <<EOT\n  text\n  EOT\n',  # a heredoc
    '  default = "${var.x}"\n',  # a template
    '  default = "$${literal}"\n',
    '  default = "\\u00e9"\n',  # an escape outside the few taken
    '  default = [\n    "a",\n  ]\n',  # a multi-line value
    '  default = { a = 1 }\n',
    '  default = 1 + 2\n',
    '  default = var.list[0]\n',
    '  default = upper("a")\n',
    '  default = for\n',  # a keyword: Lark decides
    '  default = 1.5.3\n',
    '  type = string\n  type = number\n',  # a duplicate argument: Lark names it
    '  dynamic "x" {\n    a = 1\n  }\n',  # a nested block tfkms reads
])
def test_anything_else_goes_to_lark(body: str) -> None:
    text = 'variable "v" {\n' + body + '}\n'
    assert _simple(text) == {}


def test_a_one_line_or_empty_block_goes_to_lark() -> None:
    assert _simple('variable "v" { default = 1 }\n') == {}
    assert _simple('variable "v" {}\n') == {}
    assert _simple('variable "v" {\n}\n')[0].attributes == {}


@pytest.mark.parametrize(("body", "line", "message"), [
    ('  type = string\n  type = number\n', 7, "duplicate argument 'type'"),
    ('  description = "ok"\n  default = 1 +\n', 8, None),
])
def test_errors_in_a_block_that_looks_simple_are_reported_by_lark_at_their_line(
        body: str, line: int, message: str | None) -> None:
    text = 'variable "ok" {\n  default = 1\n}\n\nvariable "v" {\n' + body + '}\n'
    with pytest.raises(HclSyntaxError) as raised:
        parse_hcl(text, read_plan)
    assert raised.value.line == line
    if message is not None:
        assert raised.value.message == message


def test_a_file_of_simple_and_shallow_blocks_never_loads_lark(tmp_path: Path) -> None:
    vpcs = "".join(f'resource "alicloud_vpc" "v{i}" {{\n  cidr_block = "10.{i}.0.0/16"\n}}\n\n' for i in range(20))
    path = tmp_path / "main.tf"
    path.write_text("# generated\n" + VARIABLES + "\n" + vpcs, encoding="utf-8")
    code = textwrap.dedent(f'''
        import sys
        from pathlib import Path
        from tfkms.config.files import parse_source
        path = Path({str(path)!r})
        source = parse_source(path, "main.tf", path.read_text(encoding="utf-8"))
        assert [b.type for b in source.blocks] == ["variable"] * 4 + ["provider"], source.blocks
        assert len(source.shallow) == 20 and source.shallow[0][2] == 35, source.shallow[:1]
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("lark", "hcl2")))
    ''')
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_suppression_comment_between_simple_blocks_is_still_collected() -> None:
    text = VARIABLES.replace('variable "tags"', '# tfkms:ignore TFKMS102 reviewed\nvariable "tags"')
    _, blocks, comments, _ = parse_hcl(text, read_plan)
    assert comments == parse_hcl(text)[2] == [(24, "# tfkms:ignore TFKMS102 reviewed")]
    assert [_shape(b) for b in blocks] == _lark_shapes(text)


def test_the_big_generated_file_is_read_without_lark(tmp_path: Path) -> None:
    """bench/gen_big_file.py's main.tf (here 1,000 VPCs, one quoting a KMS block in a heredoc):
    variables read here, VPCs shallow, nothing for Lark, in the process that reads it."""
    code = textwrap.dedent(f'''
        import sys
        sys.path.insert(0, {str(REPO / "bench")!r})
        from pathlib import Path
        import gen_big_file
        from tfkms.config.files import parse_source
        gen_big_file.generate(Path({str(tmp_path)!r}), resources=1000, seed=0)
        path = Path({str(tmp_path / "main.tf")!r})
        source = parse_source(path, "main.tf", path.read_text(encoding="utf-8"))
        assert [b.type for b in source.blocks] == ["variable", "variable"], source.blocks
        assert len(source.shallow) == 1000
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("lark", "hcl2")))
    ''')
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


_VALUES = ['"a b"', '"tab\\there"', '""', '"100%"', '"a$"', '"x\\\\y"', '"é\\n"', '"say \\"hi\\""', "3", "007",
           "true", "false", "null", "string", "var.region", "data.alicloud_zones.z.ids", '["a", "b"]', '[""]', "[]"]


def test_simple_trees_are_exactly_the_trees_lark_gives() -> None:
    """Re-parsing a detached simple value builds python-hcl2's tree by hand; it must equal Lark's
    (data, children and token types) for every value of every simple block in the corpus."""
    values = set(_VALUES)
    for path in sorted((REPO / "tests").rglob("*.tf")) + sorted((REPO / "fixtures").rglob("*.tf")):
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            blocks = _simple(text)
        except Exception:  # noqa: BLE001 - a file the structural pass refuses has no simple block
            continue
        values.update(a.expr.text for block in blocks.values() for a in block.attributes.values())
    built = 0
    for value in sorted(values):
        tree = simple_tree(value)
        if tree is not None:
            built += 1
            assert tree == parse_expression(value).node, value
    assert built > 60


@pytest.mark.parametrize("value", ["-3", "1.5", "list(string)", "{}", "upper(x)", '"${x}"', '"$${x}"', '"\\u00e9"',
                                   "a-b", "for", '["a",  "b"]', "var.x[0]",
                                   "var.null", "var.true", "null.x", "false.y"])
def test_other_values_are_left_to_lark(value: str) -> None:
    assert simple_tree(value) is None


_PIECES = ["a", "Z", " ", "é", "数", "$", "%", "{", "}", "$$", "%%", "\\n", "\\t", '\\"', "\\\\", "\\u00e9", "#", "//"]
_NAMES = ["var", "local", "region", "string", "x_1", "true", "false", "null", "for", "in", "a-b", "each"]


@st.composite
def _value(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["string", "number", "name", "traversal", "list", "type"]))
    if kind == "string":
        return '"' + "".join(draw(st.lists(st.sampled_from(_PIECES), max_size=6))) + '"'
    if kind == "number":
        return draw(st.sampled_from(["0", "7", "007", "-3", "1.5", "-2.25", "10"]))
    if kind == "name":
        return draw(st.sampled_from(_NAMES))
    if kind == "traversal":
        return ".".join(draw(st.lists(st.sampled_from(_NAMES), min_size=2, max_size=4)))
    if kind == "type":
        return draw(st.sampled_from(["list", "map", "set"])) + "(" + draw(st.sampled_from(_NAMES)) + ")"
    items = draw(st.lists(st.sampled_from(['"a"', '""', '"b c"', '"$x"', '"${x}"']), max_size=3))
    return "[" + draw(st.sampled_from([", ", ","])).join(items) + "]"


@settings(max_examples=400, deadline=None)
@given(_value())
def test_every_value_taken_is_valid_and_every_tree_built_is_larks(value: str) -> None:
    """What the block reader takes, Lark parses; what simple_tree builds, Lark builds too."""
    parsed = parse_expression(value)
    if re.fullmatch(VALUE, value):
        assert parsed is not None, value
    tree = simple_tree(value)
    if tree is not None:
        assert parsed is not None and tree == parsed.node, value
