"""The yard model: krate ids, the two-column grid, placement and closing."""

from __future__ import annotations

from krates_desktop.yard.model import ObjRef, Yard, default_tab, krate_id
from krates_desktop.yard.palette import namespace_color

POD = ObjRef("Pod", "", "v1", "payments", "api-server-7c9d5-x2k4p")
SVC = ObjRef("Service", "", "v1", "payments", "api-server")


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
    ax, ay, aw, ah = first.footprint()
    bx, by, bw, bh = second.footprint()
    assert (
        ax + aw + 40 <= bx
        or bx + bw + 40 <= ax
        or ay + ah + 40 <= by
        or by + bh + 40 <= ay
    )


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
