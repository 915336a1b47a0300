"""The remote cursor layer: other users' pointers, mapped through the local camera.

A screen-space overlay that never takes input. Each cursor is a 14 px arrow in the
user's colour with a name label (or `🔍 <query>` while their spotlight is open);
movement is smoothed over 80 ms.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QWidget

from krates_desktop.ui import symbols, theme

SMOOTH_S = 0.08


@dataclass
class _Track:
    name: str
    color: str
    label: str
    start: tuple[float, float]
    target: tuple[float, float]
    since: float

    def position(self, now: float) -> tuple[float, float]:
        t = min(1.0, (now - self.since) / SMOOTH_S)
        return (
            self.start[0] + (self.target[0] - self.start[0]) * t,
            self.start[1] + (self.target[1] - self.start[1]) * t,
        )


def cursor_label(presence: Mapping[str, Any]) -> str:
    """The name, or `🔍 <query>` while the user's spotlight is open."""
    query = presence.get("spotlightQuery")
    if query is not None:
        return f"🔍 {query}" if query else "🔍 …"
    return str(presence.get("name", ""))


class CursorLayer(QWidget):
    """Draws remote cursors over the canvas; transparent to the mouse."""

    def __init__(
        self, parent: QWidget, to_screen: Callable[[float, float], QPointF]
    ) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
        self._to_screen = to_screen
        self.tracks: dict[str, _Track] = {}
        self._font = theme.sans(11)
        self._timer = QTimer(self, interval=16)
        self._timer.timeout.connect(self._on_timer_timeout)

    def set_peers(self, peers: Sequence[Mapping[str, Any]]) -> None:
        """Show one cursor per remote presence that has a cursor."""
        now = time.monotonic()
        seen = set()
        for peer in peers:
            cursor = peer.get("cursor")
            uid = str(peer.get("userId", ""))
            if not cursor or not uid:
                continue
            seen.add(uid)
            target = (float(cursor["x"]), float(cursor["y"]))
            track = self.tracks.get(uid)
            if track is None:
                track = _Track("", "", "", target, target, now)
                self.tracks[uid] = track
            else:
                track.start = track.position(now)
                track.target = target
                track.since = now
            track.name = str(peer.get("name", ""))
            track.color = str(peer.get("color", theme.ACCENT))
            track.label = cursor_label(peer)
        for uid in set(self.tracks) - seen:
            del self.tracks[uid]
        self._timer.start()
        self.update()

    def screen_position(self, user_id: str) -> QPointF | None:
        """Where a user's cursor is drawn now (for tests)."""
        track = self.tracks.get(user_id)
        if track is None:
            return None
        return self._to_screen(*track.position(time.monotonic()))

    def _on_timer_timeout(self) -> None:
        now = time.monotonic()
        if all(now - t.since >= SMOOTH_S for t in self.tracks.values()):
            self._timer.stop()
        self.update()

    def paintEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(self._font)
        now = time.monotonic()
        for track in self.tracks.values():
            point = self._to_screen(*track.position(now))
            if self.rect().contains(point.toPoint()):
                self._paint_cursor(painter, point, track)
        painter.end()

    def _paint_cursor(self, painter: QPainter, p: QPointF, track: _Track) -> None:
        arrow = QPainterPath(p)
        for dx, dy in ((0, 14), (4, 10.5), (7, 15), (9, 14), (6, 9.5), (11, 9.5)):
            arrow.lineTo(p.x() + dx, p.y() + dy)
        arrow.closeSubpath()
        painter.setPen(QPen(QColor(theme.CANVAS_BG), 1))
        painter.setBrush(QColor(track.color))
        painter.drawPath(arrow)
        metrics = QFontMetricsF(self._font)
        box = QRectF(
            p.x() + 12,
            p.y() + 14,
            symbols.text_width(self._font, track.label) + 12,
            metrics.height() + 4,
        )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRoundedRect(box, 4, 4)
        painter.setPen(QColor(theme.CANVAS_BG))
        symbols.draw_text(painter, box, Qt.AlignmentFlag.AlignCenter, track.label)
