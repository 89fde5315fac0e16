# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Calendar days of one time zone (Asia/Seoul for Dailyge) as UTC instants and epoch milliseconds.

The scheduled jobs name and cut things by the *local* date: the daily snapshot of 2026-11-27 is
the one taken on 2026-11-27 in Seoul, the log archive exports whole Seoul days. These helpers are
pure functions of their arguments (the current time is always passed in), so tests never depend
on the clock.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
except ImportError:  # pragma: no cover - Python < 3.9 on a managed host
    ZoneInfo = None
    ZoneInfoNotFoundError = LookupError

DEFAULT_TIMEZONE = "Asia/Seoul"
# Korea has kept UTC+9 without daylight saving since 1988: the fallback when tzdata is missing.
FIXED_OFFSETS = {"Asia/Seoul": timezone(timedelta(hours=9), "KST"), "UTC": timezone.utc, "Etc/UTC": timezone.utc}


def zone(name: str) -> tzinfo:
    """The tzinfo of an IANA time-zone name; ValueError naming it when it is unknown."""
    if ZoneInfo is not None:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    if name in FIXED_OFFSETS:
        return FIXED_OFFSETS[name]
    raise ValueError(f"unknown time zone '{name}' (an IANA name such as Asia/Seoul is expected)")


def local_date(now: datetime, tz: tzinfo) -> date:
    """The calendar date in `tz` at the aware instant `now`."""
    return now.astimezone(tz).date()


def day_start(day: date, tz: tzinfo) -> datetime:
    """The aware instant at which `day` begins in `tz`."""
    return datetime.combine(day, time(0), tzinfo=tz)


def to_ms(instant: datetime) -> int:
    """Epoch milliseconds of an aware instant."""
    return int(instant.timestamp() * 1000)


def day_bounds_ms(day: date, tz: tzinfo) -> tuple[int, int]:
    """[start, end) of `day` in `tz` as epoch milliseconds."""
    return to_ms(day_start(day, tz)), to_ms(day_start(day + timedelta(days=1), tz))


def date_of_ms(epoch_ms: int, tz: tzinfo) -> date:
    """The calendar date in `tz` of an epoch-milliseconds timestamp."""
    return datetime.fromtimestamp(epoch_ms / 1000, tz).date()


def days_spanned(first_ms: int, last_ms: int, tz: tzinfo) -> list[date]:
    """Every calendar date in `tz` from the one of `first_ms` to the one of `last_ms`, inclusive."""
    first, last = date_of_ms(first_ms, tz), date_of_ms(max(first_ms, last_ms), tz)
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def parse_date(text: str) -> date:
    """A date from YYYY-MM-DD or YYYYMMDD; ValueError with the expected format otherwise."""
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"'{text}' is not a date (YYYY-MM-DD expected)")
