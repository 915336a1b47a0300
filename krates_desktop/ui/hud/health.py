"""The health view: open streams, API latency, errors and reconnects, and the yard's peers.

A panel over the right of the canvas (`Ctrl+Shift+H`, or "Health view" in the sync
popover) that reads the cluster layer's stream book (:mod:`krates_desktop.cluster.
streams`) and the sync session's peers once a second while it shows. Nothing is
kept here: every refresh renders the figures as they are now, as text lines the
person can read and select.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from krates_desktop.cluster.streams import ContextStats, Limits
from krates_desktop.sync.session import PeerStatus
from krates_desktop.ui import theme

WIDTH = 440
REFRESH_MS = 1000
SHORTCUT = "Ctrl+Shift+H"


@dataclass(frozen=True)
class Section:
    """One titled block of the panel."""

    title: str
    lines: tuple[str, ...]


def _counts(pairs: dict[str, int]) -> str:
    return (
        ", ".join(f"{name} {count}" for name, count in sorted(pairs.items())) or "none"
    )


def context_section(stats: ContextStats, limits: Limits) -> Section:
    """The lines of one context: streams against their caps, latency, errors, reconnects."""
    lines = [
        f"{stats.watches} watches · {stats.log_streams} of {limits.logs} log streams · "
        f"{stats.shells} of {limits.shells} shells"
    ]
    for request, figures in sorted(stats.latency.items()):
        lines.append(
            f"{request}: p50 {figures.p50:g} ms · p95 {figures.p95:g} ms · "
            f"p99 {figures.p99:g} ms · {figures.count} requests"
        )
    lines.append(f"errors: {_counts(stats.errors)}")
    lines.append(f"reconnects: {_counts(stats.reconnects)}")
    return Section(stats.context, tuple(lines))


def rtt_text(peer: PeerStatus) -> str:
    """`RTT 3 ms`, or `RTT —` before the link measured one."""
    return f"RTT {peer.rtt_ms:.0f} ms" if peer.rtt_ms is not None else "RTT —"


def lag_text(peer: PeerStatus, now: float | None = None) -> str:
    """Sync lag: the time since the peer's last update reached us, and what is unacked."""
    if peer.last_update_at is None:
        since = "no update yet"
    else:
        seconds = max(
            0.0, (now if now is not None else time.time()) - peer.last_update_at
        )
        since = (
            f"last update {seconds:.1f} s ago"
            if seconds < 120
            else (f"last update {int(seconds // 60)} min ago")
        )
    return f"{since} · {peer.unacked} unacked"


def link_text(peer: PeerStatus, now: float | None = None) -> str:
    """The link to a peer: direct or relay, round-trip time and sync lag."""
    path = peer.path if peer.path != "unknown" else "path unknown"
    return f"{path} · {rtt_text(peer)} · {lag_text(peer, now)}"


def peer_line(peer: PeerStatus, now: float | None = None) -> str:
    """One peer: who, its state, and its link."""
    who = peer.name or peer.peer_id[:8]
    return f"{who} · {peer.state} · {link_text(peer, now)}"


def peers_section(peers: Sequence[PeerStatus] | None) -> Section:
    """The yard's peers, or why there are none."""
    if peers is None:
        return Section("Yard peers", ("the yard is not shared",))
    if not peers:
        return Section("Yard peers", ("no peer connected",))
    return Section("Yard peers", tuple(peer_line(p) for p in peers))


class HealthPanel(QFrame):
    """The health view; `sections` renders what it shows, called once a second."""

    closed = Signal()

    def __init__(self, parent: QWidget, sections: Callable[[], list[Section]]) -> None:
        super().__init__(parent)
        self._sections = sections
        self.setObjectName("healthPanel")
        self.setStyleSheet(
            "#healthPanel { background: rgba(13,17,24,250); "
            "border: 1px solid rgba(140,165,200,51); border-radius: 12px; }"
        )
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        head = QHBoxLayout()
        title = QLabel("Health", self)
        title.setFont(theme.sans(15, 600))
        title.setStyleSheet(f"color: {theme.TEXT}; background: transparent;")
        self.close_button = QPushButton("×", self)
        self.close_button.setToolTip(f"Close the health view ({SHORTCUT}, esc)")
        self.close_button.setFlat(True)
        self.close_button.setStyleSheet(
            f"color: {theme.MUTED}; background: transparent; border: none;"
        )
        self.close_button.clicked.connect(self.close_panel)
        head.addWidget(title)
        head.addStretch(1)
        head.addWidget(self.close_button)
        layout.addLayout(head)
        self.body = QWidget()
        self.body.setStyleSheet("background: transparent;")
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(0, 4, 0, 4)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setStyleSheet("background: transparent;")
        scroll.setWidget(self.body)
        layout.addWidget(scroll, 1)
        self._labels: list[QLabel] = []
        self._shown: list[Section] | None = None
        self._timer = QTimer(self, interval=REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self.setFixedWidth(WIDTH)
        self.hide()

    def set_source(self, sections: Callable[[], list[Section]]) -> None:
        """Where the figures come from (the session, once it is built)."""
        self._sections = sections

    def is_open(self) -> bool:
        """True while the panel shows."""
        return self.isVisible()

    def toggle(self) -> None:
        """Open the panel, or close it if it is open."""
        if self.is_open():
            self.close_panel()
        else:
            self.open_panel()

    def open_panel(self) -> None:
        """Show the figures as they are now and keep them current."""
        self.refresh()
        self.show()
        self.raise_()
        self.setFocus(Qt.FocusReason.OtherFocusReason)
        self._timer.start()

    def close_panel(self) -> None:
        """Hide the panel and stop refreshing."""
        self._timer.stop()
        if self.isVisible():
            self.hide()
            self.closed.emit()

    def text(self) -> str:
        """Everything the panel shows, one line per label (what the person reads)."""
        return "\n".join(label.text() for label in self._labels)

    def refresh(self) -> None:
        """Render the sections again (unchanged figures keep their labels and selection)."""
        sections = self._sections()
        if sections == self._shown:
            return
        self._shown = sections
        for label in self._labels:
            label.setParent(None)
            label.deleteLater()
        self._labels = []
        for section in sections:
            self._add_label(section.title, theme.TEXT, 600)
            for line in section.lines:
                self._add_label(line, theme.TEXT_2, 400)

    def _add_label(self, text: str, color: str, weight: int) -> None:
        label = QLabel(text, self.body)
        label.setWordWrap(True)
        label.setFont(theme.sans(12 if weight == 400 else 13, weight))
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top = "padding-top: 8px;" if weight == 600 else ""
        label.setStyleSheet(f"color: {color}; background: transparent; {top}")
        self.body_layout.addWidget(label)
        self._labels.append(label)

    def keyPressEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        if event.key() == Qt.Key.Key_Escape:
            self.close_panel()
            event.accept()
            return
        super().keyPressEvent(event)
