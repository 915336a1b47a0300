"""The terminal item in a real scene and view: output, keys, sizing, painting, a real shell."""

from __future__ import annotations

import fcntl
import gc
import math
import os
import struct
import sys
import termios
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, QSocketNotifier, Qt
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QImage,
    QKeySequence,
    QPainter,
    QShortcut,
)
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsScene,
    QGraphicsSceneWheelEvent,
    QGraphicsView,
)
from pytestqt.qtbot import QtBot

from krates_desktop.terminal import palette
from krates_desktop.ui.windows.terminal_view import TerminalItem
from tests.unit.terminal.pty_capture import PtySession

Mod = Qt.KeyboardModifier


class Harness:
    """A focused TerminalItem in a shown QGraphicsView, with its emitted input recorded."""

    def __init__(self, qtbot: QtBot) -> None:
        self.scene = QGraphicsScene()
        self.item = TerminalItem()
        self.item.takes_keyboard = True
        self.scene.addItem(self.item)
        self.view = QGraphicsView(self.scene)
        self.view.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.view.resize(700, 440)
        qtbot.addWidget(self.view)
        self.view.show()
        qtbot.waitExposed(self.view)
        self.view.activateWindow()
        self.view.setFocus()
        self.scene.setFocusItem(self.item)
        self.sent: list[bytes] = []
        self.item.input_ready.connect(self.sent.append)

    def key(self, key: Qt.Key, mods: Qt.KeyboardModifier = Mod.NoModifier) -> bytes:
        """Press one key on the view and return what the terminal sent for it."""
        self.sent.clear()
        QTest.keyClick(self.view, key, mods)
        return b"".join(self.sent)

    def cell_point(self, row: int, col: int) -> QPoint:
        """The viewport point at the centre of a cell."""
        cw, ch = self.item.cell_size
        scene_point = self.item.mapToScene(QPointF((col + 0.5) * cw, (row + 0.5) * ch))
        return self.view.mapFromScene(scene_point)


@pytest.fixture
def term(qtbot: QtBot) -> Harness:
    return Harness(qtbot)


def render(item: TerminalItem, scene: QGraphicsScene) -> QImage:
    """Render the item's rectangle 1:1 into an image."""
    rect = item.boundingRect()
    image = QImage(
        math.ceil(rect.width()), math.ceil(rect.height()), QImage.Format.Format_RGB32
    )
    image.fill(QColor("white"))
    painter = QPainter(image)
    scene.render(painter, QRectF(image.rect()), item.mapRectToScene(rect))
    painter.end()
    return image


def test_fed_bytes_show_as_text(term: Harness) -> None:
    """Bytes fed to the item appear on its screen, colours and wide characters included."""
    term.item.feed(b"hello \x1b[31mred\x1b[0m\r\n\xe6\xbc\xa2\xe5")
    term.item.feed(b"\xad\x97!")
    lines = term.item.screen_text().splitlines()
    assert lines[:2] == ["hello red", "漢字!"]


@pytest.mark.parametrize(
    ("key", "mods", "expected"),
    [
        (Qt.Key.Key_Return, Mod.NoModifier, b"\r"),
        (Qt.Key.Key_Tab, Mod.NoModifier, b"\t"),
        (Qt.Key.Key_Backtab, Mod.ShiftModifier, b"\x1b[Z"),
        (Qt.Key.Key_Up, Mod.NoModifier, b"\x1b[A"),
        (Qt.Key.Key_Left, Mod.ControlModifier, b"\x1b[1;5D"),
        (Qt.Key.Key_C, Mod.ControlModifier, b"\x03"),
        (Qt.Key.Key_Space, Mod.NoModifier, b" "),
        (Qt.Key.Key_Escape, Mod.NoModifier, b"\x1b"),
        (Qt.Key.Key_Backspace, Mod.NoModifier, b"\x7f"),
        (Qt.Key.Key_Z, Mod.NoModifier, b"z"),
        (Qt.Key.Key_Slash, Mod.NoModifier, b"/"),
        (Qt.Key.Key_A, Mod.AltModifier, b"\x1ba"),
        (Qt.Key.Key_F5, Mod.NoModifier, b"\x1b[15~"),
        (Qt.Key.Key_Delete, Mod.NoModifier, b"\x1b[3~"),
    ],
)
def test_key_presses_become_terminal_bytes(
    term: Harness, key: Qt.Key, mods: Qt.KeyboardModifier, expected: bytes
) -> None:
    """Each key press on the view is encoded as an xterm would send it."""
    assert term.key(key, mods) == expected


def test_tab_does_not_move_focus(term: Harness, qtbot: QtBot) -> None:
    """Tab goes to the terminal and the terminal keeps the keyboard."""
    other = term.scene.addText("other item")
    other.setFlag(other.GraphicsItemFlag.ItemIsFocusable)
    for _ in range(3):
        assert term.key(Qt.Key.Key_Tab) == b"\t"
    assert term.scene.focusItem() is term.item


def test_shortcuts_do_not_steal_keys(term: Harness) -> None:
    """A shortcut on Space does not fire while the terminal takes the keyboard, and does
    once it no longer does (a disconnected shell)."""
    fired: list[bool] = []
    shortcut = QShortcut(QKeySequence(Qt.Key.Key_Space), term.view)
    shortcut.activated.connect(lambda: fired.append(True))
    assert term.key(Qt.Key.Key_Space) == b" "
    assert fired == []
    term.item.takes_keyboard = False
    assert term.key(Qt.Key.Key_Space) == b""
    assert fired == [True]


def test_application_cursor_mode_changes_arrows(term: Harness) -> None:
    """After `CSI ? 1 h` arrows are sent as SS3 sequences, after `CSI ? 1 l` as CSI."""
    term.item.feed(b"\x1b[?1h")
    assert term.key(Qt.Key.Key_Up) == b"\x1bOA"
    term.item.feed(b"\x1b[?1l")
    assert term.key(Qt.Key.Key_Up) == b"\x1b[A"


def test_set_size_emits_one_debounced_grid(term: Harness, qtbot: QtBot) -> None:
    """Several set_size calls within 100 ms give one size_changed with the final grid."""
    grids: list[tuple[int, int]] = []
    term.item.size_changed.connect(lambda c, r: grids.append((c, r)))
    cw, ch = term.item.cell_size
    for width, height in ((300, 200), (350, 220), (410.5, 286)):
        term.item.set_size(width, height)
    assert grids == []
    expected = (math.floor(410.5 / cw), math.floor(286 / ch))
    qtbot.waitUntil(lambda: grids == [expected], timeout=1000)
    qtbot.wait(250)
    assert grids == [expected]
    assert term.item.grid_size() == expected
    assert term.item.boundingRect().size().toTuple() == (410.5, 286)


def test_render_has_background_and_text_pixels(term: Harness) -> None:
    """The painted item is the terminal background with light pixels where text is."""
    term.item.feed(b"\r\n   WWWW")
    image = render(term.item, term.scene)
    cw, ch = term.item.cell_size
    background = QColor(palette.BACKGROUND)
    assert image.pixelColor(int(cw * 40), int(ch * 10)) == background
    text_box = [
        image.pixelColor(x, y)
        for x in range(int(cw * 3), int(cw * 7))
        for y in range(int(ch), int(ch * 2))
    ]
    assert any(c.lightness() > 150 for c in text_box)


def test_cursor_is_a_cyan_block(term: Harness) -> None:
    """The cursor cell is filled with the accent colour and its character in background."""
    term.item.feed(b"ab\x08")
    image = render(term.item, term.scene)
    cw, ch = term.item.cell_size
    cursor_pixels = [
        image.pixelColor(x, y)
        for x in range(int(cw) + 1, int(cw * 2) - 1)
        for y in range(1, int(ch) - 1)
    ]
    assert QColor(palette.CURSOR) in cursor_pixels
    assert QColor(palette.BACKGROUND) in cursor_pixels or any(
        c.lightness() < 100 for c in cursor_pixels
    )


def test_only_changed_rows_are_repainted(term: Harness, qtbot: QtBot) -> None:
    """Output on one row repaints that row's strip, not the whole item."""
    painted: list[QRectF] = []
    original = term.item.paint

    def spy(painter, option, widget=None):  # type: ignore[no-untyped-def]
        painted.append(QRectF(option.exposedRect))
        original(painter, option, widget)

    term.item.paint = spy  # type: ignore[method-assign]
    term.item.feed(b"\x1b[5;1Hx")
    qtbot.wait(50)
    painted.clear()
    term.item.feed(b"y")
    qtbot.waitUntil(lambda: bool(painted), timeout=1000)
    _, ch = term.item.cell_size
    assert all(rect.height() <= ch * 2 + 2 for rect in painted)


def test_wheel_scrolls_back_and_ctrl_wheel_is_left_to_the_canvas(term: Harness) -> None:
    """A notch scrolls three lines back; with Ctrl the item ignores the event."""
    term.item.feed(b"".join(b"line %d\r\n" % i for i in range(100)))
    term.item.flush()
    top_before = term.item.screen_text().splitlines()[0]

    event = QGraphicsSceneWheelEvent(QEvent.Type.GraphicsSceneWheel)
    event.setDelta(120)
    event.setOrientation(Qt.Orientation.Vertical)
    event.setModifiers(Mod.ControlModifier)
    term.item.wheelEvent(event)
    assert not event.isAccepted()
    assert term.item.screen.at_bottom

    event = QGraphicsSceneWheelEvent(QEvent.Type.GraphicsSceneWheel)
    event.setDelta(120)
    event.setOrientation(Qt.Orientation.Vertical)
    term.item.wheelEvent(event)
    assert event.isAccepted()
    assert term.item.screen.scroll_offset == 3
    assert top_before == "line 77"
    assert term.item.screen_text().splitlines()[0] == "line 74"


def test_output_keeps_a_scrolled_view_and_a_key_returns_to_the_bottom(
    term: Harness,
) -> None:
    """New output does not move a scrolled-back view; typing brings the view back."""
    term.item.feed(b"".join(b"line %d\r\n" % i for i in range(100)))
    term.item.screen.scroll_up(10)
    shown = term.item.screen_text()
    term.item.feed(b"more\r\nand more\r\n")
    assert term.item.screen_text() == shown
    assert term.key(Qt.Key.Key_A) == b"a"
    assert term.item.screen.at_bottom
    assert term.item.screen_text().split("\n")[-3:] == ["more", "and more", ""]


def test_drag_selects_and_ctrl_shift_c_copies(term: Harness, qtbot: QtBot) -> None:
    """Dragging over `hello` and pressing Ctrl+Shift+C puts `hello` on the clipboard."""
    term.item.feed(b"hello world\r\nsecond line")
    viewport = term.view.viewport()
    QTest.mousePress(
        viewport, Qt.MouseButton.LeftButton, Mod.NoModifier, term.cell_point(0, 0)
    )
    QTest.mouseMove(viewport, term.cell_point(0, 2))
    QTest.mouseMove(viewport, term.cell_point(0, 4))
    QTest.mouseRelease(
        viewport, Qt.MouseButton.LeftButton, Mod.NoModifier, term.cell_point(0, 4)
    )
    assert term.item.selected_text() == "hello"
    copy_mods = (
        Mod.ControlModifier
        if sys.platform == "darwin"
        else (Mod.ControlModifier | Mod.ShiftModifier)
    )
    assert term.key(Qt.Key.Key_C, copy_mods) == b""
    assert QGuiApplication.clipboard().text() == "hello"


def test_double_click_selects_a_word(term: Harness) -> None:
    """A double click selects the word under the pointer."""
    term.item.feed(b"alpha beta-gamma delta")
    QTest.mouseDClick(
        term.view.viewport(),
        Qt.MouseButton.LeftButton,
        Mod.NoModifier,
        term.cell_point(0, 8),
    )
    assert term.item.selected_text() == "beta-gamma"


def test_paste_is_bracketed_when_the_program_asks(term: Harness) -> None:
    """Ctrl+Shift+V sends the clipboard, in bracketed-paste markers after `CSI ? 2004 h`."""
    QGuiApplication.clipboard().setText("ls -l\nwhoami")
    paste_mods = (
        Mod.ControlModifier
        if sys.platform == "darwin"
        else (Mod.ControlModifier | Mod.ShiftModifier)
    )
    assert term.key(Qt.Key.Key_V, paste_mods) == b"ls -l\rwhoami"
    term.item.feed(b"\x1b[?2004h")
    assert term.key(Qt.Key.Key_V, paste_mods) == b"\x1b[200~ls -l\rwhoami\x1b[201~"


def test_terminal_queries_are_answered_through_input_ready(term: Harness) -> None:
    """A cursor-position query is answered on input_ready, as the program expects."""
    term.item.feed(b"\x1b[3;7H\x1b[6n")
    assert term.sent == [b"\x1b[3;7R"]


def test_title_and_bell_are_reported(term: Harness) -> None:
    """OSC 2 changes the title and BEL rings, each reported once."""
    titles: list[str] = []
    bells: list[bool] = []
    term.item.title_changed.connect(titles.append)
    term.item.bell_rang.connect(lambda: bells.append(True))
    term.item.feed(b"\x1b]2;root@pod: /srv\x07\x07")
    assert titles == ["root@pod: /srv"]
    assert bells == [True]


def test_repaint_loop_keeps_none_alive(term: Harness) -> None:
    """Thousands of feeds and paints leave sys.getrefcount(None) where it was."""
    term.item.set_size(120, 40)
    term.item.fit_now()
    image = QImage(120, 40, QImage.Format.Format_RGB32)
    gc.collect()
    before = sys.getrefcount(None)
    for i in range(3000):
        term.item.feed(b"%d\r\n" % i)
        painter = QPainter(image)
        term.scene.render(painter, QRectF(image.rect()), term.item.boundingRect())
        painter.end()
    QApplication.processEvents()
    gc.collect()
    # The broken PySide6 drops one reference per paint call: thousands, not a few.
    assert sys.getrefcount(None) >= before - 50
    assert term.item.screen_text().split("\n") == ["2999", ""]


@pytest.fixture
def shell_pty(tmp_path: Path) -> Iterator[PtySession]:
    session = PtySession(
        ["bash", "--norc", "--noprofile", "-i"],
        cwd=tmp_path,
        env={"PS1": "$ ", "HISTFILE": "/dev/null"},
    )
    try:
        yield session
    finally:
        if session.proc.poll() is None:
            session.close()


def test_real_shell_through_the_item(
    term: Harness, shell_pty: PtySession, qtbot: QtBot
) -> None:
    """Keys typed on the item reach a real bash; its output and a resize come back right."""
    master = shell_pty.master

    def on_readable() -> None:
        try:
            term.item.feed(os.read(master, 65536))
        except OSError:
            notifier.setEnabled(False)

    def on_size_changed(cols: int, rows: int) -> None:
        fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    notifier = QSocketNotifier(master, QSocketNotifier.Type.Read)
    notifier.activated.connect(on_readable)
    term.item.input_ready.connect(lambda data: os.write(master, data))
    term.item.size_changed.connect(on_size_changed)

    def screen_lines() -> list[str]:
        return term.item.screen_text().splitlines()

    qtbot.waitUntil(lambda: screen_lines()[:1] == ["$"], timeout=5000)
    QTest.keyClicks(term.view, "echo hi there")
    QTest.keyClick(term.view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "hi there" in screen_lines(), timeout=5000)

    cw, ch = term.item.cell_size
    term.item.set_size(cw * 50 + 3, ch * 12 + 3)
    qtbot.waitUntil(lambda: term.item.grid_size() == (50, 12), timeout=2000)
    QTest.keyClicks(term.view, "stty size")
    QTest.keyClick(term.view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "12 50" in screen_lines(), timeout=5000)

    QTest.keyClicks(term.view, "printf 'a\\tb\\n'")
    QTest.keyClick(term.view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "a       b" in screen_lines(), timeout=5000)
    notifier.setEnabled(False)


def test_selection_stays_on_its_text_while_output_scrolls(term: Harness) -> None:
    """A selection keeps its text while new output pushes lines out of a full scroll-back."""
    term.item.feed(
        b"".join(b"old %d\r\n" % i for i in range(5000)) + b"hello world\r\n"
    )
    term.item.flush()
    row = term.item.screen_text().split("\n").index("hello world")
    QTest.mouseDClick(
        term.view.viewport(),
        Qt.MouseButton.LeftButton,
        Mod.NoModifier,
        term.cell_point(row, 1),
    )
    assert term.item.selected_text() == "hello"
    term.item.feed(b"".join(b"new %d\r\n" % i for i in range(300)))
    term.item.flush()
    assert term.item.screen.history_size == 5000
    assert term.item.selected_text() == "hello"
