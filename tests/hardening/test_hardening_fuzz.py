"""Issue 7, part 5: hypothesis fuzzing of the loader, the patcher and the JSON readers.

- Byte/line mutations of every fixture file (fixtures/terraform/**, tests/golden/fix/*/input/**)
  fed to the loader: only a SourceFile or `InputFileError` (a problem in build_project) come out.
- Mutated-but-parseable copies of the golden fix cases through `fix`: edits keep every other
  byte (the mutation markers survive untouched), the output parses (python-hcl2, and Terraform's
  own parser), and a second run is a no-op.
- JSON mutations of states, plans and inventories: only clean errors.

Bounded for CI: 60-150 examples a test, deterministic (set TFKMS_FUZZ_RANDOM=1 for fresh
random examples, TFKMS_FUZZ_EXAMPLES=N for more).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hardening_support import CANARY, FIXTURES, GOLDEN_FIX, golden_args, golden_truth
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from standin import Terraform

from tfkms.config.files import decode, parse_source
from tfkms.config.scan import build_project
from tfkms.errors import InputFileError, InputProblem, TfkmsError

RANDOM = bool(os.environ.get("TFKMS_FUZZ_RANDOM"))
SCALE = float(os.environ.get("TFKMS_FUZZ_EXAMPLES", "1"))


def fuzz_settings(examples: int) -> settings:
    n = int(examples * SCALE) if SCALE > 1 else examples
    return settings(max_examples=n, deadline=None, derandomize=not RANDOM, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])


@contextmanager
def time_cap(seconds: int = 20) -> Iterator[None]:
    """A hang is a failure (SIGALRM); the loader must give up on its own long before this."""
    def _expired(signum: int, frame: object) -> None:
        raise AssertionError(f"no answer within {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _config_corpus() -> list[Path]:
    roots = [FIXTURES / "terraform", *sorted(GOLDEN_FIX.glob("*/input"))]
    out = []
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and (path.name.endswith((".tf", ".tf.json", ".tfvars", ".tfvars.json"))
                                   or path.name == ".terraform.lock.hcl"):
                out.append(path)
    return out


CORPUS = _config_corpus()
TOKENS = [b"{", b"}", b"[", b"]", b"(", b")", b'"', b"=", b"\n", b"\r\n", b"\t", b"#", b"//", b"/*", b"*/",
          b"<<EOT\n", b"<<-EOT\n", b"\nEOT\n", b"${", b"%{", b"~}", b"\\", b"\x00", b"\xff", b"\xc3", b"\xe2\x80\xa8",
          b"resource ", b'"alicloud_kms_key" ', b"lifecycle {", b"ignore_changes = [", b"for_each = ",
          b"count = ", b"dynamic ", b"? :", b"...", b"=>", b"\xef\xbb\xbf", b"1e999", b"0x", b"-"]


@st.composite
def mutated_bytes(draw: st.DrawFn, corpus: list[Path] = CORPUS) -> tuple[Path, bytes]:
    path = draw(st.sampled_from(corpus))
    data = bytearray(path.read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["insert", "delete", "replace", "dup-line", "drop-line", "swap-lines",
                                     "truncate", "flip"]))
        n = len(data)
        pos = draw(st.integers(0, n))
        if kind == "insert":
            chunk = draw(st.one_of(st.sampled_from(TOKENS), st.binary(min_size=1, max_size=8)))
            data[pos:pos] = chunk
        elif kind == "delete" and n:
            data[pos:pos + draw(st.integers(1, 16))] = b""
        elif kind == "replace" and n:
            data[pos:pos + 1] = draw(st.sampled_from(TOKENS))
        elif kind == "flip" and n and pos < n:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate":
            del data[pos:]
        else:
            lines = bytes(data).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            if kind == "dup-line":
                lines.insert(i, lines[i])
            elif kind == "drop-line" and len(lines) > 1:
                del lines[i]
            elif kind == "swap-lines":
                j = draw(st.integers(0, len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
            data = bytearray(b"\n".join(lines))
    return path, bytes(data)


def _parse(path: Path, data: bytes) -> object:
    display = path.name
    try:
        with time_cap():
            return parse_source(path, display, decode(data, display))
    except InputFileError as exc:
        assert exc.problem.file == display
        assert exc.problem.line is None or exc.problem.line >= 1
        return exc.problem


@fuzz_settings(150)
@given(mutated_bytes())
def test_loader_on_mutated_bytes_only_raises_input_file_error(case: tuple[Path, bytes]) -> None:
    path, data = case
    _parse(path, data)  # any exception other than InputFileError fails the test


@fuzz_settings(60)
@given(mutated_bytes(), st.sampled_from(["main.tf", "extra.tf"]))
def test_build_project_reports_a_mutated_file_as_a_problem(case: tuple[Path, bytes], name: str) -> None:
    """A mutated file beside a good KMS file: build_project never raises; the good key survives."""
    path, data = case
    suffix = ".tf.json" if path.name.endswith(".json") and not path.name.endswith("tfvars.json") else ".tf"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        root.mkdir()
        (root / "good.tf").write_text('resource "alicloud_kms_key" "good_one" {\n  description = "x"\n}\n')
        (root / (name.replace(".tf", "") + suffix)).write_bytes(data)
        with time_cap():
            project = build_project([root], [], cache=None, workers=1)
        assert all(isinstance(p, InputProblem) for p in project.problems)
        addresses = {i.address for r in project.roots for i in r.resource_instances()}
        assert "alicloud_kms_key.good_one" in addresses or project.problems, addresses


# ---------------------------------------------------------------- patcher on mutated, parseable input

GOLDEN_CASES = sorted(p.name for p in GOLDEN_FIX.iterdir() if (p / "input").is_dir())
MARK = "tfkms-fuzz-mark"


def _fix_options(args: list[str]) -> tuple[Any, str | None]:
    from tfkms.analysis.fix import FixOptions

    options = FixOptions()
    version = None
    for arg in args:
        if arg.startswith("--strategy"):
            options.strategy = arg.split("=", 1)[1]
        elif arg == "--ignore-rotation":
            options.ignore_rotation = True
        elif arg.startswith("--provider-version"):
            version = arg.split("=", 1)[1]
    return options, version


def _run_fix(root: Path, case: Path) -> Any:
    from tfkms.analysis.fix import fix_project
    from tfkms.knowledge.versions import ProviderVersion
    from tfkms.services import StateSource, TruthOptions, load_truth

    options, version = _fix_options(golden_args(case))
    project = build_project([root], [], ProviderVersion.parse(version) if version else None, cache=None, workers=1)
    problems: list[InputProblem] = []
    truth = load_truth(project, TruthOptions(states=[StateSource(str(golden_truth(case)))]), problems)
    result = fix_project(project, truth, options)
    result.problems.extend(problems)
    return result


def _is_hcl(name: str) -> bool:
    return name.endswith(".tf")


@st.composite
def benign_mutation(draw: st.DrawFn) -> tuple[str, dict[str, bytes], int]:
    """A golden input with comment lines, blank lines and trailing spaces sprinkled between lines,
    or its newlines turned into CRLF, or a non-KMS block appended: still valid Terraform."""
    case = draw(st.sampled_from(GOLDEN_CASES))
    base = GOLDEN_FIX / case / "input"
    files = {p.relative_to(base).as_posix(): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}
    hcl = sorted(n for n in files if _is_hcl(n) and not n.startswith(".terraform/"))
    assume(hcl)
    marks = 0
    for name in draw(st.lists(st.sampled_from(hcl), min_size=1, max_size=3, unique=True)):
        text = files[name].decode("utf-8")
        newline = "\r\n" if "\r\n" in text else "\n"
        lines = text.split(newline)
        # Line boundaries outside heredocs and multi-line strings are safe for comments.
        safe = _safe_boundaries(lines)
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.sampled_from(safe))
            style = draw(st.sampled_from(["#", "//", "/*x*/"]))
            comment = f"{style} {MARK}-{marks} é中" if style != "/*x*/" else f"/* {MARK}-{marks} */"
            lines.insert(i, comment)
            safe = [j + (1 if j >= i else 0) for j in safe] + [i]
            marks += 1
        if draw(st.booleans()):
            lines.insert(draw(st.sampled_from(safe)), "")
        if draw(st.booleans()):
            lines.append(f'resource "alicloud_vpc" "fuzz_{marks}" {{\n  cidr_block = "10.0.0.0/8" # {MARK}-{marks}\n}}')
            marks += 1
        out = newline.join(lines)
        if newline == "\n" and draw(st.booleans()):
            out = out.replace("\n", "\r\n")
        files[name] = out.encode("utf-8")
    return case, files, marks


def _safe_boundaries(lines: list[str]) -> list[int]:
    """Indexes where a whole new line may be inserted (not inside a heredoc or an open string)."""
    safe = [0]
    heredoc: str | None = None
    for i, line in enumerate(lines):
        if heredoc is not None:
            if line.strip() == heredoc:
                heredoc = None
                safe.append(i + 1)
            continue
        m = re.search(r"<<-?([A-Za-z_][A-Za-z0-9_]*)\s*$", line)
        if m:
            heredoc = m.group(1)
            continue
        if line.count('"') % 2 == 0 and not line.rstrip().endswith(("=", "(", ",", "?", ":")):
            safe.append(i + 1)
    return safe


@fuzz_settings(60)
@given(mutation=benign_mutation())
def test_fix_on_mutated_golden_inputs_is_local_parseable_and_idempotent(mutation: tuple[str, dict, int],
                                                                       terraform: Terraform) -> None:
    case_name, files, marks = mutation
    case = GOLDEN_FIX / case_name
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "input"
        for name, data in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(data)
        hcl_paths = [root / n for n in files if _is_hcl(n) and not n.startswith(".terraform/")]
        assume(not terraform.rejects(hcl_paths))  # the mutation itself must be valid HCL
        result = _run_fix(root, case)
        assert not result.problems, [p.render() for p in result.problems]
        edits = [e for f in result.findings for e in f.edits]
        for patch in result.patches:
            original = patch.original
            mine = [e for e in edits if e.file == patch.display]
            # Each edit replaces exactly the text it says it replaces, and nothing else moves.
            for e in mine:
                assert original[e.start:e.end] == e.before
            out, pos = [], 0
            seen: set[tuple[int, int, str]] = set()
            for e in sorted(mine, key=lambda e: (e.start, e.end)):
                if (e.start, e.end, e.after) in seen:
                    continue
                seen.add((e.start, e.end, e.after))
                assert e.start >= pos, "overlapping edits"
                out += [original[pos:e.start], e.after]
                pos = e.end
            out.append(original[pos:])
            assert "".join(out) == patch.patched
            # Every mutation marker survives exactly once, byte for byte.
            for k in range(marks):
                assert original.count(f"{MARK}-{k} ") + original.count(f"{MARK}-{k}\n") == \
                    patch.patched.count(f"{MARK}-{k} ") + patch.patched.count(f"{MARK}-{k}\n")
            assert ("\r\n" in original) == ("\r\n" in patch.patched)
            parse_source(patch.path, patch.display, patch.patched)
            assert CANARY not in "".join(e.after + e.before for e in mine)
        for patch in result.patches:
            patch.path.write_bytes(patch.patched.encode("utf-8"))
        terraform.assert_parses([p.path for p in result.patches if p.path.name.endswith(".tf")])
        again = _run_fix(root, case)
        assert again.patches == [] and not [e for f in again.findings for e in f.edits]


# ---------------------------------------------------------------- JSON: states, plans, inventories

JSON_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
                        st.text(max_size=12), st.sampled_from(["", "kst-x", "alicloud_kms_key", "managed", "1.2"]))
# (The canary is never planted by the mutator: it stays in the secret fields the fixtures hold it in,
# so a canary in an error message means a secret field was echoed.)
JSON_VALUES = st.recursive(JSON_LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=8)
STRUCTURAL_KEYS = ["version", "resources", "instances", "attributes", "type", "name", "mode", "module", "index_key",
                   "values", "root_module", "child_modules", "address", "format_version", "resource_changes",
                   "change", "actions", "replace_paths", "regions", "keys", "secrets", "instances", "key_id",
                   "dkms_instance_id", "protection_level", "secret_name", "module_address", "action_reason"]


def _paths(tree: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(tree, dict):
        for k, v in tree.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            out += _paths(v, prefix + (i,))
    return out


def _set(tree: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    parent = tree
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return tree


def _delete(tree: Any, path: tuple) -> Any:
    if not path:
        return tree
    parent = tree
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]
    return tree


@st.composite
def mutated_json(draw: st.DrawFn, sources: list[Path]) -> tuple[Path, str]:
    source = draw(st.sampled_from(sources))
    tree = json.loads(source.read_text(encoding="utf-8"))
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(tree)
        # Prefer structural places: that is where readers make assumptions.
        interesting = [p for p in paths if p and p[-1] in STRUCTURAL_KEYS] or paths
        path = draw(st.sampled_from(interesting if draw(st.booleans()) else paths))
        action = draw(st.sampled_from(["replace", "delete", "wrap", "empty"]))
        try:
            if action == "replace":
                tree = _set(tree, path, draw(JSON_VALUES))
            elif action == "delete":
                tree = _delete(tree, path)
            elif action == "wrap":
                current = tree
                for step in path:
                    current = current[step]
                tree = _set(tree, path, draw(st.sampled_from([[current], {"x": current}, type(current).__name__])))
            else:
                current = tree
                for step in path:
                    current = current[step]
                tree = _set(tree, path, type(current)() if isinstance(current, (list, dict, str)) else None)
        except (KeyError, IndexError, TypeError):
            continue
    text = json.dumps(tree, indent=draw(st.sampled_from([None, 2])))
    if draw(st.integers(0, 9)) == 0:  # sometimes break the syntax too
        cut = draw(st.integers(0, len(text)))
        text = text[:cut]
    return source, text


STATE_SOURCES = sorted(p for p in GOLDEN_FIX.glob("*/*") if p.name in ("state.tfstate", "show.json")) + \
    [FIXTURES / "plans" / "terraform.tfstate", FIXTURES / "plans" / "state_show.json"]
def _valid_json(path: Path) -> bool:
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return False
    return True


PLAN_SOURCES = sorted(p for p in (FIXTURES / "plans").glob("*.json") if p.name != "state_show.json" and _valid_json(p))
INVENTORY_SOURCES = [FIXTURES / "inventory" / "demo.json"]


def _write_tmp(text: str, suffix: str) -> Path:
    handle = tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False, encoding="utf-8")
    with handle:
        handle.write(text)
    return Path(handle.name)


_SHAPE_BUG = json.dumps({"version": 4, "resources": [{"mode": "managed", "type": "alicloud_kms_key", "name": "k",
                                                       "instances": 5}]})


@fuzz_settings(150)
@given(mutated_json(STATE_SOURCES))
@example((STATE_SOURCES[0], _SHAPE_BUG))
def test_state_mutations_give_only_clean_errors(case: tuple[Path, str]) -> None:
    from tfkms.truth.state import load_state

    _, text = case
    path = _write_tmp(text, ".tfstate")
    try:
        with time_cap():
            state = load_state(path, "mutated.tfstate")
    except InputFileError as exc:
        assert exc.problem.file == "mutated.tfstate"
        assert CANARY not in exc.problem.render()
        return
    finally:
        path.unlink()
    for inst in state.instances.values():
        assert CANARY not in repr(inst.attributes)
        assert all(isinstance(v, (str, bool, int, type(None))) for v in inst.attributes.values())


@fuzz_settings(60)
@given(st.sampled_from(GOLDEN_CASES), st.data())
def test_mutated_state_values_never_crash_fix(case_name: str, data: st.DataObject) -> None:
    """Allowlisted attributes with values of the wrong kind or shape (an int dkms_instance_id,
    an empty protection_level, a secret_name of another secret) flow into the analysis."""
    case = GOLDEN_FIX / case_name
    truth_file = golden_truth(case)
    tree = json.loads(truth_file.read_text())
    attribute_sets = []
    for path in _paths(tree):
        node: Any = tree
        for step in path:
            node = node[step]
        if path and path[-1] in ("attributes", "values") and isinstance(node, dict):
            attribute_sets.append(node)
    assume(attribute_sets)
    for _ in range(data.draw(st.integers(1, 4))):
        attrs = data.draw(st.sampled_from(attribute_sets))
        name = data.draw(st.sampled_from(["dkms_instance_id", "protection_level", "key_spec", "status",
                                          "key_state", "encryption_key_id", "secret_name", "id",
                                          "automatic_rotation", "rotation_interval", "key_usage", "origin"]))
        attrs[name] = data.draw(st.one_of(st.none(), st.booleans(), st.integers(-5, 2**40),
                                          st.sampled_from(["", "kst-", "HSM", "SOFTWARE", "Enabled", "Disabled",
                                                           "PendingDeletion", "key-x", " ", "é中", "${x}"])))
    with tempfile.TemporaryDirectory() as tmp:
        root = shutil.copytree(case / "input", Path(tmp) / "input", symlinks=True)
        truth = Path(tmp) / truth_file.name
        truth.write_text(json.dumps(tree))
        from tfkms.analysis.fix import fix_project
        from tfkms.services import StateSource, TruthOptions, load_truth

        options, version = _fix_options(golden_args(case))
        from tfkms.knowledge.versions import ProviderVersion

        project = build_project([root], [], ProviderVersion.parse(version) if version else None, cache=None,
                                workers=1)
        problems: list[InputProblem] = []
        try:
            with time_cap():
                result = fix_project(project, load_truth(project, TruthOptions(states=[StateSource(str(truth))]), problems),
                                     options)
        except TfkmsError:
            return
        for patch in result.patches:
            parse_source(patch.path, patch.display, patch.patched)


@fuzz_settings(150)
@given(mutated_json(PLAN_SOURCES))
def test_plan_mutations_give_only_clean_errors(case: tuple[Path, str]) -> None:
    from tfkms.analysis.guard import guard_plan
    from tfkms.report import render

    _, text = case
    path = _write_tmp(text, ".json")
    try:
        with time_cap():
            result = guard_plan(path, "mutated.json")
            rendered = [render(result, fmt) for fmt in ("text", "json", "sarif")]
    finally:
        path.unlink()
    for problem in result.problems:
        assert problem.file == "mutated.json"
    assert all(CANARY not in out for out in rendered)


@fuzz_settings(120)
@given(mutated_json(INVENTORY_SOURCES))
def test_inventory_mutations_give_only_clean_errors(case: tuple[Path, str]) -> None:
    from tfkms.truth.inventory import load_inventory

    _, text = case
    path = _write_tmp(text, ".json")
    try:
        with time_cap():
            load_inventory(path)
    except InputFileError as exc:
        assert exc.problem.file == str(path)
    finally:
        path.unlink()
