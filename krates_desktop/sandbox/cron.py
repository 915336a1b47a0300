"""Cron schedules as CronJobs write them: five fields (minute, hour, day of month,
month, day of week) with `*`, lists, ranges, steps and names, plus the `@hourly`
style macros; and the next time a schedule fires after a given moment (UTC).

Limitations: `timeZone` is ignored (schedules run in UTC), and `@every` and
Quartz extensions (`L`, `W`, `#`, `?`) are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
_DAYS = "sun mon tue wed thu fri sat".split()
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))


class CronError(ValueError):
    """A schedule the sandbox cannot read."""


def _number(text: str, field: int) -> int:
    names = _MONTHS if field == 3 else _DAYS if field == 4 else []
    lowered = text.lower()
    if lowered in names:
        return names.index(lowered) + (1 if field == 3 else 0)
    if not text.isdigit():
        raise CronError(f"invalid value {text!r}")
    value = int(text)
    return 0 if field == 4 and value == 7 else value


def _field(text: str, field: int) -> frozenset[int]:
    low, high = _BOUNDS[field]
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise CronError(f"invalid step in {part!r}")
        if base in ("*", "?"):
            start, end = low, high
        elif "-" in base:
            first, last = base.split("-", 1)
            start, end = _number(first, field), _number(last, field)
        else:
            start = _number(base, field)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high) or start > end:
            raise CronError(f"{part!r} is out of range {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Schedule:
    """A parsed cron schedule."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, text: str) -> Schedule:
        """Parse `*/5 * * * *`, `0 3 * * mon-fri`, `@daily`, ..."""
        fields = _MACROS.get(text.strip(), text).split()
        if len(fields) != 5:
            raise CronError(f"expected exactly 5 fields, found {len(fields)}: {text}")
        minutes, hours, days, months, weekdays = (
            _field(f, i) for i, f in enumerate(fields)
        )
        return cls(
            minutes,
            hours,
            days,
            months,
            weekdays,
            any_day=fields[2] in ("*", "?"),
            any_weekday=fields[4] in ("*", "?"),
        )

    def _day_matches(self, moment: datetime) -> bool:
        if moment.month not in self.months:
            return False
        day_ok = moment.day in self.days
        weekday_ok = (moment.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return day_ok and weekday_ok
        return day_ok or weekday_ok

    def next_after(self, moment: datetime) -> datetime | None:
        """The first time strictly after `moment` the schedule fires (within
        about four years), or None."""
        start = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.replace(hour=0, minute=0)
        for _ in range(366 * 4 + 1):
            if self._day_matches(day):
                found = self._time_on(day, start)
                if found is not None:
                    return found
            day += timedelta(days=1)
        return None

    def previous_before(self, moment: datetime) -> datetime:
        """The last time at or before `moment` the schedule fired (searching back
        up to a year; `moment` itself when it never did)."""
        day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        for _ in range(367):
            if self._day_matches(day):
                times = [
                    day.replace(hour=h, minute=m)
                    for h in sorted(self.hours, reverse=True)
                    for m in sorted(self.minutes, reverse=True)
                ]
                found = next((t for t in times if t <= moment), None)
                if found is not None:
                    return found
            day -= timedelta(days=1)
        return moment

    def _time_on(self, day: datetime, start: datetime) -> datetime | None:
        for hour in sorted(self.hours):
            for minute in sorted(self.minutes):
                candidate = day.replace(hour=hour, minute=minute)
                if candidate >= start:
                    return candidate
        return None
