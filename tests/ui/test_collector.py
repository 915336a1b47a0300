"""Cyclic garbage is collected on the GUI thread while a window is open, never on a worker."""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject, QTimer

from krates_desktop.ui.collector import collector


class _Owner:
    """A window-like object in a reference cycle, holding a live Qt timer."""

    def __init__(self, died_on: list[int]) -> None:
        self.me = self
        self.timer = QTimer(interval=10)
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        self.died_on = died_on

    def tick(self) -> None:
        pass

    def __del__(self) -> None:
        self.died_on.append(threading.get_ident())


def _allocate_on_a_worker() -> None:
    """What an informer does with a page of pods: many small container objects."""

    def churn() -> None:
        kept = [{"n": i, "l": [i]} for i in range(200_000)]
        del kept

    worker = threading.Thread(target=churn)
    worker.start()
    worker.join()


def test_garbage_from_the_gui_is_destroyed_on_the_gui_thread(qtbot) -> None:  # type: ignore[no-untyped-def]
    """A dropped window in a cycle survives a worker's allocations and is destroyed
    by the GUI thread's next tick; after release, the interpreter collects by itself."""
    held = collector()
    held.hold()
    try:
        died_on: list[int] = []
        _Owner(died_on)
        _allocate_on_a_worker()
        assert died_on == [] or died_on == [threading.get_ident()]
        young = [
            [i] for i in range(gc.get_threshold()[0] * 2)
        ]  # the GUI's own allocations
        qtbot.waitUntil(lambda: died_on == [threading.get_ident()], timeout=5000)
        del young
    finally:
        held.release()
    assert gc.isenabled()


def test_collection_follows_the_interpreter_thresholds(qtbot) -> None:  # type: ignore[no-untyped-def]
    """The GUI thread collects young garbage as often as the interpreter would."""
    held = collector()
    held.hold()
    try:
        assert not gc.isenabled()
        for _ in range(gc.get_threshold()[0] * 3):
            QObject()
        qtbot.waitUntil(lambda: gc.get_count()[0] < gc.get_threshold()[0], timeout=2000)
    finally:
        held.release()
