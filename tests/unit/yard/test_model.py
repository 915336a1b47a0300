"""The yard model: krate ids, the two-column grid, placement and closing."""

from __future__ import annotations

from krates_desktop.yard.model import ObjRef, Yard, default_tab, krate_id
from krates_desktop.yard.palette import namespace_color

POD = ObjRef("Pod", "", "v1", "payments", "api-server-7c9d5-x2k4p")
SVC = ObjRef("Service", "", "v1", "payments", "api-server")


def _apart(a: tuple[float, ...], b: tuple[float, ...], gap: float) -> bool:
    """True when boxes (x, y, w, h) are at least `gap` apart on some axis."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return (
        ax + aw + gap <= bx
        or bx + bw + gap <= ax
        or ay + ah + gap <= by
        or by + bh + gap <= ay
    )


def test_krate_id_is_derived_from_the_object() -> None:
    """Two yards opening the same object mint the same krate id; other objects differ."""
    assert krate_id(POD) == krate_id(ObjRef(**POD.__dict__))
    assert krate_id(POD) != krate_id(SVC)
    assert krate_id(POD).startswith("o-")


def test_windows_fill_two_columns_in_reading_order() -> None:
    """Default-sized windows sit at dx 0 and 412, with a new row every 416 px."""
    yard = Yard("me")
    for tab in ("logs", "shell", "describe"):
        yard.open_view(POD, tab, (6000, 4000))
    krate = yard.krates[krate_id(POD)]
    geoms = [(w.dx, w.dy) for w in krate.windows.values()]
    assert geoms == [(0, 0), (412, 0), (0, 416)]
    assert krate.frame_size() == (412 + 380 + 60, 416 + 362 + 60)


def test_opening_the_same_view_twice_makes_no_duplicate() -> None:
    """A second open of the same tab returns the existing window."""
    yard = Yard("me")
    _, first, created = yard.open_view(POD, "logs", (6000, 4000))
    _, again, created_again = yard.open_view(POD, "logs", (6000, 4000))
    assert created and not created_again
    assert first.wid == again.wid
    assert len(yard.krates) == 1


def test_window_ids_come_from_the_krate_counter() -> None:
    """Window ids read w<seq>-<6 hex> and are unique within the krate."""
    yard = Yard("me")
    ids = [yard.open_view(POD, tab, (0, 0))[1].wid for tab in ("logs", "shell", "yaml")]
    assert [i.split("-")[0] for i in ids] == ["w1", "w2", "w3"]
    assert len(set(ids)) == 3 and all(len(i.split("-")[1]) == 6 for i in ids)


def test_new_krates_are_centred_and_do_not_overlap() -> None:
    """A new krate is centred on the given point; a second one is nudged clear of it."""
    yard = Yard("me")
    first, _, _ = yard.open_view(POD, "logs", (6000, 4000))
    assert first.center() == (6000, 4000)
    second, _, _ = yard.open_view(SVC, "describe", (6000, 4000))
    assert _apart(first.footprint(), second.footprint(), 40)


def test_closing_the_last_window_removes_the_krate() -> None:
    """Closing windows updates the krate; the last one takes the krate with it."""
    yard = Yard("me")
    events: list[tuple[str, str]] = []
    yard.subscribe(lambda event, kid: events.append((event, kid)))
    krate, logs, _ = yard.open_view(POD, "logs", (0, 0))
    _, yaml_window, _ = yard.open_view(POD, "yaml", (0, 0))
    yard.close_window(krate.id, logs.wid)
    assert list(krate.windows) == [yaml_window.wid]
    assert krate.windows[yaml_window.wid].dx == 0
    yard.close_window(krate.id, yaml_window.wid)
    assert krate.id not in yard.krates
    assert events[-1] == ("removed", krate.id)


def test_default_views_and_palette() -> None:
    """Pods open Logs, services Describe; payments is blue, other namespaces hash stably."""
    assert default_tab("Pod") == "logs"
    assert default_tab("Service") == "describe"
    assert default_tab("Certificate", crd_instance=True) == "yaml"
    assert namespace_color("payments") == "#6fb1ff"
    assert namespace_color("kube-system") == "#8fa3c0"
    assert namespace_color(None) == "#9aa7ba"
    assert namespace_color("checkout") == namespace_color("checkout")


def _three_windows() -> tuple[Yard, str, list[str]]:
    yard = Yard("me")
    tabs = ("logs", "yaml", "shell")
    wids = [yard.open_view(POD, tab, (6000, 4000))[1].wid for tab in tabs]
    return yard, krate_id(POD), wids


def _at(yard: Yard, kid: str, wid: str) -> tuple[float, float]:
    window = yard.krates[kid].windows[wid]
    return (window.dx, window.dy)


def _size(yard: Yard, kid: str, wid: str) -> tuple[float, float]:
    window = yard.krates[kid].windows[wid]
    return (window.w, window.h)


def test_resizing_a_window_resizes_its_column_and_row_in_proportion() -> None:
    """Widening the top-left window widens the one below it and pushes column 1 out;
    its row partner takes the height ratio; the pitch rule keeps 32/54 px gaps."""
    yard, kid, (logs, yaml_w, shell) = _three_windows()
    yard.resize_window(kid, logs, (570.0, 543.0))
    assert _size(yard, kid, logs) == (570.0, 543.0)
    assert _size(yard, kid, shell) == (570.0, 362.0)
    assert _size(yard, kid, yaml_w) == (380.0, 543.0)
    assert _at(yard, kid, yaml_w) == (570.0 + 32, 0.0)
    assert _at(yard, kid, shell) == (0.0, 543.0 + 54)


def test_resizing_is_clamped_to_the_window_limits() -> None:
    """A window cannot shrink below 240x160."""
    yard, kid, (logs, _yaml, _shell) = _three_windows()
    yard.resize_window(kid, logs, (10.0, 10.0))
    assert _size(yard, kid, logs) == (240.0, 160.0)


def test_moving_a_window_onto_a_taken_slot_swaps_the_two() -> None:
    """Dropping the third window on slot (1, 0) sends that slot's window to (0, 1);
    a window opened next takes the first free slot, (1, 1)."""
    yard, kid, (logs, yaml_w, shell) = _three_windows()
    yard.move_window(kid, shell, (1, 0))
    assert [_at(yard, kid, w) for w in (logs, shell, yaml_w)] == [
        (0.0, 0.0),
        (412.0, 0.0),
        (0.0, 416.0),
    ]
    _, added, _ = yard.open_view(POD, "describe", (6000, 4000))
    assert _at(yard, kid, added.wid) == (412.0, 416.0)


def test_moving_a_window_past_the_last_row_opens_a_new_row() -> None:
    """Row indices are clamped to one past the last row; an emptied row closes up."""
    yard, kid, (_logs, yaml_w, shell) = _three_windows()
    yard.move_window(kid, yaml_w, (5, 9))
    assert _at(yard, kid, yaml_w) == (412.0, 832.0)
    assert _at(yard, kid, shell) == (0.0, 416.0)


def test_a_released_krate_is_nudged_clear_of_another() -> None:
    """Dropping a krate onto another moves it so 40 px separate the footprints."""
    yard = Yard("me")
    first, _, _ = yard.open_view(POD, "logs", (6000, 4000))
    second, _, _ = yard.open_view(SVC, "describe", (6000, 4000))
    yard.drop_krate(second.id, (first.pos[0] + 50, first.pos[1] + 50))
    assert _apart(first.footprint(), second.footprint(), 40)
