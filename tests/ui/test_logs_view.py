"""The log pane in a real scene: real log samples shown, followed, searched, saved.

The pane is driven as a user would: keys typed into its search field, clicks on its
buttons, the wheel. The last tests run the Logs binding against the sandbox's real
log streams.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSceneWheelEvent, QGraphicsView
from pytestqt.qtbot import QtBot

from krates_desktop.logs.ansi import display_text
from krates_desktop.logs.lines import LineAssembler
from krates_desktop.logs.search import Query
from krates_desktop.ui.windows.bindings import LogsBinding
from krates_desktop.ui.windows.logs_view import LogsViewItem
from krates_desktop.yard.model import ObjRef
from tests.conftest import SHARED
from tests.ui.bindings_support import binding_opener

Mod = Qt.KeyboardModifier
LOGS = SHARED / "data" / "logs"
STAMP = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} ")


def sample_lines(name: str) -> list[str]:
    return (LOGS / name).read_text(encoding="utf-8").splitlines()


class Pane:
    """A LogsViewItem at 560x300 in a shown QGraphicsView."""

    def __init__(
        self, qtbot: QtBot, spill: Path, memory_lines: int | None = None
    ) -> None:
        self.qtbot = qtbot
        self.scene = QGraphicsScene()
        self.item = LogsViewItem(spill_dir=spill, memory_lines=memory_lines)
        self.item.set_size(560, 300)
        self.scene.addItem(self.item)
        self.view = QGraphicsView(self.scene)
        self.view.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.view.resize(600, 340)
        qtbot.addWidget(self.view)
        self.view.show()
        qtbot.waitExposed(self.view)
        self.view.activateWindow()
        self.view.setFocus()

    def point(self, pos: QPointF) -> QPoint:
        return self.view.mapFromScene(self.item.mapToScene(pos))

    def click(self, pos: QPointF, mods: Qt.KeyboardModifier = Mod.NoModifier) -> None:
        QTest.mouseClick(
            self.view.viewport(), Qt.MouseButton.LeftButton, mods, self.point(pos)
        )

    def click_control(self, name: str) -> None:
        self.click(self.item._control_rects()[name].center())

    def key(self, key: Qt.Key, mods: Qt.KeyboardModifier = Mod.NoModifier) -> None:
        QTest.keyClick(self.view, key, mods)

    def type(self, text: str) -> None:
        QTest.keyClicks(self.view, text)

    def wheel(self, notches: float, mods: Qt.KeyboardModifier = Mod.NoModifier) -> bool:
        event = QGraphicsSceneWheelEvent(QEvent.Type.GraphicsSceneWheel)
        event.setDelta(round(120 * notches))
        event.setOrientation(Qt.Orientation.Vertical)
        event.setModifiers(mods)
        event.setPos(QPointF(100, 100))
        self.item.wheelEvent(event)
        return event.isAccepted()

    def search_done(self) -> None:
        self.qtbot.waitUntil(
            lambda: self.item.search is not None and self.item.search.done, timeout=5000
        )

    def render(self) -> QImage:
        rect = self.item.boundingRect()
        image = QImage(
            int(rect.width()), int(rect.height()), QImage.Format.Format_RGB32
        )
        image.fill(QColor("#000000"))
        painter = QPainter(image)
        self.scene.render(painter, QRectF(image.rect()), self.item.mapRectToScene(rect))
        painter.end()
        return image


@pytest.fixture
def pane(qtbot: QtBot, tmp_path: Path) -> Iterator[Pane]:
    harness = Pane(qtbot, tmp_path)
    yield harness
    harness.item.close()


def test_long_lines_wrap_and_cut_without_changing_the_text(pane: Pane) -> None:
    """HDFS's 2,520-character line wraps over many rows, or is cut to one row; search
    and copy still see the whole line."""
    lines = sample_lines("HDFS_2k.log")
    longest = max(lines, key=len)
    pane.item.append_lines([*lines[:50], longest])
    columns = pane.item._columns()
    rows = pane.item.shown_rows()
    assert rows[-1] == longest[(len(longest) - 1) // columns * columns :]
    assert "".join(rows[-3:]) == longest[-len("".join(rows[-3:])) :]
    assert pane.item.line_text(50) == longest

    pane.click_control("wrap")
    assert not pane.item.wrap
    assert pane.item.shown_rows()[-1] == longest[: len(pane.item.shown_rows()[-1])]
    assert len(pane.item.shown_rows()[-1]) <= columns
    pane.wheel(-2, Mod.ShiftModifier)  # sideways
    assert pane.item.shown_rows()[-1] == longest[16 : 16 + columns].rstrip()


@pytest.mark.parametrize("ending", [b"\r\n", b"\r", b"\n"])
def test_crlf_cr_only_and_lf_samples_show_their_lines(
    pane: Pane, ending: bytes
) -> None:
    """A real sample with CRLF, CR-only or LF line ends shows 2,000 clean lines."""
    data = (LOGS / "Spark_2k.log").read_bytes().replace(b"\r\n", ending)
    assembler = LineAssembler()
    for offset in range(0, len(data), 4093):
        pane.item.append_lines(assembler.feed(data[offset : offset + 4093]))
    pane.item.append_lines(assembler.finish())
    assert pane.item.line_count() == 2000
    assert pane.item.plain_lines() == sample_lines("Spark_2k.log")
    assert not any("\r" in row or "␍" in row for row in pane.item.shown_rows())


def test_follows_only_while_at_the_bottom(pane: Pane) -> None:
    """New lines keep the bottom in view; after scrolling up they do not move the view,
    the pill counts them, and clicking it (or scrolling back down) follows again."""
    lines = sample_lines("Linux_2k.log")
    pane.item.append_lines(lines[:100])
    assert pane.item.following
    assert lines[99].rstrip().endswith(pane.item.shown_rows()[-1])

    pane.wheel(+2)  # two notches up
    assert not pane.item.following
    shown = pane.item.shown_rows()
    pane.item.append_lines(lines[100:150])
    assert pane.item.shown_rows() == shown
    assert pane.item.new_line_count() == 50
    assert pane.item._latest_label() == "↓ 50 new"

    pane.click_control("latest")
    assert pane.item.following
    assert pane.item.new_line_count() == 0
    assert lines[149].rstrip().endswith(pane.item.shown_rows()[-1])

    pane.wheel(+1)
    assert not pane.item.following
    pane.wheel(-5)
    assert pane.item.following, "scrolling back to the bottom pins the view again"


def test_search_typed_in_the_field_counts_and_moves_between_matches(pane: Pane) -> None:
    """Typing in the search field finds every match; Enter and Shift+Enter go to the
    next and previous one and bring its line on view."""
    lines = sample_lines("Hadoop_2k.log")
    pane.item.append_lines(lines)
    pane.click_control("field")
    assert pane.item.takes_keyboard
    pane.type("exception")
    pane.search_done()
    pattern = Query("exception").compile()
    expected = sum(len(pattern.findall(line)) for line in lines)
    assert pane.item.match_count() == expected > 10

    pane.key(Qt.Key.Key_Return)
    first = pane.item.current_match()
    assert first is not None
    line, start, end = first
    assert lines[line][start:end].lower() == "exception"
    assert line in pane.item.lines_on_view()
    assert pane.item._count_label() == f"1/{expected}", "from the bottom it wraps to 1"
    pane.key(Qt.Key.Key_Return)
    second = pane.item.current_match()
    assert second is not None and second > first
    assert second[0] in pane.item.lines_on_view()
    assert pane.item._count_label() == f"2/{expected}"
    pane.key(Qt.Key.Key_Return, Mod.ShiftModifier)
    assert pane.item.current_match() == first

    pane.key(Qt.Key.Key_Escape)
    assert not pane.item.takes_keyboard


def test_filter_shows_only_matching_lines(pane: Pane) -> None:
    """With the filter on (Alt+F in the field) every line on view has a match."""
    pane.item.append_lines(sample_lines("OpenSSH_2k.log"))
    pane.click_control("field")
    pane.type("Failed password")
    pane.search_done()
    pane.key(Qt.Key.Key_F, Mod.AltModifier)
    assert pane.item.filtering
    shown = pane.item.lines_on_view()
    assert len(shown) > 5
    assert all("Failed password" in pane.item.line_text(line) for line in shown)
    pane.key(Qt.Key.Key_F, Mod.AltModifier)
    shown = pane.item.lines_on_view()
    assert not all("Failed password" in pane.item.line_text(line) for line in shown)


def test_regex_search_and_a_bad_pattern(pane: Pane) -> None:
    """The `.*` button makes the text a regular expression; a broken one is reported."""
    lines = sample_lines("Zookeeper_2k.log")
    pane.item.append_lines(lines)
    pane.click_control("regex")
    assert pane.item.regex
    pane.click_control("field")
    pane.type(r"sid:\d+")
    pane.search_done()
    assert pane.item.match_count() == sum(len(re.findall(r"sid:\d+", x)) for x in lines)
    pane.key(Qt.Key.Key_A, Mod.ControlModifier)
    pane.type("(unclosed")
    pane.qtbot.waitUntil(lambda: bool(pane.item.search_error), timeout=2000)
    assert pane.item._count_label() == "bad regex"
    assert pane.item.query == "(unclosed"


def test_tab_and_space_work_the_buttons(pane: Pane) -> None:
    """From the field, Tab moves to each button in turn and Space presses it."""
    pane.item.append_lines(["\x1b[31mERROR\x1b[0m in red"])
    pane.click_control("field")
    for _ in range(7):  # previous, next, regex, filter, range, wrap, raw
        pane.key(Qt.Key.Key_Tab)
    assert pane.item._focus == "raw"
    pane.key(Qt.Key.Key_Space)
    assert pane.item.raw
    assert pane.item.shown_rows()[-1] == "␛[31mERROR␛[0m in red"
    pane.key(Qt.Key.Key_Backtab, Mod.ShiftModifier)
    assert pane.item._focus == "wrap"
    pane.key(Qt.Key.Key_Escape)
    assert not pane.item.takes_keyboard
    pane.item.set_raw(False)
    assert pane.item.shown_rows()[-1] == "ERROR in red"


def test_timestamps_and_several_containers(pane: Pane) -> None:
    """The time button prefixes each row with its arrival time; lines from several
    containers carry the container's name, painted in a colour of its own."""
    pane.item.append_lines(["from the app"], source="app")
    pane.item.append_lines(["from the sidecar"], source="sidecar")
    assert pane.item.shown_rows() == [
        "app     from the app",
        "sidecar from the sidecar",
    ]
    colours = [pane.item.source_colour(i) for i in range(2)]
    assert colours == ["#4dd6e8", "#b48cff"]  # cyan, magenta
    image = pane.render()
    for row, colour in enumerate(colours):
        wanted = QColor(colour)
        y0 = int(30 + row * 12 * 1.65)
        assert any(
            _near(image.pixelColor(x, y), wanted)
            for x in range(12, 60)
            for y in range(y0 + 4, y0 + 16)
        )
    pane.click_control("time")
    assert pane.item.timestamps
    rows = pane.item.shown_rows()
    assert all(STAMP.match(row) for row in rows)
    assert rows[1].endswith("sidecar from the sidecar")


def _near(got: QColor, wanted: QColor) -> bool:
    return all(
        abs(g - w) < 40
        for g, w in zip(got.getRgb()[:3], wanted.getRgb()[:3], strict=True)
    )


def test_colours_are_painted_and_levels_reported(pane: Pane) -> None:
    """ANSI green is painted green, ERROR lines red; line_color gives the level colour."""
    pane.item.append_lines(
        [
            "2015 INFO all good",
            "2015 WARN careful",
            "2015 ERROR broken",
            "\x1b[32mGREEN GREEN GREEN GREEN\x1b[0m",
        ]
    )
    pane.item.append_marker("— stream ended, reconnecting —")
    assert [pane.item.line_color(i) for i in range(5)] == [
        "#b9c6d8",
        "#e8b54a",
        "#ef6f6f",
        "#b9c6d8",
        "#8a97ab",
    ]
    image = pane.render()

    def has_colour(row: int, test: Any) -> bool:
        y0 = int(30 + row * 12 * 1.65)
        return any(
            test(image.pixelColor(x, y))
            for x in range(12, 250)
            for y in range(y0 + 4, y0 + 16)
        )

    assert has_colour(2, lambda c: c.red() > 180 and c.green() < 140)
    assert has_colour(3, lambda c: c.green() > 150 and c.red() < 120)
    assert not has_colour(0, lambda c: c.red() > 180 and c.green() < 140)


def test_a_million_line_pane_in_small_form_spills_and_searches_disk(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """With a small memory limit older lines go to the spill file; the status bar says
    so, and search finds and shows matches among the spilled lines."""
    harness = Pane(qtbot, tmp_path, memory_lines=2048)
    item = harness.item
    names = sorted(p.name for p in LOGS.glob("*.log"))
    lines = [line for name in names for line in sample_lines(name)]
    for start in range(0, len(lines), 500):
        item.append_lines(lines[start : start + 500])
    assert item.line_count() == len(lines) > 19000
    assert item.store.disk_count > 16000
    path = item.store.spill_path
    assert path is not None and path.exists()
    assert item.status_text() == (
        f"{len(lines):,} lines · {item.store.disk_count:,} older in {path.name}"
    )
    item.set_query("Receiving block")
    item.finish_search()
    assert item.match_count() == sum(line.count("Receiving block") for line in lines)
    item.search_next()
    line, _, _ = item.current_match()  # type: ignore[misc]
    assert line < item.store.disk_count
    assert any(lines[line][:40] in row for row in item.shown_rows())
    item.close()
    assert not path.exists()


def test_save_writes_every_line_as_shown_or_raw(pane: Pane, tmp_path: Path) -> None:
    """Saving writes all lines (disk and memory), without the pane's own markers."""
    lines = sample_lines("Apache_2k.log")
    pane.item.append_lines(lines[:1000])
    pane.item.append_marker("— stream ended, reconnecting —")
    pane.item.append_lines(["\x1b[33mWARN\x1b[0m coloured", *lines[1000:]])
    saved: list[str] = []
    pane.item.saved.connect(saved.append)
    target = tmp_path / "apache.log"
    pane.item.save(target, wait=True)
    expected = [*lines[:1000], "WARN coloured", *lines[1000:]]
    assert target.read_text().splitlines() == expected
    assert saved == [f"Saved {len(expected):,} lines to {target}"]
    assert pane.item.status_text() == saved[0]
    pane.item.set_raw(True)
    pane.item.save(tmp_path / "raw.log", wait=True)
    assert "\x1b[33mWARN\x1b[0m coloured" in (tmp_path / "raw.log").read_text()


def test_dragging_selects_and_copy_gets_the_unwrapped_text(pane: Pane) -> None:
    """A drag over two rows of a wrapped line copies that text, without a line break."""
    long_line = "alpha " * 40
    pane.item.append_lines(["first line", long_line.strip(), "last line"])
    visible = pane.item._visible()
    rows = [i for i, v in enumerate(visible) if v[0] == 1]
    top = 30 + rows[0] * 12 * 1.65 + 8
    start = pane.point(QPointF(12 + 3, top))
    end = pane.point(QPointF(12 + 20 * pane.item._cw + 2, top + 12 * 1.65))
    viewport = pane.view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Mod.NoModifier, start)
    QTest.mouseMove(viewport, end)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Mod.NoModifier, end)
    assert pane.item.copy_selection()
    copied = QGuiApplication.clipboard().text()
    columns = pane.item._columns()
    assert "\n" not in copied
    assert copied == long_line.strip()[0 : columns + 20]


def test_ctrl_wheel_is_left_to_the_canvas(pane: Pane) -> None:
    """Ctrl+wheel over the pane is ignored so the canvas can zoom."""
    pane.item.append_lines(sample_lines("Linux_2k.log"))
    assert not pane.wheel(1, Mod.ControlModifier)
    assert pane.item.following


def test_c13_and_c14_bytes_shown_without_losing_lines(pane: Pane) -> None:
    """A Latin-1 byte shows as one replacement character; split █ decode whole."""
    assembler = LineAssembler()
    data = b"before\ncaf\xe9\n" + ("█" * 300 + "\n").encode() + b"after\n"
    for offset in range(0, len(data), 7):
        pane.item.append_lines(assembler.feed(data[offset : offset + 7]))
    assert pane.item.plain_lines() == ["before", "caf\ufffd", "█" * 300, "after"]


# -- the binding, against the sandbox ---------------------------------------------------


@pytest.fixture
def open_logs(qtbot: QtBot, sandbox_kubeconfig: Path) -> Iterator[Any]:
    """Open a Logs binding for a sandbox pod in a real window item."""
    yield from binding_opener(
        qtbot, sandbox_kubeconfig, LogsBinding, "logs", ("yaml", "describe", "logs")
    )


def test_c17_multi_container_pod_streams_its_default_container(
    open_logs: Any, qtbot: QtBot
) -> None:
    """ledger-db-0 (db + metrics, default-container db) streams db's log, no 400."""
    binding = open_logs("ledger-db-0")
    assert binding.window.suffix == "ledger-db-0/db"
    qtbot.waitUntil(lambda: binding.view.line_count() > 20, timeout=15000)
    assert binding.window.message == ""
    assert binding.view.store.sources == ["db"]


def test_c18_crash_looping_pod_needs_no_previous_and_marks_restarts(
    open_logs: Any, qtbot: QtBot
) -> None:
    """The crash-looping pod's log opens without asking for a previous instance; when
    its stream ends the pane adds a muted reconnect marker and goes on."""
    binding = open_logs("api-server-7c9d5-r5t7w")
    qtbot.waitUntil(lambda: binding.view.line_count() > 0, timeout=15000)
    assert "previous" not in binding.window.message

    def marked() -> bool:
        view = binding.view
        return any(view.store.is_marker(i) for i in range(view.line_count()))

    qtbot.waitUntil(marked, timeout=20000)
    view = binding.view
    marker = next(i for i in range(view.line_count()) if view.store.is_marker(i))
    assert view.line_text(marker) == "— stream ended, reconnecting —"
    assert view.line_color(marker) == "#8a97ab"


def test_save_button_asks_for_a_file_and_writes_the_log(
    open_logs: Any, qtbot: QtBot, tmp_path: Path
) -> None:
    """Save opens a file dialog; choosing a file writes every line the pane holds."""
    binding = open_logs("api-server-7c9d5-x2k4p")
    qtbot.waitUntil(lambda: binding.view.line_count() > 10, timeout=15000)
    binding.view.press("save")
    dialog = binding.save_dialog
    assert dialog is not None and dialog.isVisible()
    target = tmp_path / "api-server.log"
    held = binding.view.plain_lines()
    dialog.selectFile(str(target))
    dialog.accept()
    qtbot.waitUntil(
        lambda: binding.view.status_text().startswith("Saved"), timeout=5000
    )
    written = target.read_text().splitlines()
    assert written[: len(held)] == [
        line for line in held if line != "— stream ended, reconnecting —"
    ]
    assert all(display_text(line) == line for line in written)
    assert binding.save_dialog is None
    assert math.isfinite(time.time())


# -- sources: containers, the previous run, tail and since ----------------------------


def _keys(binding: LogsBinding, *keys: tuple[Qt.Key, Qt.KeyboardModifier]) -> None:
    """Type `keys` into the pane, first clicking its search field if the pane does not
    hold the keyboard yet."""
    view = binding.window.scene().views()[0]
    if not binding.view.takes_keyboard:
        view.activateWindow()
        view.setFocus()
        field = binding.view._control_rects()["field"].center()
        at = view.mapFromScene(binding.view.mapToScene(field))
        left = Qt.MouseButton.LeftButton
        QTest.mouseClick(view.viewport(), left, Mod.NoModifier, at)
    for key, mods in keys:
        QTest.keyClick(view, key, mods)


TAB = (Qt.Key.Key_Tab, Mod.NoModifier)
SPACE = (Qt.Key.Key_Space, Mod.NoModifier)


def test_container_control_shows_each_container_then_all_interleaved(
    open_logs: Any, qtbot: QtBot
) -> None:
    """ledger-db-0 (db + metrics): Tab to the container control and Space shows
    metrics' log; Space again shows both, interleaved by time, each line marked."""
    binding = open_logs("ledger-db-0")
    view = binding.view
    qtbot.waitUntil(lambda: view.line_count() > 20, timeout=15000)
    assert view._source_label("container") == "db"
    _keys(binding, TAB, TAB, TAB, TAB, TAB)  # previous, next, regex, filter, container
    assert view._focus == "container"
    _keys(binding, SPACE)
    qtbot.waitUntil(lambda: view.line_count() > 20, timeout=15000)
    assert view._source_label("container") == "metrics"
    assert binding.window.suffix == "ledger-db-0/metrics"
    assert view.store.sources == ["metrics"]
    _keys(binding, SPACE)
    qtbot.waitUntil(lambda: len(view.store.sources) == 2, timeout=15000)
    qtbot.waitUntil(lambda: view.line_count() > 100, timeout=15000)
    assert view._source_label("container") == "all"
    assert binding.window.suffix == "ledger-db-0"
    rows = view.shown_rows()
    assert any(row.startswith("db      ") for row in rows)
    assert any(row.startswith("metrics ") for row in rows)
    order = [view.store.source_of(i) for i in range(view.line_count())]
    switches = sum(1 for a, b in zip(order, order[1:], strict=False) if a != b)
    assert switches > 10  # by time, not one container's tail after the other's


def test_previous_run_of_a_crash_looping_pod(open_logs: Any, qtbot: QtBot) -> None:
    """The crash-looping audit-forwarder offers its previous run; Alt+P shows it, once,
    ended by a marker of its own instead of a reconnect."""
    binding = open_logs("audit-forwarder-6f9c8-zq4vw", "platform")
    view = binding.view
    qtbot.waitUntil(lambda: view.line_count() > 5, timeout=15000)
    assert view._offered("instance")
    _keys(binding, (Qt.Key.Key_P, Mod.AltModifier))
    assert view.source.previous
    assert binding.window.suffix.endswith("· previous run")

    def ended() -> list[str]:
        return [
            view.line_text(i)
            for i in range(view.line_count())
            if view.store.is_marker(i)
        ]

    qtbot.waitUntil(lambda: ended() == ["— end of the previous run —"], timeout=15000)
    assert view.line_count() > 5
    assert binding.window.message == ""


def test_range_control_asks_for_the_last_lines_or_a_time_span(
    open_logs: Any, qtbot: QtBot
) -> None:
    """Alt+N steps through the last 100 / 500 / 1000 lines, all, since 5m, since 1h;
    the pane starts over with what the server sends for each."""
    binding = open_logs("ledger-db-0")
    view = binding.view
    qtbot.waitUntil(lambda: view.line_count() > 100, timeout=15000)
    full = view.line_count()
    alt_n = (Qt.Key.Key_N, Mod.AltModifier)
    _keys(binding, alt_n, alt_n, alt_n)
    assert view._source_label("range") == "5m"
    qtbot.waitUntil(lambda: view.line_count() > 20, timeout=15000)
    assert view.line_count() < full
    _keys(binding, alt_n, alt_n)
    assert view._source_label("range") == "100"
    qtbot.waitUntil(lambda: view.line_count() >= 100, timeout=15000)
    assert view.line_count() < full


# -- a long history: the Logs window of a real session ---------------------------------

LONG_LIVED = ObjRef("Pod", "", "v1", "kube-system", "kube-proxy-7xk2m")


def _history(sandbox: Any) -> list[str]:
    """The whole log of the long-lived pod, as the API serves it now."""
    http = requests.Session()
    http.trust_env = False
    http.verify = str(sandbox.ca_file)
    http.headers["Authorization"] = f"Bearer {sandbox.token}"
    url = f"{sandbox.url}/api/v1/namespaces/kube-system/pods/{LONG_LIVED.name}/log"
    with http:
        return http.get(url, timeout=30).text.splitlines()


def test_logs_window_shows_the_last_500_of_a_long_history_then_follows(
    session: Any, qtbot: QtBot, sandbox: Any
) -> None:
    """kube-proxy, up for twelve days, has thousands of lines; its Logs window starts
    with exactly the last 500 of them (line N-499 first, N the length when it opened)
    and then appends each new line after them, in order."""
    before = len(_history(sandbox))
    assert before > 5000
    session.controller.open_view(LONG_LIVED, "logs")
    qtbot.waitUntil(lambda: not session.window.view.flying, timeout=5000)
    (logs,) = [
        b for b in session.controller.bindings.values() if isinstance(b, LogsBinding)
    ]
    view = logs.view
    qtbot.waitUntil(lambda: view.line_count() >= 500, timeout=30000)
    at_first_chunk = len(_history(sandbox))
    qtbot.waitUntil(lambda: view.line_count() >= 503, timeout=30000)
    history = _history(sandbox)
    shown = view.plain_lines()
    start = history.index(shown[0])
    opened_with = start + 500  # N: the history's length when the window asked
    assert before <= opened_with <= at_first_chunk
    assert history[start - 1] not in shown
    common = min(len(shown), len(history) - start)
    assert common >= 503
    assert shown[:common] == history[start : start + common]
