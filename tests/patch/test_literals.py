"""The one writer of literals tfkms puts into HCL and .tf.json, judged by real Terraform.

For each hostile string (template introducers, their escapes, quotes, backslashes, control
characters, non-ASCII), what tfkms writes must be, as Terraform reads it, exactly that string:
as a value (`terraform console`), as a map key (`keys`, `lookup`), as the key a for_each instance
is looked up by (`each.key` in a plan), and in .tf.json (a template there too, but not in a
variable default or a .tfvars.json entry, which Terraform reads as data).
"""
from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from standin import Terraform

from tfkms.patch.json_edits import json_value
from tfkms.patch.literals import PlainJSON, by_count_index, by_each_key, by_workspace, hcl_string, literal_value

HOSTILE = [
    "${x}", "${path.cwd}", "$${path.cwd}", "$$${x}", "%{ if true }y%{ endif }", "%%{x}", "${", "%{", "$", "%",
    "}", "a$b{c}", "$ {x}", "\\${x}", 'say "hi"', "back\\slash\\", "\\n", "line\nbreak", "cr\rtab\t",
    "\x01\x1b[31mred\x7f", "\x00nul", "\x08\x0c", "\x85\u2028\u2029\ufeff", "ü 日本語", "emoji 😀🚀", "", " ",
    "kst-${var.db_password}", "kst-hzz65f176a0ogplgq4ehe",
]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _console(terraform: Terraform, work: Path, expr: str) -> object:
    """The JSON value of `expr` in the configuration at `work`, as Terraform computes it."""
    done = terraform.run(["console", "-no-color"], work, stdin=f"base64encode(jsonencode({expr}))\n")
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip().splitlines()[-1]
    return json.loads(base64.b64decode(line.strip('"')))


def test_hcl_string_is_the_value_terraform_reads(terraform: Terraform, tmp_path: Path) -> None:
    literals = "".join(f"    {hcl_string(s)},\n" for s in HOSTILE)
    (tmp_path / "main.tf").write_text(f"locals {{\n  v = [\n{literals}  ]\n}}\n", encoding="utf-8")
    terraform.assert_parses([tmp_path / "main.tf"])
    assert _console(terraform, tmp_path, "local.v") == HOSTILE


def test_one_literal_per_local(terraform: Terraform, tmp_path: Path) -> None:
    """`locals { v = <literal> }`, one string at a time (what a written attribute looks like)."""
    body = "".join(f"  v{i} = {hcl_string(s)}\n" for i, s in enumerate(HOSTILE))
    (tmp_path / "main.tf").write_text(f"locals {{\n{body}}}\n", encoding="utf-8")
    got = _console(terraform, tmp_path, "[" + ", ".join(f"local.v{i}" for i in range(len(HOSTILE))) + "]")
    assert got == HOSTILE


def _map_of(lookup_text: str, key_expr: str) -> str:
    """The map literal inside `lookup(MAP, key_expr, null)` as by_each_key/by_count_index write it."""
    head, tail = "lookup(", f", {key_expr}, null)"
    assert lookup_text.startswith(head) and lookup_text.endswith(tail), lookup_text
    return lookup_text[len(head):-len(tail)]


def test_map_keys_are_the_keys_terraform_sees(terraform: Terraform, tmp_path: Path) -> None:
    values = {s: f"kst-v{i}" for i, s in enumerate(HOSTILE)}
    mapping = _map_of(by_each_key(values), "each.key")
    lookups = "".join(f'    lookup(local.m, base64decode("{_b64(s)}"), null),\n' for s in HOSTILE)
    (tmp_path / "main.tf").write_text(f"locals {{\n  m = {mapping}\n  found = [\n{lookups}  ]\n}}\n",
                                      encoding="utf-8")
    terraform.assert_parses([tmp_path / "main.tf"])
    assert sorted(_console(terraform, tmp_path, "keys(local.m)")) == sorted(HOSTILE)  # type: ignore[type-var]
    assert _console(terraform, tmp_path, "local.found") == [values[s] for s in HOSTILE]


def test_one_key_lookup_and_workspace_and_count(terraform: Terraform, tmp_path: Path) -> None:
    one = {"${path.cwd}": "kst-a"}
    ws = by_workspace({"$${x}": "kst-b", "default": "%{ if }"}, hcl_string("${fallback}"))
    count = by_count_index({0: "kst-${x}", 2: None}).replace("count.index", "0")
    (tmp_path / "main.tf").write_text(
        "locals {\n"
        f"  one   = {_map_of(by_each_key(one), 'each.key')}\n"
        f"  ws    = {ws}\n"
        f"  count = {count}\n"
        "}\n", encoding="utf-8")
    assert _console(terraform, tmp_path, "local.one") == one
    assert _console(terraform, tmp_path, "local.ws") == "%{ if }"  # the console runs in workspace default
    assert _console(terraform, tmp_path, "local.count") == "kst-${x}"


def test_for_each_keys_in_a_plan(terraform: Terraform, tmp_path: Path) -> None:
    """The real each.key of a for_each instance (keys from base64: never written by tfkms) finds its
    value in the lookup tfkms writes."""
    keys = [s for s in HOSTILE if s]  # for_each keys may be any string; "" is valid too but keep it simple
    values = {s: f"kst-v{i}" for i, s in enumerate(keys)}
    text = by_each_key(values)
    (tmp_path / "main.tf").write_text(
        'resource "terraform_data" "t" {\n'
        f'  for_each = toset(jsondecode(base64decode("{_b64(json.dumps(keys))}")))\n'
        f"  input    = {text}\n"
        "}\n", encoding="utf-8")
    assert terraform.run(["init", "-input=false", "-no-color"], tmp_path).returncode == 0
    planned = terraform.run(["plan", "-input=false", "-no-color", "-out=tfplan"], tmp_path)
    assert planned.returncode == 0, planned.stdout + planned.stderr
    shown = json.loads(terraform.run(["show", "-json", "tfplan"], tmp_path).stdout)
    inputs = {c["index"]: c["change"]["after"]["input"] for c in shown["resource_changes"]}
    assert inputs == values


def test_tf_json_strings_are_templates_and_escaped(terraform: Terraform, tmp_path: Path) -> None:
    items = ", ".join(json_value(s) for s in HOSTILE)
    (tmp_path / "main.tf.json").write_text('{"locals": {"v": [' + items + "]}}\n", encoding="utf-8")
    assert _console(terraform, tmp_path, "local.v") == HOSTILE


def test_tf_json_data_is_not_template_escaped(terraform: Terraform, tmp_path: Path) -> None:
    """A variable default and a .tfvars.json entry are read as data: written as they are."""
    defaults = ", ".join(f'"d{i}": {{"default": {json_value(PlainJSON(s))}}}' for i, s in enumerate(HOSTILE))
    given = ", ".join(f'"g{i}": {{"type": "string"}}' for i in range(len(HOSTILE)))
    (tmp_path / "main.tf.json").write_text('{"variable": {' + defaults + ", " + given + "}}\n", encoding="utf-8")
    (tmp_path / "terraform.tfvars.json").write_text(
        "{" + ", ".join(f'"g{i}": {json_value(PlainJSON(s))}' for i, s in enumerate(HOSTILE)) + "}\n",
        encoding="utf-8")
    n = len(HOSTILE)
    assert _console(terraform, tmp_path, "[" + ", ".join(f"var.d{i}" for i in range(n)) + "]") == HOSTILE
    assert _console(terraform, tmp_path, "[" + ", ".join(f"var.g{i}" for i in range(n)) + "]") == HOSTILE


@pytest.mark.parametrize("value", [*HOSTILE, None, True, 7])
def test_literal_value_inverts_hcl_string(value: object) -> None:
    assert literal_value(hcl_string(value)) == value


@pytest.mark.parametrize("text", ['lookup({ "a" = "b" }, each.key, null)', '"a" + "b"', '"${x}"', '"a\nb"',
                                  '"\\b"', "var.x", '"unterminated'])
def test_literal_value_refuses_what_the_writer_never_writes(text: str) -> None:
    with pytest.raises(ValueError):
        literal_value(text)


def test_no_raw_control_character_or_bare_introducer() -> None:
    for s in HOSTILE:
        text = hcl_string(s)
        assert not any(ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f for c in text), text
        assert "\\b" not in text.replace("\\\\", "") and "\\f" not in text.replace("\\\\", "")
