"""Timestamps in the formats the Kubernetes API uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def rfc3339(moment: datetime) -> str:
    """`2026-12-03T19:33:36Z`, the precision of object timestamps."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_nano(moment: datetime) -> str:
    """`2026-12-03T19:33:36.470793000Z`, the precision of log timestamps."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")


def parse(text: str) -> datetime:
    """Parse an RFC 3339 timestamp such as the API writes."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def now_text() -> str:
    """The current time as an object timestamp."""
    return rfc3339(now())


def ago(**delta: float) -> str:
    """An object timestamp for `now - timedelta(**delta)`."""
    return rfc3339(now() - timedelta(**delta))


def human_duration(seconds: float) -> str:
    """Age text as kubectl prints it: `42s`, `5m10s`, `3h12m`, `4d`."""
    if seconds < -1:
        return "<invalid>"
    total = max(int(seconds), 0)
    minutes, hours, days = total // 60, total // 3600, total // 86400
    if total < 120:
        return f"{total}s"
    if minutes < 10:
        rest = total % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{days}d{rest}h" if rest else f"{days}d"
    if hours < 24 * 365 * 2:
        return f"{days}d"
    years = days // 365
    if hours < 24 * 365 * 8:
        rest = days % 365
        return f"{years}y{rest}d" if rest else f"{years}y"
    return f"{years}y"


def age(timestamp: str | None) -> str:
    """kubectl's age of an object timestamp, `<unknown>` when absent."""
    if not timestamp:
        return "<unknown>"
    return human_duration((now() - parse(timestamp)).total_seconds())
