"""Toasts: short messages at the bottom centre, 4 s (6 s with Undo), three at most."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from krates_desktop.ui import theme

PLAIN_MS, UNDO_MS, MAX_TOASTS, GAP = 4000, 6000, 3, 8


class Toast(QWidget):
    """One pill-styled message with an optional Undo button."""

    def __init__(
        self,
        parent: QWidget,
        text: str,
        undo: Callable[[], None] | None,
        action: str = "Undo",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("toast")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setStyleSheet(
            "#toast { background: rgba(14,18,25,209); border: 1px solid rgba(140,165,200,46);"
            " border-radius: 9px; }"
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 7, 12, 7)
        layout.setSpacing(12)
        self.label = QLabel(text, self)
        self.label.setFont(theme.sans(13, 500))
        self.label.setStyleSheet(f"color: {theme.TEXT}; background: transparent;")
        layout.addWidget(self.label)
        self.undo_button: QPushButton | None = None
        if undo is not None:
            self.undo_button = QPushButton(action, self)
            self.undo_button.setFont(theme.sans(13, 600))
            self.undo_button.setCursor(Qt.CursorShape.PointingHandCursor)
            self.undo_button.setStyleSheet(
                f"QPushButton {{ color: {theme.ACCENT}; background: transparent; border: none; }}"
            )
            self.undo_button.clicked.connect(undo)
            layout.addWidget(self.undo_button)
        self.adjustSize()


class Toasts:
    """Stacks toasts above the bottom edge of `host`, newest at the bottom."""

    def __init__(self, host: QWidget) -> None:
        self.host = host
        self.shown: list[Toast] = []

    def show(
        self, text: str, undo: Callable[[], None] | None = None, action: str = "Undo"
    ) -> Toast:
        """Show a toast; with `undo`, a button (`action`, Undo by default) that runs it
        and dismisses the toast."""
        toast_ref: list[Toast] = []

        def on_undo() -> None:
            if undo is not None:
                undo()
            self.dismiss(toast_ref[0])

        toast = Toast(self.host, text, on_undo if undo is not None else None, action)
        toast_ref.append(toast)
        self.shown.append(toast)
        while len(self.shown) > MAX_TOASTS:
            self.dismiss(self.shown[0])
        # The toast owns its timer: a toast destroyed with its window never fires it.
        timer = QTimer(toast, singleShot=True, interval=UNDO_MS if undo else PLAIN_MS)
        timer.timeout.connect(lambda: self.dismiss(toast))
        timer.start()
        toast.show()
        self.layout()
        return toast

    def dismiss(self, toast: Toast) -> None:
        """Remove one toast."""
        if toast in self.shown:
            self.shown.remove(toast)
            toast.hide()
            toast.deleteLater()
            self.layout()

    def layout(self) -> None:
        """Place the stack at the bottom centre, 18 px above the edge."""
        y = self.host.height() - 18
        for toast in reversed(self.shown):
            y -= toast.height()
            toast.move((self.host.width() - toast.width()) // 2, y)
            toast.raise_()
            y -= GAP
