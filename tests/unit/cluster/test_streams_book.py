"""The stream book: caps per context and kind, and latency percentiles."""

from __future__ import annotations

import pytest

from krates_desktop.cluster.streams import LimitReached, Limits, StreamBook


def test_the_cap_is_per_context_and_kind() -> None:
    """Two shells fill one context's cap; other contexts and log streams are not affected."""
    book = StreamBook(Limits(logs=5, shells=2))
    closed: list[str] = []
    first = book.open("shell", "a", "first", lambda: closed.append("first"))
    book.open("shell", "a", "second", lambda: None)
    book.open("shell", "b", "elsewhere", lambda: None)
    book.open("log", "a", "log", lambda: None)

    with pytest.raises(LimitReached) as caught:
        book.open("shell", "a", "third", lambda: None)

    assert caught.value.limit == 2 and caught.value.oldest is first
    caught.value.close_oldest()
    assert closed == ["first"]
    book.closed(first)
    book.open("shell", "a", "third", lambda: None)
    assert [e.label for e in book.entries("a")] == ["second", "log", "third"]


def test_watches_are_never_capped() -> None:
    """Watches are counted but have no cap."""
    book = StreamBook(Limits(logs=1, shells=1))
    for index in range(50):
        book.open("watch", "a", f"w{index}", lambda: None)

    assert book.snapshot()["a"].watches == 50


def test_latency_percentiles_and_errors() -> None:
    """A hundred requests of 1..100 ms give p50 50 ms, p95 95 ms, p99 99 ms; errors are counted."""
    book = StreamBook()
    for ms in range(1, 101):
        book.record("ctx", "list", ms / 1000, "list 500" if ms % 50 == 0 else "")

    stats = book.snapshot()["ctx"]

    latency = stats.latency["list"]
    assert (latency.count, latency.p50, latency.p95, latency.p99) == (
        100,
        50.0,
        95.0,
        99.0,
    )
    assert stats.errors == {"list 500": 2}
