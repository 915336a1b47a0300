"""The About dialog: name, version, licence, the versions underneath, and the notices."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QMessageBox, QWidget

from krates_desktop import __version__
from krates_desktop.resources import resource_path

LICENSE = "Apache-2.0"
NOTICES = "THIRD-PARTY.md"


def notices_path() -> Path | None:
    """The third-party licence list beside a bundle's programs, if there is one."""
    if not getattr(sys, "frozen", False):
        return None
    path = Path(sys.executable).resolve().parent / NOTICES
    return path if path.exists() else None


def about_text() -> tuple[str, str]:
    """The dialog's headline and its details, as rich text."""
    headline = f"<b>Krates</b> {__version__}"
    lines = [
        "A keyboard-first Kubernetes navigator on an infinite, shareable canvas.",
        f"Licensed under {LICENSE}.",
        f"Qt {qVersion()} · PySide6 {pyside_version} · Python {platform.python_version()}",
    ]
    notices = notices_path()
    if notices is not None:
        lines.append(f"Third-party licences: {notices}")
    return headline, "<br>".join(lines)


def show_about(parent: QWidget) -> QMessageBox:
    """Open the About dialog over `parent` (not modal to the app) and return it."""
    headline, details = about_text()
    box = QMessageBox(parent)
    box.setWindowTitle("About Krates")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(headline)
    box.setInformativeText(details)
    box.setIconPixmap(QIcon(str(resource_path("icons", "krates.svg"))).pixmap(64, 64))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
