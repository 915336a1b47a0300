"""Log sources: the choices of the pane's source controls and time-ordered interleaving."""

from __future__ import annotations

from krates_desktop.logs.sources import (
    ALL_CONTAINERS,
    DEFAULT_RANGE,
    RANGES,
    Interleaver,
    LogSource,
    next_of,
)


def test_lines_of_several_containers_come_out_in_time_order() -> None:
    """Each container's lines arrive in their own batches; take() merges them by stamp,
    keeps the order of lines with the same stamp, and groups runs by container."""
    merged = Interleaver()
    merged.add(
        "db",
        [(("2026-01-01T00:00:01Z", 0), "db 1"), (("2026-01-01T00:00:03Z", 0), "db 3")],
    )
    merged.add("metrics", [(("2026-01-01T00:00:02Z", 5), "m 2")])
    merged.add("db", [(("2026-01-01T00:00:02Z", 5), "db 2b")])
    merged.add("metrics", [(None, "no stamp")])
    assert merged.pending() == 5
    assert merged.take() == [
        ("metrics", ["no stamp"]),
        ("db", ["db 1"]),
        ("metrics", ["m 2"]),
        ("db", ["db 2b", "db 3"]),
    ]
    assert merged.pending() == 0
    assert merged.take() == []


def test_source_choices() -> None:
    """The pane starts on all containers' last 500 lines; choices wrap round."""
    source = LogSource()
    assert source.range is DEFAULT_RANGE and DEFAULT_RANGE.tail_lines == 500
    assert source.containers(["db", "metrics"]) == ["db", "metrics"]
    assert LogSource("db").containers(["db", "metrics"]) == ["db"]
    options = ("db", "metrics", ALL_CONTAINERS)
    assert next_of(options, "metrics") == ALL_CONTAINERS
    assert next_of(options, ALL_CONTAINERS) == "db"
    assert next_of(options, "gone") == "db"
    assert next_of(RANGES, RANGES[-1]).label == "100"
    since = next(r for r in RANGES if r.label == "1h")
    assert (since.tail_lines, since.since_seconds) == (None, 3600)
