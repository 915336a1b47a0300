"""Exponential backoff for reconnecting streams: 1 s, 2 s, 4 s ... up to a ceiling."""

from __future__ import annotations

import random


class Backoff:
    """Delays that double from ``initial`` up to ``maximum``, optionally with jitter."""

    def __init__(
        self, initial: float = 1.0, maximum: float = 30.0, jitter: float = 0.0
    ):
        self._initial = initial
        self._maximum = maximum
        self._jitter = jitter
        self._next = initial

    def next_delay(self) -> float:
        """The delay to wait now; the following one is twice as long, up to the ceiling."""
        delay = self._next
        self._next = min(self._maximum, self._next * 2)
        if self._jitter:
            delay *= 1 + random.uniform(-self._jitter, self._jitter)
        return min(delay, self._maximum)

    def reset(self) -> None:
        """Start again from the initial delay after a success."""
        self._next = self._initial
