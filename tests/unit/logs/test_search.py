"""Search over everything a store holds: counts, lines, positions, live updates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from krates_desktop.logs.ansi import display_text
from krates_desktop.logs.search import Query, QueryError, Search
from krates_desktop.logs.store import LogStore
from tests.unit.logs.conftest import sample_lines

NAMES = [
    "HDFS_2k.log",
    "Hadoop_2k.log",
    "OpenSSH_2k.log",
    "Spark_2k.log",
    "Linux_2k.log",
]


@pytest.fixture
def lines() -> list[str]:
    return [line for name in NAMES for line in sample_lines(name)]


@pytest.fixture
def store(lines: list[str], spill_dir: Path) -> LogStore:
    """10,000 real lines, most of them spilled to disk."""
    store = LogStore(memory_lines=1024, spill_dir=spill_dir)
    for start in range(0, len(lines), 500):
        store.append(lines[start : start + 500])
    assert store.disk_count > 7000
    yield store
    store.close()


def naive(lines: list[str], query: Query) -> tuple[int, list[int]]:
    """Count matches line by line, the slow and obvious way."""
    pattern = query.compile()
    count, found = 0, []
    for index, line in enumerate(lines):
        hits = [m for m in pattern.finditer(display_text(line)) if m.end() > m.start()]
        if hits:
            count += len(hits)
            found.append(index)
    return count, found


@pytest.mark.parametrize(
    "query",
    [
        Query("ERROR"),
        Query("error"),  # smart case: matches any case
        Query("Exception"),
        Query("session opened for user"),
        Query("blk_"),
        Query(r"blk_-?\d+ (?:terminating|src)", regex=True),
        Query(r"^\d{6} \d{6}", regex=True),
        Query(r"(?:failure|failed)\b", regex=True),
        Query(r"\bport \d+$", regex=True),
        Query(r"(ERROR|WARN|FATAL)\b.*\d{3,}", regex=True),
        Query(r"error|warn", regex=True),
        Query(r"(?:a|b)\d", regex=True),
        Query(r"(?:00|000)[1-9]", regex=True),  # tried at every "00", overlaps too
        Query(r"(?:Receiving|Received) block", regex=True),
        Query(r"(?:info|warn) ", regex=True),  # smart case, at lower-cased starts
        # Alternations of prefixes: one a prefix of another, overlapping matches.
        Query(r"(?:WARN|WARNING|ERR|ERROR)\b", regex=True),
        Query(r"(?:blk_|blk_-)\d+", regex=True),
        Query(
            r"(?:Received|Receiving) block blk_-?\d+ of size \d+ from \S+$", regex=True
        ),
        # Case-insensitive by flag, inline flag and smart case.
        Query(r"(ERROR|WARN|FATAL)\b.*\d{3,}", regex=True, case_sensitive=False),
        Query(r"(?i)(error|warn|fatal)\b.*\d{3,}", regex=True),
        Query(r"(?:exception|failed) .*", regex=True),
        # Anchors: ^ and $ hold at each line's own start and end.
        Query(r"^(?:jun|jul) +\d+", regex=True, case_sensitive=False),
        Query(r"^(?:081109|081110) \d+", regex=True),
        Query(r"(?:closed|opened)(?: for user \w+)?$", regex=True),
        Query(r"^\d+ \d+ \d+ (?:INFO|WARN) .*(?:terminating|src)$", regex=True),
        Query(r"(?m:^)(?:Jun|Jul) +\d+", regex=True),
        Query("zz-no-such-text"),
    ],
    ids=lambda q: q.text,
)
def test_counts_and_lines_match_a_line_by_line_search(
    store: LogStore, lines: list[str], query: Query
) -> None:
    """Over memory and disk, the search finds what a line-by-line scan finds."""
    search = Search(store, query, chunk_bytes=64 * 1024)
    search.run()
    count, found = naive(lines, query)
    assert search.count == count
    assert list(search.lines) == found
    assert search.done and search.progress() == 1.0


def test_positions_of_the_nth_match(store: LogStore, lines: list[str]) -> None:
    """Each match number leads to its line and to its place in that line."""
    search = Search(store, Query("INFO"))
    search.run()
    assert search.count > 1000
    for number in (0, 1, 500, search.count - 1):
        line, nth = search.occurrence(number)
        start, end = search.spans(display_text(lines[line]))[nth]
        assert lines[line][start:end].lower() == "info"
    assert search.first_from(search.lines[10]) == search.match_lines.tolist().index(
        search.lines[10]
    )


def test_lines_arriving_later_are_searched_too(store: LogStore) -> None:
    """A search started earlier finds matches in lines appended after it began."""
    search = Search(store, Query("needle"))
    search.step(0.0001)
    store.append(["no", "a needle here", "needle needle"])
    search.run()
    assert search.count == 3
    assert list(search.lines)[-2:] == [len(store) - 2, len(store) - 1]


def test_step_searches_in_slices(store: LogStore) -> None:
    """A tiny budget searches one chunk and reports partial progress."""
    search = Search(store, Query("INFO"), chunk_bytes=32 * 1024)
    assert not search.step(0)
    assert 0 < search.progress() < 1
    search.run()
    assert search.done


def test_coloured_lines_are_searched_as_they_show(spill_dir: Path) -> None:
    """Escape codes are not in the searched text; in raw mode they are."""
    store = LogStore(spill_dir=spill_dir)
    store.append(["\x1b[31mERR\x1b[0mOR split by colour", "progress 5%\r\x1b[Kdone"])
    shown = Search(store, Query("ERROR"))
    shown.run()
    assert shown.count == 1
    raw = Search(store, Query("␛[31m", raw=True))
    raw.run()
    assert raw.count == 1
    progress = Search(store, Query("5%"))
    progress.run()
    assert progress.count == 0, "the redrawn part of a progress bar is not shown"


def test_spilled_coloured_lines_are_searched_and_saved_as_they_show(
    lines: list[str], spill_dir: Path, tmp_path: Path
) -> None:
    """Coloured and redrawn lines that went to disk among clean ones are searched
    (and saved) as they show, in raw mode as written."""
    coloured = [
        "\x1b[31mERR\x1b[0mOR split by colour",
        "progress 5%\r\x1b[Kdone",
    ]
    store = LogStore(memory_lines=1024, spill_dir=spill_dir)
    store.append(lines[:3000])
    store.append(coloured)
    store.append(lines[3000:6000])
    assert store.disk_count > 3002
    shown = Search(store, Query("ERROR split"), chunk_bytes=16 * 1024)
    shown.run()
    assert list(shown.lines) == [3000]
    redrawn = Search(store, Query("5%"), chunk_bytes=16 * 1024)
    redrawn.run()
    assert redrawn.count == naive(lines[:6000], Query("5%"))[0]
    raw = Search(store, Query("␛[31mERR", raw=True), chunk_bytes=16 * 1024)
    raw.run()
    assert list(raw.lines) == [3000]
    saved = tmp_path / "saved.log"
    store.snapshot().save(saved)
    assert saved.read_text().splitlines()[3000:3002] == [
        "ERROR split by colour",
        "done",
    ]
    store.close()


def test_raw_mode_finds_each_match_on_its_own_line(store: LogStore) -> None:
    """In the raw view, matches are counted on the lines they are on, over disk too."""
    store.append(["\x1b[33mWARN\x1b[0m disk", "plain", "\x1b[33mWARN\x1b[0m again"])
    search = Search(store, Query("␛[33mWARN", raw=True), chunk_bytes=64 * 1024)
    search.run()
    assert list(search.lines) == [len(store) - 3, len(store) - 1]
    spilled = Search(store, Query("blk_", raw=True), chunk_bytes=64 * 1024)
    spilled.run()
    assert spilled.count > 1000
    assert (spilled.count, list(spilled.lines)) == naive(
        store.lines(0, len(store)), Query("blk_")
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [("(unclosed", "Not a valid regular expression"), ("x*", "matches empty text")],
)
def test_bad_patterns_are_explained(text: str, message: str) -> None:
    """An invalid or empty-matching regular expression is refused with a reason."""
    with pytest.raises(QueryError, match=re.escape(message)):
        Query(text, regex=True).compile()


def test_case_rules() -> None:
    """Lower-case text matches any case; an upper-case letter makes it exact."""
    assert Query("error").compile().search("ERROR")
    assert not Query("Error").compile().search("ERROR")
    assert Query("Error", case_sensitive=False).compile().search("ERROR")
