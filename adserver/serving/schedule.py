"""When a campaign runs: days of the week and hours of the day in a time zone it names (`targeting.schedule`).

Eligibility asks `runs_at(now)` on every request (the time is the reader's, never part of a plan's key).
Pacing asks `day_share(now)`: how much of the campaign's scheduled time in the current UTC day (the day
its daily budget counts) has passed, so even pacing spreads the budget over the scheduled hours only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STEP = 15  # minutes: pacing's resolution, fine enough for zones offset by 30 or 45 minutes


@dataclass(frozen=True)
class Schedule:
    hours: frozenset[tuple[int, int]]  # (weekday 0 = Monday, hour 0..23) in `zone` when it runs
    zone: str = "UTC"

    @classmethod
    def from_dict(cls, d: dict) -> Schedule:
        """From the catalog's form: `days` (mon..sun, default all), `hours` ('07-10', end exclusive, up to
        24; default all day) and `timezone` (IANA, default UTC); already validated by the catalog schema."""
        days = [DAYS.index(x) for x in d.get("days") or DAYS]
        spans = [parse_span(x) for x in d.get("hours") or ("00-24",)]
        return cls(
            frozenset((day, h) for day in days for start, end in spans for h in range(start, end)),
            d.get("timezone") or "UTC",
        )

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def runs_at(self, now: datetime) -> bool:
        """Whether it runs at `now`: a lookup in the day's table (zones are offset by whole quarter hours)."""
        now = now.astimezone(UTC)
        return bool(_steps(self, now.date())[(now.hour * 60 + now.minute) // STEP])

    def runs_at_local(self, instant: datetime) -> bool:
        local = instant.astimezone(self.tz)
        return (local.weekday(), local.hour) in self.hours

    def quarters(self, day: date) -> tuple[int, ...]:
        """For each STEP minutes of the UTC day `day`, 1 where it runs (`runs_at`'s table; the forecast's hours)."""
        return _steps(self, day)

    def local(self, now: datetime) -> str:
        """The campaign's own clock, for explain: 'mon 22:15 America/New_York'."""
        local = now.astimezone(self.tz)
        return f"{DAYS[local.weekday()]} {local:%H:%M} {self.zone}"

    def day_share(self, now: datetime) -> float:
        """The share of today's (UTC) scheduled time that has passed; 1.0 when none is scheduled today."""
        now = now.astimezone(UTC)
        steps = _steps(self, now.date())
        total = sum(steps)
        if not total:
            return 1.0
        minute = now.hour * 60 + now.minute + now.second / 60
        i = int(minute // STEP)
        done = sum(steps[:i]) + (steps[i] * (minute - i * STEP) / STEP if i < len(steps) else 0)
        return done / total


def parse_span(span: str) -> tuple[int, int]:
    """'07-10' -> (7, 10): from 07:00 up to 10:00. Raises ValueError when it is not one."""
    start, sep, end = span.partition("-")
    if not sep or not (start.strip().isdigit() and end.strip().isdigit()):
        raise ValueError(span)
    a, b = int(start), int(end)
    if not 0 <= a < b <= 24:
        raise ValueError(span)
    return a, b


@lru_cache(maxsize=4096)
def _steps(schedule: Schedule, day: date) -> tuple[int, ...]:
    """For each STEP minutes of the UTC day `day`, 1 where the schedule runs at its start."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return tuple(int(schedule.runs_at_local(start + timedelta(minutes=m))) for m in range(0, 24 * 60, STEP))
