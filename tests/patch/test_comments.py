"""Issue 13: a new line must be live code. Insertions next to comments, lists read as tokens,
one-line blocks expanded fmt-clean, the re-parse check as strict as Terraform's parser, and a
refused verification reported (TFKMS204), never "fixed". Real python-hcl2, real `terraform fmt`."""
from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from standin import Terraform
from standin.states import INSTANCE, secret_attrs, state
from typer.testing import CliRunner

from tfkms.config.files import parse_source
from tfkms.config.syntax import Block, SourceFile
from tfkms.patch import hcl_edits
from tfkms.patch.apply import PatchRefused, build_patch
from tfkms.patch.lexer import code_line_start, list_elements, structure_problems


def _source(text: str) -> SourceFile:
    return parse_source(Path("main.tf"), "main.tf", text)


def add_dkms(source: SourceFile, block: Block) -> list:
    return hcl_edits.insert_attribute(source, block, "dkms_instance_id", '"kst-1"')


def ignore_dkms(source: SourceFile, block: Block) -> list:
    return hcl_edits.add_ignore_changes(source, block, ["dkms_instance_id"])


CASES: dict[str, tuple[Callable[[SourceFile, Block], list], str, str]] = {
    "comment from the last attribute past a nested block's brace": (add_dkms, '''\
resource "alicloud_kms_secret" "s" {
  secret_name = "a"
  version_id  = "v1" /* rotation is off for now:
  rotation {
    interval = "30d"
  } */
}
''', '''\
resource "alicloud_kms_secret" "s" {
  secret_name = "a"
  version_id  = "v1" /* rotation is off for now:
  rotation {
    interval = "30d"
  } */

  dkms_instance_id = "kst-1"
}
'''),
    "comment after the last attribute, then a live nested block": (add_dkms, '''\
resource "alicloud_kms_secret" "s" {
  secret_name = "a"
  version_id  = "v1" /* old tags:
  tags = {
    a = "b"
  } */

  lifecycle {
    ignore_changes = [secret_data]
  }
}
''', '''\
resource "alicloud_kms_secret" "s" {
  secret_name = "a"
  version_id  = "v1" /* old tags:
  tags = {
    a = "b"
  } */

  dkms_instance_id = "kst-1"

  lifecycle {
    ignore_changes = [secret_data]
  }
}
'''),
    "a block whose only content is a comment from the brace line": (add_dkms, '''\
resource "alicloud_kms_key" "k" { /* all defaults
  on purpose */
}
''', '''\
resource "alicloud_kms_key" "k" { /* all defaults
  on purpose */
  dkms_instance_id = "kst-1"
}
'''),
    "a comment on its own lines that ends on the closing brace's line": (add_dkms, '''\
resource "alicloud_kms_key" "k" {
  /* nothing set here
  on purpose */ }
''', '''\
resource "alicloud_kms_key" "k" {
  dkms_instance_id = "kst-1"
  /* nothing set here
  on purpose */ }
'''),
    "a block comment from the open brace to the closing brace": (add_dkms, '''\
resource "alicloud_kms_key" "k" { /* all
  defaults */ }
''', '''\
resource "alicloud_kms_key" "k" { /* all
  defaults */
  dkms_instance_id = "kst-1"
}
'''),
    "prevent_destroy with a comment spanning the next line": (ignore_dkms, '''\
resource "alicloud_kms_secret" "s" {
  secret_name = "a"

  lifecycle {
    prevent_destroy = true /* the rotator owns it:
    ignore_changes  = [secret_data] */
  }
}
''', '''\
resource "alicloud_kms_secret" "s" {
  secret_name = "a"

  lifecycle {
    prevent_destroy = true /* the rotator owns it:
    ignore_changes  = [secret_data] */
    ignore_changes  = [dkms_instance_id]
  }
}
'''),
    "trailing comma then a block comment in the list": (ignore_dkms, '''\
resource "alicloud_kms_secret" "s" {
  lifecycle {
    ignore_changes = [
      tags, /* legacy: owner
      and team */
    ]
  }
}
''', '''\
resource "alicloud_kms_secret" "s" {
  lifecycle {
    ignore_changes = [
      tags, /* legacy: owner
      and team */
      dkms_instance_id,
    ]
  }
}
'''),
    "a comma inside a trailing # comment": (ignore_dkms, '''\
resource "alicloud_kms_secret" "s" {
  lifecycle {
    ignore_changes = [tags # owner, team
    ]
  }
}
''', '''\
resource "alicloud_kms_secret" "s" {
  lifecycle {
    ignore_changes = [tags, # owner, team
      dkms_instance_id
    ]
  }
}
'''),
    "commas inside a one-line list's comment": (ignore_dkms, '''\
resource "alicloud_kms_secret" "s" {
  lifecycle {
    ignore_changes = [tags /* a, b */]
  }
}
''', '''\
resource "alicloud_kms_secret" "s" {
  lifecycle {
    ignore_changes = [tags, dkms_instance_id /* a, b */]
  }
}
'''),
    "trailing comma and comment, bracket on the same line": (ignore_dkms, '''\
resource "alicloud_kms_secret" "s" {
  lifecycle {
    ignore_changes = [
      tags, /* x */ ]
  }
}
''', '''\
resource "alicloud_kms_secret" "s" {
  lifecycle {
    ignore_changes = [
      tags, dkms_instance_id, /* x */ ]
  }
}
'''),
    "an empty one-line block": (add_dkms, '''\
resource "alicloud_kms_key" "k" {}
''', '''\
resource "alicloud_kms_key" "k" {
  dkms_instance_id = "kst-1"
}
'''),
    "a one-line block with an argument is aligned": (add_dkms, '''\
resource "alicloud_kms_secret" "s" { secret_name = "x" }
''', '''\
resource "alicloud_kms_secret" "s" {
  secret_name      = "x"
  dkms_instance_id = "kst-1"
}
'''),
    "a one-line block gets a lifecycle": (ignore_dkms, '''\
resource "alicloud_kms_secret" "s" { secret_name = "x" }
''', '''\
resource "alicloud_kms_secret" "s" {
  secret_name = "x"

  lifecycle {
    ignore_changes = [dkms_instance_id]
  }
}
'''),
}


@pytest.mark.parametrize("name", list(CASES))
def test_edit_lands_in_code(name: str, tmp_path: Path, terraform: Terraform) -> None:
    op, before, expected = CASES[name]
    source = _source(before)
    patch, problem = build_patch(source, op(source, source.blocks[0]))
    assert problem is None, problem
    assert patch is not None and patch.patched == expected
    path = tmp_path / "main.tf"
    path.write_text(before)
    was_clean = terraform.fmt_clean(path)
    path.write_text(expected)
    terraform.assert_parses([path])
    if was_clean:
        assert terraform.fmt_clean(path), terraform.fmt_diff(path)
    again = _source(expected)  # what Terraform sees: the new attribute or entry is live code
    if op is add_dkms:
        attr = again.blocks[0].attributes.get("dkms_instance_id")
        assert attr is not None and attr.expr.text == '"kst-1"', "the new line is not live code"
    else:
        assert op(again, again.blocks[0]) == [], "a rerun would add it again"


def test_insertion_point_is_after_the_comment() -> None:
    text = 'a = 1 /* x\ny */\nb = 2\n'
    assert code_line_start(text, text.index("1") + 1, len(text)) == text.index("b")
    text = 'a = <<EOT\nx /*\nEOT\nb = "#{"\n'
    assert code_line_start(text, 4, len(text)) == text.index("b")


def test_list_elements_skip_comments() -> None:
    assert list_elements('[tags # owner, team\n]') == ["tags"]
    assert list_elements('[tags, /* a, b */ "x", tags["k"]]') == ["tags", "x", "tags"]
    assert list_elements("all") is None


# ------------------------------------------------------------------ verification refuses


def test_an_edit_inside_a_comment_is_refused() -> None:
    text = 'resource "alicloud_kms_key" "k" {\n  description = "a" /* c\n  d */\n}\n'
    source = _source(text)
    at = text.index("  d */")  # the naive "next line": inside the comment
    expect = hcl_edits.Expectation(source.blocks[0].start, "dkms_instance_id", '"kst-1"')
    edit = hcl_edits._edit(source, at, at, '  dkms_instance_id = "kst-1"\n', expect)
    patch, problem = build_patch(source, [edit])
    assert patch is None and isinstance(problem, PatchRefused), problem
    assert "cannot patch here" in problem.message and "dkms_instance_id" in problem.message


def test_an_ignore_entry_inside_a_comment_is_refused() -> None:
    text = ('resource "alicloud_kms_key" "k" {\n  lifecycle {\n    ignore_changes = [\n'
            '      tags, /* x\n    */\n    ]\n  }\n}\n')
    source = _source(text)
    lifecycle = source.blocks[0].blocks[0]
    at = text.index("    */")
    expect = hcl_edits.Expectation(lifecycle.start, "ignore_changes", names=("dkms_instance_id",))
    edit = hcl_edits._edit(source, at, at, "      dkms_instance_id,\n", expect)
    patch, problem = build_patch(source, [edit])
    assert patch is None and isinstance(problem, PatchRefused) and "would not list dkms_instance_id" in problem.message


# Texts python-hcl2 (and so tfkms's re-parse) accepts and Terraform's parser rejects.
DIVERGENCES = {
    "newline in a quoted string": 'resource "a" "b" {\n  x = "a\nb"\n}\n',
    "two arguments on one line": 'resource "a" "b" {\n  x = 1 y = 2\n}\n',
    "an argument on the brace line of a multi-line block": 'resource "a" "b" { x = 1\n  y = 2\n}\n',
    "two arguments in a single-line block": 'resource "a" "b" { x = 1 y = 2 }\n',
    "an argument after a nested block's brace": 'resource "a" "b" {\n  r {\n  } y = 2\n}\n',
    "a block after a closing brace": 'resource "a" "b" {\n} resource "a" "c" {\n}\n',
    "an argument before the closing brace": 'resource "a" "b" {\n  x = 1 }\n',
    "an invalid escape": 'resource "a" "b" {\n  x = "a\\qb"\n}\n',
}


@pytest.mark.parametrize("name", list(DIVERGENCES))
def test_terraform_rejects_what_python_hcl2_accepts(name: str, tmp_path: Path, terraform: Terraform) -> None:
    text = DIVERGENCES[name]
    _source(text)  # python-hcl2 accepts it
    path = tmp_path / "main.tf"
    path.write_text(text)
    assert terraform.rejects([path]), "Terraform accepts it: not a divergence"
    assert structure_problems(text), "tfkms's structure check misses it"


@pytest.mark.parametrize("name", list(DIVERGENCES))
def test_a_patch_that_writes_a_divergence_is_refused(name: str) -> None:
    text = 'resource "a" "b" {\n  z = 0\n}\n'
    bad = DIVERGENCES[name]
    source = _source(text)
    edit = hcl_edits._edit(source, 0, len(text), bad)
    patch, problem = build_patch(source, [edit])
    assert patch is None and isinstance(problem, PatchRefused) and "Terraform would reject" in problem.message


VALID = '''\
resource "alicloud_kms_key" "k" { description = "one-line" }

resource "alicloud_kms_secret" "s" {
  secret_name = "a-${var.x}-$${literal}-%%{literal}"
  secret_data = <<-EOT
    { "json": "x = 1 y = 2 }" } /* not a comment
  EOT
  tags = { for k, v in var.t : k => v if v != "" }
  note = "${join(",", [
    "a", "b"])}" # interpolation spanning lines
  list = [
    1, 2, # a comma, in a comment
  ]
  text = "\\u00e9\\U0001F600\\t\\"\\\\"
  cond = var.a == 1 ? { a = 1 } : { a = 2 }
  rotation {}
  lifecycle { ignore_changes = [tags] }
  /* a { block } comment */
}
'''


def test_no_false_positives_on_valid_hcl(tmp_path: Path, terraform: Terraform) -> None:
    path = tmp_path / "main.tf"
    path.write_text(VALID)
    terraform.assert_parses([path])
    assert structure_problems(VALID) == []
    for fixture in Path(__file__).parents[1].glob("golden/fix/*/input/**/*.tf"):
        assert structure_problems(fixture.read_text()) == [], fixture


# ------------------------------------------------------------------ end to end: TFKMS204, not "fixed"


def test_refused_verification_is_tfkms204_and_not_resolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tfkms.cli import app
    from tfkms.patch import layout

    golden = Path(__file__).parents[1] / "golden" / "fix" / "comment-after-last-attribute"
    work = shutil.copytree(golden / "input", tmp_path / "input")
    before = {p.name: p.read_bytes() for p in work.glob("*.tf")}
    # The engine's old insertion point ("the start of the next line"): inside the comment.
    monkeypatch.setattr(hcl_edits, "code_line_start", lambda text, offset, limit: layout.next_line_start(text, offset))
    result = CliRunner().invoke(app, ["fix", str(work), "--state", str(golden / "state.tfstate"), "--write",
                                      "--format", "json", "--no-cache"])
    report = json.loads(result.stdout)
    assert result.exit_code == 2, result.output
    assert {p.name: p.read_bytes() for p in work.glob("*.tf")} == before, "a refused patch was written"
    refused = [f for f in report["findings"] if f["rule"] == "TFKMS204"]
    assert refused and all("cannot patch here" in f["message"] for f in refused), report["findings"]
    assert not [f for f in report["findings"] if f.get("resolved")], "a refused fix was reported fixed"
    assert {f["address"] for f in refused} == {"alicloud_kms_secret.api", "alicloud_kms_secret.partner"}


def test_fixed_means_fixed_on_the_rerun(tmp_path: Path) -> None:
    from tfkms.cli import app

    work = tmp_path / "r"
    work.mkdir()
    lock = Path(__file__).parents[1] / "golden" / "fix" / "key-1240-secrets-only" / "input" / ".terraform.lock.hcl"
    shutil.copy(lock, work / ".terraform.lock.hcl")
    (work / "main.tf").write_text(CASES["comment after the last attribute, then a live nested block"][1]
                                  .replace('secret_name = "a"', 'secret_name = "app/db-password"'))
    truth = tmp_path / "s.tfstate"
    truth.write_text(json.dumps(state(("alicloud_kms_secret.s", [(None, secret_attrs())]))))
    first = CliRunner().invoke(app, ["fix", str(work), "--state", str(truth), "--write", "--no-cache"])
    assert first.exit_code == 0, first.output
    assert (work / "main.tf").read_text().count(f'dkms_instance_id = "{INSTANCE}"') == 1
    again = CliRunner().invoke(app, ["fix", str(work), "--state", str(truth), "--no-cache", "--format", "json"])
    assert again.exit_code == 0 and not json.loads(again.stdout).get("patches"), again.output
