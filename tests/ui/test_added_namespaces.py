"""A user who may not list namespaces adds them by hand (issue 4, item 5).

`krates-sandbox-payments` may edit in `payments` only and may not list namespaces.
The tests give it `view` in `checkout` through a real RoleBinding (made with the
admin kubeconfig), add `checkout` through spotlight with real keys, and add
`platform`, which stays unreadable, through the cluster pill's menu.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client, config
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from krates_desktop.settings import Dirs, SettingsStore
from tests.ui.conftest import POD, start_session

PAYMENTS = "krates-sandbox-payments"
BINDING = "payments-team-view"


@pytest.fixture
def checkout_viewer(sandbox_kubeconfig: Path) -> Iterator[None]:
    """The payments team may read (`view`) namespace checkout while the test runs."""
    api = client.RbacAuthorizationV1Api(
        config.new_client_from_config(str(sandbox_kubeconfig), context="krates-sandbox")
    )
    body = {
        "metadata": {"name": BINDING},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "view",
        },
        "subjects": [
            {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Group",
                "name": "payments-team",
            }
        ],
    }
    api.create_namespaced_role_binding("checkout", body)
    try:
        yield
    finally:
        api.delete_namespaced_role_binding(BINDING, "checkout")
        api.api_client.close()


def _pods_in(live, namespace: str) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(
        c.name
        for c in live.source.candidates()
        if c.kind == "Pod" and c.namespace == namespace
    )


def _type_in_spotlight(live, qtbot, text: str):  # type: ignore[no-untyped-def]
    qtbot.keyClick(live.window.view, text[0])
    spot = live.window.spotlight
    qtbot.keyClicks(spot.input, text[1:])
    qtbot.waitUntil(lambda: spot.results.query == text, timeout=10000)
    return spot


def _row_names(spot) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.candidate.name for r in spot.results.results]


def _toast_texts(live) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.label.text() for t in live.window.toasts.shown]


def _open_menu(live, qtbot):  # type: ignore[no-untyped-def]
    qtbot.mouseClick(live.window.top_bar.cluster, Qt.MouseButton.LeftButton)
    menu = live.top_bar_actions.menu
    qtbot.waitUntil(lambda: menu is not None and menu.isVisible(), timeout=5000)
    return menu


def _click_entry(qtbot, menu, text: str) -> None:  # type: ignore[no-untyped-def]
    action = next(a for a in menu.actions() if a.text() == text)
    qtbot.mouseClick(
        menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center()
    )


def _offer(live):  # type: ignore[no-untyped-def]
    """The refusal toast's `Add namespace…` button, while it shows."""
    buttons = [t.undo_button for t in live.window.toasts.shown if t.undo_button]
    return next((b for b in buttons if b.text() == "Add namespace…"), None)


def _answer_dialog(live, qtbot, typed: str) -> None:  # type: ignore[no-untyped-def]
    dialog = live.namespaces.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    line = dialog.findChild(QLineEdit)
    qtbot.keyClicks(line, typed)
    qtbot.keyClick(line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)


def _start_payments(qtbot, kubeconfig: Path, profile: Path):  # type: ignore[no-untyped-def]
    live = start_session(qtbot, kubeconfig, profile, context=PAYMENTS)
    qtbot.waitUntil(live.namespaces.listing_refused, timeout=30000)
    return live


def test_a_namespace_added_in_spotlight_is_searchable_and_comes_back(
    qtbot, sandbox_kubeconfig: Path, tmp_path: Path, checkout_viewer: None
) -> None:  # type: ignore[no-untyped-def]
    """The refusal toast offers Add namespace…; spotlight offers `Add namespace
    "checkout"`, Enter on it brings checkout's pods into spotlight, and a new session
    of the same profile watches checkout again without being asked, until Remove
    ns/checkout in the cluster pill's menu takes its pods away again."""
    profile = tmp_path / "profile"
    live = _start_payments(qtbot, sandbox_kubeconfig, profile)
    try:
        qtbot.waitUntil(lambda: _offer(live) is not None, timeout=10000)
        assert _pods_in(live, "checkout") == []
        spot = _type_in_spotlight(live, qtbot, "checkout")
        rows = _row_names(spot)
        assert rows[-1] == 'Add namespace "checkout"'
        for _ in rows[:-1]:
            qtbot.keyClick(spot.input, Qt.Key.Key_Down)
        qtbot.keyClick(spot.input, Qt.Key.Key_Return)
        assert not spot.is_open()
        added = "Added ns/checkout: its objects load in the background"
        assert added in _toast_texts(live)
        qtbot.waitUntil(lambda: bool(_pods_in(live, "checkout")), timeout=30000)
        pod = _pods_in(live, "checkout")[0]
        spot = _type_in_spotlight(live, qtbot, pod)
        # The pods reach spotlight with the cache's next batch of changes.
        qtbot.waitUntil(lambda: _row_names(spot)[:1] == [pod], timeout=10000)
        top = spot.results.results[0].candidate
        assert (top.kind, top.name, top.namespace) == ("Pod", pod, "checkout")
        assert 'Add namespace "' + pod + '"' in _row_names(spot)
        qtbot.keyClick(spot.input, Qt.Key.Key_Escape)
        spot = _type_in_spotlight(live, qtbot, "checkout")
        assert 'Add namespace "checkout"' not in _row_names(spot)
        qtbot.keyClick(spot.input, Qt.Key.Key_Escape)
        assert POD in [c.name for c in live.source.candidates()]
    finally:
        live.shutdown()
    saved = SettingsStore(Dirs.for_profile(profile)).load().added_namespaces
    assert saved == {PAYMENTS: ["checkout"]}
    again = _start_payments(qtbot, sandbox_kubeconfig, profile)
    try:
        qtbot.waitUntil(lambda: bool(_pods_in(again, "checkout")), timeout=30000)
        spot = _type_in_spotlight(again, qtbot, pod)
        qtbot.waitUntil(lambda: _row_names(spot)[:1] == [pod], timeout=10000)
        qtbot.keyClick(spot.input, Qt.Key.Key_Escape)
        _click_entry(qtbot, _open_menu(again, qtbot), "Remove ns/checkout")
        qtbot.waitUntil(lambda: not _pods_in(again, "checkout"), timeout=10000)
        spot = _type_in_spotlight(again, qtbot, pod)
        qtbot.waitUntil(lambda: pod not in _row_names(spot), timeout=10000)
        assert POD in [c.name for c in again.source.candidates()]
    finally:
        again.shutdown()


def test_an_unreadable_namespace_is_named_and_can_be_removed(
    qtbot, sandbox_kubeconfig: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A bad name typed after the refusal toast's Add namespace… is refused with the
    reason; `platform` (no access), added from the cluster pill's menu, gets one toast
    naming it while payments keeps working; Remove ns/platform in the same menu
    forgets it."""
    profile = tmp_path / "profile"
    live = _start_payments(qtbot, sandbox_kubeconfig, profile)
    try:
        qtbot.waitUntil(lambda: _offer(live) is not None, timeout=10000)
        qtbot.mouseClick(_offer(live), Qt.MouseButton.LeftButton)
        _answer_dialog(live, qtbot, "Bad_Name")
        assert _toast_texts(live)[-1].startswith('"Bad_Name" is not a namespace name')
        assert live.namespaces.saved() == []
        _click_entry(qtbot, _open_menu(live, qtbot), "Add namespace…")
        _answer_dialog(live, qtbot, "platform")
        qtbot.waitUntil(
            lambda: any(
                t.startswith("no access: ") and "pods in ns/platform" in t
                for t in _toast_texts(live)
            ),
            timeout=30000,
        )
        refusal = next(t for t in _toast_texts(live) if "pods in ns/platform" in t)
        assert refusal.endswith(" · the rest keeps working")
        assert "namespaces" not in refusal.removeprefix("no access: ").split(", ")
        assert _pods_in(live, "payments") and not _pods_in(live, "platform")
        assert not live.window.problem.isVisible()
        _click_entry(qtbot, _open_menu(live, qtbot), "Remove ns/platform")
        qtbot.waitUntil(lambda: "Removed ns/platform" in _toast_texts(live))
        menu = _open_menu(live, qtbot)
        entries = [a.text() for a in menu.actions()]
        assert "Add namespace…" in entries and "Remove ns/platform" not in entries
        menu.close()
        assert live.namespaces.saved() == []
        assert POD in [c.name for c in live.source.candidates()]
    finally:
        live.shutdown()


def test_the_namespaces_of_the_yards_krates_are_watched(
    qtbot, sandbox_kubeconfig: Path, tmp_path: Path, checkout_viewer: None
) -> None:  # type: ignore[no-untyped-def]
    """A krate of a checkout pod, opened as the admin, is in the cluster's yard; the
    payments user, in the same profile, sees checkout's pods without adding it."""
    profile = tmp_path / "profile"
    admin = start_session(qtbot, sandbox_kubeconfig, profile)
    try:
        qtbot.waitUntil(lambda: bool(_pods_in(admin, "checkout")), timeout=30000)
        pod = _pods_in(admin, "checkout")[0]
        spot = _type_in_spotlight(admin, qtbot, pod)
        qtbot.waitUntil(lambda: _row_names(spot)[:1] == [pod], timeout=10000)
        qtbot.keyClick(spot.input, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: len(admin.yard.krates) == 1, timeout=10000)
    finally:
        admin.shutdown()
    live = _start_payments(qtbot, sandbox_kubeconfig, profile)
    try:
        assert [k.obj_ref.namespace for k in live.yard.krates.values()] == ["checkout"]
        qtbot.waitUntil(lambda: pod in _pods_in(live, "checkout"), timeout=30000)
        assert live.namespaces.saved() == []
    finally:
        live.shutdown()
