"""Times as a query writes them: a day, an instant, or an amount of time ago.

    created>2026-01-01          after that day (in the searcher's time zone)
    created:2026-01-01          during that day
    updated<2026-01-01T09:30Z   before that minute
    created>4hours              in the last four hours
    updated<2days               more than two days ago

Each value is a span [start, end) once a time zone and "now" are known; the
operators compare against it (see `TimeValue.bounds`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

# Far enough for any help desk, near enough that converting to UTC cannot overflow.
MIN_YEAR, MAX_YEAR = 1900, 9998

DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
DATETIME_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2})(?::(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?)?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?"
)
AGO_RE = re.compile(r"(\d{1,9})([a-z]+)")

UNITS: dict[str, timedelta] = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
    # Calendar months and years vary; a search box can live with these.
    "month": timedelta(days=30),
    "year": timedelta(days=365),
}
LONGEST_AGO = timedelta(days=365 * 100)


class TimeValueError(ValueError):
    """A value that is not a time; the message says what is expected."""


@dataclass(frozen=True)
class TimeValue:
    """One of: `day` (a calendar day), `instant` (+ `precision`), or `ago` (before now)."""

    text: str
    day: date | None = None
    instant: datetime | None = None
    precision: timedelta = timedelta(0)
    ago: timedelta | None = None

    @property
    def is_relative(self) -> bool:
        return self.ago is not None

    def bounds(self, tz: tzinfo, now: datetime) -> tuple[datetime, datetime]:
        """The span [start, end) this value covers; a relative value is a single point."""
        if self.ago is not None:
            point = now - self.ago
            return point, point
        if self.day is not None:
            start = datetime.combine(self.day, time.min, tzinfo=tz)
            end = datetime.combine(self.day + timedelta(days=1), time.min, tzinfo=tz)
            return start, end
        assert self.instant is not None
        start = self.instant if self.instant.tzinfo else self.instant.replace(tzinfo=tz)
        return start, start + self.precision


def parse_time(text: str) -> TimeValue:
    """Parse `2026-01-01`, `2026-01-01T12:30[:00][Z|+02:00]` or `4hours`."""
    value = text.strip()
    if match := DATE_RE.fullmatch(value):
        return TimeValue(text, day=_date(*match.groups()))
    if match := DATETIME_RE.fullmatch(value):
        return _instant(text, match)
    if match := AGO_RE.fullmatch(value.lower()):
        return _ago(text, int(match.group(1)), match.group(2))
    raise TimeValueError(f"{text!r} is not a date; write 2026-01-31, 2026-01-31T14:30Z or 4hours")


def _date(year: str, month: str, day: str) -> date:
    try:
        value = date(int(year), int(month), int(day))
    except ValueError:
        raise TimeValueError(f"{year}-{month}-{day} is not a calendar date") from None
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise TimeValueError(f"the year must be between {MIN_YEAR} and {MAX_YEAR}")
    return value


def _instant(text: str, match: re.Match[str]) -> TimeValue:
    year, month, day, hour, minute, second, utc, sign, off_h, off_m = match.groups()
    moment = _date(year, month, day)
    if int(hour) > 23 or int(minute or 0) > 59 or int(second or 0) > 59:
        raise TimeValueError(f"{text!r} has an impossible time of day")
    tz: tzinfo | None = None
    if utc:
        tz = UTC
    elif sign:
        if int(off_h) > 23 or int(off_m) > 59:
            raise TimeValueError(f"{text!r} has an impossible UTC offset")
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        tz = timezone(offset if sign == "+" else -offset)
    instant = datetime.combine(
        moment, time(int(hour), int(minute or 0), int(second or 0)), tzinfo=tz
    )
    if second is not None:
        precision = timedelta(seconds=1)
    elif minute is not None:
        precision = timedelta(minutes=1)
    else:
        precision = timedelta(hours=1)
    return TimeValue(text, instant=instant, precision=precision)


def _ago(text: str, amount: int, unit: str) -> TimeValue:
    singular = unit[:-1] if unit.endswith("s") else unit
    if singular not in UNITS:
        raise TimeValueError(
            f"unknown unit {unit!r} in {text!r}; use minutes, hours, days, weeks, months or years"
        )
    if amount > LONGEST_AGO // UNITS[singular]:
        raise TimeValueError(f"{text!r} is too far back; give a date instead")
    return TimeValue(text, ago=UNITS[singular] * amount)
