"""Design tokens (colours, fonts, sizes) and the bundled IBM Plex fonts."""

from __future__ import annotations

import logging
from functools import cache

from PySide6.QtGui import QColor, QFont, QFontDatabase

from krates_desktop.resources import resource_path

log = logging.getLogger(__name__)

CANVAS_BG = "#0b0e13"
ACCENT = "#4dd6e8"
ACCENT_DIM = (77, 214, 232, 0.14)
OK = "#4ad07a"
WARN = "#e8b54a"
ERROR = "#ef6f6f"
UNKNOWN = "#6b7a90"
TEXT = "#e6edf6"
TEXT_2 = "#b9c6d8"
MUTED = "#8a97ab"
FAINT = "#6b7a90"
PANEL = (16, 20, 28, 0.97)
PILL = (14, 18, 25, 0.82)
HAIRLINE = (140, 165, 200, 0.18)
HAIRLINE_20 = (140, 165, 200, 0.2)
HAIRLINE_26 = (140, 165, 200, 0.26)
BACKDROP = (7, 9, 13, 0.55)
DIM_BACKDROP = (7, 9, 13, 0.4)
GRID_FINE = (125, 145, 175, 0.04)
GRID_COARSE = (125, 145, 175, 0.075)
HOVER_WASH = (255, 255, 255, 0.04)

HEALTH_COLORS = {"ok": OK, "warn": WARN, "error": ERROR, "unknown": UNKNOWN}
HEALTH_MARKS = {"ok": "✓", "warn": "⚠", "error": "✗", "unknown": ""}

KIND_GLYPHS: dict[str, tuple[str, str]] = {
    "Pod": ("circle", "#4dd6e8"),
    "Deployment": ("diamond", "#6fb1ff"),
    "StatefulSet": ("rounded", "#b48cff"),
    "DaemonSet": ("hexagon", "#f08fd0"),
    "Service": ("triangle_up", "#7ee0a1"),
    "Ingress": ("triangle_right", "#5fd4c4"),
    "ConfigMap": ("square", "#f5d76e"),
    "Secret": ("hollow_square", "#ff9f6b"),
    "PersistentVolumeClaim": ("pill", "#8fa3c0"),
    "Namespace": ("hollow_circle", "#9aa7ba"),
    "Event": ("bar", "#9aa7ba"),
    "crd": ("star", "#d6a86c"),
    "category": ("bars", "#b9c6d8"),
}
OTHER_GLYPH = ("hollow_diamond", "#9aa7ba")

SANS = "IBM Plex Sans"
MONO = "IBM Plex Mono"
_FONT_FILES = (
    "IBMPlexSans-Regular.woff",
    "IBMPlexSans-Medium.woff",
    "IBMPlexSans-SemiBold.woff",
    "IBMPlexSans-Bold.woff",
    "IBMPlexMono-Regular.ttf",
    "IBMPlexMono-Medium.ttf",
    "IBMPlexMono-SemiBold.ttf",
    "IBMPlexMono-Bold.ttf",
    "IBMPlexMono-Italic.ttf",
)


def color(value: str | tuple[int, int, int, float]) -> QColor:
    """Build a QColor from `#rrggbb` or an (r, g, b, alpha 0-1) tuple."""
    if isinstance(value, str):
        return QColor(value)
    r, g, b, a = value
    return QColor(r, g, b, round(a * 255))


def with_alpha(value: str, alpha: float) -> QColor:
    """Return the colour `value` at opacity `alpha` (0-1)."""
    qcolor = QColor(value)
    qcolor.setAlpha(round(alpha * 255))
    return qcolor


@cache
def ensure_fonts() -> bool:
    """Load the bundled IBM Plex fonts once; return False if any failed to load."""
    ok = True
    for name in _FONT_FILES:
        path = resource_path("fonts", name)
        if QFontDatabase.addApplicationFont(str(path)) < 0:
            log.error("could not load the bundled font %s", path)
            ok = False
    return ok


def font(family: str, pixel_size: int, weight: int = 400) -> QFont:
    """Return a font at a pixel size (never a point size) and a CSS-like weight."""
    ensure_fonts()
    qfont = QFont(family)
    qfont.setPixelSize(pixel_size)
    qfont.setWeight(QFont.Weight(weight))
    if family == MONO:
        qfont.setStyleHint(QFont.StyleHint.Monospace)
    qfont.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    return qfont


def sans(pixel_size: int, weight: int = 400) -> QFont:
    """IBM Plex Sans, for UI text."""
    return font(SANS, pixel_size, weight)


def mono(pixel_size: int, weight: int = 400) -> QFont:
    """IBM Plex Mono, for content, filters and the terminal."""
    return font(MONO, pixel_size, weight)
