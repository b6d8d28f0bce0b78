"""The byte pre-filter (tfkms.config.prefilter) may over-select, never under-select (issue 13).

Property: for files holding a KMS (or other protected) block in any spelling HCL or HCL's JSON
syntax allows (comments before or inside the header, no spaces, unquoted labels, `\\u` escapes, JSON
array forms), a full parse finding such a block implies the pre-filter calls the file relevant; and
for module calls whose `source` is spelled unusually, the scan with the pre-filter gives exactly the
roots and resources of the scan without it.
"""
from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tfkms.config.discover import ConfigDir
from tfkms.config.files import parse_source
from tfkms.config.prefilter import DirBytes
from tfkms.config.scan import build_project
from tfkms.config.syntax import SourceFile
from tfkms.errors import InputFileError
from tfkms.knowledge.forcenew import PROTECTED_TYPES

TYPES = ["alicloud_kms_key", "alicloud_kms_secret", "alicloud_kms_alias", "alicloud_kms_keys", *sorted(PROTECTED_TYPES)]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _declares(source: SourceFile) -> bool:
    return any(b.type in ("resource", "data") and len(b.labels) == 2 and (
        b.labels[0].startswith("alicloud_kms") or b.labels[0] in PROTECTED_TYPES) for b in source.blocks)


def _relevant(name: str, text: str) -> bool:
    """What the pre-filter says of a directory holding only this file."""
    return DirBytes(ConfigDir(Path("."), [name]), files={name: text.encode()}).mentions_kms


def _parse(name: str, text: str) -> SourceFile | None:
    try:
        return parse_source(Path(name), name, text)
    except InputFileError:
        return None  # a file the full parse refuses holds no block for it either


@st.composite
def _escaped(draw: st.DrawFn, word: str, hcl: bool) -> str:
    """`word` with some characters spelled as \\u escapes (and \\U in HCL)."""
    out = []
    for ch in word:
        how = draw(st.sampled_from(["plain"] * 4 + ["u"] + (["U"] if hcl else [])))
        out.append(ch if how == "plain" else f"\\u{ord(ch):04x}" if how == "u" else f"\\U{ord(ch):08x}")
    return "".join(out)


@st.composite
def _hcl_label(draw: st.DrawFn, word: str) -> str:
    how = draw(st.sampled_from(["quoted", "unquoted", "escaped"]))
    if how == "unquoted":
        return word
    return '"' + (draw(_escaped(word, True)) if how == "escaped" else word) + '"'


_SEP = st.sampled_from(["", " ", "  ", "\t", " /* c */ ", "/**/", " /* a\n b */ "])
_LEAD = st.sampled_from(["", "/* b */ ", "/* b */", "  ", "\t", "# c\n", "// c\n", "/* multi\nline */ "])
_NOISE = st.sampled_from([
    "", 'resource "alicloud_vpc" "v" {\n  cidr_block = "10.0.0.0/8"\n}\n',
    "# alicloud_kms_key.platform lives elsewhere\n", 'locals {\n  note = "alicloud_kms_key"\n}\n',
    'output "o" {\n  value = "\\\\u"\n}\n', 'variable "v" {}\n'])
_BODY = st.sampled_from(["{}", "{\n}", '{\n  description = "x"\n}', '{ description = "x" }',
                         '{\n  lifecycle {\n    ignore_changes = [tags]\n  }\n}'])


@st.composite
def hcl_file(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["resource", "data"]))
    header = (draw(_LEAD) + kind + draw(_SEP) + draw(_hcl_label(draw(st.sampled_from(TYPES))))
              + draw(_SEP) + draw(_hcl_label(draw(st.sampled_from(["k", "key_1", "s"])))) + draw(_SEP))
    return draw(_NOISE) + header + draw(_BODY) + "\n" + draw(_NOISE)


def _json_text(value: object, key_spelling: Callable[[str], str], indent: bool) -> str:
    """JSON text whose keys are spelled by key_spelling (possibly escaped)."""
    nl = "\n" if indent else ""
    if isinstance(value, dict):
        inner = f",{nl}".join(f'"{key_spelling(k)}": {_json_text(v, key_spelling, indent)}' for k, v in value.items())
        return "{" + nl + inner + nl + "}"
    if isinstance(value, list):
        return "[" + nl + f",{nl}".join(_json_text(v, key_spelling, indent) for v in value) + nl + "]"
    return json.dumps(value)


@st.composite
def json_file(draw: st.DrawFn) -> str:
    body: dict[str, object] = draw(st.sampled_from([
        {}, {"description": "x"}, {"lifecycle": [{"ignore_changes": ["tags"]}]}, {"description": "alicloud_kms_key"}]))

    def level(value: object) -> object:
        return [value] if draw(st.booleans()) else value

    kind = draw(st.sampled_from(["resource", "data"]))
    resource = level({draw(st.sampled_from(TYPES)): level({draw(st.sampled_from(["k", "s"])): level(body)})})
    doc: dict[str, object] = {kind: resource}
    if draw(st.booleans()):
        doc = {"//": "generated", "variable": {"v": {"default": "alicloud_kms"}}, **doc}
    escape = draw(st.booleans())
    return _json_text(doc, lambda k: draw(_escaped(k, False)) if escape else k, draw(st.booleans())) + "\n"


@SETTINGS
@given(hcl_file())
def test_hcl_kms_block_is_never_filtered_out(text: str) -> None:
    source = _parse("main.tf", text)
    if source is not None and _declares(source):
        assert _relevant("main.tf", text), text


@SETTINGS
@given(json_file())
def test_json_kms_block_is_never_filtered_out(text: str) -> None:
    source = _parse("main.tf.json", text)
    if source is not None and _declares(source):
        assert _relevant("main.tf.json", text), text


@pytest.mark.parametrize(("name", "text"), [
    ("main.tf", '/* b */ resource "alicloud_kms_key" "k" {}\n'),
    ("main.tf", 'resource"alicloud_kms_key" "k" {}\n'),
    ("main.tf", 'resource alicloud_kms_key k {}\n'),
    ("main.tf", 'resource "alicloud\\u005fkms_key" "k" {}\n'),
    ("main.tf", 'resource "\\U00000061licloud_kms_key" "k" {}\n'),
    ("main.tf", 'resource /* c */ "alicloud_kms_key" "k" {}\n'),
    ("main.tf.json", '{"resource": {"alicloud\\u005fkms_key": {"k": {}}}}'),
    ("main.tf.json", '{"resource": [{"alicloud_kms_key": [{"k": [{}]}]}]}'),
    ("main.tf.json", '{"r\\u0065source": {"alicloud_kms_key": {"k": {}}}}'),
])
def test_spellings_from_the_issue_are_relevant(name: str, text: str) -> None:
    assert _relevant(name, text)


@pytest.mark.parametrize("text", [
    "# Encryption keys are not created here: disks use the platform CMK\n"
    "# (alicloud_kms_key.platform in stacks/platform), passed in as disk_kms_key_id.\n"
    'resource "alicloud_disk" "d" {\n  kms_key_id = var.disk_kms_key_id\n}\n',
    'output "k" {\n  value = data.alicloud_kms_keys.all.ids\n}\n',
])
def test_mere_mentions_stay_cheap(text: str) -> None:
    """The pre-filter still skips what cannot be a header (the benchmark's decoys)."""
    assert not _relevant("main.tf", text)


# --- module sources: the pre-filter must pull in a called directory however `source` is spelled ---

_KMS_MODULE = 'resource "alicloud_kms_key" "k" {\n  description = "x"\n}\n'


def _hcl_call(source_text: str, header: str) -> str:
    return f'{header} {{\n  {source_text}\n}}\n'


_HCL_SOURCES = st.sampled_from([
    'source = "{p}"', 'source="{p}"', 'source   =   "{p}"', 'source /* c */ = "{p}"', "source = /* c */ \"{p}\"",
    'source = "{e}"', 'source = "{p}/"', 'source = "${{"{p}"}}"', 'source = <<EOT\n{p}\nEOT'])
_HCL_HEADERS = st.sampled_from(['module "kms"', 'module"kms"', "/* c */ module \"kms\"", "module kms"])
_JSON_SOURCES = st.sampled_from(['"source": "{p}"', '"source":"{j}"', '"source": "{e}"', '"sourc\\u0065": "{p}"'])


def _scan(base: Path, prefilter: bool) -> list[tuple[str, list[str]]]:
    project = build_project([base], [], workers=1, prefilter=prefilter)
    return sorted((root.display, sorted(inst.address for inst in root.resource_instances()))
                  for root in project.roots)


@SETTINGS
@given(st.booleans(), st.booleans(), _HCL_SOURCES, _HCL_HEADERS, _JSON_SOURCES, st.booleans())
def test_module_source_spellings_pull_the_called_dir_in(json_caller: bool, outside: bool, hcl_source: str,
                                                        header: str, json_source: str, escape_all: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        base = repo / "live" if outside else repo
        path = "../modules/kms" if outside else "./modules/kms"
        (repo / "modules" / "kms").mkdir(parents=True)
        (repo / "modules" / "kms" / "main.tf").write_text(_KMS_MODULE)
        base.mkdir(exist_ok=True)
        escaped = "".join(f"\\u{ord(c):04x}" for c in path) if escape_all else "\\u002e" + path[1:]
        if json_caller:
            member = json_source.format(p=path, j=path.replace("/", "\\/"), e=escaped)
            (base / "main.tf.json").write_text('{"module": {"kms": {' + member + "}}}\n")
        else:
            (base / "main.tf").write_text(_hcl_call(hcl_source.format(p=path, e=escaped), header))
        assert _scan(base, prefilter=True) == _scan(base, prefilter=False)
