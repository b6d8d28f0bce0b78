"""`tfkms guard`: fail a saved plan that destroys or replaces a KMS key or secret.

Input is the JSON of `terraform show -json PLAN`. Attribute values (`before`, `after`, state
`values`, ...) can hold `secret_data` in plain text, so they are dropped while the JSON is
parsed: only the allowlisted identity and action fields of each resource change outlive
`json.loads`, and nothing here can print or store a value.
"""
from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass
from pathlib import Path

from tfkms.address import module_path
from tfkms.analysis.plan_trust import InstanceMark, plan_doubts
from tfkms.analysis.result import Finding, ResourceRecord, Result
from tfkms.analysis.rules import RULES
from tfkms.errors import InputFileError, InputProblem
from tfkms.jsonio import JsonError, decode_json

RULE_ID = "TFKMS300"
# A KMS instance holds keys and secrets: replacing it destroys every one of them. An OOS secret
# parameter holds a secret value too (and has the same ForceNew dkms_instance_id trap).
GUARDED_TYPES = frozenset({"alicloud_kms_key", "alicloud_kms_secret", "alicloud_kms_instance",
                           "alicloud_oos_secret_parameter"})
HOW_TO_MAKE_A_PLAN = "terraform plan -out tf.plan && terraform show -json tf.plan > plan.json"

# Keys whose values carry resource attributes, and so possibly secret_data. Their values are
# replaced during parsing; the key itself stays so the document's shape can still be judged.
_VALUE_KEYS = frozenset({
    "before", "after", "after_unknown", "before_sensitive", "after_sensitive",
    "values", "attributes", "sensitive_attributes", "sensitive_values", "private",
    "prior_state", "planned_values", "configuration", "variables", "outputs",
    "output_changes", "resource_drift", "relevant_attributes", "checks", "importing",
    "generated_config",
})
_DROPPED = object()

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")

_ACTION_REASONS = {
    "replace_because_cannot_update": "an attribute that cannot change in place differs",
    "replace_because_tainted": "the object is tainted",
    "replace_by_request": "replacement was requested with -replace",
    "replace_by_triggers": "replace_triggered_by fired",
    "delete_because_no_resource_config": "the resource is no longer in the configuration",
    "delete_because_no_module": "its module call is no longer in the configuration",
    "delete_because_wrong_repetition": "count or for_each was added or removed",
    "delete_because_count_index": "its count index is out of range",
    "delete_because_each_key": "its for_each key is gone",
    "delete_because_no_move_target": "a moved block points at a missing target",
}
_CONSEQUENCES = {
    "alicloud_kms_key": "Destroying a KMS key makes every ciphertext it protects unreadable.",
    "alicloud_kms_secret": "Destroying a secret loses every value stored in it.",
    "alicloud_kms_instance": "Destroying a KMS instance destroys every key and secret in it, and with the keys "
                             "every ciphertext they protect.",
    "alicloud_oos_secret_parameter": "Destroying an OOS secret parameter loses the value stored in it.",
}
_FIX_HINT = ("Do not apply: run `tfkms fix CONFIG_DIR --state POST_MIGRATION_STATE` (or `--live`) "
             "and plan again.")
_IF_MIGRATION = "If the change comes from the KMS migration, run `tfkms fix` with the post-migration state."
_HINTS_BY_REASON = {
    "replace_because_tainted":
        f"Do not apply unless you mean to lose it: if the object is healthy, `terraform untaint` it. "
        f"{_IF_MIGRATION}",
    "replace_by_request":
        f"Do not apply unless you mean to lose it: drop `-replace` for this address. {_IF_MIGRATION}",
    "replace_by_triggers":
        f"Do not apply unless you mean to lose it: review its `replace_triggered_by`. {_IF_MIGRATION}",
}
_DELETE_HINT = ("Do not apply unless you mean to destroy it: restore it in the configuration, or drop it "
                "from state without destroying it (a `removed` block with `destroy = false`). "
                f"{_IF_MIGRATION}")


@dataclass(frozen=True)
class PlannedChange:
    """The allowlisted fields of one entry of `resource_changes`."""

    address: str
    module_address: str | None
    mode: str
    type: str
    name: str
    actions: tuple[str, ...]
    replace_paths: tuple[tuple[str | int, ...], ...]
    action_reason: str | None
    deposed: str | None
    line: int

    @property
    def destructive(self) -> bool:
        # Any action list that deletes counts, so a future action pair fails closed.
        return "delete" in self.actions

    @property
    def resource_address(self) -> str:
        """Config address: the module path without instance keys, then type.name."""
        return f"{module_path(self.module_address or '')}{self.type}.{self.name}"


def guard_plan(path: Path, display: str, root: str = ".") -> Result:
    """TFKMS300 per KMS key/secret the plan deletes or replaces; `display` names the file."""
    result = Result(command="guard", paths=[display])
    try:
        text = _read_text(path, display)
    except InputFileError as exc:
        result.problems.append(exc.problem)
        return result
    guard_plan_text(result, text, display, root=root)
    return result


def guard_plans(paths: list[Path]) -> Result:
    """Several plans in one run (Terragrunt run-all, a monorepo's roots): one Result, each finding
    naming its plan; a plan that cannot be read is a problem and the others are still judged."""
    result = Result(command="guard", paths=[p.as_posix() for p in paths])
    for path in paths:
        # Several plans: each one's folder is its root, so reports group findings by plan.
        one = guard_plan(path, path.as_posix(), root=path.parent.as_posix() if len(paths) > 1 else ".")
        result.findings += one.findings
        result.resources += one.resources
        result.problems += one.problems
    return result


def guard_plan_text(result: Result, text: str, display: str, *, root: str = ".", saved: bool = True) -> None:
    """Adds to `result` what guard finds in `text`, the JSON of one plan of `root`.

    `saved=False`: the JSON was never a file the user has (`tfkms verify` deletes its plan, and
    made it itself: whole, and refreshed), so findings point at the root rather than at a line of
    the JSON, and the plan's completeness and refresh are not in doubt.
    """
    try:
        document = parse_plan_json(text, display)
        changes = _planned_changes(document, text, display)
    except InputFileError as exc:
        result.problems.append(exc.problem)
        return
    kms_changes = [c for c in changes if c.mode == "managed" and c.type in GUARDED_TYPES]
    result.resources += _resource_records(kms_changes, display, root, saved)
    result.findings += [_finding(c, display, root, saved) for c in kms_changes if c.destructive]
    if saved:
        result.findings += plan_doubts(document, display, root)


def describe_replace_paths(paths: tuple[tuple[str | int, ...], ...]) -> str:
    """[["dkms_instance_id"]] -> dkms_instance_id; [["tags", "env"], ["list", 0]] -> tags.env, list[0]."""
    rendered = []
    for steps in paths:
        out = ""
        for step in steps:
            if isinstance(step, int):
                out += f"[{step}]"
            elif not _IDENTIFIER.fullmatch(step):
                out += f"[{json.dumps(step)}]"  # a map key such as tags["cost center"]
            else:
                out += f".{step}" if out else step
        rendered.append(out)
    return ", ".join(rendered)


# -- reading ---------------------------------------------------------------------------------

def _problem(display: str, message: str, line: int | None = None, column: int | None = None) -> InputFileError:
    return InputFileError(InputProblem(display, line, column, message))


def _read_text(path: Path, display: str) -> str:
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise _problem(display, f"is a directory; pass the JSON of a saved plan ({HOW_TO_MAKE_A_PLAN})") from None
    except OSError as exc:
        raise _problem(display, f"cannot read the plan file: {exc.strerror or exc}") from None
    if raw.startswith(b"PK\x03\x04"):
        raise _problem(display, "is a binary plan file, not its JSON; run "
                                "`terraform show -json tf.plan > plan.json` and pass plan.json")
    # PowerShell's `>` writes UTF-16 with a BOM; accept it rather than fail on a redirect.
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),  # noqa: B007
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            break
    else:
        encoding = "utf-8"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        label = "UTF-16" if encoding == "utf-16" else "UTF-8"
        raise _problem(display, f"is not {label} text; pass the output of "
                                "`terraform show -json tf.plan`") from None


def _drop_value(key: str, value: object) -> object:
    if key not in _VALUE_KEYS:
        return value
    if key == "values" and isinstance(value, dict):
        if "root_module" in value:
            return value  # a state's container; the attribute maps inside it are already dropped
        return InstanceMark(bool(value.get("dkms_instance_id")))
    if key == "prior_state" and isinstance(value, dict):
        return value  # its attribute maps and outputs are already dropped (hooks run inside out)
    return _DROPPED


def _drop_values(pairs: list[tuple[str, object]]) -> dict[str, object]:
    return {key: _drop_value(key, value) for key, value in pairs}


def parse_plan_json(text: str, display: str) -> dict[str, object]:
    """The plan document with every attribute value replaced; raises InputFileError."""
    if not text.strip():
        raise _problem(display, f"is empty; pass the JSON of a saved plan ({HOW_TO_MAKE_A_PLAN})")
    try:
        document = decode_json(text, _drop_values)
    except JsonError as exc:
        raise _problem(display, f"is {exc.message}; regenerate it with "
                                "`terraform show -json tf.plan > plan.json`", exc.line, exc.column) from None
    if not isinstance(document, dict):
        raise _problem(display, "is not a Terraform plan: expected a JSON object", 1, 1)
    if "encryption_version" in document and "encrypted_data" in document:
        raise _problem(display, "is a plan encrypted with OpenTofu plan encryption; pass its JSON: "
                                "`tofu show -json tf.plan > plan.json`, run where the key is configured", 1)
    _require_plan_shape(document, display)
    return document


def _require_plan_shape(document: dict[str, object], display: str) -> None:
    if "planned_values" not in document and "resource_changes" not in document:
        if "values" in document or ("lineage" in document and "resources" in document):
            raise _problem(display, "is a Terraform state, not a plan; guard needs the plan: "
                                    f"{HOW_TO_MAKE_A_PLAN}", 1)
        raise _problem(display, "is not a Terraform plan (no planned_values or resource_changes); "
                                f"create one with {HOW_TO_MAKE_A_PLAN}", 1)
    version = document.get("format_version")
    if not isinstance(version, str) or version.split(".")[0] != "1":
        raise _problem(display, f"has plan format_version {version!r}; tfkms reads format 1.x", 1)
    if document.get("errored") is True:
        # An errored plan may omit changes; passing it would be a false green.
        raise _problem(display, "is an errored plan (terraform stopped planning), so it may not list "
                                "every change; fix the plan errors and plan again", 1)


def _planned_changes(document: dict[str, object], text: str, display: str) -> list[PlannedChange]:
    entries = document.get("resource_changes", [])  # terraform omits the key when nothing changes
    if not isinstance(entries, list):
        raise _problem(display, "resource_changes is not a list; is this `terraform show -json` output?")
    locator = _ChangeLocator(text)
    return [_planned_change(entry, n, locator, display) for n, entry in enumerate(entries)]


def _planned_change(entry: object, n: int, locator: _ChangeLocator, display: str) -> PlannedChange:
    where = f"resource_changes[{n}]"
    if not isinstance(entry, dict):
        raise _problem(display, f"{where} is not an object")
    fields = {key: entry.get(key) for key in ("address", "mode", "type", "name")}
    if not all(isinstance(value, str) and value for value in fields.values()):
        raise _problem(display, f"{where} lacks address, mode, type or name")
    change = entry.get("change")
    change = change if isinstance(change, dict) else {}
    actions = change.get("actions")
    if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
        raise _problem(display, f"{where} ({fields['address']}) has no change.actions list")
    module_address = entry.get("module_address")
    reason = entry.get("action_reason")
    deposed = entry.get("deposed")
    return PlannedChange(
        address=str(fields["address"]),
        module_address=module_address if isinstance(module_address, str) else None,
        mode=str(fields["mode"]),
        type=str(fields["type"]),
        name=str(fields["name"]),
        actions=tuple(actions),
        replace_paths=_replace_paths(change.get("replace_paths")),
        action_reason=reason if isinstance(reason, str) else None,
        deposed=deposed if isinstance(deposed, str) else None,
        line=locator.line_of(str(fields["address"])),
    )


def _replace_paths(raw: object) -> tuple[tuple[str | int, ...], ...]:
    if not isinstance(raw, list):
        return ()
    paths = []
    for steps in raw:
        if isinstance(steps, list):
            paths.append(tuple(s for s in steps if isinstance(s, (str, int)) and not isinstance(s, bool)))
    return tuple(p for p in paths if p)


class _ChangeLocator:
    """Finds the line where each resource change starts, scanning forward once.

    `terraform show -json` writes one line, so this mostly pays off for pretty-printed plans
    (`jq .`). Changes are looked up in document order; a miss answers line 1.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        start = text.find('"resource_changes"')
        self._pos = max(start, 0)
        self._counted_to = 0
        self._line = 1

    def line_of(self, address: str) -> int:
        match = self._search(address)
        if match is None:
            return 1
        brace = self._text.rfind("{", 0, match.start())
        begin = brace if brace >= 0 and not self._text[brace + 1:match.start()].strip() else match.start()
        self._pos = match.end()
        self._line += self._text.count("\n", self._counted_to, begin)
        self._counted_to = begin
        return self._line

    def _search(self, address: str) -> re.Match[str] | None:
        plain = json.dumps(address, ensure_ascii=False)
        # Go's encoder escapes <, > and & inside strings; Python's ensure_ascii escapes non-ASCII.
        go_style = plain.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        for spelling in dict.fromkeys((plain, go_style, json.dumps(address))):
            match = re.compile(r'"address"\s*:\s*' + re.escape(spelling)).search(self._text, self._pos)
            if match:
                return match
        return None


# -- judging ---------------------------------------------------------------------------------

def _finding(change: PlannedChange, display: str, root: str, saved: bool) -> Finding:
    return Finding(
        rule=RULE_ID,
        severity=RULES[RULE_ID].severity,
        message=_message(change),
        hint=_hint(change),
        address=change.address,
        root=root,
        file=display if saved else None,
        line=change.line if saved else None,
    )


def _message(change: PlannedChange) -> str:
    target = change.address + (f" (deposed object {change.deposed})" if change.deposed else "")
    if change.actions == ("delete", "create"):
        what = f"The plan replaces {target} (destroy, then create)"
    elif change.actions == ("create", "delete"):
        what = f"The plan replaces {target} (create-before-destroy: create the new one, then destroy this one)"
    elif change.actions == ("delete",):
        what = f"The plan destroys {target}"
    else:
        what = f"The plan destroys {target} (actions {', '.join(change.actions)})"
    return f"{what}; cause: {_cause(change)}. {_CONSEQUENCES.get(change.type, '')}".rstrip()


def _cause(change: PlannedChange) -> str:
    parts = []
    if change.replace_paths:
        verb = "forces" if len(change.replace_paths) == 1 else "force"
        parts.append(f"{describe_replace_paths(change.replace_paths)} {verb} replacement")
    if change.action_reason:
        explained = _ACTION_REASONS.get(change.action_reason)
        parts.append(f"action_reason {change.action_reason}" + (f" ({explained})" if explained else ""))
    return ", ".join(parts) if parts else "the plan gives no reason"


def _hint(change: PlannedChange) -> str:
    if change.actions == ("delete",) or "create" not in change.actions:
        return _DELETE_HINT
    return _HINTS_BY_REASON.get(change.action_reason or "", _FIX_HINT)


def _resource_records(changes: list[PlannedChange], display: str, root: str, saved: bool) -> list[ResourceRecord]:
    records: dict[str, ResourceRecord] = {}
    for change in changes:
        address = change.resource_address
        record = records.get(address)
        if record is None:
            record = records[address] = ResourceRecord(
                address=address, type=change.type, root=root, file=display, line=change.line if saved else 1)
        if change.address not in record.instances:
            record.instances.append(change.address)
    return list(records.values())
