# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting with an exponential backoff, against a clock that tests can replace.

The jobs wait for AWS to finish things (a snapshot becoming available, an export task completing,
the one export slot of the account becoming free). They take a `Clock` instead of calling
`time` directly, so fault tests run a one-hour timeout in microseconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import TypeVar

T = TypeVar("T")


class Clock:
    """The real clock: wall time (aware UTC), a monotonic counter and sleep."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class WaitTimeoutError(Exception):
    """Raised by `wait_for` when the deadline passes; carries the last value seen."""

    def __init__(self, waited: float, last: object) -> None:
        super().__init__(f"gave up after {waited:.0f} s")
        self.waited = waited
        self.last = last


def backoff_delays(first: float, maximum: float, factor: float = 2.0) -> Iterator[float]:
    """first, first*factor, ... capped at maximum, forever."""
    delay = first
    while True:
        yield min(delay, maximum)
        delay = min(delay * factor, maximum)


def wait_for(
    probe: Callable[[], T],
    done: Callable[[T], bool],
    clock: Clock,
    timeout: float,
    first_delay: float = 2.0,
    max_delay: float = 30.0,
) -> T:
    """Call `probe` until `done(value)` holds; sleep with backoff in between; WaitTimeoutError past `timeout`.

    The probe runs at least once, and once more at the deadline, so a short timeout still sees the
    latest state.
    """
    started = clock.monotonic()
    delays = backoff_delays(first_delay, max_delay)
    while True:
        value = probe()
        if done(value):
            return value
        waited = clock.monotonic() - started
        if waited >= timeout:
            raise WaitTimeoutError(waited, value)
        clock.sleep(min(next(delays), max(timeout - waited, 0.0)))
