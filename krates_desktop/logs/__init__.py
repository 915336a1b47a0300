"""The log pane's model: lines without a limit, what they show, search and filter.

Plain Python (no Qt): `store.LogStore` keeps the lines (newest in memory, the rest in a
spill file), `lines.LineAssembler` turns raw bytes into lines, `ansi` turns a raw line
into display text and colour spans, `levels` colours lines by level,
`search.Search` finds matches over everything held, and `sources` holds the pane's
source choices (container, previous run, range) and interleaves containers by time.
"""

from krates_desktop.logs.ansi import display_text, raw_text, styled
from krates_desktop.logs.levels import Level, colour_of, level_of
from krates_desktop.logs.lines import LineAssembler
from krates_desktop.logs.search import Query, QueryError, Search
from krates_desktop.logs.store import LogSnapshot, LogStore, LogStoreError

__all__ = [
    "Level",
    "LineAssembler",
    "LogSnapshot",
    "LogStore",
    "LogStoreError",
    "Query",
    "QueryError",
    "Search",
    "colour_of",
    "display_text",
    "level_of",
    "raw_text",
    "styled",
]
