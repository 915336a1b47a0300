"""Search and filter over every line a log pane holds, in memory and on disk.

A `Query` is text or a regular expression; lower-case text matches either case (smart
case, as in less and ripgrep), text with an upper-case letter matches exactly. A
`Search` runs one query over a `LogStore` in slices (`step(budget)`), so a million
lines never hold the GUI thread for more than a slice, and keeps up with lines that
arrive later: call `step()` again after appending. It counts every match and knows
the line of each, which is what next/previous and the filter need.

Matches are found in what a line shows (escape codes removed), or, in raw mode, in
the line as written with its control characters as symbols, one per character.

Limitations: a regular expression that can match a line end (`\\s`, `[^x]`) may match
across two lines; such a match counts once, on its first line. Patterns that match
empty text are refused (they would match everywhere).
"""

from __future__ import annotations

import math
import re
import time
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, repeat
from operator import le
from typing import Any

from krates_desktop.logs.ansi import RAW_PICTURES, display_chunk, display_text, raw_text
from krates_desktop.logs.store import Chunk, LogStore

try:  # the standard library's regular-expression parser, to find required text
    from re import _parser as _regex_parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - renamed in some future Python
    _regex_parser = None

CHUNK_BYTES = 1 << 20
# The raw view's symbols for a chunk of lines: its line ends stay line ends.
_RAW_CHUNK_PICTURES = {code: to for code, to in RAW_PICTURES.items() if code != 0x0A}


class QueryError(ValueError):
    """A search the pane cannot run; `str()` says why, for the person typing it."""


@dataclass(frozen=True)
class Query:
    """What to look for: `text` as typed, as a regular expression when `regex`."""

    text: str
    regex: bool = False
    case_sensitive: bool | None = (
        None  # None: only when `text` has an upper-case letter
    )
    raw: bool = False  # search the raw view (escape codes shown) instead of the text

    def compile(self) -> re.Pattern[str]:
        """The compiled pattern; raises `QueryError` for a bad or empty-matching one."""
        sensitive = self.case_sensitive
        if sensitive is None:
            sensitive = any(char.isupper() for char in self.text)
        flags = 0 if sensitive else re.IGNORECASE
        source = self.text if self.regex else re.escape(self.text)
        try:
            # Multi-line: ^ and $ anchor each line, also inside a chunk of lines.
            pattern = re.compile(source, flags | re.MULTILINE)
        except re.error as exc:
            raise QueryError(f"Not a valid regular expression: {exc}.") from exc
        if pattern.search("") is not None:
            raise QueryError("The pattern matches empty text; make it match something.")
        return pattern


class Search:
    """The matches of one query over a store, found a slice at a time."""

    def __init__(self, store: LogStore, query: Query, chunk_bytes: int = CHUNK_BYTES):
        self.query = query
        self.pattern = query.compile()
        self._matcher = _Matcher(self.pattern, query)
        self._store = store
        self._chunk_bytes = chunk_bytes
        snapshot = store.snapshot()
        self._snapshot_end = snapshot.total
        self._chunks: Iterator[Chunk] | None = snapshot.chunks(0, chunk_bytes)
        self._next_line = 0  # lines before this one have been searched
        self.match_lines = array("q")  # the line of each match, in order
        self.lines = array("q")  # each line with a match, once, in order

    @property
    def count(self) -> int:
        """How many matches were found so far."""
        return len(self.match_lines)

    @property
    def searched(self) -> int:
        """How many lines have been searched."""
        return self._next_line

    @property
    def done(self) -> bool:
        """Whether every line the store holds has been searched."""
        return self._next_line >= len(self._store)

    def progress(self) -> float:
        """The share of the store's lines searched, 0 to 1."""
        total = len(self._store)
        return 1.0 if total == 0 else min(1.0, self._next_line / total)

    def step(self, budget: float = 0.01) -> bool:
        """Search for up to `budget` seconds (at least one chunk); return `done`."""
        deadline = time.perf_counter() + budget
        while not self.done:
            if self._chunks is not None:
                piece = next(self._chunks, None)
                if piece is None:
                    self._chunks = None
                    self._next_line = self._snapshot_end
                    continue
            else:
                piece = self._next_lines()
            first, count, text, plain = piece
            self._scan(first, text if plain else self._shown(text))
            self._next_line = first + count
            if time.perf_counter() >= deadline:
                break
        return self.done

    def run(self) -> None:
        """Search everything now."""
        self.step(math.inf)

    def _next_lines(self) -> Chunk:
        """Lines that arrived after the search began, about a chunk at a time."""
        first = self._next_line
        stop = min(len(self._store), first + max(1, self._chunk_bytes // 128))
        return Chunk(
            first, stop - first, "\n".join(self._store.lines(first, stop)), False
        )

    def _shown(self, text: str) -> str:
        """What a chunk of raw lines shows: its display text, or its raw view."""
        if self.query.raw:
            return text.translate(_RAW_CHUNK_PICTURES)
        return display_chunk(text)

    def _scan(self, first: int, text: str) -> None:
        """Record the matches in one chunk of newline-joined lines as shown."""
        line = first
        position = 0
        last_line = -1
        add_match, add_line = self.match_lines.append, self.lines.append
        count = text.count
        for start in self._matcher.starts(text):
            line += count("\n", position, start)
            position = start
            add_match(line)
            if line != last_line:
                add_line(line)
                last_line = line

    # -- using the results -------------------------------------------------------------

    def occurrence(self, number: int) -> tuple[int, int]:
        """(line, which match on that line) of match `number`, counted from 0."""
        line = self.match_lines[number]
        return line, number - bisect_left(self.match_lines, line)

    def first_from(self, line: int) -> int:
        """The number of the first match on or after `line` (`count` if none)."""
        return bisect_left(self.match_lines, line)

    def last_before(self, line: int) -> int:
        """The number of the last match before `line` (-1 if none)."""
        return bisect_left(self.match_lines, line) - 1

    def matches_on(self, line: int) -> bool:
        """Whether `line` has a match (among the lines searched so far)."""
        at = bisect_right(self.lines, line)
        return at > 0 and self.lines[at - 1] == line

    def spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of each match in one line of display (or raw) text."""
        return [m.span() for m in self.pattern.finditer(text) if m.end() > m.start()]


def searchable_text(raw: str, *, raw_mode: bool) -> str:
    """The text a line is searched in: what it shows, or its raw view."""
    return raw_text(raw) if raw_mode else display_text(raw)


class _Matcher:
    """Finds where matches start in a chunk of lines, faster than one regex pass.

    Python's `re` scans a megabyte of log in about a millisecond for plain text but
    takes ten or twenty times that for case-insensitive text or a pattern with
    wildcards. So plain text is found with `str.find` (on lower-cased text when case
    does not matter). A regular expression every match of which starts with one of
    some texts (`blk_\\d+`, `(ERROR|WARN)\\b.*`) is tried only where those texts are;
    any other is run only on the lines that contain some text every match must
    contain (one of several, for `x(ERROR|WARN)`).
    """

    def __init__(self, pattern: re.Pattern[str], query: Query) -> None:
        self._pattern = pattern
        self._fold = bool(pattern.flags & re.IGNORECASE)
        self._plain = not query.regex
        self._prefixes = False
        if self._plain:
            needles: list[str] | None = [query.text]
        else:
            needles = _prefix_text(pattern)
            self._prefixes = needles is not None
            if needles is None:
                needles = _required_text(pattern)
        if needles and self._fold:
            needles = [needle.lower() for needle in needles]
        self._needles = needles

    def starts(self, text: str) -> Iterable[int]:
        """The start of each match in `text`, in order, not overlapping."""
        needles = self._needles
        ascii_needles = needles is not None and all(n.isascii() for n in needles)
        if needles is None or (self._fold and not (text.isascii() and ascii_needles)):
            return (
                m.start() for m in self._pattern.finditer(text) if m.end() > m.start()
            )
        haystack = text.lower() if self._fold else text
        if self._plain:
            return _find_all(haystack, needles[0])
        if self._prefixes:
            return self._at_prefixes(text, _prefix_starts(haystack, needles))
        return self._on_candidate_lines(text, _candidate_lines(haystack, needles))

    def _at_prefixes(self, text: str, starts: list[int]) -> list[int]:
        """Matches tried only where one of the texts they all start with is.

        The same matches as `finditer`: each is the leftmost one at or after the end
        of the one before. The tries and the check that no match runs into the next
        run without a Python step per match; only overlaps need one.
        """
        matches = list(filter(None, map(self._pattern.match, repeat(text), starts)))
        begins = list(map(re.Match.start, matches))
        ends = list(map(re.Match.end, matches))
        if all(map(le, ends, begins[1:])):
            return begins
        kept = []
        resume = 0
        for begin, end in zip(begins, ends, strict=True):
            if begin >= resume:
                kept.append(begin)
                resume = end
        return kept

    def _on_candidate_lines(
        self, text: str, lines: Iterator[tuple[int, int]]
    ) -> Iterator[int]:
        pattern = self._pattern
        for start, end in lines:
            for match in pattern.finditer(text, start, end):
                if match.end() > match.start():
                    yield match.start()


def _candidate_lines(haystack: str, needles: list[str]) -> Iterator[tuple[int, int]]:
    """(start, end) of each line holding one of `needles`, in order, once each."""
    if len(needles) == 1:
        needle = needles[0]
        at = haystack.find(needle)
        while at != -1:
            start = haystack.rfind("\n", 0, at) + 1
            end = haystack.find("\n", at)
            end = len(haystack) if end == -1 else end
            yield start, end
            at = haystack.find(needle, end)
        return
    starts: set[int] = set()
    for needle in needles:
        for start, _ in _candidate_lines(haystack, [needle]):
            starts.add(start)
    for start in sorted(starts):
        end = haystack.find("\n", start)
        yield start, len(haystack) if end == -1 else end


def _prefix_starts(haystack: str, needles: list[str]) -> list[int]:
    """Every place one of `needles` starts, in order (overlaps included)."""
    if len(needles) == 1:
        return _every(haystack, needles[0])
    return sorted(set(chain.from_iterable(_every(haystack, n) for n in needles)))


def _every(haystack: str, needle: str) -> list[int]:
    starts = []
    add, find = starts.append, haystack.find
    at = find(needle)
    while at != -1:
        add(at)
        at = find(needle, at + 1)
    return starts


def _find_all(haystack: str, needle: str) -> Iterator[int]:
    at = haystack.find(needle)
    step = len(needle)
    while at != -1:
        yield at
        at = haystack.find(needle, at + step)


def _required_text(pattern: re.Pattern[str]) -> list[str] | None:
    """Texts one of which every match of `pattern` contains, or None if none is known.

    Found from the parsed pattern: runs of plain characters, groups, alternatives
    whose every branch requires some text, and repeats of at least one.
    """
    parsed = _parsed(pattern)
    return None if parsed is None else _requirement(parsed)


def _parsed(pattern: re.Pattern[str]) -> list[tuple[Any, Any]] | None:
    """The pattern as the standard library parses it, or None if that fails."""
    if _regex_parser is None:
        return None
    try:
        return list(_regex_parser.parse(pattern.pattern, pattern.flags))
    except Exception:  # noqa: BLE001 - an internal parser; without it, no shortcut
        return None


def _prefix_text(pattern: re.Pattern[str]) -> list[str] | None:
    """Texts one of which every match of `pattern` starts with, or None if unknown.

    Only texts of two characters or more: shorter ones would be tried too often.
    """
    parsed = _parsed(pattern)
    prefixes = None if parsed is None else _prefixes(parsed)
    if not prefixes or min(map(len, prefixes)) < 2:
        return None
    return prefixes


def _prefixes(items: list[tuple[Any, Any]]) -> list[str] | None:
    run: list[str] = []
    for op, argument in items:
        name = str(op)
        if name == "LITERAL":
            run.append(chr(argument))
            continue
        if run:
            break
        if name == "SUBPATTERN" and not argument[1] and not argument[2]:
            return _prefixes(list(argument[3]))
        if name == "BRANCH":
            options = [_prefixes(list(branch)) for branch in argument[1]]
            if not all(options):
                return None
            return [text for option in options if option for text in option]
        return None
    return ["".join(run)] if run else None


def _requirement(items: list[tuple[Any, Any]]) -> list[str] | None:
    best: list[str] | None = None
    run: list[str] = []

    def consider(option: list[str] | None) -> None:
        nonlocal best
        if not option or min(map(len, option)) < 2:
            return
        if best is None or _rank(option) > _rank(best):
            best = option

    for op, argument in items:
        name = str(op)
        if name == "LITERAL":
            run.append(chr(argument))
            continue
        consider(["".join(run)] if run else None)
        run = []
        if name == "SUBPATTERN" and not argument[1] and not argument[2]:
            consider(_requirement(list(argument[3])))
        elif name == "BRANCH":
            options = [_requirement(list(branch)) for branch in argument[1]]
            if all(options):
                consider([text for option in options if option for text in option])
        elif name in ("MAX_REPEAT", "MIN_REPEAT") and argument[0] >= 1:
            consider(_requirement(list(argument[2])))
    consider(["".join(run)] if run else None)
    return best


def _rank(option: list[str]) -> tuple[int, int]:
    """Fewer alternatives first, then longer ones: the most selective requirement."""
    return -len(option), min(map(len, option))
