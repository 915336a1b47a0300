"""Presence in the top bar: the roster avatars and the admin button.

Each user is shown from a plain presence record (the awareness fields of the
spec: `userId`, `name`, `color`, `cursor`, ...), so the widgets render the same
values whether they come from this peer or from a remote one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from krates_desktop.ui import symbols, theme

Presence = Mapping[str, Any]
AVATAR, OVERLAP, MAX_AVATARS = 30, 7, 6
USER_PALETTE = (
    "#ff9f6b",
    "#f5d76e",
    "#7ee0a1",
    "#6fb1ff",
    "#b48cff",
    "#f08fd0",
    "#5fd4c4",
    "#ff8f8f",
)


def initials(name: str) -> str:
    """First letters of the first two words, else the first two letters, upper case."""
    words = name.split()
    if len(words) >= 2:
        return (words[0][0] + words[1][0]).upper()
    return name[:2].upper() or "?"


def paint_avatar(
    painter: QPainter, box: QRectF, fill: str, text: str, size: int
) -> None:
    """A filled circle with a 2 px canvas-coloured ring and centred initials."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor(theme.CANVAS_BG), 2))
    painter.setBrush(QColor(fill))
    painter.drawEllipse(box.adjusted(1, 1, -1, -1))
    painter.setFont(theme.sans(size, 600))
    painter.setPen(QColor(theme.CANVAS_BG))
    symbols.draw_text(painter, box, Qt.AlignmentFlag.AlignCenter, text)


class Roster(QWidget):
    """30 px avatars overlapping by 7 px: the current user first with `★`, then others."""

    avatar_clicked = Signal(str)  # userId

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.me: Presence = {}
        self.others: list[Presence] = []
        self.paths: dict[str, str] = {}
        self.setMouseTracking(True)

    def set_users(self, me: Presence, others: Sequence[Presence]) -> None:
        """Show the current user and one avatar per other userId."""
        self.me = me
        self.others = list(others)
        self.updateGeometry()
        self.adjustSize()
        self.update()

    def _shown(self) -> list[tuple[Presence | None, str, str]]:
        items: list[tuple[Presence | None, str, str]] = []
        if self.me:
            items.append((self.me, str(self.me.get("color", theme.ACCENT)), "★"))
        room = MAX_AVATARS - len(items)
        for user in self.others[:room]:
            items.append(
                (
                    user,
                    str(user.get("color", theme.MUTED)),
                    initials(str(user.get("name", ""))),
                )
            )
        hidden = len(self.others) - room
        if hidden > 0:
            items.append((None, theme.MUTED, f"+{hidden}"))
        return items

    def sizeHint(self) -> QSize:  # noqa: N802
        count = len(self._shown())
        return QSize(
            max(0, AVATAR + (count - 1) * (AVATAR - OVERLAP)) if count else 0, AVATAR
        )

    def _rect(self, index: int) -> QRectF:
        return QRectF(index * (AVATAR - OVERLAP), 0, AVATAR, AVATAR)

    def paintEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        painter = QPainter(self)
        for index, (_user, fill, text) in enumerate(self._shown()):
            paint_avatar(painter, self._rect(index), fill, text, 11)
        painter.end()

    def _user_at(self, pos: QPointF) -> Presence | None:
        shown = self._shown()
        for index in reversed(range(len(shown))):
            if self._rect(index).contains(pos):
                return shown[index][0]
        return None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        user = self._user_at(event.position())
        if user is not None:
            tip = str(user.get("name", ""))
            path = self.paths.get(str(user.get("userId", "")))
            if user is not self.me and path:
                tip = f"{tip} · {path}"
            QToolTip.showText(event.globalPosition().toPoint(), tip, self)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        user = self._user_at(event.position())
        if user is not None:
            self.avatar_clicked.emit(str(user.get("userId", "")))
