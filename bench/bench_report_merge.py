"""`tfkms report` over many saved reports: how long one org-wide view of N repos takes, and its memory.

    PYTHONPATH=. python bench/bench_report_merge.py [--reports 1000] [--runs 3] [--keep DIR]

Three real reports are written first by the real CLI (`check` of fixtures/terraform/data-lake-cn,
`fix` of the quickstart, `audit` of fixtures/audit); N reports are made from them in turn, each in its
own folder `repo-NNNN/report.json` (as CI artifact downloads lay them out), with its roots, files and
addresses renamed so no two repos share one. Then `tfkms report */report.json` is timed to text and to
html (time.perf_counter around the subprocess, median of --runs) with the peak RSS of that process
(resource.getrusage(RUSAGE_CHILDREN), read in a fresh parent per run so one run's peak is not another's).

Until tfkms/cli.py registers `report`, the command runs through a two-line typer app built the way
cli.py registers commands; then `python -m tfkms report` is used.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AUDIT = "fixtures/audit"
SOURCES = {
    "check": ["check", "fixtures/terraform/data-lake-cn"],
    "fix": ["fix", "fixtures/terraform/quickstart", "--state", "fixtures/terraform/quickstart/terraform.tfstate"],
    "audit": ["audit", f"{AUDIT}/repo", f"--state={AUDIT}/repo/hangzhou={AUDIT}/states/hangzhou.tfstate",
              f"--state={AUDIT}/repo/singapore={AUDIT}/states/singapore.tfstate", "--inventory",
              f"{AUDIT}/inventory.json"],
}
RUNNER = ("import sys, typer\n"
          "from tfkms.commands.report import report\n"
          "app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)\n"
          "app.callback()(lambda: None)\n"
          "app.command('report', short_help='report')(report)\n"
          "app(sys.argv[1:])\n")
# Runs one command in a fresh process and prints its peak RSS (KiB on Linux) after it ends.
MEASURE = ("import resource, subprocess, sys\n"
           "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=False)\n"
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")


def _env(cache: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(cache), "NO_COLOR": "1", "COLUMNS": "120"}


def _report_command() -> list[str]:
    helped = subprocess.run([sys.executable, "-m", "tfkms", "--help"], capture_output=True, text=True,
                            env=_env(Path(tempfile.gettempdir())), cwd=ROOT, check=False)
    registered = re.search(r"^\s+report\s", helped.stdout, re.MULTILINE)
    return [sys.executable, "-m", "tfkms", "report"] if registered else [sys.executable, "-c", RUNNER, "report"]


def real_reports(work: Path) -> dict[str, dict[str, object]]:
    out = {}
    for name, args in SOURCES.items():
        file = work / f"{name}.json"
        done = subprocess.run([sys.executable, "-m", "tfkms", *args, "--format", "json", "-o", str(file)],
                              cwd=ROOT, env=_env(work / "cache"), capture_output=True, text=True, check=False)
        if done.returncode not in (0, 2):
            raise SystemExit(f"tfkms {name} failed: {done.stderr}")
        out[name] = json.loads(file.read_text())
    return out


def renamed(doc: dict[str, object], n: int) -> str:
    """The report as repo n's: every scanned path and address made its own (same shape, same counts)."""
    text = json.dumps(doc)
    text = text.replace("fixtures/terraform/", f"org/repo-{n:04d}/").replace("fixtures/audit/", f"org/repo-{n:04d}/")
    # alicloud_kms_key.app -> alicloud_kms_key.app_0042 (module paths and instance keys keep their shape)
    text = re.sub(r"(alicloud_kms_[a-z_]+\.[A-Za-z0-9_-]+)", rf"\1_{n:04d}", text)
    return text


def generate(work: Path, count: int) -> tuple[Path, int, int]:
    templates = list(real_reports(work).values())
    folder = work / "artifacts"
    findings = size = 0
    for n in range(count):
        doc = templates[n % len(templates)]
        (folder / f"repo-{n:04d}").mkdir(parents=True)
        text = renamed(doc, n)
        (folder / f"repo-{n:04d}" / "report.json").write_text(text)
        findings += len(doc["findings"])  # type: ignore[arg-type]
        size += len(text)
    return folder, findings, size


def measure(command: list[str], folder: Path, fmt: str, runs: int, cache: Path) -> tuple[float, int]:
    files = sorted(str(p.relative_to(folder)) for p in folder.glob("*/report.json"))
    output = folder.parent / f"org.{fmt}"
    times, peaks = [], []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", MEASURE, *command, *files, "-f", fmt, "-o", str(output)],
                              cwd=folder, env=_env(cache), capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - start)
        peaks.append(int(done.stdout.split()[-1]))
    return statistics.median(times), max(peaks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="generate into DIR and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tfkms-report-bench-") as temp:
        work = args.keep or Path(temp)
        work.mkdir(parents=True, exist_ok=True)
        folder, findings, size = generate(work, args.reports)
        command = _report_command()
        print(f"{args.reports} reports, {size / 2**20:.1f} MB of JSON, {findings} findings "
              f"(median of {args.runs} runs)")
        print(f"{'format':<8} {'seconds':>8} {'peak RSS MB':>12}")
        for fmt in ("text", "html"):
            seconds, peak_kib = measure(command, folder, fmt, args.runs, work / "cache")
            print(f"{fmt:<8} {seconds:>8.2f} {peak_kib / 1024:>12.1f}")
        merged = json.loads(subprocess.run([*command, *sorted(str(p) for p in folder.glob("*/report.json")),
                                            "-f", "json"], cwd=folder, env=_env(work / "cache"),
                                           capture_output=True, text=True, check=False).stdout)
        if merged["totals"]["findings"] != findings:
            raise SystemExit(f"merged view has {merged['totals']['findings']} findings, the reports {findings}")
        print(f"check: the merged view holds all {findings} findings of {len(merged['repos'])} repos")


if __name__ == "__main__":
    main()
