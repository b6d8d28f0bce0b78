"""The client's machinery in isolation: QPS cap, backoff, endpoints, error text, lazy import."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from live_support import ROOT, demo, fast_options, kms_env, running  # noqa: F401 (fixture)

from tfkms.errors import TfkmsError
from tfkms.truth.live import LiveCallError, collect_inventory
from tfkms.truth.live_calls import instance_type_of as _instance_type
from tfkms.truth.live_transport import RateLimiter as _RateLimiter
from tfkms.truth.live_transport import endpoint_for as _endpoint_for


def test_rate_limiter_spaces_requests_one_interval_apart() -> None:
    slept: list[float] = []
    limiter = _RateLimiter(10.0, clock=lambda: 100.0, sleep=slept.append)
    for _ in range(5):
        limiter.acquire()
    assert slept == pytest.approx([0.1, 0.2, 0.3, 0.4])  # the first goes at once


def test_rate_limiter_is_shared_by_threads_without_handing_out_a_slot_twice() -> None:
    slept: list[float] = []
    lock = threading.Lock()

    def record(seconds: float) -> None:
        with lock:
            slept.append(round(seconds, 6))

    limiter = _RateLimiter(50.0, clock=lambda: 0.0, sleep=record)
    threads = [threading.Thread(target=lambda: [limiter.acquire() for _ in range(25)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(slept) == [round(n / 50, 6) for n in range(1, 100)]  # 100 requests over 2 s at 50 QPS


def test_rate_limiter_without_cap_never_waits() -> None:
    slept: list[float] = []
    limiter = _RateLimiter(0, clock=lambda: 0.0, sleep=slept.append)
    for _ in range(3):
        limiter.acquire()
    assert slept == []


@pytest.mark.usefixtures("kms_env")
@pytest.mark.parametrize(("jitter", "expected"), [(1.0, [0.01, 0.02, 0.04, 0.05]), (0.5, [0.005, 0.01, 0.02, 0.025])])
def test_backoff_is_exponential_with_full_jitter_and_capped(jitter: float, expected: list[float]) -> None:
    slept: list[float] = []
    options = fast_options(
        "", max_attempts=5, backoff_base_s=0.01, backoff_cap_s=0.05, sleep=slept.append, jitter=lambda: jitter
    )
    with running(demo(), always_fail=frozenset({"ListKeys"})) as (_, url):
        options.endpoint = url
        with pytest.raises(LiveCallError, match="ListKeys failed after 5 attempts"):
            collect_inventory(["cn-hangzhou"], options)
    assert slept == pytest.approx(expected)


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        (None, (None, None, False)),
        ("http://127.0.0.1:8080", ("127.0.0.1:8080", "http", True)),
        ("localhost:9000", ("localhost:9000", "http", True)),
        ("127.0.0.1:9000", ("127.0.0.1:9000", "http", True)),
        ("https://127.0.0.1:9443", ("127.0.0.1:9443", "https", True)),
        ("kms.cn-shanghai.aliyuncs.com", ("kms.cn-shanghai.aliyuncs.com", "https", False)),
        ("kms-vpc.{region}.aliyuncs.com", ("kms-vpc.cn-shanghai.aliyuncs.com", "https", False)),
        ("https://kms.cn-shanghai.aliyuncs.com/", ("kms.cn-shanghai.aliyuncs.com", "https", False)),
    ],
)
def test_endpoint_forms(endpoint: str | None, expected: tuple) -> None:
    target = _endpoint_for(endpoint, "cn-shanghai")
    assert (target.host, target.protocol, target.loopback) == expected


@pytest.mark.parametrize(
    ("reported", "expected"),
    [
        (("software",), "software"),
        (("kms_hsm_public_cn", None), "hardware"),
        (("hardware-small",), "hardware"),
        ((None, "3"), None),
    ],
)
def test_instance_type_is_read_only_from_explicit_words(reported: tuple, expected: str | None) -> None:
    assert _instance_type(*reported) == expected


def test_error_messages_are_one_line_with_a_hint() -> None:
    throttled = LiveCallError("cn-hangzhou", "DescribeKey", "Throttling", 400, "Request was denied.", 8)
    assert str(throttled) == (
        "cn-hangzhou: DescribeKey failed after 8 attempts: Throttling (HTTP 400): Request was denied. "
        "(the account is throttled; lower --qps or --concurrency)"
    )
    unreachable = LiveCallError(
        "eu-west-1", "ListKeys", "ConnectionError", None, "cannot reach the KMS endpoint: refused", 3
    )
    assert str(unreachable).startswith("eu-west-1: ListKeys failed after 3 attempts: ConnectionError: cannot reach")


@pytest.mark.usefixtures("kms_env")
def test_unreachable_endpoint_is_retried_then_reported_without_the_request_url() -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(LiveCallError) as caught:
        collect_inventory(["cn-hangzhou"], fast_options(f"http://127.0.0.1:{port}", max_attempts=2))
    message = str(caught.value)
    assert "after 2 attempts" in message and "cannot reach the KMS endpoint" in message
    assert "Signature" not in message and "PageSize" not in message


def test_importing_the_client_and_the_cli_does_not_load_the_sdk() -> None:
    code = (
        "import sys, tfkms.truth.live, tfkms.commands.inventory, tfkms.truth.inventory; "
        "loaded = [m for m in sys.modules if m.startswith(('alibabacloud', 'darabonba', 'Tea', 'rich'))]; "
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, env={"PYTHONPATH": str(ROOT)})


@pytest.mark.parametrize("endpoint", ["http://kms.cn-shanghai.aliyuncs.com", "http://10.0.0.5:8080",
                                      "http://kms-vpc.{region}.aliyuncs.com"])
def test_plain_http_off_loopback_is_refused_unless_asked_for(endpoint: str) -> None:
    with pytest.raises(TfkmsError, match="--insecure-http"):
        _endpoint_for(endpoint, "cn-shanghai")
    target = _endpoint_for(endpoint, "cn-shanghai", True)
    assert target.protocol == "http" and not target.loopback


def test_the_cli_refuses_plain_http_off_loopback_before_any_call(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tfkms.cli import app

    result = CliRunner().invoke(app, ["inventory", "-r", "cn-hangzhou", "--endpoint", "http://kms.example.com",
                                      "-o", str(tmp_path / "snap.json")])
    assert result.exit_code == 1 and "--insecure-http" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "snap.json").exists()
