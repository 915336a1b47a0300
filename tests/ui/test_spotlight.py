"""Spotlight's panel: geometry, filters, keys, chips and auto-close."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import Qt

from krates_desktop.ui.main_window import MainWindow
from krates_desktop.ui.spotlight.fuzzy import Candidate

ALT = "Alt+" if sys.platform != "darwin" else "⌥"
CANDIDATES = [
    Candidate("Pod", "api-server-x2k4p", "payments"),
    Candidate("Pod", "cart-5d8f-abcde", "checkout"),
    Candidate("Deployment", "api-server", "payments"),
    Candidate("ConfigMap", "api-config", "payments"),
    Candidate("Service", "cart", "checkout"),
    Candidate("namespace", "payments"),
] + [Candidate("Pod", f"worker-{i}", "platform") for i in range(12)]


@pytest.fixture
def window(qtbot):  # type: ignore[no-untyped-def]
    win = MainWindow()
    win.set_candidates(lambda: CANDIDATES)
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    win.view.setFocus()
    return win


def _type(qtbot, window, text: str):  # type: ignore[no-untyped-def]
    qtbot.keyClick(window.view, text[0])
    spot = window.spotlight
    qtbot.keyClicks(spot.input, text[1:])
    qtbot.waitUntil(
        lambda: spot.results.query == spot.input.text().strip(), timeout=1000
    )
    return spot


def test_panel_geometry_and_input(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The panel is min(660, 93%) wide at 15% from the top; the input is Plex Sans 18 px."""
    spot = _type(qtbot, window, "a")
    assert spot.panel.width() == 660
    assert spot.panel.y() == round(800 * 0.15)
    assert spot.panel.x() == (1200 - 660) // 2
    assert spot.input.font().family() == "IBM Plex Sans"
    assert spot.input.font().pixelSize() == 18
    assert spot.input.placeholderText() == "Search..."
    color = spot.grab().toImage().pixelColor(5, 5)
    assert (color.red(), color.green(), color.blue()) == pytest.approx(
        (7, 9, 13), abs=8
    )


def test_at_most_eight_results(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Twelve matching workers still show only eight rows."""
    spot = _type(qtbot, window, "worker")
    assert len(spot.results.results) == 8


def test_alias_tab_locks_a_pill_and_backspace_removes_it(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """`pod` shows the ghost `⇥ Pods`; Tab locks the filter and empties the input;
    only pods are listed; Backspace on the empty input removes the pill."""
    spot = _type(qtbot, window, "pod")
    assert spot.ghost.text() == "⇥ Pods"
    qtbot.keyClick(spot.input, Qt.Key.Key_Tab)
    assert (
        spot.input.text() == "" and spot.pill.text() == "Pods" and spot.pill.isVisible()
    )
    assert spot.input.hasFocus()
    qtbot.keyClicks(spot.input, "ca")
    qtbot.waitUntil(lambda: spot.results.query == "ca", timeout=1000)
    assert {r.candidate.kind for r in spot.results.results} == {"Pod"}
    qtbot.keyClick(spot.input, Qt.Key.Key_Backspace)
    qtbot.keyClick(spot.input, Qt.Key.Key_Backspace)
    qtbot.keyClick(spot.input, Qt.Key.Key_Backspace)
    assert spot.type_filter is None and not spot.pill.isVisible()


def test_tab_without_alias_cycles_recent_filters(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """After using Pods then Services, Tab on no alias picks the most recent first."""
    spot = _type(qtbot, window, "pod")
    qtbot.keyClick(spot.input, Qt.Key.Key_Tab)
    qtbot.keyClick(spot.input, Qt.Key.Key_Backspace)
    qtbot.keyClicks(spot.input, "svc")
    qtbot.keyClick(spot.input, Qt.Key.Key_Tab)
    qtbot.keyClick(spot.input, Qt.Key.Key_Backspace)
    assert spot.type_filter is None
    qtbot.keyClick(spot.input, Qt.Key.Key_Tab)
    assert spot.pill.text() == "Services"
    qtbot.keyClick(spot.input, Qt.Key.Key_Tab)
    assert spot.pill.text() == "Pods"


def test_type_chip_click_applies_and_clears(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Clicking `config` keeps only ConfigMaps; clicking it again clears the filter."""
    spot = _type(qtbot, window, "api")
    rect = dict(spot.chips._rects())["config"]
    qtbot.mouseClick(spot.chips, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    assert [r.candidate.kind for r in spot.results.results] == ["ConfigMap"]
    assert spot.chips.active == "config"
    qtbot.mouseClick(spot.chips, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    assert spot.chips.active == "All" and len(spot.results.results) == 3


def test_configmap_row_offers_only_describe_and_yaml(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A ConfigMap's selected row shows just the Describe and YAML chips."""
    spot = _type(qtbot, window, "api-config")
    assert spot.results.current().kind == "ConfigMap"
    assert spot.results.chip_labels() == [f"{ALT}D describe", f"{ALT}Y yaml"]


def test_arrows_move_selection_and_enter_opens_default(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """↓ selects the next row; Enter emits the default view for it and closes."""
    spot = _type(qtbot, window, "api")
    opened: list[tuple[str, str]] = []
    spot.open_requested.connect(lambda cand, tab: opened.append((cand.name, tab)))
    first = spot.results.current().name
    qtbot.keyClick(spot.input, Qt.Key.Key_Down)
    second = spot.results.current().name
    assert second != first and spot.results.selected == 1
    qtbot.keyClick(spot.input, Qt.Key.Key_Up)
    qtbot.keyClick(spot.input, Qt.Key.Key_Return)
    assert opened == [(first, "")]
    assert not spot.is_open()


def test_alt_keys_open_views_and_auto_close_after_a_second(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Alt+L then Alt+Y open two views and keep spotlight open; it closes 1 s later."""
    spot = _type(qtbot, window, "api-server-x")
    opened: list[str] = []
    spot.open_requested.connect(lambda cand, tab: opened.append(tab))
    qtbot.keyClick(spot.input, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClick(spot.input, Qt.Key.Key_Y, Qt.KeyboardModifier.AltModifier)
    assert opened == ["logs", "yaml"]
    assert spot.is_open()
    qtbot.wait(600)
    assert spot.is_open()
    qtbot.waitUntil(lambda: not spot.is_open(), timeout=1500)


def test_view_chip_click_opens_that_view(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Clicking the `describe` chip on the selected row opens Describe."""
    spot = _type(qtbot, window, "api-server-x")
    opened: list[str] = []
    spot.open_requested.connect(lambda cand, tab: opened.append(tab))
    rect = spot.results.chip_rect("describe")
    qtbot.mouseClick(
        spot.results, Qt.MouseButton.LeftButton, pos=rect.center().toPoint()
    )
    assert opened == ["describe"]


def test_footer_hint(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The footer spells the keys, with Alt+ on Windows and Linux."""
    spot = _type(qtbot, window, "a")
    assert spot.footer.text() == (
        f"↑↓ pick · {ALT}L/S/D/Y open views · ⏎ open default · ⇥ filter type · esc done"
    )


def test_canvas_shortcuts_are_off_while_open(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """With spotlight open, `/` and `z` are typed into the query."""
    spot = _type(qtbot, window, "a")
    qtbot.keyClicks(spot.input, "/z")
    assert spot.input.text() == "a/z"


def test_locked_pill_is_its_own_height_centred_in_the_input_row(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The locked `Pods` pill is as tall as its 12 px text and 3 px padding, centred in
    the 52 px input row, not stretched over the row's height."""
    spot = _type(qtbot, window, "pod")
    qtbot.keyClick(spot.input, Qt.Key.Key_Tab)
    qtbot.waitUntil(spot.pill.isVisible, timeout=1000)
    row = spot.pill.parentWidget()
    assert row.height() == 52
    assert spot.pill.height() == spot.pill.sizeHint().height() <= 26
    assert abs(spot.pill.geometry().center().y() - 26) <= 1
    image = row.grab().toImage()
    x = spot.pill.geometry().center().x()
    above = image.pixelColor(x, spot.pill.y() - 3)
    inside = image.pixelColor(x, spot.pill.y() + 2)
    assert inside != above, "the pill's accentDim fill ends at its top edge"


def test_crd_row_badges_do_not_overlap_the_view_chips(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """On a selected custom-resource row with a long kind name, the view chips end left
    of the `CRD` badge, which ends left of the type badge."""
    window.set_candidates(
        lambda: [
            Candidate("GadgetReplicationPolicy", "gizmo-claim", "payments", crd=True)
        ]
    )
    spot = _type(qtbot, window, "gizmo")
    results = spot.results
    assert results.current().crd and results.selected == 0
    type_badge, crd_badge = results.badge_rects(0)
    assert crd_badge.right() < type_badge.left()
    chips = [results.chip_rect(tab) for tab in ("describe", "yaml")]
    assert all(c is not None and c.right() < crd_badge.left() for c in chips)
    assert not any(c.intersects(b) for c in chips for b in (type_badge, crd_badge))
    assert type_badge.right() <= results.width() - 16
