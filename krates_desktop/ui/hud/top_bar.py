"""The top bar: logo, cluster pill with its health dot, krate count, sync state.

What the pills open lives elsewhere: the cluster pill's menu in
`ui/top_bar_actions.py`, the sync pill's popover in `ui/hud/sync_popover.py`.
"""

from __future__ import annotations

from PySide6.QtCore import QEasingCurve, QEvent, Qt, QVariantAnimation, Signal
from PySide6.QtGui import QRegion
from PySide6.QtWidgets import QHBoxLayout, QWidget

from krates_desktop.ui import theme
from krates_desktop.ui.hud.pills import Pill
from krates_desktop.ui.hud.presence import Roster

HEALTH_DOTS = {
    "ok": theme.OK,
    "warn": theme.WARN,
    "error": theme.ERROR,
    "unknown": theme.UNKNOWN,
}
SYNC_STATES = {
    "synced": ("synced", theme.ACCENT, True),
    "syncing": ("syncing…", theme.WARN, True),
    "offline": ("offline", theme.UNKNOWN, False),
    "local": ("local", theme.UNKNOWN, False),
}


class TopBar(QWidget):
    """Screen-space bar, 56 px tall; only the pills take clicks."""

    admin_toggled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedHeight(56)
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(18, 13, 18, 13)
        layout.setSpacing(10)
        self.logo = Pill("krates / yard", self, weight=600, lead="diamond")
        self.cluster = Pill("no cluster", self, lead="dot")
        self.cluster.set_dot(theme.UNKNOWN, False)
        self.krate_count = Pill("", self, text_color=theme.ACCENT)
        self.krate_count.hide()
        self.sync = Pill("local", self, lead="dot", text_color=theme.TEXT_2)
        self.sync.set_dot(theme.UNKNOWN, False)
        self.sync_state = "local"
        self._pulse = QVariantAnimation(self, duration=1600, loopCount=-1)
        self._pulse.setKeyValueAt(0.0, 1.0)
        self._pulse.setKeyValueAt(0.5, 0.5)
        self._pulse.setKeyValueAt(1.0, 1.0)
        self._pulse.setEasingCurve(QEasingCurve.Type.InOutSine)
        self._pulse.valueChanged.connect(self._on_pulse_value_changed)
        self.roster = Roster(self)
        self.admin = Pill("◉ admin", self, text_color=theme.MUTED)
        self.admin.clicked.connect(self.admin_toggled.emit)
        layout.addWidget(self.logo)
        layout.addWidget(self.cluster)
        layout.addWidget(self.krate_count)
        layout.addStretch(1)
        layout.addWidget(self.sync)
        layout.addWidget(self.roster)
        layout.addWidget(self.admin)

    def set_cluster(self, name: str, context: str) -> None:
        """Show the cluster name; the tooltip names the context."""
        self.cluster.set_text(name)
        self.cluster.setToolTip(context)

    def set_health(self, health: str) -> None:
        """Colour the cluster dot: green healthy, amber reconnecting, red unreachable."""
        fill = HEALTH_DOTS.get(health, theme.UNKNOWN)
        self.cluster.set_dot(fill, glow=health in ("ok", "warn", "error"))

    def set_sync_state(self, state: str, tooltip: str = "") -> None:
        """Show local, syncing, synced or offline; the dot pulses while syncing or synced."""
        text, fill, pulse = SYNC_STATES[state]
        self.sync_state = state
        self.sync.set_text(text)
        self.sync.set_dot(fill, False)
        self.sync.setToolTip(tooltip)
        if pulse and self._pulse.state() != QVariantAnimation.State.Running:
            self._pulse.start()
        elif not pulse:
            self._pulse.stop()
            self.sync.dot_opacity = 1.0
            self.sync.update()

    def _on_pulse_value_changed(self, value: float) -> None:
        self.sync.dot_opacity = float(value)
        self.sync.update()

    def set_krate_count(self, count: int) -> None:
        """Show `N krates`, or hide the pill when there are none."""
        self.krate_count.setVisible(count > 0)
        self.krate_count.set_text(f"{count} krate" + ("" if count == 1 else "s"))

    def event(self, event) -> bool:  # type: ignore[no-untyped-def]
        handled = super().event(event)
        if event.type() in (
            QEvent.Type.LayoutRequest,
            QEvent.Type.Resize,
            QEvent.Type.Show,
        ):
            self._update_mask()
        return handled

    def _update_mask(self) -> None:
        """Only the pills take clicks: the transparent rest reaches the canvas below."""
        region = QRegion()
        for pill in (
            self.logo,
            self.cluster,
            self.krate_count,
            self.sync,
            self.roster,
            self.admin,
        ):
            if pill.isVisible():
                region = region.united(
                    QRegion(pill.geometry().adjusted(-12, -12, 12, 12))
                )
        self.setMask(region if not region.isEmpty() else QRegion(0, 0, 1, 1))
