"""An adaptive client-side request rate for the live KMS calls, shared by every thread of a run.

Modelled on the AWS SDKs' adaptive retry mode: a token bucket (capacity one, so requests are
spaced 1/rate apart) that stays open until the first throttling answer, then limits. Each
throttling answer multiplies the rate by BACKOFF, never below a floor, and an `x-acs-retry-after`
pauses the bucket for every thread. Each other answer grows the rate, while the rate is what
holds requests back (as TCP does not grow a window the application does not fill).

Growth is multiplicative per answer, not CUBIC in wall time as in AWS. Per-answer growth makes
the limiter settle where a fixed share of calls is throttled, whatever the latency: x(1 + g) per
answer against x b per throttle balances at share ln(1+g) / (ln(1+g) - ln b), 12% with the
values below. A server that throttles fewer calls than that at random (say every 10th, whatever
the rate) does not slow the run down; a server-side quota holds it just above the quota with
some 10-20% of calls throttled. CUBIC, whose recovery takes seconds, would sink to the floor
under the every-10th pattern.

A throttled request that was sent before the last cut (it was in flight when the server first
said "slower") cuts only by IN_FLIGHT_BACKOFF: a burst of such answers compounding at BACKOFF
would take the rate to the floor, from where per-answer growth needs many seconds to climb
back; not cutting at all for them would let the rate overshoot a quota for a whole round trip.
"""
from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

GROWTH = 0.05  # rate x (1 + GROWTH) per answered call
BACKOFF = 0.7  # rate x BACKOFF per throttling answer
IN_FLIGHT_BACKOFF = 0.85  # ... to a request sent before the last cut
FLOOR_QPS = 0.5  # never slower than one request every two seconds
WINDOW_S = 0.5  # the send rate is measured over the last half second
MIN_SPAN_S = 0.1  # ... or over at least this long at the start, so a first burst is not read as 1,000s per s


@dataclass(frozen=True)
class RateSnapshot:
    """What the limiter did, for --verbose and the benchmark."""

    rate_qps: float | None  # None: never limited (no throttling answer yet)
    answers: int
    throttles: int


class AdaptiveRate:
    """Token bucket whose rate follows the server's throttling answers."""

    def __init__(self, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._rate: float | None = None  # open until the first throttling answer
        self._next = 0.0  # the earliest time of the next send while limiting
        self._paused_until = 0.0  # x-acs-retry-after: nobody sends before this
        self._sends: deque[float] = deque()  # send times within the last WINDOW_S
        self._held_back = False  # a request waited for the rate since the last growth
        self._last_cut = float("-inf")  # when the rate was last cut
        self._first_send: float | None = None
        self._answers = 0
        self._throttles = 0

    def acquire(self) -> float:
        """Wait for this thread's turn to send; returns the send time (for `throttled`)."""
        while True:
            with self._lock:
                now = self._clock()
                slot = max(now, self._paused_until)
                if self._rate is not None:
                    if self._next > slot:
                        self._held_back = True
                    slot = max(slot, self._next)
                    self._next = slot + 1.0 / self._rate
            if slot > now:
                self._sleep(slot - now)
            with self._lock:
                now = self._clock()
                if self._paused_until <= now:  # no retry-after arrived while this thread waited
                    self._note_send(now)
                    return now

    def answered(self) -> None:
        """A call got an answer that is not throttling: the server keeps up, go a little faster
        (if going faster is what the run needs)."""
        with self._lock:
            self._answers += 1
            if self._rate is not None and self._held_back:
                self._rate *= 1 + GROWTH
                self._held_back = False

    def throttled(self, retry_after_s: float | None = None, sent_at: float | None = None) -> None:
        """A throttling answer to a request sent at `sent_at` (None: unknown): slow down at once
        (less if the rate was already cut after that request went out), and pause everyone for
        the server's retry-after."""
        with self._lock:
            now = self._clock()
            self._throttles += 1
            base = self._measured(now) if self._rate is None else self._rate
            if sent_at is None or sent_at >= self._last_cut:
                self._rate = max(FLOOR_QPS, BACKOFF * base)
                self._last_cut = now
            else:
                self._rate = max(FLOOR_QPS, IN_FLIGHT_BACKOFF * base)
            self._next = max(self._next, now)
            if retry_after_s is not None and retry_after_s > 0:
                self._paused_until = max(self._paused_until, now + retry_after_s)

    def snapshot(self) -> RateSnapshot:
        with self._lock:
            return RateSnapshot(self._rate, self._answers, self._throttles)

    def _note_send(self, now: float) -> None:
        if self._first_send is None:
            self._first_send = now
        self._sends.append(now)
        self._trim(now)

    def _measured(self, now: float) -> float:
        """Requests per second sent lately (0 before any send)."""
        self._trim(now)
        if self._first_send is None:
            return 0.0
        span = max(MIN_SPAN_S, min(WINDOW_S, now - self._first_send))
        return len(self._sends) / span

    def _trim(self, now: float) -> None:
        while self._sends and self._sends[0] < now - WINDOW_S:
            self._sends.popleft()
