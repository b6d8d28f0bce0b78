"""The live run's pacing and overlap, with the real SDK against the emulator over loopback: the
adaptive rate keeps a server-side quota's throttling bounded, --qps stays a hard cap, --qps 0
paces nothing, and each page is described while the next one is listed (seen in the order of
the calls the emulator got, never by timing)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from live_support import fast_options, generated, kms_env, running  # noqa: F401 (fixture)

from tfkms.emulator import EmulatorOptions, EmulatorState, KmsEmulator, serve
from tfkms.truth.live import LiveCallError, collect_inventory

pytestmark = pytest.mark.usefixtures("kms_env")
REGION = "cn-hangzhou"


def throttled_share(emulator: KmsEmulator) -> tuple[int, int]:
    calls = emulator.calls()
    return sum(c.code == "Throttling" for c in calls), len(calls)


def test_the_default_rate_keeps_a_server_quota_mostly_unthrottled() -> None:
    """The emulator allows 50 calls a second with no burst; the pool of 4 could send far more. The
    adaptive rate backs off to about the quota: the run completes with at most a quarter of its
    calls throttled (what would throttle without pacing is shown by the benchmark, not asserted)."""
    source = generated({REGION: (100, 20, 2)})
    with running(source, rate_limit_qps=50, rate_limit_burst=1) as (emulator, url):
        got = collect_inventory([REGION], fast_options(url, qps=None))
    throttled, calls = throttled_share(emulator)
    assert len(got.regions[REGION].keys) == 100 and len(got.regions[REGION].secrets) == 20
    assert throttled > 0  # four listings at once against a bucket of one: the limiter had work to do
    assert throttled <= calls / 4, (throttled, calls)


def test_qps_stays_a_hard_cap_over_the_adaptive_rate() -> None:
    """Time stands still and sleeping is recorded: with no throttling the adaptive rate never waits,
    so every wait is the cap's, each request one 1/50 s slot after the one before."""
    waits: list[float] = []
    lock = threading.Lock()

    def record(seconds: float) -> None:
        with lock:
            waits.append(round(seconds, 6))

    with running(generated({REGION: (30, 5, 1)})) as (emulator, url):
        collect_inventory([REGION], fast_options(url, qps=50, clock=lambda: 0.0, sleep=record))
    calls = len(emulator.calls())
    assert sorted(waits) == [round(n / 50, 6) for n in range(1, calls)]


@pytest.mark.parametrize(("qps", "paced"), [(None, True), (0, False)])
def test_qps_0_turns_all_pacing_off(qps: float | None, paced: bool) -> None:
    """Every third call throttled, time standing still, zero backoff jitter: the retries' backoff
    waits 0 s, so any longer wait is the adaptive rate's. The default paces; --qps 0 does not."""
    waits: list[float] = []
    with running(generated({REGION: (20, 5, 1)}), throttle_every=3) as (_, url):
        got = collect_inventory([REGION], fast_options(url, qps=qps, clock=lambda: 0.0, sleep=waits.append,
                                                       jitter=lambda: 0.0))
    assert len(got.regions[REGION].keys) == 20
    assert any(w > 0 for w in waits) is paced


class HoldsSecondPages(KmsEmulator):
    """Answers page 2 of ListKeys / ListSecrets only once a DescribeKey / DescribeSecret has come
    in (or after 10 s). A client that describes page 1 while it lists page 2 gets the answer at
    once; one that lists everything first waits, and its describes all come after page 3."""

    HOLDS = {"Keys": "KeyMetadata", "SecretList": "SecretName"}  # a listing's field -> its describe's

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seen = {describe: threading.Event() for describe in self.HOLDS.values()}
        self.held_in_vain: list[str] = []

    def handle_api(self, method: str, url: str, headers: dict[str, list[str]], body: bytes) -> Any:
        status, extra, answer = super().handle_api(method, url, headers, body)
        for listed, described in self.HOLDS.items():
            if answer and described in answer:
                self.seen[described].set()
            if answer and listed in answer and answer.get("PageNumber") == 2 and not self.seen[described].wait(10):
                self.held_in_vain.append(listed)
        return status, extra, answer


def test_page_one_is_described_while_page_two_is_listed() -> None:
    source = generated({REGION: (250, 210, 2)})  # 3 pages of keys and of secrets
    emulator = HoldsSecondPages(EmulatorState.from_inventory(source), EmulatorOptions())
    with serve(emulator) as url:
        got = collect_inventory([REGION], fast_options(url, qps=None))
    assert emulator.held_in_vain == []
    order = [(c.action, c.params.get("PageNumber")) for c in emulator.calls()]
    assert order.index(("DescribeKey", None)) < order.index(("ListKeys", "3"))  # before the last page
    assert order.index(("DescribeSecret", None)) < order.index(("ListSecrets", "3"))
    assert [k.key_id for k in got.regions[REGION].keys] == [f"key-{REGION}-{n:05d}" for n in range(250)]
    assert [s.secret_name for s in got.regions[REGION].secrets] == sorted(s.secret_name for s in source.all_secrets())


def test_a_describe_that_fails_while_pages_are_still_listed_stops_the_run() -> None:
    """Fail closed with the overlap too: the first key's describe fails for good while ListKeys
    still has pages to go; the run raises that failure and lists no further page."""
    source = generated({REGION: (250, 0, 0)})
    emulator = HoldsSecondPages(EmulatorState.from_inventory(source),
                                EmulatorOptions(always_fail=frozenset({"DescribeKey"})))
    with serve(emulator) as url, pytest.raises(LiveCallError) as caught:
        collect_inventory([REGION], fast_options(url, qps=None, max_attempts=2))
    assert (caught.value.action, caught.value.status) == ("DescribeKey", 503)
    assert [c.params.get("PageNumber") for c in emulator.calls("ListKeys")] == ["1", "2"]
