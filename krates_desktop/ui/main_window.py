"""The main window: the canvas with its HUD layers stacked above it.

Limitations: the minimap, the admin drawer, toasts and maximized windows are not
built yet.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from krates_desktop.ui import theme
from krates_desktop.ui.admin.drawer import AdminDrawer
from krates_desktop.ui.canvas.cursors import CursorLayer
from krates_desktop.ui.canvas.view import ZOOM_DEFAULT, CanvasView
from krates_desktop.ui.hud.health import SHORTCUT as HEALTH_SHORTCUT
from krates_desktop.ui.hud.health import HealthPanel
from krates_desktop.ui.hud.loading import CacheProgress
from krates_desktop.ui.hud.minimap import Minimap
from krates_desktop.ui.hud.pills import Pill
from krates_desktop.ui.hud.toasts import Toasts
from krates_desktop.ui.hud.top_bar import TopBar
from krates_desktop.ui.spotlight.spotlight import Spotlight

log = logging.getLogger(__name__)

PRIMARY = "⌘" if sys.platform == "darwin" else "Ctrl"
HINT_CANVAS = (
    f"click or type to search · / search · space+drag pan · {PRIMARY} wheel zoom"
)
HINTS = {
    "detail": f"z maximize · type to search · space+drag pan · {PRIMARY} wheel zoom",
    "shell": f"keys go to the shell · space+drag pan · {PRIMARY} wheel zoom",
    "collection": "type to filter · ↑↓ pick · ⌥L/S/D/Y open · t list/tree",
}


def is_printable(event: QKeyEvent) -> bool:
    """A single non-control character with no Ctrl, Cmd or Alt held (Shift allowed)."""
    text = event.text()
    mods = event.modifiers()
    blocked = (
        Qt.KeyboardModifier.ControlModifier
        | Qt.KeyboardModifier.MetaModifier
        | Qt.KeyboardModifier.AltModifier
    )
    return len(text) == 1 and text.isprintable() and not (mods & blocked)


class ProblemPanel(QWidget):
    """A centred card that explains why there is no cluster, with an optional action,
    or with one button per way to go on (`show_choices`)."""

    action_requested = Signal()
    choice_made = Signal(str)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("problemPanel")
        self.setStyleSheet(
            "#problemPanel { background: rgba(16,20,28,247); border: 1px solid "
            "rgba(239,111,111,110); border-radius: 12px; }"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 18)
        self.title = QLabel(self)
        self.title.setFont(theme.sans(15, 600))
        self.title.setStyleSheet(f"color: {theme.TEXT}; background: transparent;")
        self.body = QLabel(self)
        self.body.setWordWrap(True)
        self.body.setFont(theme.sans(13))
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.setStyleSheet(f"color: {theme.TEXT_2}; background: transparent;")
        self.button = self._action_button("")
        self.button.clicked.connect(self.action_requested.emit)
        layout.addWidget(self.title)
        layout.addWidget(self.body)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignLeft)
        self.choice_row = QHBoxLayout()
        layout.addLayout(self.choice_row)
        self.choices: dict[str, QPushButton] = {}
        self.setFixedWidth(560)
        self.hide()

    def _action_button(self, text: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setFont(theme.sans(13, 500))
        button.setStyleSheet(
            f"QPushButton {{ color: {theme.ACCENT}; background: rgba(77,214,232,36); "
            f"border: 1px solid {theme.ACCENT}; border-radius: 7px; padding: 6px 14px; }}"
        )
        return button

    def show_problem(self, title: str, body: str, action: str = "") -> None:
        """Show the card with a title, the explanation and an optional button."""
        self.title.setText(title)
        self.body.setText(body)
        self.button.setText(action)
        self.button.setVisible(bool(action))
        for button in self.choices.values():
            button.setParent(None)
            button.deleteLater()
        self.choices = {}
        self.adjustSize()
        self.show()
        self.raise_()

    def show_choices(self, title: str, body: str, choices: dict[str, str]) -> None:
        """Show the card with one button per choice (value → label); a click hides it."""
        self.show_problem(title, body)
        for value, label in choices.items():
            button = self._action_button(label)
            button.clicked.connect(lambda _=False, v=value: self._choose(v))
            self.choice_row.addWidget(button)
            self.choices[value] = button
        self.adjustSize()

    def _choose(self, value: str) -> None:
        self.hide()
        self.choice_made.emit(value)


class MainWindow(QWidget):
    """Canvas viewport at the bottom; top bar, pills, spotlight and problems above."""

    demo_requested = Signal()
    closing = Signal()

    def __init__(self) -> None:
        super().__init__()
        theme.ensure_fonts()
        self.setWindowTitle("Krates")
        self.setMinimumSize(960, 600)
        self.setStyleSheet(f"background: {theme.CANVAS_BG};")
        self.frost_source: CanvasView | None = None
        self.view = CanvasView(self)
        self.cursors = CursorLayer(self, self._world_to_screen)
        self.top_bar = TopBar(self)
        self.zoom_pill = Pill("92%", self)
        self.zoom_pill.clicked.connect(self._on_zoom_pill_clicked)
        self.hint_bar = Pill(
            HINT_CANVAS, self, size=12, weight=400, text_color=theme.MUTED
        )
        self.minimap = Minimap(
            self, marks=lambda: [], viewport=self.view.visible_world_rect
        )
        self.minimap.fly_requested.connect(
            lambda x, y: self.view.fly_to(x, y, ZOOM_DEFAULT)
        )
        self.minimap.pan_requested.connect(lambda x, y: self.view.center_on(x, y))
        self.problem = ProblemPanel(self)
        self.problem.action_requested.connect(self.demo_requested.emit)
        self.spotlight = Spotlight(self, candidates=lambda: [])
        self.drawer = AdminDrawer(self)
        self.health = HealthPanel(self, sections=lambda: [])
        self.progress = CacheProgress(self)
        self.health_shortcut = QShortcut(QKeySequence(HEALTH_SHORTCUT), self)
        self.health_shortcut.activated.connect(self.toggle_health)
        self.toasts = Toasts(self)
        self.key_handlers: list[Callable[[QKeyEvent], bool]] = []
        self.full_screen_shortcut = QShortcut(QKeySequence.StandardKey.FullScreen, self)
        self.full_screen_shortcut.activated.connect(self.toggle_full_screen)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.view.key_for_canvas.connect(self._on_view_key_for_canvas)
        self.view.spotlight_requested.connect(self.spotlight.open_with)
        self.view.camera_changed.connect(self._on_view_camera_changed)
        self.spotlight.closed.connect(self._on_spotlight_closed)
        self.top_bar.admin_toggled.connect(self.toggle_drawer)
        self.drawer.closed.connect(self._on_drawer_closed)
        self.health.closed.connect(self._on_spotlight_closed)

    def set_candidates(self, provider) -> None:  # type: ignore[no-untyped-def]
        """Give spotlight its source of results."""
        self.spotlight._candidates = provider

    def show_problem(self, title: str, body: str, action: str = "") -> None:
        """Explain, in the window, why the cluster is not shown."""
        log.error("%s: %s", title, body)
        self.problem.show_problem(title, body, action)
        self._layout_hud()

    def clear_problem(self) -> None:
        """Hide the problem card."""
        self.problem.hide()

    def ask_choice(self, title: str, body: str, choices: dict[str, str]) -> None:
        """Ask, in the window, which way to go on (value → button label)."""
        log.warning("%s: %s", title, body)
        self.problem.show_choices(title, body, choices)
        self._layout_hud()

    # layout ---------------------------------------------------------------------

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        super().resizeEvent(event)
        self._layout_hud()

    def _layout_hud(self) -> None:
        w, h = self.width(), self.height()
        self.view.setGeometry(0, 0, w, h)
        self.cursors.setGeometry(0, 0, w, h)
        self.top_bar.setGeometry(0, 0, w, 56)
        self.zoom_pill.adjustSize()
        self.zoom_pill.move(18, h - 18 - self.zoom_pill.height())
        self.hint_bar.adjustSize()
        self.hint_bar.move(
            w - 18 - self.hint_bar.width(), h - 18 - self.hint_bar.height()
        )
        self.minimap.move(w - 18 - self.minimap.width(), h - 64 - self.minimap.height())
        if self.problem.isVisible():
            self.problem.move((w - self.problem.width()) // 2, round(h * 0.3))
        if self.spotlight.isVisible():
            self.spotlight.setGeometry(self.rect())
        if self.drawer.isVisible():
            self.drawer.setGeometry(self.rect())
        self.health.setGeometry(
            w - 18 - self.health.width(), 64, self.health.width(), h - 150
        )
        self.progress.move(18, 58)
        self.toasts.layout()
        layers = (
            self.cursors,
            self.top_bar,
            self.zoom_pill,
            self.hint_bar,
            self.minimap,
            self.progress,
            self.problem,
            self.health,
            self.spotlight,
            self.drawer,
        )
        for layer in layers:
            if layer.isVisible():
                layer.raise_()

    # events ---------------------------------------------------------------------

    def _world_to_screen(self, x: float, y: float) -> QPointF:
        view = self.view
        return QPointF(x * view.zoom + view.cam_x, y * view.zoom + view.cam_y)

    def set_frosted(self, on: bool) -> None:
        """The Frosted overlays setting: blur what lies behind spotlight and the drawer
        from their next opening on."""
        self.spotlight.frost.enabled = on
        self.drawer.frost.enabled = on
        self.frost_source = (
            self.view if on else None
        )  # pills blur the canvas under them
        for pill in self.findChildren(Pill):
            pill.update()

    def toggle_drawer(self) -> None:
        """Open the admin drawer, or close it if it is open."""
        if self.drawer.is_open():
            self.drawer.close_drawer()
            return
        self.drawer.open_drawer()
        self.drawer.setFocus()
        self.top_bar.admin.set_active(True)

    def toggle_health(self) -> None:
        """Open the health view, or close it if it is open."""
        self.health.toggle()
        self._layout_hud()
        if not self.health.is_open():
            self.view.setFocus(Qt.FocusReason.OtherFocusReason)

    def toggle_full_screen(self) -> None:
        """F11 (⌃⌘F on macOS): enter full screen, or leave it."""
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

    def _on_drawer_closed(self) -> None:
        self.top_bar.admin.set_active(False)
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_view_key_for_canvas(self, event: QKeyEvent) -> None:
        if self.spotlight.is_open() or self.drawer.is_open():
            return
        if any(handler(event) for handler in self.key_handlers):
            event.accept()
            return
        if event.key() == Qt.Key.Key_F1:
            from krates_desktop.ui.about import show_about

            show_about(self)
            event.accept()
            return
        if (
            event.key() == Qt.Key.Key_Slash
            and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ):
            self.spotlight.open_with("")
        elif event.key() != Qt.Key.Key_Space and is_printable(event):
            self.spotlight.open_with(event.text())
        else:
            return
        event.accept()

    def set_hover_hint(self, over: str) -> None:
        """Show the hint for what the pointer is over: "", "detail" or "shell"."""
        self.hint_bar.set_text(HINTS.get(over, HINT_CANVAS))
        self._layout_hud()

    def set_maximized(self, maximized: bool) -> None:
        """Hide the minimap, zoom pill and hint bar while a window is maximised."""
        for layer in (self.minimap, self.zoom_pill, self.hint_bar):
            layer.setVisible(not maximized)

    def _on_spotlight_closed(self) -> None:
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_view_camera_changed(self) -> None:
        suffix = " · overview" if self.view.collapsed else ""
        self.zoom_pill.set_text(f"{round(self.view.zoom * 100)}%{suffix}")
        self.zoom_pill.adjustSize()
        self.minimap.schedule_update()
        self.cursors.update()

    def _on_zoom_pill_clicked(self) -> None:
        self.view.fly_to(*self.view.view_center(), ZOOM_DEFAULT)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.closing.emit()
        super().closeEvent(event)
