"""The admin drawer: everyone in the yard, what they are doing, and their krates.

It renders plain values (`UserCard`), built by the session from awareness and the
yard; clicking a krate row asks to spectate it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from PySide6.QtCore import (
    QEasingCurve,
    QPoint,
    QPropertyAnimation,
    QRectF,
    Qt,
    QVariantAnimation,
    Signal,
)
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from krates_desktop.ui import glyphs, symbols, theme
from krates_desktop.ui.frost import Frost
from krates_desktop.ui.hud.presence import initials, paint_avatar

WIDTH = 380
SLIDE_MS = 220
ACTIVE_WINDOW_S = 60


@dataclass(frozen=True)
class KrateRow:
    """One krate in a user's list."""

    kid: str
    label: str
    letters: tuple[str, ...]
    health: str


@dataclass(frozen=True)
class UserCard:
    """What one user card shows."""

    user_id: str
    name: str
    color: str
    me: bool
    last_active_ms: int
    active_namespace: str | None = None
    query: str | None = None
    typing: bool = False
    krates: tuple[KrateRow, ...] = field(default_factory=tuple)
    link: str = (
        ""  # the peer's path, round-trip time and sync lag; "" for the local user
    )


def status_text(card: UserCard, now_ms: int | None = None) -> str:
    """`active · ns/<ns>` within 60 s of the last input, else `idle Nm`."""
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    idle_s = max(0, (now - card.last_active_ms) / 1000)
    if idle_s <= ACTIVE_WINDOW_S:
        return (
            f"active · ns/{card.active_namespace}"
            if card.active_namespace
            else "active"
        )
    return f"idle {max(1, int(idle_s // 60))}m"


def krates_text(count: int) -> str:
    """`N krates open`, `1 krate open`."""
    return f"{count} krate open" if count == 1 else f"{count} krates open"


class UserCardWidget(QWidget):
    """One painted card: avatar, name, status, live query, krate rows."""

    spectate_requested = Signal(str)
    fold_toggled = Signal(str, bool)  # user id, folded
    ROW_H = 26

    def __init__(
        self, card: UserCard, parent: QWidget | None = None, folded: bool = False
    ) -> None:
        super().__init__(parent)
        self.card = card
        self.folded = folded
        self.typing_opacity = 1.0
        self.setMinimumHeight(self._height())

    def _shown_krates(self) -> tuple[KrateRow, ...]:
        return () if self.folded else self.card.krates

    def _height(self) -> int:
        return (
            96
            + len(self._shown_krates()) * self.ROW_H
            + (18 if self.card.query is not None else 0)
            + self._link_h()
        )

    def _link_h(self) -> int:
        return 18 if self.card.link else 0

    def query_text(self) -> str:
        """The live query line, or "" while spotlight is closed."""
        if self.card.query is None:
            return ""
        return f"🔍 {self.card.query}" if self.card.query else "🔍 …"

    def _row_rect(self, index: int) -> QRectF:
        top = 86 + (18 if self.card.query is not None else 0) + self._link_h()
        return QRectF(16, top + index * self.ROW_H, self.width() - 32, self.ROW_H - 2)

    def paintEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        card = self.card
        painter.setPen(QPen(theme.color(theme.HAIRLINE), 1))
        painter.setBrush(theme.color(theme.HOVER_WASH))
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(8, 4, -8, -4), 10, 10)
        paint_avatar(
            painter,
            QRectF(20, 14, 40, 40),
            card.color,
            "★" if card.me else initials(card.name),
            14,
        )
        painter.setFont(theme.sans(13, 700))
        painter.setPen(QColor(theme.TEXT))
        painter.drawText(
            QRectF(72, 14, 260, 20), Qt.AlignmentFlag.AlignVCenter, card.name
        )
        painter.setFont(theme.sans(12))
        painter.setPen(QColor(theme.TEXT_2))
        painter.drawText(
            QRectF(72, 34, 260, 18), Qt.AlignmentFlag.AlignVCenter, status_text(card)
        )
        painter.setPen(QColor(theme.MUTED))
        fold = "▸ " if self.folded else ""  # a click on the line folds the list
        symbols.draw_text(
            painter,
            self.count_rect(),
            Qt.AlignmentFlag.AlignVCenter,
            fold + krates_text(len(card.krates)),
        )
        if card.link:
            painter.drawText(
                QRectF(20, 78, self.width() - 40, 18),
                Qt.AlignmentFlag.AlignVCenter,
                card.link,
            )
        query_y = 78 + self._link_h()
        if card.query is not None:
            painter.setPen(QColor(theme.ACCENT))
            symbols.draw_text(
                painter,
                QRectF(20, query_y, 240, 18),
                Qt.AlignmentFlag.AlignVCenter,
                self.query_text(),
            )
            if card.typing:
                painter.setOpacity(self.typing_opacity)
                painter.setPen(QColor(theme.MUTED))
                painter.drawText(
                    QRectF(260, query_y, 90, 18),
                    Qt.AlignmentFlag.AlignVCenter,
                    "typing…",
                )
                painter.setOpacity(1.0)
        for index, row in enumerate(self._shown_krates()):
            self._paint_row(painter, self._row_rect(index), row)
        painter.end()

    def count_rect(self) -> QRectF:
        """The `N krates open` line, which folds and unfolds the krate list."""
        return QRectF(20, 60, 300, 18)

    def _paint_row(self, painter: QPainter, rect: QRectF, row: KrateRow) -> None:
        painter.setFont(theme.sans(12))
        painter.setPen(QColor(theme.TEXT))
        painter.drawText(
            rect.adjusted(8, 0, -120, 0), Qt.AlignmentFlag.AlignVCenter, row.label
        )
        x = rect.right() - 110
        painter.setFont(theme.mono(10))
        for letter in row.letters:
            box = QRectF(x, rect.center().y() - 8, 16, 16)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(theme.color(theme.ACCENT_DIM))
            painter.drawRoundedRect(box, 4, 4)
            painter.setPen(QColor(theme.ACCENT))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, letter)
            x += 20
        glyphs.paint_dot(
            painter,
            rect.topRight() + QPoint(-10, int(rect.height() / 2)),
            theme.HEALTH_COLORS.get(row.health, theme.UNKNOWN),
        )

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self.card.krates and self.count_rect().contains(event.position()):
            self.folded = not self.folded
            self.setMinimumHeight(self._height())
            self.update()
            self.fold_toggled.emit(self.card.user_id, self.folded)
            return
        for index, row in enumerate(self._shown_krates()):
            if self._row_rect(index).contains(event.position()):
                self.spectate_requested.emit(row.kid)
                return


class AdminDrawer(QWidget):
    """The backdrop over the window and the 380 px panel that slides in from the right."""

    spectate_requested = Signal(str)
    closed = Signal()
    copy_invite_requested = Signal()
    leave_requested = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.folded: set[str] = set()  # users whose krate list is folded
        self.frost = Frost(2.0)  # with frosted overlays on, like spotlight's backdrop
        self.panel = QWidget(self)
        self.panel.setObjectName("adminDrawer")
        self.panel.setStyleSheet(
            "#adminDrawer { background: rgba(13,17,24,250); "
            "border-left: 1px solid rgba(140,165,200,51); }"
        )
        layout = QVBoxLayout(self.panel)
        layout.setContentsMargins(0, 16, 0, 16)
        self.header = QLabel(self.panel)
        self.header.setFont(theme.sans(15, 600))
        self.header.setStyleSheet(
            f"color: {theme.TEXT}; padding-left: 20px; background: transparent;"
        )
        layout.addWidget(self.header)
        self.list = QWidget()
        self.list.setStyleSheet("background: transparent;")
        self.cards_layout = QVBoxLayout(self.list)
        self.cards_layout.setContentsMargins(0, 8, 0, 8)
        self.cards_layout.addStretch(1)
        scroll = QScrollArea(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setStyleSheet("background: transparent;")
        scroll.setWidget(self.list)
        layout.addWidget(scroll, 1)
        layout.addLayout(self._footer())
        self.cards: list[UserCardWidget] = []
        self._slide = QPropertyAnimation(self.panel, b"pos", self)
        self._slide.setDuration(SLIDE_MS)
        self._slide.setEasingCurve(QEasingCurve.Type.OutCubic)
        self._slide.finished.connect(self._on_slide_finished)
        self._pulse = QVariantAnimation(self, duration=1600, loopCount=-1)
        self._pulse.setKeyValueAt(0.0, 1.0)
        self._pulse.setKeyValueAt(0.5, 0.5)
        self._pulse.setKeyValueAt(1.0, 1.0)
        self._pulse.valueChanged.connect(self._on_pulse_value_changed)
        self._closing = False
        self.hide()

    def _footer(self) -> QHBoxLayout:
        """The footer's Copy invite link and Leave yard buttons (spec 14.2)."""
        row = QHBoxLayout()
        row.setContentsMargins(20, 8, 20, 0)
        row.setSpacing(8)
        self.footer_buttons: list[QPushButton] = []
        for label, signal in (
            ("Copy invite link", self.copy_invite_requested),
            ("Leave yard", self.leave_requested),
        ):
            button = QPushButton(label, self.panel)
            button.setFont(theme.sans(12, 500))
            button.setStyleSheet(
                f"QPushButton {{ color: {theme.TEXT_2}; background: transparent; "
                "border: 1px solid rgba(140,165,200,46); border-radius: 7px; "
                "padding: 5px 12px; }"
                f"QPushButton:hover {{ color: {theme.ACCENT}; border-color: {theme.ACCENT}; }}"
            )
            button.clicked.connect(signal.emit)
            row.addWidget(button)
            self.footer_buttons.append(button)
        row.addStretch(1)
        return row

    def is_open(self) -> bool:
        """True while the drawer shows (and is not sliding out)."""
        return self.isVisible() and not self._closing

    def set_cards(self, cards: list[UserCard], yard_name: str = "yard") -> None:
        """Rebuild the list: one card per user, the current user first."""
        self.header.setText(f"Yard · {len(cards)} online   {yard_name}")
        for widget in self.cards:
            widget.setParent(None)
            widget.deleteLater()
        self.cards = []
        for card in sorted(cards, key=lambda c: (not c.me, c.name)):
            widget = UserCardWidget(card, self.list, card.user_id in self.folded)
            widget.spectate_requested.connect(self._on_card_spectate_requested)
            widget.fold_toggled.connect(self._on_card_fold_toggled)
            self.cards_layout.insertWidget(self.cards_layout.count() - 1, widget)
            self.cards.append(widget)
        if any(c.typing for c in cards):
            self._pulse.start()
        else:
            self._pulse.stop()

    def open_drawer(self) -> None:
        """Slide in over a dimming backdrop."""
        self._closing = False
        if not self.isVisible():
            self.frost.capture(self.parentWidget())
        self.setGeometry(self.parentWidget().rect())
        self.panel.setFixedSize(WIDTH, self.height())
        self.show()
        self.raise_()
        self._slide.stop()
        self._slide.setStartValue(QPoint(self.width(), 0))
        self._slide.setEndValue(QPoint(self.width() - WIDTH, 0))
        self._slide.start()

    def close_drawer(self) -> None:
        """Slide out, then hide."""
        if not self.isVisible() or self._closing:
            return
        self._closing = True
        self._slide.stop()
        self._slide.setStartValue(self.panel.pos())
        self._slide.setEndValue(QPoint(self.width(), 0))
        self._slide.start()
        self.closed.emit()

    def _on_slide_finished(self) -> None:
        if self._closing:
            self.hide()
            self.frost.still = None
            self._closing = False

    def _on_card_fold_toggled(self, user_id: str, folded: bool) -> None:
        """Keep a folded list folded across the rebuilds that presence updates cause."""
        if folded:
            self.folded.add(user_id)
        else:
            self.folded.discard(user_id)

    def _on_card_spectate_requested(self, kid: str) -> None:
        self.close_drawer()
        self.spectate_requested.emit(kid)

    def _on_pulse_value_changed(self, value: float) -> None:
        for widget in self.cards:
            if widget.card.typing:
                widget.typing_opacity = float(value)
                widget.update()

    def paintEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        painter = QPainter(self)
        self.frost.paint(painter, QRectF(self.rect()))
        painter.fillRect(self.rect(), theme.color(theme.DIM_BACKDROP))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if not self.panel.geometry().contains(event.position().toPoint()):
            self.close_drawer()

    def keyPressEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        if event.key() == Qt.Key.Key_Escape:
            self.close_drawer()
        event.accept()
