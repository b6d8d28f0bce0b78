"""Hostile KMS servers (issue 14, "Signals and hangs"): the real SDK against the emulator's fault options.

A server that ignores PageNumber, one that drips its answer a byte at a time, one that answers
TotalCount or a list with the wrong JSON type. Each must end the run with one clear error, never a
loop, a hang, a traceback or a partial snapshot. Every test is bounded: in-process runs go through
`bounded` (a thread joined with a limit), CLI runs through a subprocess with a timeout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from live_support import demo, fast_options, generated, kms_env, running  # noqa: F401 (fixture)

import tfkms
from tfkms.emulator import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET
from tfkms.errors import TfkmsError
from tfkms.truth.live import collect_inventory, describe_resources

pytestmark = pytest.mark.usefixtures("kms_env")
BOUND_S = 8.0  # no test here may take longer; before the fix, the first three never ended


def bounded(work: Callable[[], Any], limit: float = BOUND_S) -> BaseException | Any:
    """Run `work` in a daemon thread; its exception (or result), or a test failure if it runs past `limit`."""
    box: list[Any] = []

    def run() -> None:
        try:
            box.append(work())
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(limit)
    if thread.is_alive():
        pytest.fail(f"the live run was still going after {limit:.0f} s (a loop or a hang)")
    assert time.monotonic() - started < limit
    return box[0]


def expect_error(work: Callable[[], Any], limit: float = BOUND_S) -> TfkmsError:
    outcome = bounded(work, limit)
    assert isinstance(outcome, TfkmsError), f"expected a TfkmsError, got {outcome!r}"
    message = str(outcome)
    assert "\n" not in message and "Traceback" not in message
    return outcome


# ---------------------------------------------------------------- pagination


def test_a_server_that_ignores_page_number_is_an_error_not_an_endless_loop() -> None:
    source = generated({"cn-beijing": (250, 3, 1)})
    with running(source, ignore_page_number=True) as (emulator, url):
        error = expect_error(lambda: collect_inventory(["cn-beijing"], fast_options(url, concurrency=1)))
    assert "cn-beijing: ListKeys" in str(error) and "repeats" in str(error) and "PageNumber" in str(error)
    assert len(emulator.calls("ListKeys")) == 2  # page 2 repeated page 1: stop there


def test_ignored_page_number_without_total_count_is_caught_too() -> None:
    source = generated({"cn-beijing": (250, 3, 1)})
    with running(source, ignore_page_number=True, hostile_fields={"TotalCount": None}) as (emulator, url):
        error = expect_error(lambda: collect_inventory(["cn-beijing"], fast_options(url, concurrency=1)))
    assert "ListKeys" in str(error) and "repeats" in str(error)


def test_a_total_count_that_promises_more_than_the_pages_bring_is_an_error() -> None:
    # pages 1..3 are honest (250 keys), then empty: 250 of a claimed 10**9 is not the whole truth
    source = generated({"cn-beijing": (250, 0, 0)})
    with running(source, hostile_total_count=10**9) as (emulator, url):
        error = expect_error(lambda: collect_inventory(["cn-beijing"], fast_options(url, concurrency=1)))
    assert str(error).startswith("cn-beijing: ListKeys: TotalCount says 1000000000 but the pages ended after 250")
    assert len(emulator.calls("ListKeys")) == 4


# ---------------------------------------------------------------- deadlines


def test_a_slow_drip_answer_hits_the_call_deadline() -> None:
    # 1 byte every 50 ms: each read gets a byte well within the SDK's read timeout, forever
    with running(demo(), slow_drip_ms=50) as (_, url):
        started = time.monotonic()
        error = expect_error(lambda: describe_resources(
            "cn-hangzhou", ["key-1"], [], fast_options(url, call_timeout_s=0.6, max_attempts=2, read_timeout_s=5)))
    assert "cn-hangzhou: DescribeKey failed after 2 attempts: Timeout" in str(error)
    assert time.monotonic() - started < 4


def test_the_whole_run_has_one_deadline() -> None:
    with running(demo(), slow_drip_ms=50) as (_, url):
        started = time.monotonic()
        error = expect_error(lambda: collect_inventory(
            ["cn-hangzhou"], fast_options(url, timeout_s=1.0, call_timeout_s=30, read_timeout_s=5)))
    assert "--timeout 1 s" in str(error) and "nothing was written" in str(error)
    assert time.monotonic() - started < 4


def test_an_abandoned_call_does_not_hold_the_interpreter_at_exit(tmp_path: Path) -> None:
    """The stuck SDK call runs in a daemon thread: after the deadline error, the process exits at once."""
    with running(demo(), slow_drip_ms=200) as (_, url):
        code = (
            "import time\n"
            "from tfkms.truth.live import LiveOptions, collect_inventory\n"
            "try:\n"
            f"    collect_inventory(['cn-hangzhou'], LiveOptions(endpoint={url!r}, qps=0, timeout_s=0.8))\n"
            "except Exception as exc:\n"
            "    print(type(exc).__name__, flush=True)\n"
        )
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True, text=True, timeout=15,
                              cwd=tmp_path)
        elapsed = time.monotonic() - started
    assert done.stdout.strip() == "LiveDeadlineError", done.stderr
    assert elapsed < 6


# ---------------------------------------------------------------- answers of the wrong type


@pytest.mark.parametrize(
    ("faults", "action", "field"),
    [
        ({"hostile_total_count": "abc"}, "ListKeys", "TotalCount"),
        ({"hostile_total_count": -3}, "ListKeys", "TotalCount"),
        ({"hostile_total_count": {"n": 1}}, "ListKeys", "TotalCount"),
        ({"hostile_fields": {"Keys": "abc"}}, "ListKeys", "Keys"),
        ({"hostile_fields": {"Keys.Key": {"KeyId": "x"}}}, "ListKeys", "Keys.Key"),
        ({"hostile_fields": {"KeyMetadata.KeyId": {"a": 1}}}, "DescribeKey", "KeyMetadata.KeyId"),
        ({"hostile_fields": {"KeyMetadata": ["x"]}}, "DescribeKey", "KeyMetadata"),
        ({"hostile_fields": {"SecretName": 7}}, "DescribeSecret", "SecretName"),
    ],
)
def test_wrongly_typed_answers_are_one_clear_error(faults: dict[str, Any], action: str, field: str) -> None:
    with running(demo(), **faults) as (_, url):
        error = expect_error(lambda: collect_inventory(["cn-hangzhou"], fast_options(url, concurrency=1)))
    message = str(error)
    assert message.startswith(f"cn-hangzhou: {action}: {field} is "), message
    assert "expected" in message and "nothing was written" in message


# ---------------------------------------------------------------- the CLI: exit 1, one line, no snapshot


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and k != "TFKMS_DEBUG"}
    env.update(
        PYTHONPATH=str(Path(tfkms.__file__).resolve().parents[1]),
        ALIBABA_CLOUD_ECS_METADATA_DISABLED="true",
        ALIBABA_CLOUD_ACCESS_KEY_ID=DEFAULT_ACCESS_KEY_ID,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET=DEFAULT_ACCESS_KEY_SECRET,
        NO_COLOR="1",
    )
    return env


def _inventory_cli(url: str, output: Path, *extra: str, limit: float = 15.0) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "tfkms", "inventory", "--region", "cn-hangzhou", "--endpoint", url,
               "--qps", "0", "--output", str(output), *extra]
    try:
        return subprocess.run(command, env=_env(), capture_output=True, text=True, timeout=limit,
                              cwd=output.parent)
    except subprocess.TimeoutExpired:
        pytest.fail(f"tfkms inventory did not finish within {limit:.0f} s")


@pytest.mark.parametrize(
    ("faults", "extra", "says"),
    [
        ({"ignore_page_number": True}, (), "repeats"),
        ({"slow_drip_ms": 100}, ("--timeout", "1.5"), "--timeout 1.5 s"),
        ({"hostile_total_count": "abc"}, (), "TotalCount is a string 'abc'"),
    ],
    ids=["ignored-page-number", "slow-drip", "total-count-abc"],
)
def test_inventory_cli_exits_1_with_one_line_and_no_snapshot(
    tmp_path: Path, faults: dict[str, Any], extra: tuple[str, ...], says: str
) -> None:
    source = generated({"cn-hangzhou": (150, 2, 1)})
    output = tmp_path / "snapshot.json"
    with running(source, **faults) as (_, url):
        done = _inventory_cli(url, output, *extra)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tfkms: error: ") and says in lines[0], done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert not output.exists() and not list(tmp_path.iterdir())  # no snapshot, no temp file


def test_inventory_timeout_flag_is_checked(tmp_path: Path) -> None:
    done = _inventory_cli("http://127.0.0.1:9", tmp_path / "s.json", "--timeout", "-1")
    assert done.returncode == 1 and "--timeout must be" in done.stderr


# ---------------------------------------------------------------- --live on check and audit: one deadline


@pytest.mark.parametrize("command", ["check", "audit"])
def test_live_check_and_audit_keep_the_run_deadline(command: str) -> None:
    from tfkms.services import ScanOptions, TruthOptions, run_audit, run_check

    demo_config = Path(__file__).resolve().parents[2] / "fixtures" / "terraform" / "live-demo"
    with running(demo(), slow_drip_ms=50) as (_, url):
        truth = TruthOptions(live=True, regions=["cn-hangzhou"], endpoint=url, live_timeout_s=1.0)
        scan = ScanOptions([demo_config], use_cache=False)
        # bounded by expect_error (8 s); without the deadline, 1 byte per 50 ms takes minutes
        error = expect_error(lambda: run_check(scan, truth, None) if command == "check" else run_audit(scan, truth))
    assert "--timeout 1 s" in str(error)
