"""Carries calls from worker threads onto the GUI thread as queued Qt signals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot


class Dispatcher(QObject):
    """`post(fn, *args)` from any thread runs `fn(*args)` on the GUI thread."""

    _posted = Signal(object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._posted.connect(self._on_posted, Qt.ConnectionType.QueuedConnection)
        self._closed = False

    def post(self, fn: Callable[..., Any], *args: Any) -> None:
        """Queue `fn(*args)` for the GUI thread; safe to call from workers."""
        if not self._closed:
            self._posted.emit(fn, args)

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., None]:
        """Return a callback that workers may call; it runs `fn` on the GUI thread."""
        return lambda *args: self.post(fn, *args)

    def close(self) -> None:
        """Drop every later call (the receivers are going away)."""
        self._closed = True

    @Slot(object, object)
    def _on_posted(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        if not self._closed:
            fn(*args)
