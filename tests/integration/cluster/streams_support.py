"""Helpers shared by the stream tests: a client for the sandbox and a callback recorder."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Collector(Generic[T]):
    """Appends what a worker-thread callback receives and lets a test wait on it."""

    def __init__(self) -> None:
        self.items: list[T] = []
        self._cond = threading.Condition()

    def add(self, item: T) -> None:
        with self._cond:
            self.items.append(item)
            self._cond.notify_all()

    def extend(self, items: list[T]) -> None:
        with self._cond:
            self.items.extend(items)
            self._cond.notify_all()

    def wait_for(
        self, predicate: Callable[[list[T]], bool], timeout: float = 10
    ) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: predicate(self.items), timeout), (
                f"timed out; got {self.items[-5:]!r}"
            )
