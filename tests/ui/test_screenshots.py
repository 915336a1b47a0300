"""Screenshot tests: parts of the yard rendered offscreen at a fixed size and compared
with the reference images in tests/ui/references/ (reviewed by eye against the spec;
copies live in docs/ as the product's pictures).

Set KRATES_UPDATE_REFERENCES=1 to write new references instead of comparing; look
at each one against the spec's colours, sizes and fonts, then copy it to docs/ under
the same name.

The content is chosen to be stable against the live sandbox: a config map's YAML
(its data lines, above the timestamps), config maps in spotlight, and a fixed user
name and colour. The text caret is kept from blinking with the application's
cursor flash time (0 = steady).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication

from krates_desktop.app import Options
from krates_desktop.cluster.cache import Synced
from krates_desktop.ui.runner import Session
from krates_desktop.ui.windows.text_view import PAD_Y
from krates_desktop.yard.collections import collection_krates
from krates_desktop.yard.model import ObjRef
from tests.ui.test_collections import _open_collection

REFERENCES = Path(__file__).parent / "references"
UPDATE = os.environ.get("KRATES_UPDATE_REFERENCES") == "1"
WINDOW = (1280, 800)
# A channel may differ by this much (font anti-aliasing); at most this share of
# pixels may differ by more.
CHANNEL_TOLERANCE = 16
MAX_DIFFERING = 0.003
CONFIG_REF = ObjRef("ConfigMap", "", "v1", "payments", "api-config")
USER = {"user_id": "5c1d2e3f-0000-4000-8000-000000000001", "name": "Ada Lovelace"}
USER_COLOR = "#6fb1ff"


@pytest.fixture
def yard(qtbot, sandbox_kubeconfig: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A 1280x800 window on the sandbox for a fixed user, with the caret held steady."""
    settings = tmp_path / "profile" / "config" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps({**USER, "color": USER_COLOR}))
    app = QApplication.instance()
    flash = app.cursorFlashTime()  # type: ignore[union-attr]
    app.setCursorFlashTime(0)  # type: ignore[union-attr]
    live = Session(Options(kubeconfig=sandbox_kubeconfig, profile=tmp_path / "profile"))
    qtbot.addWidget(live.window)
    live.window.setFixedSize(*WINDOW)
    live.window.show()
    qtbot.waitExposed(live.window)
    live.start()
    qtbot.waitUntil(
        lambda: any(c.name == CONFIG_REF.name for c in live.source.candidates()),
        timeout=30000,
    )
    _wait_loaded(live, qtbot)
    yield live
    live.shutdown()
    app.setCursorFlashTime(flash)  # type: ignore[union-attr]


def _wait_loaded(yard, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Wait until the GUI has been told every kind is listed: the `loading N of M kinds`
    pill is gone and spotlight's results are complete."""
    qtbot.waitUntil(
        lambda: (
            isinstance(yard.source.status, Synced)
            and not yard.window.progress.isVisible()
        ),
        timeout=30000,
    )


def _open_config_krate(yard, qtbot) -> str:  # type: ignore[no-untyped-def]
    """The api-config krate with its YAML shown, centred at zoom 1."""
    kid, wid = yard.controller.open_view(CONFIG_REF, "yaml")
    view = yard.window.view
    qtbot.waitUntil(lambda: not view.flying, timeout=5000)
    binding = yard.controller.binding(kid, wid)
    qtbot.waitUntil(lambda: binding.view.line_count() > 10, timeout=10000)
    qtbot.waitUntil(lambda: yard.controller.krate_items[kid].status[1] != "unknown")
    # Start the text at `data:`: the metadata above it holds a uid and timestamps.
    text = binding.view
    text.scroll_by(text.plain_lines().index("data:") * text.line_height + PAD_Y)
    cx, cy = yard.yard.krates[kid].center()
    view.center_on(cx, cy - 17, 1.0)
    _settle(yard, qtbot)
    return kid


def _settle(yard, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Move the pointer off everything and let pending paints happen."""
    vp = yard.window.view.viewport()
    qtbot.mouseMove(vp, QPoint(3, 300))
    qtbot.mouseMove(vp, QPoint(2, 300))
    qtbot.waitUntil(lambda: yard.controller.hovered_key is None, timeout=2000)
    _wait_loaded(yard, qtbot)
    qtbot.wait(50)


def _diff(actual: QImage, expected: QImage) -> tuple[float, QImage]:
    """Share of pixels with a channel off by more than the tolerance, and the
    difference image."""
    a = actual.convertToFormat(QImage.Format.Format_RGB32)
    diff = expected.convertToFormat(QImage.Format.Format_RGB32)
    painter = QPainter(diff)
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Difference)
    painter.drawImage(0, 0, a)
    painter.end()
    data = bytes(diff.constBits())[: diff.sizeInBytes()]
    over = bytes(0 if v <= CHANNEL_TOLERANCE else 1 for v in range(256))
    marks = data.translate(over)
    # Each byte is 0 or 1, so OR-ing the B, G and R planes as big integers marks a
    # pixel once however many of its channels are off.
    planes = (int.from_bytes(marks[i::4], "big") for i in range(3))
    differing = 0
    for plane in planes:
        differing |= plane
    return differing.bit_count() / (a.width() * a.height()), diff


def _check(image: QImage, name: str, tmp_path: Path) -> None:
    reference = REFERENCES / f"{name}.png"
    if UPDATE:
        REFERENCES.mkdir(exist_ok=True)
        assert image.save(str(reference)), f"could not write {reference}"
        return
    expected = QImage(str(reference))
    assert not expected.isNull(), (
        f"{reference} is missing; run with KRATES_UPDATE_REFERENCES=1 and review it"
    )
    actual_path = tmp_path / f"{name}-actual.png"
    image.save(str(actual_path))
    assert image.size() == expected.size(), (
        f"{name}: rendered {image.width()}x{image.height()}, reference is "
        f"{expected.width()}x{expected.height()} (actual in {actual_path})"
    )
    share, diff = _diff(image, expected)
    if share > MAX_DIFFERING:
        diff_path = tmp_path / f"{name}-diff.png"
        diff.save(str(diff_path))
        shutil.copy(reference, tmp_path / f"{name}-expected.png")
        pytest.fail(
            f"{name}: {share:.2%} of pixels differ from {reference} (allowed "
            f"{MAX_DIFFERING:.2%}); actual {actual_path}, difference {diff_path}"
        )


def test_canvas_with_a_krate(yard, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The canvas at zoom 1: grid, the payments-blue dashed frame, the header and a
    380x362 YAML window with highlighted keys."""
    kid = _open_config_krate(yard, qtbot)
    image = yard.window.view.grab().toImage()
    frame = yard.controller.krate_items[kid]
    left = yard.window.view.mapFromScene(frame.mapToScene(QPointF(0, 200)))
    assert image.pixelColor(left).blue() > image.pixelColor(left).red()
    _check(image, "canvas-krate", tmp_path)


def test_collapsed_card(yard, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The 230x92 card of the minimised krate, with its margin of canvas."""
    kid = _open_config_krate(yard, qtbot)
    item = yard.controller.krate_items[kid]
    minimize, _close = item._button_rects()
    view = yard.window.view
    qtbot.mouseClick(
        view.viewport(),
        Qt.MouseButton.LeftButton,
        pos=view.mapFromScene(item.mapToScene(minimize.center())),
    )
    assert item.collapsed
    _settle(yard, qtbot)
    corner = view.mapFromScene(item.mapToScene(QPointF(0, 0)))
    crop = QRect(corner - QPoint(30, 30), QSize(290, 152))
    image = view.grab(crop).toImage()
    assert (image.width(), image.height()) == (290, 152)
    assert image.pixelColor(31, 60) == QColor("#6fb1ff")
    _check(image, "collapsed-card", tmp_path)


def test_spotlight_with_results(yard, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Spotlight over the canvas: `api-se` typed on the canvas, ranked results with
    glyphs, matched letters, subtexts, type badges and the selected row's view chips."""
    view = yard.window.view
    view.setFocus()
    qtbot.keyClick(view, "a")
    spotlight = yard.window.spotlight
    qtbot.keyClicks(spotlight.input, "pi-se")
    qtbot.waitUntil(lambda: spotlight.results.isVisible(), timeout=5000)
    _wait_loaded(yard, qtbot)
    qtbot.wait(50)
    _check(yard.window.grab().toImage(), "spotlight-results", tmp_path)


def test_minimap(yard, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The 180x120 minimap with the krate's mark and the viewport rectangle."""
    _open_config_krate(yard, qtbot)
    mini = yard.window.minimap
    image = mini.grab().toImage()
    assert (image.width(), image.height()) == (180, 120)
    _check(image, "minimap", tmp_path)


def test_admin_drawer(yard, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The admin drawer open over the canvas with my card and my krate."""
    _open_config_krate(yard, qtbot)
    window = yard.window
    qtbot.mouseClick(window.top_bar.admin, Qt.MouseButton.LeftButton)
    drawer = window.drawer
    qtbot.waitUntil(lambda: drawer.panel.x() == window.width() - 380, timeout=3000)
    _wait_loaded(yard, qtbot)
    qtbot.wait(50)
    _check(window.grab().toImage(), "admin-drawer", tmp_path)


def test_collection_in_tree_mode(yard, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The ns/payments collection in tree mode, filtered to `rapid-io`: the deployment
    and, indented under it, its pod tagged `pod`."""
    window = _open_collection(yard, qtbot, "payments", "namespace")
    view = yard.window.view
    _list, tree = window.toggle_rects()
    qtbot.mouseClick(
        view.viewport(),
        Qt.MouseButton.LeftButton,
        pos=view.mapFromScene(window.mapToScene(tree.center())),
    )
    assert window.view == "tree"
    qtbot.waitUntil(lambda: any(r.depth for r in window.rows), timeout=5000)
    qtbot.keyClicks(view, "rapid-io")
    qtbot.waitUntil(lambda: window.search == "rapid-io", timeout=5000)
    assert [(r.depth, r.item.kind) for r in window.rows if r.item] == [
        (0, "Deployment"),
        (1, "Pod"),
    ]
    view.center_on(*collection_krates(yard.yard)[window.parentItem().kid].center(), 1.0)
    _settle(yard, qtbot)
    _check(yard.window.grab().toImage(), "collection-tree", tmp_path)
