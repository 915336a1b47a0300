"""Spotlight: the global search overlay that opens on typing anywhere.

Limitations: collection categories and the `ns` scope chip are listed but not
yet actionable; recent-filter cycling with Tab keeps only this session's filters.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontMetricsF, QKeyEvent, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from krates_desktop.ui import glyphs, theme
from krates_desktop.ui.frost import Frost
from krates_desktop.ui.spotlight.aliases import (
    CHIPS,
    SHORT_KIND,
    TypeFilter,
    filter_for_alias,
    filter_for_chip,
)
from krates_desktop.ui.spotlight.feeder import CandidateChanges, IndexFeeder
from krates_desktop.ui.spotlight.fuzzy import Candidate, Ranked, matched_positions
from krates_desktop.ui.spotlight.index import SearchIndex
from krates_desktop.ui.symbols import SymbolLabel, draw_text, text_width
from krates_desktop.yard.model import STREAMING_KINDS, Tab

log = logging.getLogger(__name__)

ROW_H = 44
MAX_RESULTS = 8
ADD_NAMESPACE = "add-namespace"
"""The kind of the `Add namespace "…"` row that `extra_rows` may give."""
ALT = "⌥" if sys.platform == "darwin" else "Alt+"
VIEW_KEYS: dict[int, Tab] = {
    Qt.Key.Key_L: "logs",
    Qt.Key.Key_S: "shell",
    Qt.Key.Key_D: "describe",
    Qt.Key.Key_Y: "yaml",
}
CHIP_VIEWS: tuple[tuple[str, Tab, str], ...] = (
    ("L", "logs", "logs"),
    ("S", "shell", "shell"),
    ("D", "describe", "describe"),
    ("Y", "yaml", "yaml"),
)


def views_for(candidate: Candidate) -> tuple[Tab, ...]:
    """Return the views a result offers as chips (none for krates and categories)."""
    if candidate.kind in ("krate", "category", ADD_NAMESPACE):
        return ()
    if candidate.kind in STREAMING_KINDS:
        return ("logs", "shell", "describe", "yaml")
    return ("describe", "yaml")


def subtext(candidate: Candidate) -> str:
    """Return the grey line under a result's name."""
    if candidate.kind == "krate":
        return f"krate · ns/{candidate.namespace}" if candidate.namespace else "krate"
    if candidate.kind == "category":
        return "collection"
    if candidate.kind == ADD_NAMESPACE:
        return "namespaces cannot be listed · ⏎ watches it too"
    kind = "namespace" if candidate.kind == "namespace" else candidate.kind.lower()
    return f"{kind} · ns/{candidate.namespace}" if candidate.namespace else kind


class ResultsList(QWidget):
    """The painted result rows, with the selected row's view chips."""

    chip_clicked = Signal(int, str)
    row_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.results: list[Ranked] = []
        self.query = ""
        self.selected = 0
        self._name_font = theme.sans(14, 500)
        self._sub_font = theme.sans(11)
        self._chip_font = theme.mono(11)
        self.setMouseTracking(True)

    def set_results(self, results: list[Ranked], query: str) -> None:
        """Show `results`, selecting the first."""
        self.results = results
        self.query = query
        self.selected = 0
        self.setFixedHeight(max(0, len(results) * ROW_H + (8 if results else 0)))
        self.update()

    def move_selection(self, step: int) -> None:
        """Move the selection up or down, staying within the list."""
        if self.results:
            self.selected = min(max(self.selected + step, 0), len(self.results) - 1)
            self.update()

    def current(self) -> Candidate | None:
        """Return the selected result."""
        return self.results[self.selected].candidate if self.results else None

    def badge_rects(self, row: int) -> list[QRectF]:
        """The row's type badge and, for a custom resource, the `CRD` badge to its left."""
        cand = self.results[row].candidate
        top = 4 + row * ROW_H
        width = QFontMetricsF(self._chip_font).horizontalAdvance(_short(cand)) + 12
        rect = QRectF(self.width() - 16 - width - 6, top + (ROW_H - 20) / 2, width, 20)
        if not cand.crd:
            return [rect]
        return [rect, QRectF(rect.left() - 40, rect.top(), 34, 20)]

    def _chip_rects(self, row: int) -> list[tuple[Tab, QRectF]]:
        """The view chips, right-aligned 8 px left of the row's badges."""
        cand = self.results[row].candidate
        x = min(rect.left() for rect in self.badge_rects(row)) - 8
        rects: list[tuple[Tab, QRectF]] = []
        y = 4 + row * ROW_H + (ROW_H - 22) / 2
        for letter, tab, word in reversed(CHIP_VIEWS):
            if tab not in views_for(cand):
                continue
            text = f"{ALT}{letter} {word}"
            width = text_width(self._chip_font, text) + 14
            x -= width
            rects.insert(0, (tab, QRectF(x, y, width, 22)))
            x -= 6
        return rects

    def chip_rect(self, tab: Tab) -> QRectF | None:
        """Return the selected row's chip for `tab`, if shown (for tests)."""
        if not self.results:
            return None
        return dict(self._chip_rects(self.selected)).get(tab)

    def chip_labels(self) -> list[str]:
        """Return the selected row's chip texts, left to right."""
        if not self.results:
            return []
        words = {tab: (letter, word) for letter, tab, word in CHIP_VIEWS}
        return [
            f"{ALT}{words[t][0]} {words[t][1]}"
            for t, _ in self._chip_rects(self.selected)
        ]

    def paintEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for row, ranked in enumerate(self.results):
            self._paint_row(painter, row, ranked.candidate)
        painter.end()

    def _paint_row(self, painter: QPainter, row: int, cand: Candidate) -> None:
        top = 4 + row * ROW_H
        box = QRectF(8, top, self.width() - 16, ROW_H)
        if row == self.selected:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(theme.color(theme.ACCENT_DIM))
            painter.drawRoundedRect(box, 8, 8)
        shape, fill = glyphs.kind_glyph(cand.kind, cand.crd)
        if cand.kind in ("namespace", ADD_NAMESPACE):
            shape, fill = theme.KIND_GLYPHS["Namespace"]
        glyphs.paint_glyph(painter, shape, fill, 22, top + 12)
        self._paint_name(painter, cand.name, 40, top + 6)
        painter.setFont(self._sub_font)
        painter.setPen(QColor(theme.MUTED))
        painter.drawText(
            QRectF(40, top + 24, 360, 16), Qt.AlignmentFlag.AlignVCenter, subtext(cand)
        )
        self._paint_badges(painter, row, cand)
        if row == self.selected:
            self._paint_chips(painter, row)

    def _paint_name(self, painter: QPainter, name: str, x: float, y: float) -> None:
        painter.setFont(self._name_font)
        metrics = QFontMetricsF(self._name_font)
        hits = set(matched_positions(self.query, name))
        for index, char in enumerate(name):
            painter.setPen(QColor(theme.ACCENT if index in hits else theme.TEXT))
            painter.drawText(QPointF(x, y + metrics.ascent()), char)
            x += metrics.horizontalAdvance(char)

    def _paint_badges(self, painter: QPainter, row: int, cand: Candidate) -> None:
        painter.setFont(self._chip_font)
        rect, *crd = self.badge_rects(row)
        painter.setPen(QPen(theme.color(theme.HAIRLINE_26), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(rect, 6, 6)
        painter.setPen(QColor(theme.MUTED))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, _short(cand))
        if crd:
            painter.setPen(QColor("#b48cff"))
            painter.drawText(crd[0], Qt.AlignmentFlag.AlignCenter, "CRD")

    def _paint_chips(self, painter: QPainter, row: int) -> None:
        painter.setFont(self._chip_font)
        words = {tab: (letter, word) for letter, tab, word in CHIP_VIEWS}
        for tab, rect in self._chip_rects(row):
            letter, word = words[tab]
            painter.setPen(QPen(theme.color(theme.HAIRLINE_26), 1))
            painter.setBrush(theme.color(theme.PANEL))
            painter.drawRoundedRect(rect, 6, 6)
            painter.setPen(QColor(theme.TEXT_2))
            draw_text(
                painter, rect, Qt.AlignmentFlag.AlignCenter, f"{ALT}{letter} {word}"
            )

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        row = int((event.position().y() - 4) // ROW_H)
        if not 0 <= row < len(self.results):
            return
        if row == self.selected:
            for tab, rect in self._chip_rects(row):
                if rect.contains(event.position()):
                    self.chip_clicked.emit(row, tab)
                    return
        self.selected = row
        self.update()
        self.row_clicked.emit(row)


def _short(cand: Candidate) -> str:
    """The type badge's text: the short kind name, `krate` or `ns`."""
    if cand.kind in ("krate", "namespace", ADD_NAMESPACE):
        return "krate" if cand.kind == "krate" else "ns"
    return SHORT_KIND.get(cand.kind, cand.kind.lower())


class ChipsRow(QWidget):
    """The type chips: All · deploy · svc · pods · secrets · config · sts · crd · ..."""

    chip_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.active = "All"
        self._font = theme.sans(12)
        self.setFixedHeight(34)

    def _rects(self) -> list[tuple[str, QRectF]]:
        metrics = QFontMetricsF(self._font)
        x = 16.0
        out = []
        for chip in CHIPS:
            width = metrics.horizontalAdvance(chip) + 18
            out.append((chip, QRectF(x, 5, width, 24)))
            x += width + 6
        return out

    def paintEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(self._font)
        for chip, rect in self._rects():
            active = chip == self.active
            painter.setOpacity(0.45 if chip == "ns" else 1.0)
            painter.setBrush(
                theme.color(theme.ACCENT_DIM) if active else Qt.BrushStyle.NoBrush
            )
            painter.setPen(
                QPen(QColor(theme.ACCENT) if active else theme.color(theme.HAIRLINE), 1)
            )
            painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 7, 7)
            painter.setPen(QColor(theme.ACCENT if active else theme.MUTED))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, chip)
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        for chip, rect in self._rects():
            if rect.contains(event.position()):
                self.chip_clicked.emit(chip)


class SpotlightInput(QLineEdit):
    """The query input; hands navigation keys to the spotlight."""

    key_pressed = Signal(QKeyEvent)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        self.key_pressed.emit(event)
        if not event.isAccepted():
            super().keyPressEvent(event)

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002
        return False


class Spotlight(QWidget):
    """The backdrop and the panel; emits `open_requested(candidate, tab or "")`.

    Results come from `index`, which the owner keeps up to date as objects come and
    go; the few candidates of `candidates()` (krates, for example) are put into the
    index when they change. `extra_rows(query)` gives rows that follow the query
    rather than match it (`Add namespace "…"`); they come last, after the matches.
    """

    open_requested = Signal(object, str)
    closed = Signal()
    query_changed = Signal(str)

    def __init__(
        self, parent: QWidget, candidates: Callable[[], Iterable[Candidate]]
    ) -> None:
        super().__init__(parent)
        self._candidates = candidates
        self.extra_rows: Callable[[str], list[Candidate]] = lambda _query: []
        self.index = SearchIndex()
        self.feeder: IndexFeeder | None = None
        self._given: list[Candidate] = []
        self.type_filter: TypeFilter | None = None
        self.recent_filters: list[TypeFilter] = []
        self._debounce = QTimer(self, singleShot=True, interval=16)
        self._debounce.timeout.connect(self.refresh)
        self._auto_close = QTimer(self, singleShot=True, interval=1000)
        self._auto_close.timeout.connect(self.close_spotlight)
        self.frost = Frost(2.0)  # the backdrop's 2 px blur, with frosted overlays on
        self._build()
        self.hide()

    def _build(self) -> None:
        self.panel = QWidget(self)
        self.panel.setObjectName("spotlightPanel")
        self.panel.setStyleSheet(
            "#spotlightPanel { background: rgba(16,20,28,247); border: 1px solid "
            "rgba(140,165,200,66); border-radius: 14px; }"
        )
        layout = QVBoxLayout(self.panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._build_input_row())
        self.chips = ChipsRow(self.panel)
        self.chips.chip_clicked.connect(self._on_chips_chip_clicked)
        layout.addWidget(self.chips)
        self.results = ResultsList(self.panel)
        self.results.chip_clicked.connect(self._on_results_chip_clicked)
        self.results.row_clicked.connect(lambda _row: self.input.setFocus())
        layout.addWidget(self.results)
        self.footer = SymbolLabel(
            f"↑↓ pick · {ALT}L/S/D/Y open views · ⏎ open default · ⇥ filter type · esc done",
            self.panel,
        )
        self.footer.setFixedHeight(30)
        self.footer.setFont(theme.sans(11))
        self.footer.setContentsMargins(18, 0, 0, 0)
        self.footer.setStyleSheet(f"color: {theme.MUTED}; background: transparent;")
        layout.addWidget(self.footer)

    def _build_input_row(self) -> QWidget:
        row = QWidget(self.panel)
        row.setFixedHeight(52)
        row.setStyleSheet("background: transparent;")
        box = QHBoxLayout(row)
        box.setContentsMargins(18, 0, 18, 0)
        box.setSpacing(10)
        glyph = SymbolLabel("⌕", row)
        glyph.setFont(theme.sans(18))
        glyph.setStyleSheet(f"color: {theme.ACCENT};")
        box.addWidget(glyph)
        self.pill = QLabel("", row)
        self.pill.setFont(theme.sans(12, 500))
        self.pill.setStyleSheet(
            f"color: {theme.ACCENT}; background: rgba(77,214,232,36); border-radius: 6px;"
            " padding: 3px 8px;"
        )
        self.pill.hide()
        # Its own height (text and 3 px padding), not the 52 px of the row (spec 11.3).
        box.addWidget(self.pill, 0, Qt.AlignmentFlag.AlignVCenter)
        self.input = SpotlightInput(row)
        self.input.setFrame(False)
        self.input.setFont(theme.sans(18))
        self.input.setPlaceholderText("Search...")
        self.input.setStyleSheet(
            f"QLineEdit {{ background: transparent; color: {theme.TEXT}; border: none; }}"
        )
        self.input.textEdited.connect(self._on_input_text_edited)
        self.input.key_pressed.connect(self._on_input_key_pressed)
        box.addWidget(self.input, 1)
        self.ghost = SymbolLabel("", row)
        self.ghost.setFont(theme.sans(14))
        self.ghost.setStyleSheet(f"color: {theme.FAINT};")
        box.addWidget(self.ghost)
        return row

    # open / close -------------------------------------------------------

    def is_open(self) -> bool:
        """True while the overlay is showing."""
        return self.isVisible()

    def open_with(self, text: str = "") -> None:
        """Open with `text` in the input and the caret after it."""
        self._auto_close.stop()
        if not self.isVisible():
            self.frost.capture(self.parentWidget())
        self.setGeometry(self.parentWidget().rect())
        self._place_panel()
        self.show()
        self.raise_()
        self.input.setText(text)
        self.input.setCursorPosition(len(text))
        self.input.setFocus(Qt.FocusReason.OtherFocusReason)
        self._update_ghost()
        self.refresh()
        self.query_changed.emit(self.query_text())

    def close_spotlight(self) -> None:
        """Close and clear the query and filters."""
        self._auto_close.stop()
        self.input.clear()
        self._set_filter(None)
        self.hide()
        self.frost.still = None
        self.closed.emit()

    def _place_panel(self) -> None:
        width = min(660, round(self.width() * 0.93))
        self.panel.setFixedWidth(width)
        self.results.setMaximumHeight(round(self.height() * 0.48))
        self.panel.adjustSize()
        self.panel.move((self.width() - width) // 2, round(self.height() * 0.15))

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        self._place_panel()
        super().resizeEvent(event)

    def paintEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        painter = QPainter(self)
        self.frost.paint(painter, QRectF(self.rect()))
        painter.fillRect(self.rect(), theme.color(theme.BACKDROP))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if not self.panel.geometry().contains(event.position().toPoint()):
            self.close_spotlight()

    # search ---------------------------------------------------------------

    def query_text(self) -> str:
        """The query as presence shows it: pill labels and text joined by spaces."""
        parts = [self.type_filter.chip] if self.type_filter else []
        if self.input.text():
            parts.append(self.input.text())
        return " ".join(parts)

    def refresh(self) -> None:
        """Rank the candidates for the current query and show the best eight."""
        query = self.input.text().strip()
        self._put_given()
        kinds, crd = self._filter_kinds()
        found = self.index.search(query, kinds, crd, MAX_RESULTS)
        extra = [Ranked(0, cand) for cand in self.extra_rows(query)] if query else []
        if extra:
            found = found[: MAX_RESULTS - len(extra)] + extra
        self.results.set_results(found, query)
        self.panel.adjustSize()

    def reset_index(self) -> None:
        """Forget every indexed object (another cluster is about to fill it)."""
        self.index = SearchIndex()
        self._given = []
        if self.feeder is not None:
            self.feeder.clear()

    def feed_from(self, candidates: CandidateChanges) -> IndexFeeder:
        """Fill the index from changes given to the returned feeder, a few
        milliseconds at a time (`candidates` turns them into index entries)."""
        self.feeder = IndexFeeder(
            lambda: self.index, candidates, self._on_fed, parent=self
        )
        return self.feeder

    def _on_fed(self) -> None:
        if self.is_open():
            self.refresh()

    def _put_given(self) -> None:
        given = list(self._candidates())
        if given == self._given:
            return
        for number in range(len(given), len(self._given)):
            self.index.remove(("given", number))
        for number, candidate in enumerate(given):
            self.index.put(("given", number), candidate)
        self._given = given

    def _filter_kinds(self) -> tuple[frozenset[str] | None, bool]:
        active = self.type_filter
        if active is None:
            return None, False
        if "Namespace" in active.kinds:
            return frozenset({"namespace"}), False
        return active.kinds, active.crd

    def _on_input_text_edited(self, _text: str) -> None:
        self._update_ghost()
        self._debounce.start()
        self.query_changed.emit(self.query_text())
        if self._auto_close.isActive():
            self._auto_close.start()

    def _update_ghost(self) -> None:
        found = filter_for_alias(self.input.text())
        self.ghost.setText(f"⇥ {found.label}" if found else "")

    def _set_filter(self, new: TypeFilter | None) -> None:
        self.type_filter = new
        self.pill.setText(new.label if new else "")
        self.pill.setVisible(new is not None)
        self.chips.active = new.chip if new and new in _chip_filters() else "All"
        self.chips.update()
        if new is not None:
            self.recent_filters = [new] + [f for f in self.recent_filters if f != new][
                :4
            ]

    def _on_chips_chip_clicked(self, chip: str) -> None:
        found = filter_for_chip(chip)
        self._set_filter(None if found is None or found == self.type_filter else found)
        self.refresh()
        self.input.setFocus()

    # keys ---------------------------------------------------------------

    def _on_input_key_pressed(self, event: QKeyEvent) -> None:
        if self._auto_close.isActive():
            self._auto_close.start()
        key, mods = event.key(), event.modifiers()
        alt = bool(mods & Qt.KeyboardModifier.AltModifier)
        event.accept()
        if key == Qt.Key.Key_Escape:
            self.close_spotlight()
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self.results.move_selection(-1 if key == Qt.Key.Key_Up else 1)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._open_selected("", close=True)
        elif alt and key in VIEW_KEYS:
            self._open_selected(VIEW_KEYS[key], close=False)
        elif key == Qt.Key.Key_Tab:
            self._on_tab()
        elif key == Qt.Key.Key_Backspace and not self.input.text() and self.type_filter:
            self._set_filter(None)
            self.refresh()
        else:
            event.ignore()

    def _on_tab(self) -> None:
        found = filter_for_alias(self.input.text())
        if found is None and self.recent_filters:
            current = self.type_filter
            order = self.recent_filters
            found = (
                order[(order.index(current) + 1) % len(order)]
                if current in order
                else order[0]
            )
        if found is not None:
            self.input.clear()
            self._set_filter(found)
            self._update_ghost()
            self.refresh()

    def _open_selected(self, tab: str, close: bool) -> None:
        cand = self.results.current()
        if cand is None:
            return
        if tab and tab not in views_for(cand):
            return
        log.debug("spotlight opens %s %s as %s", cand.kind, cand.name, tab or "default")
        self.open_requested.emit(cand, tab)
        if close:
            self.close_spotlight()
        else:
            self._auto_close.start()

    def _on_results_chip_clicked(self, row: int, tab: str) -> None:
        self.results.selected = row
        self._open_selected(tab, close=False)
        self.input.setFocus()


def _chip_filters() -> list[TypeFilter]:
    return [f for f in (filter_for_chip(c) for c in CHIPS) if f is not None]
