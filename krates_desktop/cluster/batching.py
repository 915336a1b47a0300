"""Deliver items from worker threads in batches, at most once per interval.

Informers and log streams produce many small results; the UI wants few, larger
callbacks. A :class:`Batcher` collects items and hands them to its callback from
its own thread, waiting at least ``interval`` seconds between two deliveries.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class Batcher(Generic[T]):
    """Collects items and delivers them in order, at most every ``interval`` seconds."""

    def __init__(
        self,
        deliver: Callable[[list[T]], None],
        interval: float,
        name: str,
        merge: Callable[[list[T]], list[T]] | None = None,
    ) -> None:
        self._deliver = deliver
        self._interval = interval
        self._merge = merge
        self._pending: list[T] = []
        self._cond = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        """Start the delivering thread."""
        self._thread.start()

    def add(self, items: Iterable[T]) -> None:
        """Queue items for the next delivery."""
        with self._cond:
            before = len(self._pending)
            self._pending.extend(items)
            if len(self._pending) > before:
                self._cond.notify()

    def stop(self, timeout: float = 2.0) -> None:
        """Deliver what is queued, then end the thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        last = 0.0
        while True:
            with self._cond:
                while not self._pending and not self._stopping:
                    self._cond.wait()
                if self._stopping and not self._pending:
                    return
                # Wait out the interval; more items may arrive meanwhile.
                delay = last + self._interval - time.monotonic()
                while delay > 0 and not self._stopping:
                    self._cond.wait(delay)
                    delay = last + self._interval - time.monotonic()
                items, self._pending = self._pending, []
            self._safe_deliver(items)
            last = time.monotonic()

    def _safe_deliver(self, items: list[T]) -> None:
        if self._merge is not None:
            items = self._merge(items)
        if not items:
            return
        try:
            self._deliver(items)
        except Exception:
            log.exception("a batch callback failed")
