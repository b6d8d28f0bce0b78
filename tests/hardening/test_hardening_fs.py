"""Issue 7, part 4: the file system. Symlinks out of the tree, symlink loops, read-only files
and directories, mode bits, and `.terraform/` (never written)."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from hardening_support import (
    GOLDEN_FIX, LOCK_1230, Run, cli_env, copy_tree, golden_truth, key_tf, migrated_key, run_cli, tfstate, tree_bytes,
)


def _fix(root: Path, *extra: str, cwd: Path, prefix: tuple[str, ...] = ()) -> Run:
    run = run_cli("fix", str(root), *extra, "--write", "--format", "json", cwd=cwd, env=cli_env(cwd / "xdg-cache"),
                  prefix=prefix)
    assert "Traceback" not in run.output and "internal error" not in run.stderr, run.describe()
    return run


def _state(path: Path, *names: str) -> Path:
    path.write_text(tfstate([migrated_key(n) for n in names]))
    return path


def _root(path: Path, **files: str) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / ".terraform.lock.hcl").write_text(LOCK_1230)
    for name, text in files.items():
        (path / name).write_text(text)
    return path


def _patched(path: Path) -> bool:
    return "dkms_instance_id" in path.read_text()


# ---------------------------------------------------------------- symlinks


def test_tf_symlink_to_a_file_outside_the_tree_is_not_written(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "shared.tf"
    outside.parent.mkdir()
    outside.write_text(key_tf("shared"))
    before = outside.read_bytes()
    root = _root(tmp_path / "repo", **{"main.tf": key_tf("inside")})
    (root / "shared.tf").symlink_to(Path("..") / "elsewhere" / "shared.tf")
    run = _fix(root, "--state", str(_state(tmp_path / "s.tfstate", "inside", "shared")), cwd=tmp_path)
    assert outside.read_bytes() == before, "wrote through a symlink leaving the scanned tree"
    assert (root / "shared.tf").is_symlink()
    assert run.returncode == 1, run.describe()
    assert "shared.tf" in run.stderr and "outside" in run.stderr, run.describe()
    assert _patched(root / "main.tf"), "the regular file beside it was not written"


def test_symlinked_directory_pointing_outside_is_not_written(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "stack"
    outside.mkdir(parents=True)
    (outside / ".terraform.lock.hcl").write_text(LOCK_1230)
    (outside / "main.tf").write_text(key_tf("far"))
    before = tree_bytes(outside)
    root = _root(tmp_path / "repo" / "near", **{"main.tf": key_tf("near")})
    (tmp_path / "repo" / "far").symlink_to(outside)
    state = _state(tmp_path / "s.tfstate", "near", "far")
    run = _fix(tmp_path / "repo", "--state", f"near={state}", "--state", f"far={state}", cwd=tmp_path)
    assert tree_bytes(outside) == before, "wrote through a symlinked directory leaving the scanned tree"
    assert run.returncode == 1 and "far/main.tf" in run.stderr, run.describe()
    assert _patched(root / "main.tf")


def test_symlink_into_dot_terraform_is_not_written(tmp_path: Path) -> None:
    root = _root(tmp_path / "repo")
    module = root / ".terraform" / "modules" / "kms"
    module.mkdir(parents=True)
    (module / "main.tf").write_text(key_tf("k"))
    (root / "kms.tf").symlink_to(Path(".terraform") / "modules" / "kms" / "main.tf")
    before = tree_bytes(root / ".terraform")
    run = _fix(root, "--state", str(_state(tmp_path / "s.tfstate", "k")), cwd=tmp_path)
    assert tree_bytes(root / ".terraform") == before, "wrote under .terraform/ through a symlink"
    assert run.returncode in (1, 2), run.describe()


def test_file_shared_by_two_roots_through_symlinks(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "shared").mkdir(parents=True)
    (repo / "shared" / "kms.tf.txt").write_text(key_tf("k"))  # not a .tf name: not a root itself
    state = _state(tmp_path / "s.tfstate", "k")
    for env in ("prod", "staging"):
        _root(repo / "envs" / env)
        (repo / "envs" / env / "kms.tf").symlink_to(Path("..") / ".." / "shared" / "kms.tf.txt")
    run = _fix(repo, "--state", f"envs/prod={state}", "--state", f"envs/staging={state}", cwd=tmp_path)
    assert (repo / "shared" / "kms.tf.txt").read_text().count("dkms_instance_id") == 1
    assert run.returncode == 0, run.describe()


def test_symlinked_directory_loops_terminate(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    root = _root(repo / "a", **{"main.tf": key_tf("k")})
    (root / "loop").symlink_to(Path(".."))  # a/loop -> repo
    (repo / "b").mkdir()
    (repo / "c").mkdir()
    (repo / "b" / "to-c").symlink_to(Path("..") / "c")
    (repo / "c" / "to-b").symlink_to(Path("..") / "b")
    (repo / "a" / "dangling.tf").symlink_to(Path("nowhere.tf"))
    check = run_cli("check", str(repo), "--format", "json", cwd=tmp_path, env=cli_env(tmp_path / "c"))
    assert check.returncode in (0, 1, 2) and "Traceback" not in check.output, check.describe()
    assert [r["address"] for r in check.json()["resources"]] == ["alicloud_kms_key.k"], check.describe()
    run = _fix(repo, "--state", f"a={_state(tmp_path / 's.tfstate', 'k')}", cwd=tmp_path)
    assert _patched(root / "main.tf"), run.describe()


def test_self_looping_symlink_does_not_hide_its_siblings(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _root(repo / "stack", **{"main.tf": key_tf("k")})
    (repo / "self").symlink_to(Path("self"))
    run = run_cli("check", str(repo), "--format", "json", cwd=tmp_path, env=cli_env(tmp_path / "c"))
    assert "Traceback" not in run.output, run.describe()
    assert [r["address"] for r in run.json()["resources"]] == ["alicloud_kms_key.k"], run.describe()


def test_fifo_named_like_a_tf_file_does_not_hang(tmp_path: Path) -> None:
    root = _root(tmp_path / "repo", **{"main.tf": key_tf("k")})
    os.mkfifo(root / "pipe.tf")
    run = run_cli("check", str(root), "--format", "json", cwd=tmp_path, env=cli_env(tmp_path / "c"))
    assert run.returncode in (0, 1, 2) and "Traceback" not in run.output, run.describe()
    assert [r["address"] for r in run.json()["resources"]] == ["alicloud_kms_key.k"], run.describe()


# ---------------------------------------------------------------- permissions


def test_read_only_target_is_refused_named_and_kept(tmp_path: Path) -> None:
    root = _root(tmp_path / "repo", **{"a.tf": key_tf("a"), "ro.tf": key_tf("ro")})
    (root / "ro.tf").chmod(0o444)
    before = (root / "ro.tf").read_bytes()
    run = _fix(root, "--state", str(_state(tmp_path / "s.tfstate", "a", "ro")), cwd=tmp_path)
    assert run.returncode == 1, run.describe()
    assert any("ro.tf" in ln and "read-only" in ln for ln in run.stderr.splitlines()), run.describe()
    assert (root / "ro.tf").read_bytes() == before
    assert stat.S_IMODE((root / "ro.tf").stat().st_mode) == 0o444
    assert _patched(root / "a.tf")
    assert not list(root.glob(".tfkms-*"))


def _without_root_powers() -> tuple[str, ...]:
    """A prefix that runs the CLI without the capabilities that let root ignore permissions."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot make a directory read-only for tfkms")
    caps = "-dac_override,-dac_read_search,-fowner"
    probe = subprocess.run([setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"setpriv cannot drop capabilities here: {probe.stderr.decode()[:200]}")
    return (setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}")


def test_read_only_directory_is_refused_named_and_kept(tmp_path: Path) -> None:
    prefix = _without_root_powers()
    repo = tmp_path / "repo"
    locked = _root(repo / "locked", **{"main.tf": key_tf("locked")})
    free = _root(repo / "free", **{"main.tf": key_tf("free")})
    before = tree_bytes(locked)
    state = _state(tmp_path / "s.tfstate", "locked", "free")
    locked.chmod(0o555)
    try:
        run = _fix(repo, "--state", f"locked={state}", "--state", f"free={state}", cwd=tmp_path, prefix=prefix)
    finally:
        locked.chmod(0o755)
    assert run.returncode == 1, run.describe()
    assert any("locked/main.tf" in ln for ln in run.stderr.splitlines()), run.describe()
    assert tree_bytes(locked) == before and sorted(p.name for p in locked.iterdir()) == [".terraform.lock.hcl",
                                                                                         "main.tf"]
    assert _patched(free / "main.tf")


def test_unreadable_file_is_an_error_naming_it(tmp_path: Path) -> None:
    prefix = _without_root_powers()
    root = _root(tmp_path / "repo", **{"main.tf": key_tf("k"), "secret.tf": key_tf("s")})
    (root / "secret.tf").chmod(0o000)
    try:
        run = run_cli("check", str(root), "--format", "json", cwd=tmp_path, env=cli_env(tmp_path / "c"),
                      prefix=prefix)
    finally:
        (root / "secret.tf").chmod(0o644)
    assert run.returncode == 1, run.describe()
    assert any("secret.tf" in ln for ln in run.stderr.splitlines()), run.describe()
    assert "Traceback" not in run.output


@pytest.mark.parametrize("mode", [0o640, 0o600, 0o664, 0o755])
def test_mode_bits_kept_on_patched_files(tmp_path: Path, mode: int) -> None:
    root = _root(tmp_path / "repo", **{"main.tf": key_tf("k")})
    (root / "main.tf").chmod(mode)
    run = _fix(root, "--state", str(_state(tmp_path / "s.tfstate", "k")), cwd=tmp_path)
    assert run.returncode == 0, run.describe()
    assert _patched(root / "main.tf")
    assert stat.S_IMODE((root / "main.tf").stat().st_mode) == mode


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to hand the file to another owner")
def test_owner_and_group_kept_on_patched_files(tmp_path: Path) -> None:
    root = _root(tmp_path / "repo", **{"main.tf": key_tf("k")})
    os.chown(root / "main.tf", 65534, 65534)
    (root / "main.tf").chmod(0o640)
    run = _fix(root, "--state", str(_state(tmp_path / "s.tfstate", "k")), cwd=tmp_path)
    assert run.returncode == 0 and _patched(root / "main.tf"), run.describe()
    st = (root / "main.tf").stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (65534, 65534, 0o640)


# ---------------------------------------------------------------- .terraform/


def test_dot_terraform_is_never_written(tmp_path: Path) -> None:
    case = GOLDEN_FIX / "registry-module"
    work = copy_tree(case / "input", tmp_path / "input")
    before = tree_bytes(work / ".terraform")
    run = _fix(work, "--state", str(golden_truth(case)), cwd=tmp_path)
    assert tree_bytes(work / ".terraform") == before
    assert not list((work / ".terraform").rglob(".tfkms-*"))
    assert "TFKMS204" in {f["rule"] for f in run.json()["findings"]}, run.describe()
    assert _patched(work / "main.tf")
    assert run.returncode == 2, run.describe()  # the module key still needs a human


@pytest.mark.parametrize("name", ["terraform.tfvars", "prod.auto.tfvars", ".terraform.lock.hcl"])
def test_a_side_file_symlinked_out_of_the_tree_is_never_read(tmp_path: Path, name: str) -> None:
    """A PR points terraform.tfvars (or the lock file) at the runner's .env: tfkms must not read it,
    so nothing of it can be echoed back into a report or a PR comment."""
    env_file = tmp_path / "runner" / ".env"
    env_file.parent.mkdir()
    env_file.write_text('ALIBABA_CLOUD_ACCESS_KEY_SECRET = "runner-secret-0xfeed"\n')
    root = _root(tmp_path / "repo", **{"main.tf": key_tf("inside")})
    (root / name).unlink(missing_ok=True)
    (root / name).symlink_to(env_file)
    run = _fix(root, "--state", str(_state(tmp_path / "s.tfstate", "inside")), cwd=tmp_path)
    assert "runner-secret-0xfeed" not in run.output, run.describe()
    assert run.returncode == 1 and name in run.stderr and "outside the scanned tree" in run.stderr, run.describe()


def test_a_local_module_symlinked_out_of_the_tree_is_not_read(tmp_path: Path) -> None:
    """`source = "./mods"` where mods is a symlink to a folder outside the scanned tree: its files
    are never read (nor patched)."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "main.tf").write_text(key_tf("shared"))
    before = (outside / "main.tf").read_bytes()
    root = _root(tmp_path / "repo", **{"main.tf": 'module "mods" {\n  source = "./mods"\n}\n' + key_tf("inside")})
    (root / "mods").symlink_to(outside, target_is_directory=True)
    run = _fix(root, "--state", str(_state(tmp_path / "s.tfstate", "inside")), cwd=tmp_path)
    assert (outside / "main.tf").read_bytes() == before
    assert "module.mods" not in run.stdout, run.describe()
