"""The adaptive rate in isolation, on a fake clock: open until throttled, grows on answers while it
holds requests back, drops on throttling, honours retry-after for every thread, never below the floor."""

from __future__ import annotations

import pytest

from tfkms.truth.adaptive_rate import BACKOFF, FLOOR_QPS, GROWTH, IN_FLIGHT_BACKOFF, AdaptiveRate


class FakeClock:
    """Time moves only when the limiter sleeps (or a test says so)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 9))
        self.now += seconds


def limiter_sending_at(qps: float, sends: int) -> tuple[AdaptiveRate, FakeClock]:
    """A limiter that has sent `sends` requests 1/qps apart, never throttled."""
    clock = FakeClock()
    rate = AdaptiveRate(clock, clock.sleep)
    for _ in range(sends):
        rate.acquire()
        clock.now += 1 / qps
    return rate, clock


def busy_answers(rate: AdaptiveRate, count: int) -> None:
    """`count` calls sent back to back (each waits for its slot) and answered."""
    for _ in range(count):
        rate.acquire()
        rate.answered()


def test_it_does_not_pace_before_the_first_throttling_answer() -> None:
    rate, clock = limiter_sending_at(1000.0, 500)
    for _ in range(100):
        rate.answered()
    assert clock.slept == [] and rate.snapshot().rate_qps is None


def test_a_throttling_answer_sets_the_rate_below_what_was_sent_and_spaces_requests() -> None:
    rate, clock = limiter_sending_at(32.0, 32)  # one second at 32/s: the last half second holds 16 sends
    rate.throttled()
    assert rate.snapshot().rate_qps == pytest.approx(BACKOFF * 32)
    for _ in range(4):
        rate.acquire()
    assert clock.slept == pytest.approx([1 / (BACKOFF * 32)] * 3)  # the first goes at once


def test_every_answer_grows_the_rate_and_every_throttle_cuts_it_again() -> None:
    rate, _ = limiter_sending_at(32.0, 64)
    rate.throttled()
    start = rate.snapshot().rate_qps
    assert start is not None
    rate.acquire()  # the first request after the cut goes at once
    busy_answers(rate, 5)
    assert rate.snapshot().rate_qps == pytest.approx(start * (1 + GROWTH) ** 5)
    rate.throttled()
    rate.throttled()
    assert rate.snapshot().rate_qps == pytest.approx(start * (1 + GROWTH) ** 5 * BACKOFF**2)


def test_one_throttle_in_ten_calls_does_not_slow_the_run_down() -> None:
    """The benchmark's account: every 10th call throttled whatever the rate. Nine answers more than
    make up for one cut, so the rate does not decay (until the measured send rate bounds it)."""
    rate, _ = limiter_sending_at(32.0, 64)
    rate.throttled()
    first = rate.snapshot().rate_qps
    for _ in range(5):
        busy_answers(rate, 9)
        rate.throttled()
    last = rate.snapshot().rate_qps
    assert first is not None and last is not None and last > first


def test_the_rate_does_not_grow_while_nothing_waits_for_it() -> None:
    """The pool, not the rate, holds the run back (requests come slower than the rate allows):
    growing would only build a rate the next throttling answer could not bring down."""
    rate, clock = limiter_sending_at(32.0, 64)
    rate.throttled()
    start = rate.snapshot().rate_qps
    for _ in range(200):
        clock.now += 1.0  # far slower than the rate
        rate.acquire()
        rate.answered()
    assert rate.snapshot().rate_qps == start and clock.slept == []


def test_answers_to_requests_already_in_flight_at_the_cut_cut_less() -> None:
    """Eight requests go out, then all eight are throttled: the first answer cuts the rate; the
    other seven were sent before that cut and say the same thing again, so they cut it less."""
    rate, clock = limiter_sending_at(32.0, 64)
    sent = [rate.acquire() for _ in range(8)]
    clock.now += 0.05
    rate.throttled(sent_at=sent[0])
    first = rate.snapshot().rate_qps
    assert first is not None
    for at in sent[1:]:
        rate.throttled(sent_at=at)
    assert rate.snapshot().rate_qps == pytest.approx(first * IN_FLIGHT_BACKOFF**7)
    rate.throttled(sent_at=rate.acquire())  # sent after the cut: a full cut again
    assert rate.snapshot().rate_qps == pytest.approx(first * IN_FLIGHT_BACKOFF**7 * BACKOFF)


def test_throttles_in_a_row_never_take_the_rate_below_the_floor() -> None:
    rate, clock = limiter_sending_at(32.0, 64)
    for _ in range(50):
        rate.throttled()
    assert rate.snapshot().rate_qps == FLOOR_QPS
    rate.acquire()
    rate.acquire()
    assert clock.slept[-1] == pytest.approx(1 / FLOOR_QPS)
    assert rate.snapshot().throttles == 50


def test_retry_after_pauses_the_bucket_for_everyone() -> None:
    rate, clock = limiter_sending_at(32.0, 64)
    rate.throttled(retry_after_s=2.5)
    rate.acquire()
    assert clock.slept == [2.5]  # nobody sends before the server's retry-after has passed


def test_a_retry_after_that_arrives_while_a_thread_waits_makes_it_wait_again() -> None:
    rate, clock = limiter_sending_at(32.0, 64)
    rate.throttled()  # now spaced 1/22.4 s apart
    rate.acquire()
    waits: list[float] = []

    def sleep_while_another_thread_is_throttled(seconds: float) -> None:
        waits.append(round(seconds, 9))
        if len(waits) == 1:
            rate.throttled(retry_after_s=1.0)  # another thread's answer, during this wait
        clock.now += seconds

    rate._sleep = sleep_while_another_thread_is_throttled
    start = clock.now
    rate.acquire()
    assert len(waits) == 2 and clock.now == pytest.approx(start + 1.0)  # sent after the pause, not at its slot
