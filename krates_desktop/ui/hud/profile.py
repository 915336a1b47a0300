"""The profile popover under the `★` avatar: display name, colour and settings.

On Windows and Linux it also holds what macOS keeps in its Krates and View menus:
About, full screen and Quit (spec 12.4).
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from krates_desktop.settings import Settings
from krates_desktop.ui import theme
from krates_desktop.ui.hud.presence import USER_PALETTE

TOGGLES = (
    ("frosted_overlays", "Frosted overlays"),
    ("cursor_blink", "Blinking terminal cursor"),
    ("reduce_motion", "Reduce motion"),
)
STYLE = f"""
#profilePopover {{ background: rgba(14,18,25,245); border: 1px solid rgba(140,165,200,46);
    border-radius: 9px; }}
QLabel, QCheckBox {{ color: {theme.TEXT_2}; background: transparent; }}
QLabel#profileTitle {{ color: {theme.TEXT}; }}
QLineEdit {{ color: {theme.TEXT}; background: rgba(255,255,255,10);
    border: 1px solid rgba(140,165,200,46); border-radius: 6px; padding: 4px 6px; }}
QPushButton#profileAction {{ color: {theme.TEXT_2}; background: transparent;
    border: 1px solid rgba(140,165,200,46); border-radius: 6px; padding: 4px 10px; }}
QPushButton#profileAction:hover {{ color: {theme.ACCENT}; border-color: {theme.ACCENT}; }}
"""


class ProfilePopover(QFrame):
    """A popup that edits the user's settings; every change is emitted at once."""

    changed = Signal(object)  # Settings
    about_requested = Signal()
    full_screen_requested = Signal()
    quit_requested = Signal()

    def __init__(self, parent: QWidget, settings: Settings, color: str) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("profilePopover")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setStyleSheet(STYLE)
        self.settings = replace(settings, color=settings.color or color)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(10)
        title = QLabel("Profile", self)
        title.setObjectName("profileTitle")
        title.setFont(theme.sans(13, 600))
        layout.addWidget(title)
        self.name = QLineEdit(self.settings.name, self)
        self.name.setFont(theme.sans(13))
        self.name.setPlaceholderText("Display name")
        self.name.editingFinished.connect(self._on_name_editing_finished)
        layout.addWidget(self.name)
        layout.addLayout(self._swatches())
        self.toggles: dict[str, QCheckBox] = {}
        for key, label in TOGGLES:
            box = QCheckBox(label, self)
            box.setFont(theme.sans(12))
            box.setChecked(bool(getattr(self.settings, key)))
            box.toggled.connect(lambda on, k=key: self._set(**{k: on}))
            self.toggles[key] = box
            layout.addWidget(box)
        self.signaling = QLineEdit(self.settings.signaling_server, self)
        self.signaling.setFont(theme.sans(12))
        self.signaling.setPlaceholderText("Signaling server (wss://…)")
        self.signaling.editingFinished.connect(
            lambda: self._set(signaling_server=self.signaling.text().strip())
        )
        layout.addWidget(self.signaling)
        layout.addLayout(self._actions())
        self.setFixedWidth(300)

    def _swatches(self) -> QGridLayout:
        grid = QGridLayout()
        grid.setSpacing(6)
        self.swatches: dict[str, QPushButton] = {}
        for index, fill in enumerate(USER_PALETTE):
            button = QPushButton(self)
            button.setFixedSize(24, 24)
            button.setCheckable(True)
            button.setToolTip(fill)
            button.setStyleSheet(
                f"QPushButton {{ background: {fill}; border-radius: 12px; "
                f"border: 2px solid {theme.CANVAS_BG}; }}"
                f"QPushButton:checked {{ border: 2px solid {theme.TEXT}; }}"
            )
            button.clicked.connect(lambda _on, c=fill: self._pick_color(c))
            grid.addWidget(button, 0, index)
            self.swatches[fill] = button
        self._mark_color()
        return grid

    def _actions(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(6)
        for label, signal in (
            ("About", self.about_requested),
            ("Full screen", self.full_screen_requested),
            ("Quit", self.quit_requested),
        ):
            button = QPushButton(label, self)
            button.setObjectName("profileAction")
            button.setFont(theme.sans(12))
            button.clicked.connect(signal.emit)
            button.clicked.connect(self.close)
            row.addWidget(button)
        return row

    def _mark_color(self) -> None:
        for fill, button in self.swatches.items():
            button.setChecked(fill == self.settings.color)

    def _pick_color(self, fill: str) -> None:
        self._set(color=fill)
        self._mark_color()

    def _on_name_editing_finished(self) -> None:
        name = self.name.text().strip()
        if name:
            self._set(name=name)
        else:
            self.name.setText(self.settings.name)

    def _set(self, **fields: object) -> None:
        updated = replace(self.settings, **fields)  # type: ignore[arg-type]
        if updated != self.settings:
            self.settings = updated
            self.changed.emit(updated)
