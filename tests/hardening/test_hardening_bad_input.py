"""Issue 7, part 1: bad input beside good input.

Eight kinds of bad `.tf` file, each (a) beside a good KMS file in the same directory and
(b) alone in its own directory next to a good directory. `tfkms check` and `tfkms fix --write`
run as real subprocesses (a hard 30 s cap each): exit 1 for a bad file (0/2 for the empty one,
which is valid), the bad file named on stderr with its line where it has one, the good file's
findings still in the JSON report, the bad file untouched, no traceback.

The 40,000-resource file and the 5,000-deep nesting are valid HCL (HashiCorp's parser accepts
both): tfkms may parse them (exit 0/2, no error) or refuse them naming the file (exit 1, e.g. the
per-file parse timeout), but never crash, hang, or lose the good file's findings.

Then malformed truth files: states (`--state`), plans (`guard`), inventories (`--inventory`)
-> exit 1 with one clear line naming the file (in-process for speed, a few through `python -m`).

The bad-file runs are started together (a few at a time) by a module fixture, so the
pathological files cost their timeout once, not once per case.
"""
from __future__ import annotations

import functools
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hardening_support import (
    CANARY, LOCK_1230, Run, cli_env, invoke_in_process, migrated_key, migrated_secret, run_cli_capped, tfstate,
)

GOOD_TF = """\
# A healthy key beside a broken file: its findings must still be reported.
resource "alicloud_kms_key" "good" {
  description        = "good key"
  automatic_rotation = "Enabled"
}
"""
N_DEEP = 5000
N_HUGE = 40_000


def _mixed_nesting(depth: int) -> str:
    opens, closes = [], []
    for i in range(depth):
        o, c = (("[", "]"), ("{ a = ", " }"), ("(", ")"))[i % 3]
        opens.append(o)
        closes.append(c)
    return "".join(opens) + "1" + "".join(reversed(closes))


def _binary() -> bytes:
    # A compiled object committed under a .tf name; it even contains a KMS block header.
    head = b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>\x00"
    return head + b'resource "alicloud_kms_key" "bad" {}\n' + bytes(range(256)) * 64


# kind -> (bytes of bad.tf, line the error must point at, or None)
BAD: dict[str, tuple[bytes, int | None]] = {
    "syntax": (b'resource "alicloud_kms_key" "bad" {\n  description = "x"\n  key_usage = = "ENCRYPT/DECRYPT"\n}\n', 3),
    "binary": (_binary(), None),
    "non-utf8": ('resource "alicloud_kms_key" "bad" {\n  description = "café"\n}\n'.encode("latin-1"), 2),
    "empty": (b"", None),
    "huge": ("".join(f'resource "alicloud_kms_key" "h{i}" {{\n  description = "key {i}"\n}}\n'
                     for i in range(N_HUGE)).encode(), None),
    "deep-nesting": (('resource "alicloud_kms_key" "bad" {\n  description = jsonencode('
                      + _mixed_nesting(N_DEEP) + ')\n}\n').encode(), None),
    "unterminated-string": (b'resource "alicloud_kms_key" "bad" {\n  description = "never closed\n}\n\n'
                            b'resource "alicloud_kms_key" "after" {}\n', 2),
    "unterminated-heredoc": (b'resource "alicloud_kms_key" "bad" {\n  description = <<EOT\nfirst line\n'
                             b'second line\n}\n', 2),
}
KINDS = list(BAD)
PLACEMENTS = ("beside", "alone")
COMMANDS = ("check", "fix")
# Kinds that are valid HCL (HashiCorp's parser accepts them) but pathological: tfkms may either
# handle them (exit 0/2, no error) or refuse them with exit 1 naming the file; never crash or hang.
PATHOLOGICAL = {"huge", "deep-nesting"}


def _layout(base: Path, kind: str, placement: str) -> tuple[Path, str, str, list[str]]:
    """Build the tree; returns (scan path, display of bad file, display of good file, state args)."""
    data, _ = BAD[kind]
    base.mkdir(parents=True, exist_ok=True)
    state = base / "post-migration.tfstate"
    state.write_text(tfstate([migrated_key("good", automatic_rotation="Enabled"), migrated_secret("unused")]))
    scan = base / "repo"
    if placement == "beside":
        scan.mkdir(parents=True)
        (scan / "good.tf").write_text(GOOD_TF)
        (scan / "bad.tf").write_bytes(data)
        (scan / ".terraform.lock.hcl").write_text(LOCK_1230)
        return scan, "bad.tf", "good.tf", ["--state", f"{state}"]
    (scan / "good").mkdir(parents=True)
    (scan / "bad").mkdir(parents=True)
    (scan / "good" / "good.tf").write_text(GOOD_TF)
    (scan / "good" / ".terraform.lock.hcl").write_text(LOCK_1230)
    (scan / "bad" / "bad.tf").write_bytes(data)
    (scan / "bad" / ".terraform.lock.hcl").write_text(LOCK_1230)
    return scan, "bad/bad.tf", "good/good.tf", ["--state", f"good={state}"]


class Case:
    def __init__(self, base: Path, kind: str, placement: str, command: str, cache: Path) -> None:
        self.kind, self.placement, self.command = kind, placement, command
        self.scan, self.bad, self.good, state_args = _layout(base, kind, placement)
        self.bad_bytes = (self.scan / self.bad).read_bytes()
        self.good_bytes = (self.scan / self.good).read_bytes()
        # Run from the scanned folder's parent: reports name files relative to the working directory.
        self.shown_bad, self.shown_good = f"{self.scan.name}/{self.bad}", f"{self.scan.name}/{self.good}"
        if command == "check":
            self.args = ["check", str(self.scan), "--format", "json"]
        else:
            self.args = ["fix", str(self.scan), *state_args, "--write", "--format", "json"]
        self.env = cli_env(cache)
        self.run: Run | None = None

    def execute(self) -> "Case":
        self.run = run_cli_capped(*self.args, cwd=self.scan.parent, env=self.env)
        return self


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, str], Case]:
    root = tmp_path_factory.mktemp("bad-input")
    cache = root / "xdg-cache"
    built = {(k, p, c): Case(root / f"{k}-{p}-{c}", k, p, c, cache)
             for k in KINDS for p in PLACEMENTS for c in COMMANDS}
    # The expensive ones first and all at once (their cost is a wall-clock timeout), then the rest.
    slow = [c for c in built.values() if c.kind in PATHOLOGICAL]
    fast = [c for c in built.values() if c.kind not in PATHOLOGICAL]
    with ThreadPoolExecutor(max_workers=len(slow)) as slow_pool, ThreadPoolExecutor(max_workers=2) as fast_pool:
        futures = [slow_pool.submit(c.execute) for c in slow] + [fast_pool.submit(c.execute) for c in fast]
        for f in futures:
            f.result()
    return built


def _get(cases: dict, kind: str, placement: str, command: str) -> tuple[Case, Run]:
    case = cases[(kind, placement, command)]
    assert case.run is not None, f"tfkms {' '.join(case.args)} did not finish within 30 s"
    return case, case.run


def _good_findings(report: dict, good: str) -> list[dict]:
    return [f for f in report["findings"] if f.get("address") == "alicloud_kms_key.good" and f.get("file") == good]


def _bad_kinds() -> list:
    return list(KINDS)


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize("kind", _bad_kinds())
def test_bad_file_beside_good_one(cases: dict, kind: str, placement: str, command: str) -> None:
    case, run = _get(cases, kind, placement, command)
    detail = run.describe()
    assert "Traceback" not in run.output, detail
    assert "internal error" not in run.stderr, detail
    report = json.loads(run.stdout)
    errors = [e for e in report["errors"] if e["file"] == case.shown_bad]

    if kind == "empty" or (kind in PATHOLOGICAL and run.returncode != 1):
        # A valid file: no error; the run succeeds (findings on the good file: 2; all fixed: 0).
        assert run.returncode in (0, 2), detail
        assert not errors and report["errors"] == [], detail
    else:
        assert run.returncode == 1, detail
        assert errors, f"the JSON report does not name {case.shown_bad}\n{detail}"
        line = BAD[kind][1]
        lines = [ln for ln in run.stderr.splitlines() if case.shown_bad in ln]
        assert lines, f"stderr does not name {case.shown_bad}\n{detail}"
        assert all(ln.startswith("tfkms: error: ") for ln in lines), detail
        if line is not None:
            assert any(f"{case.shown_bad}:{line}" in ln for ln in lines), \
                f"stderr lacks {case.shown_bad}:{line}\n{detail}"
            assert errors[0]["line"] == line, detail

    # The good file is still analysed (and, for fix --write, patched); the bad one is untouched.
    good = _good_findings(report, case.shown_good)
    assert good, f"the good file's findings are missing\n{detail}"
    assert (case.scan / case.bad).read_bytes() == case.bad_bytes
    if command == "check":
        assert {f["rule"] for f in good} == {"TFKMS102"}, detail
        assert (case.scan / case.good).read_bytes() == case.good_bytes
    else:
        assert any(f["rule"] == "TFKMS200" for f in good), detail
        assert re.search(rb'dkms_instance_id\s*=\s*"kst-', (case.scan / case.good).read_bytes()), detail
    assert CANARY not in run.output


# ---------------------------------------------------------------- malformed truth files


def _deep_json(prefix: str, depth: int = 100_000) -> str:
    return prefix + "[" * depth + "]" * depth + "}"


@functools.lru_cache(maxsize=1)
def _huge_valid_state() -> str:
    pad = "x" * 400
    resources = [{"mode": "managed", "type": "alicloud_vpc", "name": f"v{i}", "provider": "p",
                  "instances": [{"schema_version": 0,
                                 "attributes": {"id": f"vpc-{i}", "description": pad, "secret_data": CANARY}}]}
                 for i in range(90_000)]
    resources.append(migrated_key("good", automatic_rotation="Enabled"))
    text = json.dumps({"version": 4, "terraform_version": "1.6.6", "serial": 3, "lineage": "l",
                       "resources": resources})
    assert len(text) > 40_000_000
    return text


def _huge_state(broken: bool) -> str:
    text = _huge_valid_state()
    return text[: len(text) // 2] if broken else text


STATES = {
    "wrong-version": json.dumps({"version": 3, "serial": 1, "modules": []}),
    "version-as-string": json.dumps({"version": "4", "resources": []}),
    "missing-resources": json.dumps({"version": 4, "terraform_version": "1.6.6"}),
    "resource-without-type": json.dumps({"version": 4, "resources": [{"name": "x", "instances": []}]}),
    "resources-not-a-list": json.dumps({"version": 4, "resources": {"a": 1}}),
    "not-json": "this is not JSON {",
    "empty": "",
    "a-json-array": "[]",
    "latin-1": b'{"version": 4, "resources": [], "lineage": "caf\xe9"}',
    "truncated-50MB": None,  # built lazily
    "instances-not-a-list": pytest.param(json.dumps({"version": 4, "resources": [
        {"mode": "managed", "type": "alicloud_kms_key", "name": "good", "instances": 5}]})),
    "show-json-values-not-an-object": pytest.param(
        json.dumps({"format_version": "1.0", "values": ["not", "an", "object"]})),
    "show-json-resources-not-a-list": pytest.param(
        json.dumps({"format_version": "1.0", "values": {"root_module": {"resources": 5}}})),
    "show-json-child-modules-not-a-list": pytest.param(
        json.dumps({"format_version": "1.0", "values": {"root_module": {"child_modules": 7}}})),
    "deeply-nested": _deep_json('{"version": 4, "resources": '),
    "5000-digit-number": '{"version": 4, "serial": 1' + "0" * 5000 + ', "resources": []}',
}

PLANS = {
    "format-2": json.dumps({"format_version": "2.0", "resource_changes": []}),
    "no-format-version": json.dumps({"resource_changes": []}),
    "resource-changes-not-a-list": json.dumps({"format_version": "1.2", "resource_changes": {}}),
    "change-without-address": json.dumps({"format_version": "1.2", "resource_changes": [{"type": "alicloud_kms_key"}]}),
    "actions-not-a-list": json.dumps({"format_version": "1.2", "resource_changes": [
        {"address": "alicloud_kms_key.k", "mode": "managed", "type": "alicloud_kms_key", "name": "k",
         "change": {"actions": "delete", "before": {"secret_data": CANARY}}}]}),
    "not-json": "nope {",
    "empty": "",
    "a-state-not-a-plan": json.dumps({"format_version": "1.0", "values": {"root_module": {}}}),
    "binary-plan-zip": b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 64,
    "bad-utf16": b"\xff\xfe\x00\xd8",
    "deeply-nested": _deep_json('{"format_version": "1.2", "resource_changes": '),
    "5000-digit-number": '{"format_version": "1.2", "x": 1' + "0" * 5000 + ', "resource_changes": []}',
}

INVENTORIES = {
    "wrong-version": json.dumps({"version": 2, "regions": {}}),
    "missing-version": json.dumps({"regions": {}}),
    "missing-regions": json.dumps({"version": 1}),
    "regions-a-list": json.dumps({"version": 1, "regions": []}),
    "key-id-not-a-string": json.dumps({"version": 1, "regions": {"cn-hangzhou": {"keys": [{"key_id": 5}]}}}),
    "misspelt-field": json.dumps({"version": 1, "regions": {"cn-hangzhou": {"keys": [
        {"key_id": "key-good", "dkms_instanceid": "kst-1"}]}}}),
    "not-json": "{",
    "empty": "",
    "latin-1": b'{"version": 1, "regions": {"caf\xe9": {}}}',
    "deeply-nested": _deep_json('{"version": 1, "regions": '),
    "5000-digit-number": ('{"version": 1, "regions": {"cn-hangzhou": {"keys": [{"key_id": "k", '
                          '"version_count": 1' + "0" * 5000 + '}]}}}'),
}


def _write_truth(workdir: Path, kind: str, name: str, content: str | bytes | None) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / (f"{name}.tfstate" if kind == "state" else f"{name}.json")
    if content is None:
        content = _huge_state(broken=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def _truth_params(kind: str, table: dict, commands: dict[str, list[str]] | None = None) -> list:
    out = []
    for name, value in table.items():
        marks = ()
        if isinstance(value, type(pytest.param(None))):
            value, marks = value.values[0], value.marks
        for command in (commands or {}).get(name, [COMMANDS[0]] if kind != "plan" else ["guard"]):
            out.append(pytest.param(kind, name, value, command, marks=marks, id=f"{kind}-{name}-{command}"))
    return out


# Both commands read truth through the same loaders; run both only for a few representatives.
BOTH = {name: ["check", "fix"] for name in ("wrong-version", "not-json", "truncated-50MB", "instances-not-a-list",
                                          "deeply-nested", "misspelt-field")}
TRUTH_PARAMS = (_truth_params("state", STATES, BOTH) + _truth_params("plan", PLANS)
                + _truth_params("inventory", INVENTORIES, BOTH))


@pytest.fixture(scope="module")
def good_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("good-root") / "repo"
    root.mkdir()
    (root / "good.tf").write_text(GOOD_TF)
    (root / ".terraform.lock.hcl").write_text(LOCK_1230)
    return root


def _assert_one_clear_line(run: Run | None, display: str) -> None:
    assert run is not None, "did not finish within 30 s"
    detail = run.describe()
    assert run.returncode == 1, detail
    assert "Traceback" not in run.output and "internal error" not in run.stderr, detail
    lines = [ln for ln in run.stderr.splitlines() if ln.strip()]
    naming = [ln for ln in lines if display in ln]
    assert len(naming) == 1, f"expected one line naming {display}\n{detail}"
    assert naming[0].startswith("tfkms: error: "), detail
    assert len(naming[0]) < 400, detail
    assert CANARY not in run.output


@pytest.mark.parametrize(("kind", "name", "content", "command"), TRUTH_PARAMS)
def test_malformed_truth_file_is_one_clear_line(tmp_path: Path, good_root: Path, kind: str, name: str,
                                                 content: str | bytes | None, command: str) -> None:
    path = _write_truth(tmp_path, kind, name, content)
    if kind == "state":
        args = [command, str(good_root), "--state", str(path)]
    elif kind == "plan":
        args = ["guard", str(path)]
    else:
        args = [command, str(good_root), "--inventory", str(path)]
        if command == "fix":
            args += ["--provider-version", "1.230.0"]
    _assert_one_clear_line(invoke_in_process(args, {"XDG_CACHE_HOME": str(tmp_path / "cache")}), str(path))


def test_malformed_truth_files_through_the_real_entry_point(tmp_path: Path, good_root: Path) -> None:
    """A few of the above as real subprocesses (`python -m tfkms`), as users run it."""
    cases = [("state", "wrong-version", STATES["wrong-version"], "fix"),
             ("state", "not-json", STATES["not-json"], "check"),
             ("plan", "format-2", PLANS["format-2"], "guard"),
             ("inventory", "misspelt-field", INVENTORIES["misspelt-field"], "check")]
    env = cli_env(tmp_path / "cache")
    for kind, name, content, command in cases:
        path = _write_truth(tmp_path, kind, name, content)
        flag = {"state": "--state", "inventory": "--inventory"}.get(kind)
        args = ["guard", path.name] if kind == "plan" else [command, str(good_root), flag, path.name]
        _assert_one_clear_line(run_cli_capped(*args, cwd=tmp_path, env=env), path.name)


def test_huge_valid_state_is_read_quickly_and_its_secrets_dropped(tmp_path: Path, good_root: Path) -> None:
    state = tmp_path / "huge.tfstate"
    state.write_text(_huge_state(broken=False))
    run = run_cli_capped("fix", str(good_root), "--state", state.name, "--format", "json",
                         cwd=tmp_path, env=cli_env(tmp_path / "c", TFKMS_DEBUG="1"))
    assert run is not None, "a 40+ MB state was not read within 30 s"
    assert run.returncode == 2, run.describe()
    assert [f["rule"] for f in run.json()["findings"]] == ["TFKMS200"]
    assert CANARY not in run.output


def test_truth_file_that_is_a_directory_or_missing(tmp_path: Path, good_root: Path) -> None:
    (tmp_path / "adir.tfstate").mkdir()
    cases = ((["check", str(good_root), "--state", "adir.tfstate"], "adir.tfstate"),
             (["check", str(good_root), "--state", "missing.tfstate"], "missing.tfstate"),
             (["check", str(good_root), "--inventory", "missing.json"], "missing.json"),
             (["guard", "adir.tfstate"], "adir.tfstate"),
             (["guard", "missing-plan.json"], "missing-plan.json"))
    env = cli_env(tmp_path / "c")
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda c: run_cli_capped(*c[0], cwd=tmp_path, env=env), cases))
    for (_, display), run in zip(cases, runs):
        _assert_one_clear_line(run, display)


@pytest.mark.parametrize("target", ["missing-dir/report.json", "a-directory"])
def test_unwritable_report_path_is_one_clear_line(tmp_path: Path, good_root: Path, target: str) -> None:
    (tmp_path / "a-directory").mkdir()
    run = run_cli_capped("check", str(good_root), "--format", "json", "-o", target, cwd=tmp_path,
                         env=cli_env(tmp_path / "c"))
    _assert_one_clear_line(run, target)
