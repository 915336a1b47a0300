"""Spotlight's index filled from the cache's changes a few milliseconds at a time.

The cache delivers its changes on the GUI thread, where the index lives; the first
sync of a large cluster is one batch of tens of thousands of objects (about
0.4 s of indexing for 20,000 pods). The feeder applies changes in slices of at
most `SLICE_MS`, in order, and lets the window paint and take input between
slices; spotlight, if open, refreshes after each slice.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Container, Hashable, Iterable, Iterator
from typing import Any

from PySide6.QtCore import QObject, QTimer

from krates_desktop.ui.spotlight.fuzzy import Candidate
from krates_desktop.ui.spotlight.index import SearchIndex

SLICE_MS = 8.0  # the most one slice holds the GUI thread (about)
STEP = 250  # changes indexed between two looks at the clock

CandidateChanges = Callable[
    [Iterable[Any], Container[Hashable]], Iterator[tuple[Hashable, Candidate | None]]
]


class IndexFeeder(QObject):
    """Changes waiting for the index, applied a slice per turn of the event loop."""

    def __init__(
        self,
        index: Callable[[], SearchIndex],
        candidates: CandidateChanges,
        fed: Callable[[], None],
        parent: QObject | None = None,
    ) -> None:
        """`index` gives the index of now (another cluster gets a new one);
        `candidates` turns changes into its (key, candidate) pairs, leaving out the
        keys it knows already; `fed` is called after each slice."""
        super().__init__(parent)
        self._index = index
        self._candidates = candidates
        self._fed = fed
        self._pending: deque[Any] = deque()
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self.feed)

    @property
    def pending(self) -> int:
        """Changes not in the index yet."""
        return len(self._pending)

    def add(self, changes: Iterable[Any]) -> None:
        """Queue `changes` after those already waiting."""
        self._pending.extend(changes)
        if self._pending and not self._timer.isActive():
            self._timer.start()

    def clear(self) -> None:
        """Forget what waits (the index it was for is being replaced)."""
        self._pending.clear()
        self._timer.stop()

    def feed(self, budget_ms: float = SLICE_MS) -> None:
        """Index waiting changes for about `budget_ms`, then give the loop back."""
        deadline = time.perf_counter() + budget_ms / 1000
        index = self._index()
        pending = self._pending
        while pending and time.perf_counter() < deadline:
            step = [pending.popleft() for _ in range(min(STEP, len(pending)))]
            index.update(self._candidates(step, index))
        if pending:
            self._timer.start()
        self._fed()
