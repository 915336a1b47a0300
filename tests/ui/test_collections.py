"""Collection windows and collection krates, driven through spotlight, keys and the mouse."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor

from krates_desktop.app import Options
from krates_desktop.ui.collections.window import CollectionWindowItem
from krates_desktop.ui.runner import Session
from krates_desktop.yard.collections import CollScope, collection_krates
from tests.ui.conftest import POD, start_session
from tests.ui.test_windows import _drag

KUBECTL = str(Path(sys.executable).with_name("kubectl"))


def _type(qtbot, widget, text: str) -> None:  # type: ignore[no-untyped-def]
    for char in text:
        qtbot.keyClick(widget, char)


def _spotlight_open(session, qtbot, query: str, alias: str = "") -> None:  # type: ignore[no-untyped-def]
    """Type on the canvas (which opens spotlight), lock `alias` as a type filter with ⇥,
    type the query, wait until the first result is named `query`, and press ⏎."""
    view = session.window.view
    view.setFocus()
    typed = alias or query
    _type(qtbot, view, typed[0])
    spotlight = session.window.spotlight
    qtbot.waitUntil(spotlight.is_open, timeout=5000)
    _type(qtbot, spotlight.input, typed[1:])
    if alias:
        qtbot.keyClick(spotlight.input, Qt.Key.Key_Tab)
        _type(qtbot, spotlight.input, query)
    qtbot.waitUntil(
        lambda: (
            spotlight.results.current() is not None
            and spotlight.results.current().name == query
        ),
        timeout=10000,
    )
    qtbot.keyClick(spotlight.input, Qt.Key.Key_Return)


def _open_collection(
    session, qtbot, query: str, alias: str = ""
) -> CollectionWindowItem:  # type: ignore[no-untyped-def]
    _spotlight_open(session, qtbot, query, alias)
    qtbot.waitUntil(lambda: bool(session.collections.windows), timeout=5000)
    window = next(iter(session.collections.windows.values()))
    qtbot.waitUntil(lambda: bool(window.rows), timeout=15000)
    qtbot.waitUntil(lambda: not session.window.view.flying, timeout=5000)
    return window


def _names(window: CollectionWindowItem) -> list[str]:
    return [row.item.name for row in window.rows if row.item is not None]


def _children(rows: list[tuple], index: int) -> list[tuple]:  # type: ignore[type-arg]
    """The direct children of tree row `index` (rows are (depth, tag, kind, name))."""
    depth, found = rows[index][0], []
    for row in rows[index + 1 :]:
        if row[0] <= depth:
            break
        if row[0] == depth + 1:
            found.append(row)
    return found


def _pixel(session, image, window, x: float, y: float) -> QColor:  # type: ignore[no-untyped-def]
    """The screenshot's colour at (x, y) of the window's rows."""
    return image.pixelColor(_screen(session, window.list, QPointF(x, y)))


def _screen(session, item, point: QPointF) -> QPoint:  # type: ignore[no-untyped-def]
    return session.window.view.mapFromScene(item.mapToScene(point))


def _row_center(session, window: CollectionWindowItem, index: int) -> QPoint:  # type: ignore[no-untyped-def]
    rect = window.list.row_rect(index)
    return _screen(session, window.list, QPointF(rect.left() + 120, rect.center().y()))


def test_namespace_result_opens_its_collection_krate_with_filter_focused(
    session, qtbot
) -> None:  # type: ignore[no-untyped-def]
    """⏎ on the `payments` namespace result makes a krate `ns/payments` (objRef null, collScope
    set) with one 540x480 collection window whose empty filter has focus and shows `Filter...`."""
    window = _open_collection(session, qtbot, "payments", "namespace")
    kid = CollScope("namespace", "payments").krate_id
    raw = session.yard.collection_krates[kid]
    assert raw["objRef"] is None and raw["collScope"] == {
        "kind": "namespace",
        "value": "payments",
    }
    assert list(raw["windows"].values())[0]["kind"] == "collection"
    assert list(raw["windows"].values())[0]["tab"] is None
    assert (window.w, window.h) == (540, 480)
    assert window.title == "ns/payments"
    assert window.filter.placeholderText() == "Filter..."
    assert window.filter.text() == "" and window.filter_has_focus()
    assert (
        window.filter.font().family() == "IBM Plex Mono"
        and window.filter.font().pixelSize() == 12
    )
    assert session.collections.krate_items[kid].label == "ns/payments"
    assert session.window.top_bar.krate_count.isVisible()
    # Typing goes to the new collection's filter until a click on empty canvas.
    qtbot.keyClick(session.window.view, "q")
    assert window.search == "q"
    qtbot.keyClick(session.window.view, Qt.Key.Key_Escape)
    qtbot.mouseClick(
        session.window.view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(40, 600)
    )
    assert session.window.spotlight.is_open()
    qtbot.keyClick(session.window.spotlight.input, Qt.Key.Key_Escape)
    qtbot.keyClick(session.window.view, "w")
    assert session.window.spotlight.is_open() and window.search == "q"
    qtbot.keyClick(session.window.spotlight.input, Qt.Key.Key_Escape)
    # The minimap marks it in the payments colour.
    mark = session.window.minimap.grab().toImage()
    colours = {
        mark.pixelColor(x, y).name()
        for x in range(mark.width())
        for y in range(mark.height())
    }
    assert "#6fb1ff" in colours


def test_category_result_lists_all_pods_unhealthy_first_with_counts(
    session, qtbot
) -> None:  # type: ignore[no-untyped-def]
    """`All Pods` lists every pod: failed first, then pending, then running, alphabetical in
    each group; the ✓/⚠/✗ counts add up to the listed rows."""
    window = _open_collection(session, qtbot, "All Pods")
    assert window.title == "All Pods"
    qtbot.waitUntil(lambda: POD in _names(window), timeout=10000)

    def cluster_pods() -> list[str]:
        return sorted(p["metadata"]["name"] for p in session.source.objects("Pod"))

    # The demo cluster lives (a CronJob starts pods): the list catches up with it.
    qtbot.waitUntil(lambda: sorted(_names(window)) == cluster_pods(), timeout=10000)
    rows = [row.item for row in window.rows if row.item is not None]
    order = {"error": 0, "warn": 1, "ok": 2, "unknown": 3}
    keys = [(order[item.health], item.name) for item in rows]
    assert keys == sorted(keys)
    # platform's audit-forwarder never leaves CrashLoopBackOff: an error pod leads.
    assert rows[0].health == "error"
    counts = window.counts
    assert counts["ok"] + counts["warn"] + counts["error"] == len(rows)
    assert counts["error"] >= 1 and counts["warn"] >= 1 and counts["ok"] >= 1
    assert counts["error"] == sum(1 for item in rows if item.health == "error")


def test_typing_filters_each_keystroke_and_keys_pick_rows(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Each typed character re-filters at once; ↓/↑ move the selection; ⏎ opens the
    row's default view (Logs for a pod) in the pod's krate; esc leaves the filter."""
    window = _open_collection(session, qtbot, "payments", "namespace")
    view = session.window.view
    qtbot.keyClick(view, "l")
    assert window.search == "l"
    assert all("l" in name for name in _names(window))
    _type(qtbot, view, "edger-db-")
    assert set(_names(window)) == {"ledger-db-0", "ledger-db-1", "ledger-db-2"}
    assert window.sel == 0
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert window.sel == 1
    qtbot.keyClick(view, Qt.Key.Key_Up)
    assert window.sel == 0
    selected = window.selected_row().item.name
    qtbot.keyClick(view, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: any(k.label == selected for k in session.yard.krates.values()),
        timeout=5000,
    )
    krate = next(k for k in session.yard.krates.values() if k.label == selected)
    assert [w.tab for w in krate.windows.values()] == ["logs"]
    qtbot.keyClick(view, Qt.Key.Key_Y, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: len(krate.windows) == 2, timeout=5000)
    assert sorted(w.tab for w in krate.windows.values()) == ["logs", "yaml"]
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert not window.filter_has_focus()


def test_tree_nests_pods_under_workloads_and_configs_under_pods(
    session, qtbot, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """The Tree button shows ledger-db (StatefulSet) with its pods tagged `pod`, each with its
    claim tagged `volume`; the api-server Service selects pods; the Ingress routes to it.
    Rows indent 20 px per level, and the selected row has its accent border."""
    window = _open_collection(session, qtbot, "payments", "namespace")
    _list_button, tree_button = window.toggle_rects()
    qtbot.mouseClick(
        session.window.view.viewport(),
        Qt.MouseButton.LeftButton,
        pos=_screen(session, window, tree_button.center()),
    )
    assert window.view == "tree"
    qtbot.waitUntil(lambda: any(r.depth for r in window.rows), timeout=5000)
    rows = [(r.depth, r.tag, r.item.kind, r.item.name) for r in window.rows if r.item]
    sts = rows.index((0, "", "StatefulSet", "ledger-db"))
    assert rows[sts + 1][:3] == (1, "pod", "Pod")
    pod = rows[sts + 1][3]
    assert set(_children(rows, sts + 1)) == {
        (2, "volume", "PersistentVolumeClaim", f"ledger-data-{pod[-1]}"),
        (2, "configMap", "ConfigMap", "kube-root-ca.crt"),
    }
    assert [r[3] for r in _children(rows, sts)] == [
        "ledger-db-2",
        "ledger-db-0",
        "ledger-db-1",
    ]
    service = rows.index((0, "", "Service", "api-server"))
    assert rows[service + 1][:3] == (1, "selects", "Pod")
    ingress = rows.index((0, "", "Ingress", "payments"))
    assert rows[ingress + 1] == (1, "routes", "Service", "api-server")
    assert rows[ingress + 2][:2] == (2, "selects")
    krate = collection_krates(session.yard)[window.parentItem().kid]
    session.window.view.center_on(*krate.center(), 1.0)
    window.list.ensure_visible(sts + 1)
    qtbot.wait(50)
    image = session.window.grab().toImage()
    image.save(str(tmp_path / "collection-tree.png"))
    # At zoom 1 the StatefulSet's glyph and its pod's glyph, one level down, are
    # painted 20 px apart.
    sts_y = window.list.row_rect(sts).center().y()
    pod_y = window.list.row_rect(sts + 1).center().y()
    assert _pixel(session, image, window, 12 + 4, sts_y) == QColor("#b48cff")
    assert _pixel(session, image, window, 12 + 20 + 4, pod_y) == QColor("#4dd6e8")
    assert _pixel(session, image, window, 12 + 4, pod_y) != QColor("#b48cff")
    # The pod's L connector: a faint line down from the StatefulSet's glyph column
    # and across at the pod's middle; the root row above has none.
    sts_top = window.list.row_rect(sts).top() + 3
    pod_top = window.list.row_rect(sts + 1).top() + 3
    down = _pixel(session, image, window, 16, pod_top).blue()
    assert down > _pixel(session, image, window, 16, sts_top).blue() + 8
    across = _pixel(session, image, window, 24, pod_y).blue()
    assert across > _pixel(session, image, window, 24, pod_top).blue() + 8
    # The selected row carries the 2 px accent border at its left edge.
    selected = window.list.row_rect(window.sel)
    assert _pixel(
        session, image, window, selected.left() + 5, selected.center().y()
    ) == QColor("#4dd6e8")


def test_filtering_the_tree_keeps_the_pods_workload(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """In tree mode, filtering for one pod's name keeps its Deployment above it (and the
    Service that selects it, and the Ingress routing to that Service), nothing else."""
    window = _open_collection(session, qtbot, "payments", "namespace")
    view = session.window.view
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    qtbot.keyClick(view, "t")
    assert window.view == "tree"
    _type(qtbot, view, "r5t7w")
    assert window.search == "r5t7w"
    rows = [(r.depth, r.tag, r.item.kind, r.item.name) for r in window.rows if r.item]
    pod = "api-server-7c9d5-r5t7w"
    assert rows == [
        (0, "", "Deployment", "api-server"),
        (1, "pod", "Pod", pod),
        (0, "", "Service", "api-server"),
        (1, "selects", "Pod", pod),
        (0, "", "Ingress", "payments"),
        (1, "routes", "Service", "api-server"),
        (2, "selects", "Pod", pod),
    ]
    # Four distinct objects are listed (the pod crash-loops, so its bucket changes).
    listed = {r.item.key: r.item.health for r in window.rows if r.item}
    assert len(listed) == 4 and sum(window.counts.values()) == 4
    assert window.counts["error"] == list(listed.values()).count("error")


def test_t_switches_views_only_while_the_filter_has_no_focus(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """With the filter focused `t` is typed; after esc, `t` toggles list/tree and back, `z`
    maximises and restores, and any other printable key goes back into the filter."""
    window = _open_collection(session, qtbot, "payments", "namespace")
    view = session.window.view
    qtbot.keyClick(view, "t")
    assert window.search == "t" and window.view == "list"
    qtbot.keyClick(view, Qt.Key.Key_Backspace)
    assert window.search == ""
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert not window.filter_has_focus()
    chosen = window.selected_row().item.uid
    qtbot.keyClick(view, "t")
    assert window.view == "tree" and window.search == ""
    assert window.selected_row().item.uid == chosen, "the selection stays on its object"
    before = window.sel
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert window.sel == before + 1, "arrows keep working without the filter"
    qtbot.keyClick(view, "t")
    assert window.view == "list"
    qtbot.keyClick(view, "z")
    assert session.controller.maximizer.window is window
    assert window.w > 540 and window.search == ""
    qtbot.keyClick(view, "z")
    assert session.controller.maximizer.window is None and (window.w, window.h) == (
        540,
        480,
    )
    qtbot.keyClick(view, "x")
    assert window.filter_has_focus() and window.search == "x"
    assert not session.window.spotlight.is_open()


def test_pointer_over_the_window_sends_typing_to_its_filter(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The new collection keeps the keyboard until the pointer enters a detail window;
    then typing opens spotlight; back over the collection, typing goes into its filter."""
    from tests.ui.conftest import SERVICE_REF

    window = _open_collection(session, qtbot, "payments", "namespace")
    vp = session.window.view.viewport()
    kid, wid = session.controller.open_view(SERVICE_REF, "describe")
    qtbot.waitUntil(lambda: not session.window.view.flying, timeout=5000)
    detail = session.controller.window_items[f"{kid}/{wid}"]
    qtbot.mouseMove(vp, _screen(session, detail, QPointF(150, 200)))
    qtbot.waitUntil(
        lambda: session.controller.hovered_key == f"{kid}/{wid}", timeout=3000
    )
    qtbot.keyClick(session.window.view, "a")
    assert session.window.spotlight.is_open() and window.search == ""
    qtbot.keyClick(session.window.spotlight.input, Qt.Key.Key_Escape)
    assert not window.filter_has_focus(), "closing spotlight gives the filter nothing"
    krate = collection_krates(session.yard)[window.parentItem().kid]
    session.window.view.center_on(*krate.center(), 0.92)
    qtbot.mouseMove(vp, _row_center(session, window, 3))
    qtbot.waitUntil(lambda: session.collections.hovered is not None, timeout=3000)
    _type(qtbot, session.window.view, "ledger")
    assert window.search == "ledger"
    assert _names(window) and all("ledger" in n for n in _names(window))
    assert "t list/tree" in session.window.hint_bar.text()


def test_rows_show_hover_wash_selection_and_open_views_by_mouse(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A hovered row is washed with white at 4%, the selected one with accentDim; the
    ⌥D button of a row opens that object's Describe window; a click selects."""
    window = _open_collection(session, qtbot, "payments", "namespace")
    session.window.view.center_on(
        *collection_krates(session.yard)[window.parentItem().kid].center(), 1.0
    )
    vp = session.window.view.viewport()
    # Watch events may re-sort the rows; the selection follows its object, so pick
    # the rows to compare from where things are when the picture is taken.
    over = (window.sel + 2) % 8
    qtbot.mouseMove(vp, _row_center(session, window, over))
    qtbot.waitUntil(lambda: window.list.hover_row == over, timeout=3000)
    image = session.window.view.grab().toImage()
    chosen = window.sel
    other = next(i for i in range(8) if i not in (chosen, over))
    x = 200  # left of every row's metric, right of its name

    def wash(index: int) -> QColor:
        return _pixel(session, image, window, x, window.list.row_rect(index).top() + 3)

    plain, hovered, selected = wash(other), wash(over), wash(chosen)
    # white at 4% over the ~#10141c panel lifts each channel by about 9.
    assert 6 <= hovered.red() - plain.red() <= 13
    # accentDim (77,214,232 at 14%) lifts green by about 27 and red by about 8.
    assert 20 <= selected.green() - plain.green() <= 34
    assert 4 <= selected.red() - plain.red() <= 12
    qtbot.mouseClick(
        vp, Qt.MouseButton.LeftButton, pos=_row_center(session, window, over)
    )
    assert window.sel == over
    target = window.rows[3].item
    buttons = dict(window.list.button_rects(3))
    spot = _screen(session, window.list, buttons["describe"].center())
    qtbot.mouseMove(vp, spot)
    qtbot.waitUntil(lambda: window.list.hover_button == "describe", timeout=3000)
    assert window.list.toolTip() == "Alt/Option+D — open Describe"
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=spot)
    qtbot.waitUntil(
        lambda: any(
            k.label == target.name and k.obj_ref.kind == target.kind
            for k in session.yard.krates.values()
        ),
        timeout=5000,
    )
    krate = next(k for k in session.yard.krates.values() if k.label == target.name)
    assert [w.tab for w in krate.windows.values()] == ["describe"]


LIVE_NS = "coll-live"
LIVE_OBJECTS = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {LIVE_NS}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: web-config, namespace: {LIVE_NS}}}
data: {{MODE: live}}
---
apiVersion: v1
kind: Secret
metadata: {{name: web-token, namespace: {LIVE_NS}}}
stringData: {{token: abc}}
---
apiVersion: v1
kind: Pod
metadata: {{name: web-1, namespace: {LIVE_NS}, labels: {{app: web}}}}
spec:
  containers:
  - name: web
    image: nginx:1.27
    envFrom: [{{configMapRef: {{name: web-config}}}}]
    env:
    - name: TOKEN
      valueFrom: {{secretKeyRef: {{name: web-token, key: token}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: {LIVE_NS}}}
spec:
  selector: {{app: web}}
  ports: [{{port: 80}}]
"""


def _kubectl(
    kubeconfig: Path, tmp_path: Path, *args: str, stdin: str | None = None
) -> str:
    """Run the real kubectl against the sandbox; fail the test with its message."""
    home = tmp_path / "kubectl-home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "KUBECONFIG": str(kubeconfig),
        "LANG": "C.UTF-8",
    }
    done = subprocess.run(
        [KUBECTL, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        input=stdin,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_collection_follows_the_cluster_live(
    session, qtbot, sandbox_kubeconfig, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Objects created with kubectl appear in an open namespace collection; in the tree the
    Service selects the pod, which uses its ConfigMap (envFrom) and Secret (env.valueFrom);
    a deleted pod leaves the list, without reopening the window."""
    _kubectl(sandbox_kubeconfig, tmp_path, "apply", "-f", "-", stdin=LIVE_OBJECTS)
    try:
        _follow_live_namespace(session, qtbot, sandbox_kubeconfig, tmp_path)
    finally:
        _kubectl(
            sandbox_kubeconfig, tmp_path, "delete", "namespace", LIVE_NS, "--wait=false"
        )


def _follow_live_namespace(session, qtbot, sandbox_kubeconfig, tmp_path) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(
        lambda: any(
            c.kind == "namespace" and c.name == LIVE_NS
            for c in session.source.candidates()
        ),
        timeout=15000,
    )
    window = _open_collection(session, qtbot, LIVE_NS, "namespace")
    qtbot.waitUntil(
        lambda: {"web", "web-1", "web-config", "web-token"} <= set(_names(window)),
        timeout=15000,
    )
    token = _names(window).index("web-token")
    qtbot.mouseClick(
        session.window.view.viewport(),
        Qt.MouseButton.LeftButton,
        pos=_row_center(session, window, token),
    )
    assert window.selected_row().item.name == "web-token"
    _kubectl(
        sandbox_kubeconfig,
        tmp_path,
        "create",
        "configmap",
        "late-arrival",
        "-n",
        LIVE_NS,
    )
    qtbot.waitUntil(lambda: "late-arrival" in _names(window), timeout=15000)
    # The list re-sorted around the selection, which stayed on the same object.
    assert window.selected_row().item.name == "web-token" and window.sel == token + 1
    window.set_view("tree")
    qtbot.waitUntil(
        lambda: any(
            r.item and r.item.name == "web-1" and r.depth == 1 for r in window.rows
        ),
        timeout=15000,
    )
    rows = [(r.depth, r.tag, r.item.kind, r.item.name) for r in window.rows if r.item]
    service = rows.index((0, "", "Service", "web"))
    assert rows[service + 1] == (1, "selects", "Pod", "web-1")
    assert set(_children(rows, service + 1)) == {
        (2, "configMap", "ConfigMap", "web-config"),
        (2, "secret", "Secret", "web-token"),
    }
    assert (0, "", "ConfigMap", "late-arrival") in rows
    _kubectl(
        sandbox_kubeconfig,
        tmp_path,
        "delete",
        "pod",
        "web-1",
        "-n",
        LIVE_NS,
        "--wait=false",
    )
    qtbot.waitUntil(lambda: "web-1" not in _names(window), timeout=20000)
    assert "web-config" in _names(window), "no longer used, it is a root of its own"


def test_collection_krate_comes_back_after_restart(
    session, qtbot, sandbox_kubeconfig, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """The collection krate is in the yard document: closing the app and starting again
    with the same profile shows `All Services` where it was, listing the services."""
    window = _open_collection(session, qtbot, "All Services")
    kid = window.parentItem().kid
    where = collection_krates(session.yard)[kid].pos
    session.window.close()
    again = Session(
        Options(kubeconfig=sandbox_kubeconfig, profile=tmp_path / "profile")
    )
    qtbot.addWidget(again.window)
    again.window.resize(1400, 900)
    again.window.show()
    again.start()
    try:
        qtbot.waitUntil(lambda: kid in again.collections.windows, timeout=15000)
        restored = again.collections.windows[kid]
        assert restored.title == "All Services"
        assert collection_krates(again.yard)[kid].pos == where
        qtbot.waitUntil(lambda: "api-server" in _names(restored), timeout=15000)
        assert {r.item.kind for r in restored.rows if r.item} == {"Service"}
    finally:
        again.shutdown()


def test_minimised_collection_krate_shows_its_card(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The krate header's minimise button collapses `ns/payments` to its 230 px card, whose
    footer reads `1 window · ns/payments`; its status is the worst member's."""
    window = _open_collection(session, qtbot, "payments", "namespace")
    item = window.parentItem()
    order = ("error", "warn", "ok", "unknown")
    qtbot.waitUntil(
        lambda: (
            item.status[1]
            == min((r.item.health for r in window.rows if r.item), key=order.index)
        ),
        timeout=5000,
    )
    assert item.status[1] in ("error", "warn"), "ledger-db-2 is stuck creating"
    minimize, _close = item._button_rects()
    qtbot.mouseClick(
        session.window.view.viewport(),
        Qt.MouseButton.LeftButton,
        pos=_screen(session, item, minimize.center()),
    )
    assert collection_krates(session.yard)[item.kid].minimized and item.collapsed
    assert item.card_footer() == "1 window · ns/payments"
    assert not window.isVisible()


def test_kinds_the_peer_cannot_list_are_named_in_a_final_row(
    qtbot, sandbox_kubeconfig, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """As the read-only viewer (no secrets), `ns/payments` lists the rest and ends with
    the muted row `no access: secrets`."""
    live = start_session(
        qtbot, sandbox_kubeconfig, tmp_path / "profile", "krates-sandbox-viewer"
    )
    try:
        window = _open_collection(live, qtbot, "payments", "namespace")
        qtbot.waitUntil(
            lambda: window.rows[-1].note == "no access: secrets", timeout=15000
        )
        assert POD in _names(window)
        assert all(r.item.kind != "Secret" for r in window.rows if r.item)
    finally:
        live.shutdown()


def test_all_crds_lists_custom_resources_and_opens_their_yaml(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """`All CRDs` lists the custom resources (the payments Certificate, the
    cluster-wide ClusterIssuer and the IAM Roles); ⏎ on one opens its YAML, the
    default for custom resources."""
    window = _open_collection(session, qtbot, "All CRDs")
    qtbot.waitUntil(
        lambda: {"api-cert", "letsencrypt-staging"} <= set(_names(window)),
        timeout=15000,
    )
    kinds = {r.item.kind for r in window.rows if r.item}
    # Custom kinds only: iam.example.com's `Role` is a CRD too, no built-in kinds.
    assert {"Certificate", "ClusterIssuer", "Role"} <= kinds
    assert not kinds & {"Pod", "Service", "Deployment", "ConfigMap", "Secret"}
    assert all(r.item.crd for r in window.rows if r.item)
    _type(qtbot, session.window.view, "api-cert")
    assert _names(window) == ["api-cert"]
    qtbot.keyClick(session.window.view, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: any(k.label == "api-cert" for k in session.yard.krates.values()),
        timeout=5000,
    )
    krate = next(k for k in session.yard.krates.values() if k.label == "api-cert")
    assert [w.tab for w in krate.windows.values()] == ["yaml"]
    assert krate.obj_ref.group == "example.com"


def test_wheel_and_arrows_scroll_a_long_list(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A wheel notch over the rows scrolls the list (not the canvas); moving the selection
    below the last visible row scrolls it into view."""
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    window = _open_collection(session, qtbot, "payments", "namespace")
    view = session.window.view
    assert len(window.rows) * 28 > window.list.h, "more rows than fit"
    camera = (view.cam_x, view.cam_y)
    pos = QPointF(_row_center(session, window, 3))
    wheel = QWheelEvent(
        pos,
        view.viewport().mapToGlobal(pos),
        QPoint(0, 0),
        QPoint(0, -120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view.viewport(), wheel)
    assert window.list.scroll == 3 * 28 and (view.cam_x, view.cam_y) == camera
    assert window.list.row_at(1) == 3, "the fourth row is now at the top"
    window.list.scroll = 0
    for _ in range(len(window.rows) - 1):
        qtbot.keyClick(view, Qt.Key.Key_Down)
    assert window.sel == len(window.rows) - 1
    last = window.list.row_rect(window.sel)
    assert last.bottom() <= window.list.h and last.top() >= 0


def test_the_corner_grip_resizes_a_collection_down_to_320x240(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Dragging the collection window's corner grip by (+90, +60) screen px widens it by
    90/zoom and heightens it by 60/zoom, the rows and the krate frame follow; a drag far
    up and left stops at the collection minimum of 320x240 (spec 10.2)."""
    window = _open_collection(session, qtbot, "payments", "namespace")
    item = window.parentItem()
    view = session.window.view
    zoom = view.zoom
    _drag(
        qtbot,
        view.viewport(),
        _screen(session, window, window.grip.center()),
        QPoint(90, 60),
    )
    width, height = 540 + 90 / zoom, 480 + 60 / zoom

    def geometry():  # type: ignore[no-untyped-def]
        return next(iter(collection_krates(session.yard)[item.kid].windows.values()))

    qtbot.waitUntil(lambda: abs(geometry().w - width) < 1.5, timeout=5000)
    assert abs(geometry().h - height) < 1.5
    assert (window.w, window.h) == (geometry().w, geometry().h)
    assert item.frame_w == window.w + 60
    assert window.list.boundingRect().width() == window.w - 2
    _drag(
        qtbot,
        view.viewport(),
        _screen(session, window, window.grip.center()),
        QPoint(-900, -900),
    )
    qtbot.waitUntil(lambda: (geometry().w, geometry().h) == (320, 240), timeout=5000)
    assert (window.w, window.h) == (320, 240)


def test_closing_a_collection_krate_offers_undo(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The header's `×` removes `ns/payments` and shows `Krate closed · Undo`, as for an
    object krate; Undo brings it back at the same place with its resized window."""
    window = _open_collection(session, qtbot, "payments", "namespace")
    item = window.parentItem()
    kid = item.kid
    view = session.window.view
    _drag(
        qtbot,
        view.viewport(),
        _screen(session, window, window.grip.center()),
        QPoint(40, 30),
    )
    qtbot.waitUntil(lambda: window.w > 540, timeout=5000)
    before = collection_krates(session.yard)[kid]
    _minimize, close = item._button_rects()
    qtbot.mouseClick(
        view.viewport(),
        Qt.MouseButton.LeftButton,
        pos=_screen(session, item, close.center()),
    )
    assert kid not in collection_krates(session.yard) and item.scene() is None
    toast = session.window.toasts.shown[-1]
    assert toast.label.text() == "Krate closed" and toast.undo_button is not None
    qtbot.mouseClick(toast.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: kid in session.collections.windows, timeout=5000)
    after = collection_krates(session.yard)[kid]
    assert (after.pos, after.scope, after.windows) == (
        before.pos,
        before.scope,
        before.windows,
    )
    back = session.collections.windows[kid]
    assert (back.w, back.h) == (before.windows[back.wid].w, before.windows[back.wid].h)
    qtbot.waitUntil(lambda: bool(back.rows), timeout=15000)


def test_the_admin_drawer_lists_my_collection_krates(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """My card counts the collection krate I opened and lists it by its title, without
    view letters; clicking the row flies to it."""
    window = _open_collection(session, qtbot, "payments", "namespace")
    kid = window.parentItem().kid
    session.window.view.center_on(1000, 1000, 0.5)
    session.window.toggle_drawer()
    card = session.window.drawer.cards[0]
    assert card.card.me
    rows = {row.kid: row for row in card.card.krates}
    assert rows[kid].label == "ns/payments" and rows[kid].letters == ()
    index = list(rows).index(kid)
    qtbot.mouseClick(
        card, Qt.MouseButton.LeftButton, pos=card._row_rect(index).center().toPoint()
    )
    assert not session.window.drawer.is_open()
    qtbot.waitUntil(lambda: not session.window.view.flying, timeout=5000)
    center = collection_krates(session.yard)[kid].center()
    assert abs(session.window.view.view_center()[0] - center[0]) < 1
    assert abs(session.window.view.view_center()[1] - center[1]) < 1
