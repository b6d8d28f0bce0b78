"""Saved `--format json` reports (tfkms/schemas/report.schema.json) read back into a `Result`, so that
`tfkms report` renders them with the renderers of the command that wrote them.

What the JSON does not carry, and so a reloaded Result lacks:
- a patch's full original and patched text: only its unified diff is kept (`SavedPatch` hands that
  diff back unchanged, so `--format json`, text and markdown show the same diff; markdown's
  ```suggestion blocks, which need the original and patched text, are left out, never guessed);
- an edit's character offsets (start = end = 0) and which files fix a finding (`fixed_by`);
- `options` (check's migrated/judged counts in the text verdict, `--batches`), `display_base` and
  audit's per-region cloud tally (the HTML chart): the page of a reloaded audit has no chart.
Re-rendering a reloaded report as json gives the same document, field for field.

jsonschema is a test dependency only, so the fields read here are checked by hand: one clear line
naming the file and the field, never a traceback.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfkms.analysis.result import Batch, Finding, ResourceRecord, Result
from tfkms.analysis.rules import RULES, Severity
from tfkms.errors import InputFileError, InputProblem
from tfkms.jsonio import JsonError, decode_json
from tfkms.patch.model import Edit, FilePatch

READABLE_VERSION = 1  # the report schema version this tfkms reads
MAX_REPORT_BYTES = 64 * 1024 * 1024  # a CI artifact larger than this is not a tfkms report
COMMANDS = ("check", "fix", "guard", "verify", "audit")
_NO_TEXT = "\x00"  # a saved patch's patched text: see _patch
_RULE_ID = re.compile(r"TFKMS[0-9]{3}")


@dataclass
class SavedPatch(FilePatch):
    """A patch known only by its diff: `unified_diff` gives back what the report holds."""

    saved_diff: str = ""

    def unified_diff(self) -> str:
        return self.saved_diff


@dataclass(frozen=True)
class SavedReport:
    name: str  # the repo it describes (NAME=FILE, else from the file's folder or stem)
    file: str  # as the user typed it
    result: Result


def parse_report_argument(argument: str, cwd: Path | None = None) -> tuple[str, str]:
    """`FILE` or `NAME=FILE` (NAME ends at the first "=") -> (name, file). Without NAME: the folder
    holding the file, unless that is the working directory (CI artifact downloads put each report in a
    folder named after it), else the file's stem."""
    name, sep, file = argument.partition("=")
    if sep and name and not Path(argument).is_file():  # a file whose path holds "=" is still a FILE
        return name, file
    path = Path(argument)
    folder = path.parent.resolve() if path.parent != Path() else None
    here = (cwd or Path.cwd()).resolve()
    if folder is not None and folder != here and folder.name:
        return folder.name, argument
    return path.stem or argument, argument


def load_report(name: str, file: str) -> SavedReport:
    """One report file, checked and rebuilt; any problem is an InputFileError naming the file."""
    data = _decode(file, _read(file))
    try:
        return SavedReport(name, file, result_from_dict(data))
    except _Newer as exc:
        raise InputFileError(InputProblem(file, None, None, str(exc))) from None
    except _Bad as exc:
        raise InputFileError(InputProblem(file, None, None, f"not a tfkms report: {exc}")) from None


def _read(file: str) -> bytes:
    path = Path(file)
    try:
        if path.stat().st_size > MAX_REPORT_BYTES:
            raise InputFileError(InputProblem(file, None, None, f"larger than {MAX_REPORT_BYTES // 2**20} MB: "
                                                                "not a tfkms report"))
        with path.open("rb") as stream:
            data = stream.read(MAX_REPORT_BYTES + 1)  # the file may grow between stat and read
    except OSError as exc:
        raise InputFileError(InputProblem(file, None, None, f"cannot read: {exc.strerror or exc}")) from None
    if len(data) > MAX_REPORT_BYTES:
        raise InputFileError(InputProblem(file, None, None, "too large: not a tfkms report"))
    return data


def _decode(file: str, data: bytes) -> Any:
    try:
        return decode_json(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputFileError(InputProblem(file, None, None, "not UTF-8 text: not a tfkms report")) from None
    except JsonError as exc:
        raise InputFileError(InputProblem(file, exc.line, exc.column, exc.message)) from None


class _Bad(Exception):
    """A field of the report that is missing or of the wrong shape (the message names it)."""


class _Newer(_Bad):
    """A report from a newer schema version: its fields may mean something this tfkms does not know."""


def result_from_dict(data: Any) -> Result:
    """The Result a report was rendered from, as far as the JSON carries it (see the module doc)."""
    doc = _obj(data, "the document")
    version = doc.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > READABLE_VERSION:
        raise _Newer(f"written with report schema version {version}; this tfkms reads version "
                   f"{READABLE_VERSION}: upgrade tfkms")
    if version != READABLE_VERSION:
        raise _Bad(f"version: expected {READABLE_VERSION}")
    tool = _obj(doc.get("tool"), "tool")
    if tool.get("name") != "tfkms":
        raise _Bad("tool.name: expected \"tfkms\"")
    command = doc.get("command")
    if command not in COMMANDS:
        raise _Bad(f"command: expected one of {', '.join(COMMANDS)}")
    target = _opt_str(doc, "target", "target")
    result = Result(command=command, paths=[_str(p, f"paths[{i}]") for i, p in enumerate(_list(doc, "paths"))],
                    target=target)
    result.resources = [_resource(_obj(r, f"resources[{i}]"), f"resources[{i}]")
                        for i, r in enumerate(_list(doc, "resources"))]
    result.findings = [_finding(_obj(f, f"findings[{i}]"), f"findings[{i}]")
                       for i, f in enumerate(_list(doc, "findings"))]
    if "batches" in doc:
        result.batches = [_batch(_obj(b, f"batches[{i}]"), f"batches[{i}]")
                          for i, b in enumerate(_list(doc, "batches"))]
    if "patches" in doc:
        result.patches = [_patch(_obj(p, f"patches[{i}]"), f"patches[{i}]")
                          for i, p in enumerate(_list(doc, "patches"))]
    result.problems = [_problem(_obj(e, f"errors[{i}]"), f"errors[{i}]") for i, e in enumerate(_list(doc, "errors"))]
    return result


def _resource(r: dict[str, Any], at: str) -> ResourceRecord:
    mode = r.get("mode")
    if mode not in ("managed", "data"):
        raise _Bad(f"{at}.mode: expected managed or data")
    return ResourceRecord(
        address=_str(r.get("address"), f"{at}.address"), type=_str(r.get("type"), f"{at}.type"),
        root=_str(r.get("root"), f"{at}.root"), file=_str(r.get("file"), f"{at}.file"),
        line=_int(r.get("line"), f"{at}.line"), region=_opt_str(r, "region", at), mode=mode,
        module_source=_opt_str(r, "module_source", at),
        instances=[_str(x, f"{at}.instances[{i}]") for i, x in enumerate(_list(r, "instances", at))],
        provider_version=_opt_str(r, "provider_version", at))


def _finding(f: dict[str, Any], at: str) -> Finding:
    rule = _str(f.get("rule"), f"{at}.rule")
    if not _RULE_ID.fullmatch(rule):
        raise _Bad(f"{at}.rule: expected TFKMSnnn")
    if rule not in RULES:
        raise _Bad(f"{at}.rule: {rule} is unknown to this tfkms (a newer one wrote it?): upgrade tfkms")
    try:
        severity = Severity(f.get("severity"))
    except ValueError:
        raise _Bad(f"{at}.severity: expected error, warning or info") from None
    suppressed = f.get("suppressed")
    if suppressed is not None:
        suppressed = _str(_obj(suppressed, f"{at}.suppressed").get("reason"), f"{at}.suppressed.reason")
    line = f.get("line")
    return Finding(
        rule=rule, severity=severity, message=_str(f.get("message"), f"{at}.message"),
        hint=_str(f.get("hint"), f"{at}.hint"), address=_opt_str(f, "address", at), root=_opt_str(f, "root", at),
        file=_opt_str(f, "file", at), line=None if line is None else _int(line, f"{at}.line"),
        strategy=_opt_str(f, "strategy", at), reason=_opt_str(f, "reason", at),
        edits=[_edit(_obj(e, f"{at}.edits[{i}]"), f"{at}.edits[{i}]")
               for i, e in enumerate(_list(f, "edits", at, required=False))],
        suppressed=suppressed, resolved=f.get("resolved") is True)


def _edit(e: dict[str, Any], at: str) -> Edit:
    return Edit(file=_str(e.get("file"), f"{at}.file"), line=_int(e.get("line"), f"{at}.line"), start=0, end=0,
                before=_str(e.get("before"), f"{at}.before"), after=_str(e.get("after"), f"{at}.after"))


def _batch(b: dict[str, Any], at: str) -> Batch:
    return Batch(region=_str(b.get("region"), f"{at}.region"), number=_int(b.get("number"), f"{at}.number"),
                 keys=[_str(k, f"{at}.keys[{i}]") for i, k in enumerate(_list(b, "keys", at))],
                 secrets=[_str(s, f"{at}.secrets[{i}]") for i, s in enumerate(_list(b, "secrets", at))],
                 root=_opt_str(b, "root", at))


def _patch(p: dict[str, Any], at: str) -> SavedPatch:
    display, diff = _str(p.get("file"), f"{at}.file"), _str(p.get("diff"), f"{at}.diff")
    written = p.get("written")
    if not isinstance(written, bool):
        raise _Bad(f"{at}.written: expected true or false")
    # The texts are unknown. original != patched exactly when there is a diff (markdown shows those
    # only), and a NUL no splice can match means markdown offers no ```suggestion it cannot check.
    return SavedPatch(display=display, path=Path(display), original="", patched=_NO_TEXT if diff else "",
                      written=written, saved_diff=diff)


def _problem(e: dict[str, Any], at: str) -> InputProblem:
    line, column = e.get("line"), e.get("column")
    return InputProblem(file=_str(e.get("file"), f"{at}.file"),
                        line=None if line is None else _int(line, f"{at}.line"),
                        column=None if column is None else _int(column, f"{at}.column"),
                        message=_str(e.get("message"), f"{at}.message"))


def _obj(value: Any, at: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Bad(f"{at}: expected an object")
    return value


def _list(doc: dict[str, Any], key: str, at: str = "", required: bool = True) -> list[Any]:
    value = doc.get(key, None if required else [])
    if not isinstance(value, list):
        raise _Bad(f"{at + '.' if at else ''}{key}: expected a list")
    return value


def _str(value: Any, at: str) -> str:
    if not isinstance(value, str):
        raise _Bad(f"{at}: expected a string")
    return value


def _opt_str(doc: dict[str, Any], key: str, at: str) -> str | None:
    value = doc.get(key)
    return None if value is None else _str(value, f"{at}.{key}" if at != key else key)


def _int(value: Any, at: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Bad(f"{at}: expected an integer")
    return value
