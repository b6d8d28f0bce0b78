"""Issue 7, part 2: the canary secret never leaves the files that hold it.

`CANARY-s3cr3t-7f3a9` sits in `secret_data` of every secret instance in the state (and in its
sensitive outputs), in the before/after of the plans, and as a literal `secret_data = "..."` in
a `.tf` file. `check`, `fix` (preview and --write) and `guard` run as subprocesses in every
format the product lists, with TFKMS_DEBUG=1 and any verbose/debug flag the CLI offers.
The canary must be absent from stdout, stderr, every report written with -o, every file tfkms
leaves anywhere: the scanned trees, the parse cache (XDG_CACHE_HOME), HOME, TMPDIR, `.tfkms-*.tmp`.

Inventory snapshots hold no secret values by design, so the canary is never planted there;
`--inventory` runs still take part, to show nothing from the state leaks through them.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hardening_support import (
    CANARY, FIXTURES, LOCK_1230, Run, cli_env, files_containing, invoke_in_process, migrated_key, migrated_secret,
    run_cli_capped, tfstate,
)

NEEDLE = CANARY.encode()
FORMATS_LISTED = ("text", "json", "markdown", "sarif", "github", "html")
PLANS = ("replace_secret_dkms.json", "safe_update_noop_create.json", "create_before_destroy.json", "broken.json")


def _product_formats() -> list[str]:
    try:
        from tfkms.report import FORMATS

        return list(dict.fromkeys([*FORMATS_LISTED, *FORMATS]))
    except ImportError:
        return list(FORMATS_LISTED)


_FLAG = re.compile(r"(?<![\w-])(--(?:verbose|debug|log-level|trace))\b")


def _flags_in(args: list[str]) -> list[str]:
    done = subprocess.run([sys.executable, "-m", "tfkms", *args], capture_output=True, text=True,
                          env=cli_env(), timeout=30)
    return list(dict.fromkeys(_FLAG.findall(done.stdout)))


def _verbose_flags() -> tuple[list[str], dict[str, list[str]]]:
    """The most verbose logging the CLI offers: global flags (before the command) and per-command
    flags, read from `--help` so new flags are picked up. TFKMS_DEBUG=1 is set as well."""
    global_flags = [f for f in _flags_in(["--help"]) if f != "--log-level"]
    per_command = {c: [f for f in _flags_in([c, "--help"]) if f not in global_flags and f != "--log-level"]
                   for c in ("check", "fix", "guard")}
    return global_flags, per_command


KMS_TF = """\
# Keys migrated into kst-hzz0000000000000001: each needs dkms_instance_id on 1.230.0.
resource "alicloud_kms_key" "app" {
  description            = "app envelope key"
  pending_window_in_days = 7
  automatic_rotation     = "Enabled"
}

resource "alicloud_kms_key" "db" {
  description            = "db key"
  pending_window_in_days = 7
}
"""

# The literal secret sits in a block that needs no edit, far (more than a diff's context)
# from every edit; the secret that is patched reads its value from a variable.
SECRETS_TF = f"""\
resource "alicloud_kms_secret" "legacy" {{
  secret_name      = "app/legacy"
  secret_data      = "{CANARY}"
  version_id       = "v1"
  dkms_instance_id = "kst-hzz0000000000000001"
}}

#
#
#
#
#

resource "alicloud_kms_secret" "db" {{
  secret_name = "app/db"
  secret_data = var.db_password
  version_id  = "v1"
  encryption_key_id = alicloud_kms_key.db.id
}}
"""

VARIABLES_TF = """\
variable "db_password" {
  type      = string
  sensitive = true
}
"""

VERSIONS_TF = """\
terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = "~> 1.230"
    }
  }
}

provider "alicloud" {
  region = "cn-hangzhou"
}
"""


def _write_repo(root: Path) -> Path:
    root.mkdir(parents=True)
    for name, text in (("kms.tf", KMS_TF), ("secrets.tf", SECRETS_TF), ("variables.tf", VARIABLES_TF),
                       ("versions.tf", VERSIONS_TF), (".terraform.lock.hcl", LOCK_1230)):
        (root / name).write_text(text)
    return root


def _state() -> str:
    return tfstate([
        migrated_key("app", automatic_rotation="Enabled"),
        migrated_key("db"),
        migrated_secret("legacy", secret_name="app/legacy", id="app/legacy"),
        migrated_secret("db", secret_name="app/db", id="app/db", encryption_key_id="key-db"),
    ])


class Matrix:
    """All runs of the canary test, executed once per module, two at a time."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.home, self.tmp, self.cache = base / "home", base / "tmpdir", base / "xdg-cache"
        for d in (self.home, self.tmp, self.cache):
            d.mkdir()
        self.inputs = base / "inputs"
        self.inputs.mkdir()
        self.state = self.inputs / "post-migration.tfstate"
        self.state.write_text(_state())
        self.plans = []
        for name in PLANS:
            shutil.copy(FIXTURES / "plans" / name, self.inputs / name)
            self.plans.append(self.inputs / name)
        self.pristine = _write_repo(self.inputs / "pristine")
        self.env = cli_env(self.cache, TFKMS_DEBUG="1", HOME=str(self.home), TMPDIR=str(self.tmp))
        self.global_flags, self.command_flags = _verbose_flags()
        self.runs: dict[str, tuple[list[str], Run | None]] = {}
        self.work_dirs: list[Path] = []
        self.allowed: set[Path] = set()  # files that held the canary before tfkms ran

    def _tree(self, name: str) -> Path:
        work = shutil.copytree(self.pristine, self.base / "work" / name, symlinks=True)
        self.work_dirs.append(work)
        return work

    def _args(self, command: str, *rest: str) -> list[str]:
        return [*self.global_flags, command, *rest, *self.command_flags.get(command, [])]

    def plan(self) -> list[tuple[str, list[str], Path]]:
        jobs: list[tuple[str, list[str], Path]] = []
        for fmt in _product_formats():
            shared = self._tree(f"shared-{fmt}")
            truth = ["--state", str(self.state)]
            jobs.append((f"check-{fmt}", self._args("check", str(shared), *truth, "--format", fmt), shared))
            jobs.append((f"check-inventory-{fmt}", self._args(
                "check", str(shared), *truth, "--inventory", str(FIXTURES / "inventory" / "demo.json"),
                "--format", fmt, "-o", str(self.base / f"check-report.{fmt}")), shared))
            jobs.append((f"fix-preview-{fmt}", self._args("fix", str(shared), *truth, "--format", fmt), shared))
            written = self._tree(f"write-{fmt}")
            jobs.append((f"fix-write-{fmt}", self._args("fix", str(written), *truth, "--write", "--format", fmt,
                                                        "-o", str(self.base / f"fix-report.{fmt}")), written))
            for plan in self.plans:
                jobs.append((f"guard-{plan.stem}-{fmt}", self._args("guard", str(plan), "--format", fmt), self.base))
        return jobs

    def execute(self) -> None:
        jobs = self.plan()
        self.allowed = set(files_containing([self.base], NEEDLE))
        assert self.allowed, "the canary was not planted"

        def one(job: tuple[str, list[str], Path]) -> None:
            name, args, cwd = job
            self.runs[name] = (args, run_cli_capped(*args, cwd=cwd, env=self.env))

        fix_writes = [j for j in jobs if j[0].startswith("fix-write-")]
        others = [j for j in jobs if not j[0].startswith("fix-write-")]
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(one, others))  # previews first: they share a tree that --write must not touch
            list(pool.map(one, fix_writes))


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Matrix:
    m = Matrix(tmp_path_factory.mktemp("canary"))
    m.execute()
    return m


def _run_ids() -> list:
    ids = []
    for fmt in _product_formats():
        names = [f"check-{fmt}", f"check-inventory-{fmt}", f"fix-preview-{fmt}", f"fix-write-{fmt}"]
        names += [f"guard-{Path(p).stem}-{fmt}" for p in PLANS]
        for name in names:
            ids.append(pytest.param(name, id=name))
    return ids


@pytest.mark.parametrize("name", _run_ids())
def test_canary_absent_from_every_output(matrix: Matrix, name: str) -> None:
    args, run = matrix.runs[name]
    assert run is not None, f"tfkms {' '.join(args)} did not finish within 30 s"
    assert CANARY not in run.stdout, f"canary in stdout of tfkms {' '.join(args)}"
    assert CANARY not in run.stderr, f"canary in stderr of tfkms {' '.join(args)}"
    # The run did its job (a crash that prints nothing would pass the checks above vacuously).
    expected = {0, 2} if "broken" not in name else {1}
    if name.startswith("fix-write-"):
        expected = {0}
    assert run.returncode in expected, run.describe()
    assert "Traceback" not in run.output, run.describe()


def test_no_file_left_anywhere_holds_the_canary(matrix: Matrix) -> None:
    assert any((matrix.cache / "tfkms").rglob("*")), "the parse cache was not written; the search proves nothing"
    leaked = [p for p in files_containing([matrix.base], NEEDLE) if p not in matrix.allowed]
    assert not leaked, f"files tfkms left that hold the canary: {leaked}"
    # The user's own file still holds its literal exactly once (kept, not copied around).
    for work in matrix.work_dirs:
        assert (work / "secrets.tf").read_bytes().count(NEEDLE) == 1
    assert not list(matrix.base.rglob(".tfkms-*")), "temp files were left behind"


def test_fix_write_really_patched(matrix: Matrix) -> None:
    """Sanity: the --write runs wrote (so written files were part of the search)."""
    for work in matrix.work_dirs:
        if work.name.startswith("write-"):
            kms = (work / "kms.tf").read_text()
            assert len(re.findall(r"dkms_instance_id\s*=", kms)) == 2, work


# ---------------------------------------------------------------- leaks found by hand


def _secret_block_needing_edit(root: Path) -> None:
    root.mkdir(parents=True)
    (root / "main.tf").write_text(
        'resource "alicloud_kms_secret" "s" {\n'
        '  secret_name = "app/s"\n'
        f'  secret_data = "{CANARY}"\n'
        '  version_id  = "v1"\n'
        '}\n')
    (root / ".terraform.lock.hcl").write_text(LOCK_1230)


DIFF_FORMATS = list(FORMATS_LISTED)


@pytest.mark.parametrize("fmt", DIFF_FORMATS)
def test_literal_secret_beside_an_edit_is_not_printed(tmp_path: Path, fmt: str) -> None:
    root = tmp_path / "repo"
    _secret_block_needing_edit(root)
    state = tmp_path / "s.tfstate"
    state.write_text(tfstate([migrated_secret("s", secret_name="app/s", id="app/s")]))
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "TFKMS_DEBUG": "1"}
    run = invoke_in_process(["--debug", "fix", str(root), "--state", str(state), "--format", fmt], env)
    assert run.returncode == 2, run.describe()
    assert CANARY not in run.output


def _cache_leak_repo(root: Path, kind: str) -> None:
    root.mkdir(parents=True)
    (root / ".terraform.lock.hcl").write_text(LOCK_1230)
    if kind == "tfvars":
        (root / "variables.tf").write_text(VARIABLES_TF)
        (root / "terraform.tfvars").write_text(f'db_password = "{CANARY}"\n')
        value = "var.db_password"
    elif kind == "locals":
        (root / "locals.tf").write_text(f'locals {{\n  api_token = "{CANARY}"\n}}\n')
        value = "local.api_token"
    elif kind == "provider-credentials":  # a provider's own keys, another resource's password
        (root / "provider.tf").write_text(
            f'provider "alicloud" {{\n  region     = "cn-hangzhou"\n  access_key = "LTAI-{CANARY}"\n'
            f'  secret_key = "{CANARY}"\n  assume_role {{\n    role_arn = "acs:ram::1:role/x"\n  }}\n}}\n')
        (root / "db.tf").write_text(
            f'resource "alicloud_db_account" "app" {{\n  account_name     = "app"\n'
            f'  account_password = "{CANARY}"\n}}\n\nresource "alicloud_oos_secret_parameter" "p" {{\n'
            f'  secret_parameter_name = "p"\n  value                 = "{CANARY}"\n}}\n')
        value = '"x"'
    else:  # a heredoc and a jsonencode literal directly in secret_data: dropped at parse time
        value = f'jsonencode({{ password = "{CANARY}" }})'
        (root / "other.tf").write_text(
            f'resource "alicloud_kms_secret" "h" {{\n  secret_name = "h"\n  secret_data = <<EOT\n{CANARY}\nEOT\n'
            '  version_id  = "v1"\n}\n')
    (root / "main.tf").write_text(
        f'resource "alicloud_kms_secret" "s" {{\n  secret_name = "app/s"\n  secret_data = {value}\n'
        '  version_id  = "v1"\n}\n')


@pytest.mark.parametrize("kind", [
    "literals",
    "tfvars",
    "locals",
    "provider-credentials",
])
def test_parse_cache_holds_no_secret(tmp_path: Path, kind: str) -> None:
    root = tmp_path / "repo"
    _cache_leak_repo(root, kind)
    cache = tmp_path / "cache"
    env = cli_env(cache, HOME=str(tmp_path / "home"), TMPDIR=str(tmp_path))
    run = run_cli_capped("check", str(root), "--format", "json", cwd=tmp_path, env=env)
    assert run is not None and run.returncode in (0, 2), run and run.describe()
    assert CANARY not in run.output
    assert any(cache.rglob("*.json")), "nothing was cached"
    assert files_containing([cache], NEEDLE) == []


def test_verbose_logging_was_on(matrix: Matrix) -> None:
    """Sanity: the runs really logged at the highest verbosity (else the stderr check is weak)."""
    if "--debug" in matrix.global_flags or "--verbose" in matrix.global_flags:
        logged = [name for name, (_, run) in matrix.runs.items()
                  if run and re.search(r"tfkms: (INFO|DEBUG):", run.stderr)]
        assert logged, "no run logged anything with " + " ".join(matrix.global_flags)


# A syntax error on the line of a secret: the message must say where and what kind of mistake,
# not echo the value (it lands on stderr, in JSON/SARIF reports and in CI annotations).
SYNTAX_LEAKS = {
    # HCL has no single-quoted strings: a habit from other languages, and a common first mistake.
    "single-quoted": ("main.tf", f"resource \"alicloud_kms_secret\" \"s\" {{\n  secret_name = \"n\"\n"
                                 f"  secret_data = '{CANARY}'\n}}\n"),
    "unquoted-in-list": ("main.tf", f"resource \"alicloud_kms_secret\" \"s\" {{\n  secret_name = \"n\"\n"
                                    f"  secret_data = jsonencode([var.a {CANARY.replace('-', '_')}])\n}}\n"),
    "tf-json-unquoted": ("main.tf.json", '{"resource": {"alicloud_kms_secret": {"s": {"secret_name": "n", '
                                         '"secret_data": ' + CANARY + '}}}}\n'),
}


@pytest.mark.parametrize("fmt", FORMATS_LISTED)
@pytest.mark.parametrize("case", list(SYNTAX_LEAKS))
def test_syntax_error_in_a_secret_does_not_echo_it(tmp_path: Path, case: str, fmt: str) -> None:
    name, text = SYNTAX_LEAKS[case]
    root = tmp_path / "repo"
    root.mkdir()
    (root / name).write_text(text)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "TFKMS_DEBUG": "1"}
    run = invoke_in_process(["--debug", "check", str(root), "--format", fmt], env)
    assert run.returncode == 1, run.describe()
    assert name in run.stderr, run.describe()  # the error is still reported, with its place
    leaked = [piece for piece in ("CANARY", "s3cr3t", "7f3a9") if piece in run.output]
    assert not leaked, f"the secret (or part of it) is echoed: {leaked}\n{run.describe()}"


@pytest.mark.parametrize("fmt", DIFF_FORMATS)
@pytest.mark.parametrize("declared", ["sensitive", "feeds-secret-data"])
def test_a_tfvars_secret_pointed_at_a_finding_is_never_rendered(tmp_path: Path, fmt: str, declared: str) -> None:
    """A hostile PR points dkms_instance_id at the variable that carries the password: the finding
    ("config says ...") must not quote the tfvars value, in any format."""
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".terraform.lock.hcl").write_text(LOCK_1230)
    flag = "\n  sensitive = true" if declared == "sensitive" else ""
    (root / "variables.tf").write_text(f'variable "db_password" {{\n  type      = string{flag}\n}}\n')
    (root / "terraform.tfvars").write_text(f'db_password = "{CANARY}"\n')
    feeds = "var.db_password" if declared == "feeds-secret-data" else '"x"'
    (root / "main.tf").write_text(
        f'resource "alicloud_kms_secret" "s" {{\n  secret_name      = "app/s"\n  secret_data      = {feeds}\n'
        '  version_id       = "v1"\n  dkms_instance_id = var.db_password\n}\n')
    state = tmp_path / "s.tfstate"
    state.write_text(tfstate([migrated_secret("s", secret_name="app/s", id="app/s")]))
    for command in ("fix", "check"):
        run = invoke_in_process([command, str(root), "--state", str(state), "--format", fmt],
                                {"XDG_CACHE_HOME": str(tmp_path / "cache")})
        assert "Traceback" not in run.output, run.describe()
        assert CANARY not in run.output, run.describe()


@pytest.mark.parametrize("line", [
    'secret_data = "postgres://app:{c}@${{var.host}}"',  # a template around a secret
    'account_password = "{c}"',  # another resource's secret-bearing argument
    'secret_key = "{c}"',  # a provider's credentials
    'access_key = "{c}"',
])
def test_the_diff_mask_covers_every_secret_bearing_argument(line: str) -> None:
    from tfkms.redact import mask_secret_literals

    text = "  " + line.format(c=CANARY) + "\n"
    assert CANARY not in mask_secret_literals(text)


@pytest.mark.parametrize("value", [
    f'<<EOT\n{CANARY}\nEOT',  # a heredoc body
    f'("{CANARY}")',  # a parenthesised literal
    f'"postgres://app:{CANARY}@${{var.host}}"',  # a template around it
    f'jsonencode({{ password = "{CANARY}" }})',
])
def test_a_secret_next_to_an_edit_is_masked_by_span(tmp_path: Path, value: str) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".terraform.lock.hcl").write_text(LOCK_1230)
    (root / "main.tf").write_text(
        f'resource "alicloud_kms_secret" "s" {{\n  secret_name = "app/s"\n  secret_data = {value}\n'
        '  version_id  = "v1"\n}\n')
    state = tmp_path / "s.tfstate"
    state.write_text(tfstate([migrated_secret("s", secret_name="app/s", id="app/s")]))
    for fmt in DIFF_FORMATS:
        run = invoke_in_process(["fix", str(root), "--state", str(state), "--format", fmt],
                                {"XDG_CACHE_HOME": str(tmp_path / "cache")})
        assert run.returncode == 2, run.describe()
        assert CANARY not in run.output, (fmt, run.output)
    run = invoke_in_process(["fix", str(root), "--state", str(state), "--write"],
                            {"XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert CANARY in (root / "main.tf").read_text()  # --write applies the real bytes
    assert "dkms_instance_id" in (root / "main.tf").read_text()
