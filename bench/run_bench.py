#!/usr/bin/env python3
"""tfkms at monorepo scale, side by side with a naive python-hcl2 loop and HashiCorp's parser.

    python bench/run_bench.py [--stacks 1000] [--seed 0] [--keep DIR] [--profile]

One run: generate a monorepo (bench/gen_monorepo.py) in a temp dir, then time

  * ``tfkms check ROOT --format json`` in a subprocess: cold (``--no-cache`` when the CLI has
    it, and a fresh, empty cache directory; best of N), first run filling the cache, warm (best of N);
    tfkms is byte-compiled first, as `pip install` leaves it;
  * the naive loop: one Python process that ``hcl2.load``s every .tf file (the full tree, or a
    stride sample extrapolated by bytes when the whole loop would take longer than
    ``--naive-budget`` seconds; the table says which);
  * ``hcl-oracle check -j 2 -q ROOT`` when the binary is found ($TFKMS_HCL_ORACLE, then
    .oracle/hcl-oracle in the repo, then /tmp/oracle/hcl-oracle), best of 3;
  * the big-file case of issue 18 (bench/gen_big_file.py): ``tfkms check DIR --format json
    --no-cache`` on a folder whose ``main.tf`` holds 40,000 small ``alicloud_vpc`` blocks (2.9 MB)
    beside one ``alicloud_kms_key``, cold (best of N), and the oracle on the same folder (best of 3);
  * ``tfkms fix ROOT --write`` over a 300-file migrated variant (75 roots, each with a
    post-migration terraform.tfstate v4, 150 resources to patch), then a second run that must
    find nothing left to do, and the oracle's check of the patched files.

It checks correctness too: tfkms's ``resources`` as (root, address) pairs must equal the
generator's manifest (for the big file: exactly the KMS key, no parse problem, exit 0 or 2).
Exit status: 0 when every correctness check passed, 1 otherwise (timings never fail the run:
performance is shown, not asserted).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import cast

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

import gen_big_file  # noqa: E402
from gen_monorepo import generate, generate_fix  # noqa: E402

# Issue 18's targets (issue 6 had 20x, 3x and 200 MB). Speed is judged on the cold check, memory on the worst run.
TARGET_NAIVE_SPEEDUP = 30.0  # cold check >= 30x faster than the naive hcl2.load loop
TARGET_GO_RATIO = 1.0        # cold check <= 1.0x `hcl-oracle check -j 2` on the same tree
TARGET_RSS_MB = 130.0        # peak PSS of the process tree, workers included, <= 130 MB
TARGET_BIG_FILE_S = 1.0      # the 2.9 MB main.tf beside a KMS key: no error, under 1 s
TARGET_FIX_S = 5.0

NAIVE_SCRIPT = r"""
import json, os, sys, time
t0 = time.perf_counter()
import hcl2
t1 = time.perf_counter()
files = [line for line in sys.stdin.read().splitlines() if line]
budget = float(sys.argv[1])
stride = max(1, len(files) // 200)
order = files[::stride] + [f for i, f in enumerate(files) if i % stride]
sizes = {f: os.path.getsize(f) for f in files}
total_bytes = sum(sizes.values())
done = done_bytes = 0
sample_at = len(files[::stride])
mode = "full"
for f in order:
    with open(f, encoding="utf-8") as handle:
        hcl2.load(handle)
    done += 1
    done_bytes += sizes[f]
    if done == sample_at and done < len(files):
        spent = time.perf_counter() - t1
        if spent * total_bytes / done_bytes > budget:
            mode = "sample"
            break
t2 = time.perf_counter()
loop = t2 - t1
if mode == "sample":
    loop = loop * total_bytes / done_bytes
print(json.dumps({"import_s": t1 - t0, "loop_s": loop, "measured_s": t2 - t1, "parsed": done,
                  "files": len(files), "bytes": total_bytes, "mode": mode}))
"""


# --------------------------------------------------------------------------- measuring a subprocess

@dataclass
class Run:
    argv: list[str]
    wall: float
    returncode: int
    max_rss_kb: int          # largest single process (wait4: the child or its largest reaped descendant)
    tree_rss_kb: int         # sampled peak of the RSS sum over the process and its descendants
    tree_pss_kb: int         # same for PSS (shared pages split between the processes sharing them)
    stdout: str
    stderr: str
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def peak_mb(self) -> float:
        """What the run costs in memory: the sampled process-tree PSS, never below the largest process."""
        return max(self.max_rss_kb, self.tree_pss_kb) / 1024


def _descendants(pid: int) -> list[int]:
    out, stack = [], [pid]
    while stack:
        current = stack.pop()
        out.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children") as handle:
                stack.extend(int(c) for c in handle.read().split())
        except OSError:
            pass
    return out


def _rss_pss_kb(pid: int) -> tuple[int, int]:
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return rss, pss


def measure(argv: list[str], env: dict[str, str] | None = None, stdin: str | None = None,
            cwd: Path | None = None) -> Run:
    """Wall time, exit status and memory of one command; stdout/stderr go through temp files."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out, \
            tempfile.TemporaryFile("w+", encoding="utf-8") as err:
        tree_peak = [0, 0]
        stop = threading.Event()
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=cwd,
                                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL, text=True)

        def sample() -> None:
            while not stop.is_set():
                sizes = [_rss_pss_kb(p) for p in _descendants(proc.pid)]
                tree_peak[0] = max(tree_peak[0], sum(r for r, _ in sizes))
                tree_peak[1] = max(tree_peak[1], sum(p for _, p in sizes))
                stop.wait(0.01)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        if stdin is not None:
            assert proc.stdin is not None
            proc.stdin.write(stdin)
            proc.stdin.close()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        stop.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(argv, wall, proc.returncode, usage.ru_maxrss, tree_peak[0], tree_peak[1], out.read(), err.read())


# --------------------------------------------------------------------------- the pieces

def find_oracle() -> Path | None:
    for candidate in (os.environ.get("TFKMS_HCL_ORACLE"), REPO / ".oracle" / "hcl-oracle", "/tmp/oracle/hcl-oracle"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def code_version() -> str:
    """The commit tfkms runs from, and whether tfkms/ has uncommitted changes (the numbers depend on both)."""
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "tfkms"], capture_output=True,
                               text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if not head:
        return "unknown"
    return head + (" + uncommitted changes in tfkms/" if dirty else "")


def tfkms_env(cache_home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env["XDG_CACHE_HOME"] = str(cache_home)  # never the user's cache: cold means cold
    env.pop("TFKMS_DEBUG", None)
    env["NO_COLOR"] = "1"
    return env


def best_of(runs: list[Run]) -> Run:
    """The fastest run's time with the largest memory any of them took (time is noisy downwards
    only; memory is reported at its worst)."""
    fastest = min(runs, key=lambda r: r.wall)
    return replace(fastest, max_rss_kb=max(r.max_rss_kb for r in runs), tree_rss_kb=max(r.tree_rss_kb for r in runs),
                   tree_pss_kb=max(r.tree_pss_kb for r in runs))


def compile_bytecode() -> None:
    """Byte-compile tfkms as `pip install` does: with PYTHONDONTWRITEBYTECODE set (or a read-only
    checkout) every run would compile each module again, a cost no installed tfkms pays."""
    import compileall

    compileall.compile_dir(str(REPO / "tfkms"), quiet=1)


def tfkms_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "tfkms", *args]


def accepts_flag(command: str, flag: str, env: dict[str, str]) -> bool:
    proc = subprocess.run(tfkms_argv(command, "--help"), capture_output=True, text=True, env=env)
    return flag in proc.stdout


def pairs_of(report: dict) -> set[tuple[str, str]]:
    return {(r["root"], r["address"]) for r in report.get("resources", [])}


def compare_to_manifest(report_text: str, manifest: list[dict[str, str]]) -> tuple[bool, list[str]]:
    try:
        report = json.loads(report_text)
    except ValueError as exc:
        return False, [f"tfkms printed no JSON ({exc})"]
    got, want = pairs_of(report), {(p["root"], p["address"]) for p in manifest}
    lines = []
    for root, address in sorted(want - got):
        lines.append(f"  missing    {root}  {address}")
    for root, address in sorted(got - want):
        lines.append(f"  unexpected {root}  {address}")
    for problem in report.get("errors", []):
        lines.append(f"  error      {problem.get('file')}:{problem.get('line')}: {problem.get('message')}")
    return not lines, lines


def tf_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.tf") if not any(part.startswith(".") for part in p.relative_to(root).parts))


# --------------------------------------------------------------------------- report helpers

def fmt_s(seconds: float | None) -> str:
    return "-" if seconds is None else (f"{seconds:.3f}" if seconds < 10 else f"{seconds:.1f}")


def fmt_mb(run: Run | None) -> str:
    if run is None:
        return "-"
    return f"{run.max_rss_kb / 1024:.0f} / {run.tree_pss_kb / 1024:.0f}"


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    def line(cells: list[str]) -> str:
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True)))
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES target"


# --------------------------------------------------------------------------- main

def run(args: argparse.Namespace) -> int:
    failures: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="tfkms-bench-"))
    base = Path(args.keep).resolve() if args.keep else work
    repo_dir, fix_dir, big_dir = base / "monorepo", base / "fix300", base / "bigfile"
    cache_home = work / "cache"
    oracle = find_oracle()

    t = time.perf_counter()
    manifest = generate(repo_dir, args.stacks, args.seed, decoy_share=args.decoy_share)
    gen_s = time.perf_counter() - t
    files = tf_files(repo_dir)
    total_bytes = sum(p.stat().st_size for p in files)
    n_roots = len({p["root"] for p in manifest})
    print(f"tfkms bench: {args.stacks} stacks, {len(files)} .tf files, {total_bytes / 1e6:.1f} MB; "
          f"manifest: {len(manifest)} KMS (root, address) pairs in {n_roots} roots "
          f"(generated in {gen_s:.1f} s under {repo_dir})")
    print(f"tfkms at {code_version()}; python {platform.python_version()} ({sys.executable}), {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}, oracle: {oracle or 'not found'}")
    print()

    compile_bytecode()
    env = tfkms_env(cache_home)
    has_no_cache = accepts_flag("check", "--no-cache", env)
    check = ["check", str(repo_dir), "--format", "json"]
    runs: dict[str, Run] = {}

    shutil.rmtree(cache_home, ignore_errors=True)
    runs["help"] = min((measure(tfkms_argv("--help"), env) for _ in range(3)), key=lambda r: r.wall)
    if has_no_cache:  # every --no-cache run is cold: best of --repeat, as the Go row is a best of 3
        runs["cold"] = best_of([measure(tfkms_argv(*check, "--no-cache"), env) for _ in range(args.repeat)])
    shutil.rmtree(cache_home, ignore_errors=True)
    runs["fill"] = measure(tfkms_argv(*check), env)  # empty cache: parses, and writes the cache
    warm = [measure(tfkms_argv(*check), env) for _ in range(args.repeat)]
    runs["warm"] = best_of(warm)
    if not has_no_cache:
        runs["cold"] = runs["fill"]

    for name in ("cold", "fill", "warm"):
        r = runs[name]
        if r.returncode not in (0, 2):
            failures.append(f"tfkms check ({name}) exited {r.returncode}: {r.stderr.strip()[:500]}")
    ok, diff = compare_to_manifest(runs["cold"].stdout, manifest)
    ok_warm, diff_warm = compare_to_manifest(runs["warm"].stdout, manifest)
    if not ok:
        failures.append("resources (cold) differ from the manifest")
    if not ok_warm:
        failures.append("resources (warm, from the cache) differ from the manifest")

    naive_run = measure([sys.executable, "-c", NAIVE_SCRIPT, str(args.naive_budget)], env,
                        stdin="\n".join(str(p) for p in files))
    naive = json.loads(naive_run.stdout) if naive_run.returncode == 0 else None
    if naive is None:
        failures.append(f"naive loop failed: {naive_run.stderr.strip()[-500:]}")
        naive_wall = None
    else:
        # The process as a user would see it: interpreter start + import hcl2 + the loop.
        naive_wall = naive_run.wall - naive["measured_s"] + naive["loop_s"]

    go_run = None
    if oracle is not None:
        go_runs = [measure([str(oracle), "check", "-j", "2", "-q", str(repo_dir)]) for _ in range(3)]
        go_run = min(go_runs, key=lambda r: r.wall)
        if go_run.returncode != 0:
            failures.append(f"hcl-oracle rejected the generated tree (exit {go_run.returncode}): "
                            f"{go_run.stdout[:300]}{go_run.stderr[:300]}")

    big = run_big_file(big_dir, args, cache_home, has_no_cache, oracle, failures)
    fix = run_fix(fix_dir, args, cache_home, oracle, failures)

    # ----- the table
    header = ["run", "wall s", "files/s", "MB/s", "RSS MB proc / PSS MB tree", "tfkms-cold ÷ this",
              "tfkms-warm ÷ this"]
    rows: list[list[str]] = []

    def add(label: str, wall: float | None, r: Run | None) -> None:
        rate = f"{len(files) / wall:,.0f}" if wall else "-"
        mbs = f"{total_bytes / 1e6 / wall:.1f}" if wall else "-"
        rc = f"{runs['cold'].wall / wall:.2f}" if wall else "-"
        rw = f"{runs['warm'].wall / wall:.2f}" if wall else "-"
        rows.append([label, fmt_s(wall), rate, mbs, fmt_mb(r), rc, rw])

    cold_label = "tfkms check, cold (--no-cache)" if has_no_cache else "tfkms check, first run (no --no-cache flag)"
    add(cold_label, runs["cold"].wall, runs["cold"])
    if has_no_cache:
        add("tfkms check, first run (fills cache)", runs["fill"].wall, runs["fill"])
    add(f"tfkms check, warm (best of {args.repeat})", runs["warm"].wall, runs["warm"])
    if naive is not None:
        how = "full tree" if naive["mode"] == "full" else f"{naive['parsed']}-file sample, extrapolated"
        add(f"naive hcl2.load loop ({how})", naive_wall, naive_run)
    if go_run is not None:
        add("hcl-oracle check -j 2 (Go, best of 3)", go_run.wall, go_run)
    print(table(rows, header))
    print(f"  `tfkms --help`: {runs['help'].wall:.3f} s (target < 0.3 s)")
    if naive is not None:
        how = ("measured on all files" if naive["mode"] == "full" else
               f"measured {naive['parsed']} files in {naive['measured_s']:.1f} s, extrapolated by bytes")
        print(f"  naive loop detail: import hcl2 {naive['import_s']:.3f} s, loop {naive['loop_s']:.1f} s "
              f"({naive['files'] / naive['loop_s']:.0f} files/s, {naive['bytes'] / 1e6 / naive['loop_s']:.2f} MB/s; "
              f"{how})")
    print()

    # ----- ratios against the targets
    print("ratios (tfkms wall ÷ other wall) against issue 18's targets, which are set on the cold check "
          "(warm is shown against the same bars):")
    for name in ("cold", "warm"):
        r = runs[name]
        parts = []
        if naive_wall:
            ratio = r.wall / naive_wall
            parts.append(f"tfkms/naive = {ratio:.3f}, {1 / ratio:.1f}× faster (issue 18, ≥ {TARGET_NAIVE_SPEEDUP:.0f}× "
                         f"the naive loop: {verdict(1 / ratio >= TARGET_NAIVE_SPEEDUP)})")
        if go_run is not None:
            ratio = r.wall / go_run.wall
            parts.append(f"tfkms/Go = {ratio:.2f} (issue 18, ≤ {TARGET_GO_RATIO:.1f}× hcl-oracle check -j 2: "
                         f"{verdict(ratio <= TARGET_GO_RATIO)})")
        print(f"  {name:<4}  " + ";  ".join(parts))
    worst = max((runs[n] for n in ("cold", "fill", "warm")), key=lambda r: r.peak_mb)
    print(f"memory: tfkms check peaks at {worst.peak_mb:.0f} MB (issue 18, ≤ {TARGET_RSS_MB:.0f} MB PSS with the "
          f"workers: {verdict(worst.peak_mb <= TARGET_RSS_MB)})")
    print(f"  = PSS of the process tree sampled every 10 ms; largest single process {worst.max_rss_kb / 1024:.0f} MB "
          f"RSS; RSS summed over the tree (shared pages counted twice) {worst.tree_rss_kb / 1024:.0f} MB")
    if fix is not None:
        print(f"fix --write: {fix['files']} files, {fix['patched']} resources patched in {fix['files_changed']} files "
              f"in {fix['wall']:.2f} s (< {TARGET_FIX_S:.0f} s: {verdict(cast(float, fix['wall']) < TARGET_FIX_S)}), "
              f"peak {fix['rss']:.0f} MB")
        print(f"  second run (no --write): {fix['second_wall']:.2f} s, {fix['second_note']}; {fix['oracle_note']}")
    print()
    if big is not None:
        print_big_file(big)
        print()

    # ----- correctness
    if ok:
        print(f"resources: identical to manifest ({len(manifest)} pairs in {n_roots} roots)")
    else:
        print("resources: DIFFER from manifest (cold run):")
        print("\n".join(diff[:50]))
    if ok_warm and not ok:
        print("resources (warm run): identical to manifest")
    elif not ok_warm:
        print("resources (warm run): DIFFER from manifest:")
        print("\n".join(diff_warm[:50]))
    for failure in failures:
        print(f"FAILED: {failure}")
    print(f"(load average at the end: {os.getloadavg()[0]:.2f}; other work on the machine inflates every wall time)")

    if args.profile:
        profile(repo_dir, env, has_no_cache, work)

    if args.keep:
        print(f"\nkept: {repo_dir}, {fix_dir} and {big_dir}")
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


@dataclass
class BigFile:
    """The big-file case: tfkms check cold (best of --repeat) and the oracle's best of 3 on the same folder."""
    main_bytes: int
    resources: int
    tfkms: Run
    go: Run | None
    ok: bool            # exit 0/2, `resources` exactly the KMS key, no parse problem
    diff: list[str]     # what differs when not ok


def run_big_file(big_dir: Path, args: argparse.Namespace, cache_home: Path, has_no_cache: bool,
                 oracle: Path | None, failures: list[str]) -> BigFile | None:
    """Issue 18's 2.9 MB main.tf beside a KMS key: must give exactly that key and no error."""
    if args.big_resources < 1:
        return None
    manifest = gen_big_file.generate(big_dir, args.big_resources, args.seed)
    shutil.rmtree(cache_home, ignore_errors=True)
    argv = ["check", str(big_dir), "--format", "json"] + (["--no-cache"] if has_no_cache else [])
    runs = [measure(tfkms_argv(*argv), tfkms_env(cache_home)) for _ in range(args.repeat if has_no_cache else 1)]
    run = best_of(runs)
    ok, diff = compare_to_manifest(run.stdout, manifest)
    if run.returncode not in (0, 2):
        ok = False
        failures.append(f"tfkms check (big file) exited {run.returncode}: {run.stderr.strip()[:500]}")
    if not ok:
        failures.append("big file: resources are not exactly the KMS key, or a parse problem was reported")
    go = None
    if oracle is not None:
        go = min((measure([str(oracle), "check", "-j", "2", "-q", str(big_dir)]) for _ in range(3)),
                 key=lambda r: r.wall)
        if go.returncode != 0:
            failures.append(f"hcl-oracle rejected the big file (exit {go.returncode}): {go.stdout[:300]}"
                            f"{go.stderr[:300]}")
    return BigFile((big_dir / "main.tf").stat().st_size, args.big_resources, run, go, ok, diff)


def print_big_file(big: BigFile) -> None:
    mb = big.main_bytes / 1e6
    print(f"big file (issue 18): main.tf {mb:.2f} MB, {big.resources:,} alicloud_vpc blocks, beside kms.tf "
          f"(1 alicloud_kms_key) and versions.tf")
    rows = [["tfkms check, cold (--no-cache)", fmt_s(big.tfkms.wall), f"{mb / big.tfkms.wall:.2f}",
             fmt_mb(big.tfkms), "1.00"]]
    if big.go is not None:
        rows.append(["hcl-oracle check -j 2 (Go, best of 3)", fmt_s(big.go.wall), f"{mb / big.go.wall:.2f}",
                     fmt_mb(big.go), f"{big.tfkms.wall / big.go.wall:.2f}"])
    print(table(rows, ["run", "wall s", "MB/s", "RSS MB proc / PSS MB tree", "tfkms ÷ this"]))
    meets = big.ok and big.tfkms.wall < TARGET_BIG_FILE_S
    print(f"  tfkms: {big.tfkms.wall:.2f} s, exit {big.tfkms.returncode} (issue 18, no error and < "
          f"{TARGET_BIG_FILE_S:.0f} s: {verdict(meets)}); peak {big.tfkms.peak_mb:.0f} MB (issue 18, ≤ "
          f"{TARGET_RSS_MB:.0f} MB: {verdict(big.tfkms.peak_mb <= TARGET_RSS_MB)})")
    if big.ok:
        print(f"  resources: exactly {gen_big_file.KMS_ADDRESS}, no parse problem")
    else:
        print("  resources: NOT exactly the KMS key, or parse problems:")
        print("\n".join(big.diff[:20]))


def run_fix(fix_dir: Path, args: argparse.Namespace, cache_home: Path, oracle: Path | None,
            failures: list[str]) -> dict[str, object] | None:
    """`tfkms fix ROOT --write` on the migrated 300-file variant, then a second run."""
    info = generate_fix(fix_dir, args.fix_stacks, args.seed)
    env = tfkms_env(cache_home)
    first = measure(tfkms_argv("fix", str(fix_dir), "--write", "--format", "json"), env)
    try:
        report = json.loads(first.stdout)
    except ValueError:
        failures.append(f"tfkms fix --write printed no JSON (exit {first.returncode}): {first.stderr.strip()[:500]}")
        return None
    if first.returncode == 1:
        failures.append(f"tfkms fix --write exited 1: {first.stderr.strip()[:500]}")
    patched = sum(1 for f in report.get("findings", []) if f.get("edits"))
    written = [p for p in report.get("patches", []) if p.get("written")]
    expected = cast(int, info["patchable"])
    if patched != expected:
        failures.append(f"fix --write patched {patched} resources, expected {expected}")
    if len(written) != args.fix_stacks:
        failures.append(f"fix --write wrote {len(written)} files, expected {args.fix_stacks}")
    second = measure(tfkms_argv("fix", str(fix_dir), "--format", "json"), env)
    try:
        again = json.loads(second.stdout)
        pending = sum(1 for f in again.get("findings", []) if f.get("edits") and not f.get("resolved"))
        second_patches = len(again.get("patches", []))
    except ValueError:
        pending, second_patches = -1, -1
    if second.returncode == 0 and second_patches == 0:
        second_note = "nothing left to do (exit 0)"
    else:
        second_note = f"exit {second.returncode}, {second_patches} files would still change"
        failures.append(f"second fix run is not clean: {second_note} ({pending} findings with edits)")
    oracle_note = "oracle not found"
    if oracle is not None:
        checked = subprocess.run([str(oracle), "check", "-q", str(fix_dir)], capture_output=True, text=True)
        oracle_note = "patched files pass hcl-oracle check" if checked.returncode == 0 else \
            f"hcl-oracle REJECTS patched files: {checked.stdout[:300]}"
        if checked.returncode != 0:
            failures.append(oracle_note)
    return {"files": info["tf_files"], "patched": patched, "files_changed": len(written), "wall": first.wall,
            "rss": first.peak_mb, "second_wall": second.wall, "second_note": second_note, "oracle_note": oracle_note}


def profile(repo_dir: Path, env: dict[str, str], has_no_cache: bool, work: Path) -> None:
    """Where a cold check spends its time: cProfile (CLI as run, then parse in-process), import times."""
    args = ["check", str(repo_dir), "--format", "json"] + (["--no-cache"] if has_no_cache else [])
    stats = ("import pstats, sys; p = pstats.Stats(sys.argv[1]); "
             "p.sort_stats(sys.argv[2]).print_stats(*[int(a) if a.isdigit() else a for a in sys.argv[3:]])")

    def show(prof: Path, key: str, *restrict: str) -> None:
        out = subprocess.run([sys.executable, "-c", stats, str(prof), key, *restrict],
                             capture_output=True, text=True).stdout
        keep = False
        for line in out.splitlines():
            if line.lstrip().startswith("ncalls"):
                keep = True
            if keep and line.strip():
                print("  " + line.replace(str(REPO) + "/", "").replace(sys.prefix + "/lib/", ""))

    prof = work / "check-cli.prof"
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "tfkms", *args],
                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print("\nprofile 1: `tfkms check` as run (cProfile sees the main process only; pool workers are not profiled)")
    print(" top 15 by own time:")
    show(prof, "tottime", "15")
    print(" top 15 tfkms functions by cumulative time:")
    show(prof, "cumulative", "tfkms/", "15")

    serial = work / "check-serial.prof"
    code = ("import cProfile, sys\n"
            "from pathlib import Path\n"
            "from tfkms.services import ScanOptions, TruthOptions, run_check\n"
            "try:\n"
            "    scan = ScanOptions([Path(sys.argv[1])], use_cache=False, workers=1)\n"
            "except TypeError:\n"
            "    scan = ScanOptions([Path(sys.argv[1])])\n"
            "cProfile.run('run_check(scan, TruthOptions(), \"software\")', sys.argv[2])\n")
    done = subprocess.run([sys.executable, "-c", code, str(repo_dir), str(serial)], env=env,
                          capture_output=True, text=True)
    if done.returncode == 0:
        print("\nprofile 2: the same check in one process (run_check, workers=1, no cache): where parsing goes")
        print(" top 15 by own time:")
        show(serial, "tottime", "15")
        print(" top 15 tfkms functions by cumulative time:")
        show(serial, "cumulative", "tfkms/", "15")
    else:
        print(f"\n(in-process profile skipped: {done.stderr.strip().splitlines()[-1:]})")

    imp = subprocess.run([sys.executable, "-X", "importtime", "-m", "tfkms", *args],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True).stderr
    top: list[tuple[int, str]] = []
    for line in imp.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line[len("import time:"):].split("|", 2)
        if not cumulative.strip().isdigit():
            continue
        if len(name) - len(name.lstrip(" ")) == 1:  # one space: imported by __main__ itself, not nested
            top.append((int(cumulative), name.strip()))
    print(f"\nimports (-X importtime; the main process and forked pool workers share stderr): "
          f"{sum(us for us, _ in top) / 1e6:.3f} s in total; largest top-level imports (cumulative):")
    for us, name in sorted(top, reverse=True)[:10]:
        print(f"  {us / 1e6:7.3f} s  {name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stacks", type=int, default=1000, help="stacks in the generated monorepo (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", metavar="DIR", help="generate into DIR (monorepo/ and fix300/) and keep it")
    parser.add_argument("--repeat", type=int, default=3, help="warm runs of tfkms check; the best is shown")
    parser.add_argument("--naive-budget", type=float, default=60.0,
                        help="extrapolate the naive loop from a sample when it would take longer (s)")
    parser.add_argument("--decoy-share", type=float, default=0.03,
                        help="stacks that mention alicloud_kms only in a comment (parsed by a byte pre-filter, "
                             "hold nothing); default 0.03")
    parser.add_argument("--fix-stacks", type=int, default=75, help="roots in the fix variant (4 files each)")
    parser.add_argument("--big-resources", type=int, default=gen_big_file.RESOURCES,
                        help=f"alicloud_vpc blocks in the big-file case (default {gen_big_file.RESOURCES:,}; "
                             "0 leaves the case out)")
    parser.add_argument("--profile", action="store_true", help="also print cProfile and -X importtime of a cold check")
    args = parser.parse_args(argv)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
