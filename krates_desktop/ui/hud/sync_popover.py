"""The sync pill's popover (spec 12.4): the peers, the last sync, and the sharing commands.

For a shared yard it lists each connected peer with `direct` or `relay` and its
round-trip time, the time of the last sync, and Copy invite link, Reset invite
secret and Leave yard; for a local yard, Share yard… and Join yard…. Resetting
the secret asks first, inside the popover, because every old link stops working.
The health view is one click away from here too.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from krates_desktop.sync.session import PeerStatus
from krates_desktop.ui import theme
from krates_desktop.ui.hud.health import rtt_text

CONFIRM_TEXT = (
    "Reset the invite secret? Every old invite link stops working; "
    "the peers connected now move with you."
)
STYLE = f"""
#syncPopover {{ background: rgba(14,18,25,245); border: 1px solid rgba(140,165,200,46);
    border-radius: 9px; }}
QLabel {{ color: {theme.TEXT_2}; background: transparent; }}
QLabel#syncTitle {{ color: {theme.TEXT}; }}
QPushButton {{ color: {theme.TEXT_2}; background: transparent; text-align: left;
    border: 1px solid rgba(140,165,200,46); border-radius: 6px; padding: 4px 10px; }}
QPushButton:hover {{ color: {theme.ACCENT}; border-color: {theme.ACCENT}; }}
QPushButton#syncDanger {{ color: {theme.ERROR}; border-color: {theme.ERROR}; }}
"""


def connected_line(peer: PeerStatus) -> str:
    """`Bob · direct · RTT 2 ms`."""
    who = peer.name or peer.peer_id[:8]
    return f"{who} · {peer.path if peer.path != 'unknown' else '…'} · {rtt_text(peer)}"


def last_sync_text(peers: Sequence[PeerStatus], now: float | None = None) -> str:
    """`last sync 3 s ago` from the newest update any peer sent, `no sync yet` before."""
    times = [p.last_update_at for p in peers if p.last_update_at is not None]
    if not times:
        return "no sync yet"
    seconds = max(0.0, (now if now is not None else time.time()) - max(times))
    if seconds < 90:
        return f"last sync {seconds:.0f} s ago"
    return f"last sync {int(seconds // 60)} min ago"


class SyncPopover(QFrame):
    """A popup under the sync pill; each button emits what the person asked for."""

    share_requested = Signal()
    join_requested = Signal()
    copy_requested = Signal()
    reset_confirmed = Signal()
    leave_requested = Signal()
    health_requested = Signal()

    def __init__(self, parent: QWidget, peers: Sequence[PeerStatus] | None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("syncPopover")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setStyleSheet(STYLE)
        self.buttons: dict[str, QPushButton] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(8)
        shared = peers is not None
        title = QLabel("Shared yard" if shared else "Local yard", self)
        title.setObjectName("syncTitle")
        title.setFont(theme.sans(13, 600))
        layout.addWidget(title)
        self.lines: list[QLabel] = []
        if peers is not None:
            connected = [p for p in peers if p.state in ("syncing", "synced")]
            texts = [connected_line(p) for p in connected] or ["no peer connected"]
            for text in [*texts, last_sync_text(connected)]:
                self.lines.append(self._label(text, layout))
            self._button("Copy invite link", self.copy_requested, layout)
            self._button("Reset invite secret", None, layout, self._ask_reset)
            self._button("Leave yard", self.leave_requested, layout)
        else:
            self._button("Share yard…", self.share_requested, layout)
            self._button("Join yard…", self.join_requested, layout)
        self._button("Health view", self.health_requested, layout)
        self.confirm = QWidget(self)
        row = QVBoxLayout(self.confirm)
        row.setContentsMargins(0, 4, 0, 0)
        self.confirm_text = self._label(CONFIRM_TEXT, row)
        choices = QHBoxLayout()
        reset = self._button("Reset", self.reset_confirmed, choices)
        reset.setObjectName("syncDanger")
        self._button("Cancel", None, choices, self.confirm.hide)
        row.addLayout(choices)
        layout.addWidget(self.confirm)
        self.confirm.hide()
        self.setFixedWidth(320)

    def _label(self, text: str, layout: QVBoxLayout) -> QLabel:
        label = QLabel(text, self)
        label.setWordWrap(True)
        label.setFont(theme.sans(12))
        layout.addWidget(label)
        return label

    def _button(self, text, signal, layout, slot=None) -> QPushButton:  # type: ignore[no-untyped-def]
        button = QPushButton(text, self)
        button.setFont(theme.sans(12, 500))
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        if signal is not None:
            button.clicked.connect(self.close)
            button.clicked.connect(signal.emit)
        if slot is not None:
            button.clicked.connect(slot)
        layout.addWidget(button)
        self.buttons[text] = button
        return button

    def _ask_reset(self) -> None:
        self.confirm.show()
        self.adjustSize()

    def keyPressEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            event.accept()
            return
        super().keyPressEvent(event)
