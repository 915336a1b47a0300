"""Python's cyclic garbage collector, run on the GUI thread while a window is open.

Qt objects must be destroyed on the thread they live on. With automatic collection, any
thread that crosses the allocation threshold collects all cyclic garbage there is: an
informer parsing a page of pods can end up destroying a closed window or a krate item
(Python wrappers in reference cycles with their bound-method slots) on its own thread.
Their timers stay registered with the GUI thread, and the next timer event reaches freed
memory (a segfault in `QCoreApplication::notifyInternal2`). So while a window is open,
automatic collection is off and the GUI thread collects from a timer, following the
interpreter's own thresholds.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer

TICK_MS = 50


class GuiThreadCollector(QObject):
    """Collects on the GUI thread as often as the interpreter would have on its own."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._holders = 0
        self._long_lived = 0
        self._next_full_check = gc.get_threshold()[2]
        self._timer = QTimer(self, interval=TICK_MS)
        self._timer.timeout.connect(self.collect_due)

    def hold(self) -> None:
        """A window opened: collect here from now on."""
        self._holders += 1
        if self._holders == 1:
            gc.disable()
            self._timer.start()

    def release(self) -> None:
        """A window closed; with none left, the interpreter collects on its own again."""
        self._holders = max(0, self._holders - 1)
        if self._holders == 0:
            self._timer.stop()
            gc.enable()
            self.collect_due()

    def collect_due(self) -> None:
        """Collect the oldest generation whose allocation count passed its threshold.

        Like the interpreter, a full collection waits until the objects added to the
        oldest generation since the last one are a quarter of those it held then, so a
        large, stable heap (the cache, the search index) is not walked again and again.
        """
        counts, thresholds = gc.get_count(), gc.get_threshold()
        due = [g for g in range(2) if thresholds[g] and counts[g] >= thresholds[g]]
        if thresholds[2] and counts[2] >= self._next_full_check:
            grown = len(gc.get_objects(generation=2)) - self._long_lived
            if grown > self._long_lived / 4:
                gc.collect(2)
                self._long_lived = len(gc.get_objects(generation=2))
                self._next_full_check = thresholds[2]
                return
            self._next_full_check = counts[2] + thresholds[2]
        if due:
            gc.collect(max(due))


_collector: GuiThreadCollector | None = None


def collector() -> GuiThreadCollector:
    """The application's one collector (the QApplication must exist)."""
    global _collector
    app = QCoreApplication.instance()
    if _collector is None or _collector.parent() is not app:
        assert app is not None, "create the QApplication first"
        _collector = GuiThreadCollector(app)
    return _collector
