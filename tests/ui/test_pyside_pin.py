"""The pinned PySide6 does not leak references to None from void virtual overrides."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from krates_desktop.ui.hud.pills import Pill


def test_repainting_thousands_of_times_keeps_none_alive(qtbot) -> None:  # type: ignore[no-untyped-def]
    """A Python paintEvent run 3000 times leaves sys.getrefcount(None) where it was
    (PySide6 6.12.0 on Python 3.11 drops one reference per call and then aborts)."""
    pill = Pill("refcount")
    qtbot.addWidget(pill)
    pill.show()
    qtbot.waitExposed(pill)
    before = sys.getrefcount(None)
    for _ in range(3000):
        pill.repaint()
    QApplication.processEvents()
    assert sys.getrefcount(None) >= before - 500  # other threads move it by tens
