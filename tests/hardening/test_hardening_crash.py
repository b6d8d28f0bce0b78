"""Issue 7, part 3: crash safety of `fix --write`, and the changed-since-read guard.

A repository of 300 `.tf` files (three roots of 100), each holding a key that was migrated
(provider 1.230.0, so every key needs `dkms_instance_id`). An uninterrupted run on a separate
copy gives the expected tree. Eight trials SIGKILL `fix --write` (the whole process group) at
different moments of its write phase; after each, every file is byte-identical to the original
or to the expected result, leftovers carry a name Terraform ignores (`.tfkms-*.tmp`), the next
`fix --write` removes them and finishes the job, and a further run changes nothing.
"""
from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hardening_support import (
    LOCK_1230, VERSIONS_TF, cli_command, cli_env, key_tf, migrated_key, run_cli, tfstate, tree_bytes,
)

from tfkms.atomic import LEGACY_TEMP_AGE_S

ROOTS, PER_ROOT = 3, 100
TEMP_NAME = re.compile(r"^\.tfkms-.*\.tmp$")
# Kill moments, as fractions of the write phase of the reference run (measured), plus one
# before any write starts (None: a fixed early moment after start).
FRACTIONS = (None, 0.0, 0.1, 0.25, 0.4, 0.55, 0.7, 0.9)


def _generate(base: Path) -> tuple[Path, list[str]]:
    repo = base / "repo"
    state_args: list[str] = []
    for r in range(ROOTS):
        root = repo / f"stack{r}"
        root.mkdir(parents=True)
        (root / "versions.tf").write_text(VERSIONS_TF)
        (root / ".terraform.lock.hcl").write_text(LOCK_1230)
        names = [f"key{r}_{i:03d}" for i in range(PER_ROOT)]
        for name in names:
            (root / f"{name}.tf").write_text(key_tf(name))
        state = base / f"stack{r}.tfstate"
        state.write_text(tfstate([migrated_key(n, instance=f"kst-hzz{r}{i:017d}") for i, n in enumerate(names)]))
        state_args += ["--state", f"stack{r}={state}"]
    return repo, state_args


class WatchedRun:
    """`fix --write` in its own process group; notes when the first file changes."""

    def __init__(self, repo: Path, state_args: list[str], env: dict[str, str], stderr: object = None) -> None:
        self.repo = repo
        self.dirs = sorted(p for p in repo.iterdir() if p.is_dir())
        self.before = {p: p.stat().st_mtime_ns for d in self.dirs for p in d.iterdir()}
        self.proc = subprocess.Popen(cli_command("fix", str(repo), *state_args, "--write", "--format", "json"),
                                     stdout=subprocess.DEVNULL, stderr=stderr or subprocess.DEVNULL, env=env,
                                     cwd=repo.parent, start_new_session=True)
        self.started = time.monotonic()

    def _writing(self) -> bool:
        for d in self.dirs:
            for entry in os.scandir(d):
                if entry.name.startswith(".tfkms-"):
                    return True
                p = Path(entry.path)
                try:
                    if self.before.get(p) != entry.stat().st_mtime_ns:
                        return True
                except FileNotFoundError:
                    return True
        return False

    def wait_for_first_write(self, cap: float = 30.0) -> float | None:
        while time.monotonic() - self.started < cap:
            if self.proc.poll() is not None:
                return None
            if self._writing():
                return time.monotonic()
        raise AssertionError("fix --write wrote nothing within 30 s")

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)

    def finish(self) -> float:
        self.proc.wait(timeout=30)
        return time.monotonic()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("crash")
    repo, state_args = _generate(base)
    env = cli_env(base / "xdg-cache")
    original = tree_bytes(repo)
    reference = shutil.copytree(repo, base / "reference", symlinks=True)
    watched = WatchedRun(reference, [a.replace(str(repo), str(reference)) for a in state_args], env)
    first = watched.wait_for_first_write()
    end = watched.finish()
    assert watched.proc.returncode == 0
    expected = tree_bytes(reference)
    assert len([k for k in expected if original[k] != expected[k]]) == ROOTS * PER_ROOT, "every file needs a patch"
    return {"base": base, "repo": repo, "state_args": state_args, "env": env, "original": original,
            "expected": expected, "write_phase": max(end - (first or end), 0.05)}


def _check_interrupted_tree(work: Path, original: dict[str, bytes], expected: dict[str, bytes]) -> tuple[int, int]:
    """Every file original or patched, leftovers only temp files Terraform ignores."""
    now = tree_bytes(work)
    patched = untouched = 0
    for name, data in now.items():
        if name in original:
            if data == expected[name] and data != original[name]:
                patched += 1
            elif data == original[name]:
                untouched += 1
            else:
                raise AssertionError(f"{name} is neither the original nor the patched file (partial write?)")
        else:
            base = name.rsplit("/", 1)[-1]
            assert TEMP_NAME.match(base), f"unexpected file left behind: {name}"
            assert not base.endswith((".tf", ".tf.json")), name
    missing = set(original) - set(now)
    assert not missing, f"files vanished: {sorted(missing)}"
    return patched, untouched


def _trial(scenario: dict, n: int, fraction: float | None) -> tuple[int, int]:
    work = shutil.copytree(scenario["repo"], scenario["base"] / f"trial{n}", symlinks=True)
    state_args = [a.replace(str(scenario["repo"]), str(work)) for a in scenario["state_args"]]
    run = WatchedRun(work, state_args, scenario["env"])
    if fraction is None:
        time.sleep(0.05)
    else:
        first = run.wait_for_first_write()
        if first is not None:
            time.sleep(fraction * scenario["write_phase"])
    run.kill()
    counts = _check_interrupted_tree(work, scenario["original"], scenario["expected"])

    # The next run removes the litter and completes the job; a further run changes nothing.
    done = run_cli("fix", str(work), *state_args, "--write", "--format", "json", cwd=work.parent, env=scenario["env"])
    assert done.returncode == 0, done.describe()
    assert tree_bytes(work) == scenario["expected"], f"trial {n}: the completing run did not finish the job"
    again = run_cli("fix", str(work), *state_args, "--write", "--format", "json", cwd=work.parent, env=scenario["env"])
    assert again.returncode == 0, again.describe()
    assert again.json()["patches"] == [], again.describe()
    assert tree_bytes(work) == scenario["expected"]
    shutil.rmtree(work)
    return counts


def test_sigkill_during_fix_write_leaves_each_file_whole(scenario: dict) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda item: _trial(scenario, *item), enumerate(FRACTIONS)))
    # The kills landed inside the write phase at least once (else the trials proved little).
    assert any(patched and untouched for patched, untouched in results), results


def test_stale_temp_files_are_removed_by_the_next_write(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "main.tf").write_text(key_tf("k"))
    (root / ".terraform.lock.hcl").write_text(LOCK_1230)
    stale = root / ".tfkms-abc123.tmp"
    stale.write_text('resource "alicloud_kms_key" "half" {\n  descr')
    old = stale.stat().st_mtime - 2 * LEGACY_TEMP_AGE_S  # an older tfkms's name: only its age proves it stale
    os.utime(stale, (old, old))
    state = tmp_path / "s.tfstate"
    state.write_text(tfstate([migrated_key("k")]))
    env = cli_env(tmp_path / "cache")
    preview = run_cli("fix", str(root), "--state", str(state), cwd=tmp_path, env=env)
    assert preview.returncode == 2 and stale.exists(), "a preview writes nothing, not even clean-up"
    done = run_cli("fix", str(root), "--state", str(state), "--write", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.describe()
    assert not stale.exists()
    assert sorted(p.name for p in root.iterdir()) == [".terraform.lock.hcl", "main.tf"]


# ---------------------------------------------------------------- changed since read


def _small_repo(base: Path, n: int = 6) -> tuple[Path, Path]:
    root = base / "repo"
    root.mkdir(parents=True)
    (root / ".terraform.lock.hcl").write_text(LOCK_1230)
    for i in range(n):
        (root / f"k{i}.tf").write_text(key_tf(f"k{i}"))
    state = base / "s.tfstate"
    state.write_text(tfstate([migrated_key(f"k{i}") for i in range(n)]))
    return root, state


def _invoke_fix(root: Path, state: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(__import__("tfkms.cli", fromlist=["app"]).app,
                                ["fix", str(root), "--state", str(state), "--write", "--no-cache"])
    return result.exit_code, result.stdout, result.stderr


def _user_edit(path: Path, same_size: bool, keep_mtime: bool = False) -> bytes:
    st = path.stat()
    data = path.read_bytes()
    edited = data.replace(b"Enabled", b"Disabld") if same_size else data + b"# edited by a human\n"
    if same_size:
        assert len(edited) == len(data) and edited != data
    path.write_bytes(edited)
    if keep_mtime:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    else:  # make sure the clock moved even on coarse file systems
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    return edited


def test_file_changed_between_read_and_write_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user edits two files while tfkms works (after it read them, before it writes)."""
    import tfkms.services as services

    root, state = _small_repo(tmp_path)
    real_load_truth = services.load_truth
    edits: dict[Path, bytes] = {}

    def load_truth_then_edit(*args, **kwargs):  # config is read by now; writes come later
        out = real_load_truth(*args, **kwargs)
        edits[root / "k1.tf"] = _user_edit(root / "k1.tf", same_size=False)
        edits[root / "k4.tf"] = _user_edit(root / "k4.tf", same_size=True)
        return out

    monkeypatch.setattr(services, "load_truth", load_truth_then_edit)
    code, out, err = _invoke_fix(root, state)
    assert code == 1, out + err
    for path, data in edits.items():
        assert path.read_bytes() == data, f"{path.name}: the user's edit was overwritten"
        assert re.search(rf"{path.name}\b.*changed", err), err
    for i in (0, 2, 3, 5):
        assert "dkms_instance_id" in (root / f"k{i}.tf").read_text(), f"k{i}.tf was not written"
    assert not list(root.glob(".tfkms-*"))


def test_edit_during_the_read_itself_is_not_overwritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, state = _small_repo(tmp_path)
    target = (root / "k2.tf").resolve()
    real_read_bytes = Path.read_bytes
    edited: list[bytes] = []
    busy: list[bool] = []

    def read_then_edit(self: Path) -> bytes:
        data = real_read_bytes(self)
        if self.resolve() == target and not busy:
            busy.append(True)  # _user_edit reads the file too
            edited.append(_user_edit(target, same_size=True))
        return data

    monkeypatch.setattr(Path, "read_bytes", read_then_edit)
    code, out, err = _invoke_fix(root, state)
    monkeypatch.undo()
    assert edited
    assert target.read_bytes() == edited[0], "the edit made while tfkms read the file was overwritten"
    assert code == 1 and "k2.tf" in err


def test_same_size_edit_with_preserved_mtime_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tfkms.services as services

    root, state = _small_repo(tmp_path)
    real_load_truth = services.load_truth
    edits: dict[Path, bytes] = {}

    def load_truth_then_edit(*args, **kwargs):
        out = real_load_truth(*args, **kwargs)
        edits[root / "k3.tf"] = _user_edit(root / "k3.tf", same_size=True, keep_mtime=True)
        return out

    monkeypatch.setattr(services, "load_truth", load_truth_then_edit)
    code, out, err = _invoke_fix(root, state)
    assert (root / "k3.tf").read_bytes() == edits[root / "k3.tf"], "the user's edit was overwritten"
    assert code == 1 and "k3.tf" in err


def test_files_touched_by_a_thread_during_a_large_run_are_refused(tmp_path: Path) -> None:
    """Black-box: while a subprocess patches 300 files (in path order), the test appends to the last
    40 as soon as the first write lands, long before tfkms reaches them. Each of those is refused and
    named (its append kept), every other file is written, exit 1."""
    repo, state_args = _generate(tmp_path)
    env = cli_env(tmp_path / "xdg-cache")
    files = sorted(repo.rglob("key*.tf"))
    stderr = tmp_path / "stderr.txt"
    with open(stderr, "w") as err:
        run = WatchedRun(repo, state_args, env, stderr=err)
        marker = b"# appended while tfkms ran\n"
        touched: list[Path] = []
        if run.wait_for_first_write() is not None:
            for path in reversed(files[-40:]):
                with open(path, "ab") as handle:
                    handle.write(marker)
                touched.append(path)
        run.finish()
    assert touched, "tfkms finished before the thread could touch anything"
    messages = stderr.read_text()
    assert run.proc.returncode == 1, messages
    for path in touched:
        data = path.read_bytes()
        assert data.endswith(marker) and b"dkms_instance_id" not in data, f"{path}: the concurrent append was lost"
        assert re.search(rf"{path.parent.name}/{path.name}\b.*changed", messages), messages
    assert all(b"dkms_instance_id" in p.read_bytes() for p in files if p not in touched)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="finds the temp file through /proc")
def test_edit_during_the_temp_file_write_is_not_overwritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tfkms.atomic as writer

    root, state = _small_repo(tmp_path)
    target = root / "k3.tf"
    real_fsync = writer.os.fsync
    edited: list[bytes] = []

    def fsync_while_user_edits(fd: int) -> None:
        real_fsync(fd)
        if not edited and target.exists() and "dkms_instance_id" not in target.read_text():
            if os.readlink(f"/proc/self/fd/{fd}").startswith(str(root / ".tfkms-")):
                if b"k3" in Path(os.readlink(f"/proc/self/fd/{fd}")).read_bytes():
                    edited.append(_user_edit(target, same_size=False))

    monkeypatch.setattr(writer.os, "fsync", fsync_while_user_edits)
    code, out, err = _invoke_fix(root, state)
    monkeypatch.undo()
    assert edited, "the hook never ran"
    assert target.read_bytes() == edited[0], "the edit made while tfkms wrote its temp file was overwritten"
    assert code == 1 and "k3.tf" in err


# ---------------------------------------------------------------- the parse cache after a crash


def _corruptions(data: bytes, rng: random.Random) -> list[bytes]:
    half = len(data) // 2
    out = [b"", data[:half], data[: len(data) - 1], bytes(rng.getrandbits(8) for _ in range(64))]
    for _ in range(8):  # bit rot in the body (the frame header is left alone: no giant allocations)
        b = bytearray(data)
        i = rng.randrange(half, len(data))
        b[i] ^= 1 << rng.randrange(8)
        out.append(bytes(b))
    return out


def test_damaged_parse_cache_entries_are_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tfkms.cli import app

    rng = random.Random(7)
    work = shutil.copytree(Path(__file__).parents[1] / "golden" / "fix" / "key-1230-needs-instance-id" / "input",
                           tmp_path / "input")
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))

    def findings() -> tuple[int, list]:
        result = CliRunner().invoke(app, ["check", str(work), "--format", "json"])
        assert "Traceback" not in result.output
        data = __import__("json").loads(result.stdout) if result.exit_code in (0, 2) else None
        return result.exit_code, (data or {}).get("findings", result.stderr)

    clean = findings()
    entries = sorted(cache.rglob("*.json"))
    assert entries, "nothing was cached"
    originals = {p: p.read_bytes() for p in entries}
    variants = {p: _corruptions(d, rng) for p, d in originals.items()}
    failures = []
    for round_ in range(len(next(iter(variants.values())))):
        for p in entries:
            p.write_bytes(variants[p][round_])
        outcome = findings()
        if outcome != clean:
            failures.append((round_, outcome[0], str(outcome[1])[:160]))
    assert not failures, failures
