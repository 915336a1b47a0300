"""The real window against the real sandbox: spotlight, a pod's krate and its four views."""

from __future__ import annotations

from pathlib import Path

from kubernetes import client as k8s
from PySide6.QtCore import QPointF, Qt

from krates_desktop.cluster.kubeconfig import Kubeconfig
from krates_desktop.ui import theme
from krates_desktop.ui.windows.bindings import (
    LogsBinding,
    RenderedBinding,
    ShellBinding,
)
from tests.ui.bindings_support import wait_connected
from tests.ui.conftest import POD, searchable


def _pod_listed(session) -> bool:  # type: ignore[no-untyped-def]
    return searchable(session, POD)


def _binding(session, cls):  # type: ignore[no-untyped-def]
    found = [b for b in session.controller.bindings.values() if isinstance(b, cls)]
    return found[0] if found else None


def _open_pod_through_spotlight(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: _pod_listed(session), timeout=15000)
    view = session.window.view
    view.setFocus()
    qtbot.keyClick(view, POD[0])
    spot = session.window.spotlight
    assert spot.is_open()
    qtbot.keyClicks(spot.input, POD[1:])
    qtbot.waitUntil(lambda: spot.results.query == POD, timeout=2000)
    assert spot.results.current() is not None and spot.results.current().name == POD
    qtbot.keyClick(spot.input, Qt.Key.Key_Return)


def test_spotlight_opens_a_pod_with_live_logs_yaml_and_shell(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Typing a pod's name and Enter opens its krate with following logs; Alt+Y and Alt+S
    add the YAML and a shell in which `echo hello` prints hello."""
    _open_pod_through_spotlight(session, qtbot)
    assert not session.window.spotlight.is_open()
    assert session.window.top_bar.krate_count.text() == "1 krate"
    qtbot.waitUntil(lambda: not session.window.view.flying, timeout=2000)

    logs = _binding(session, LogsBinding)
    assert logs is not None and logs.window.tab == "logs"
    qtbot.waitUntil(lambda: logs.view.line_count() > 0, timeout=15000)
    colors = {logs.view.line_color(i) for i in range(logs.view.line_count())}
    assert colors <= {theme.ERROR, theme.WARN, theme.TEXT_2, theme.MUTED}

    view = session.window.view
    qtbot.keyClick(view, "a")
    spot = session.window.spotlight
    qtbot.keyClicks(spot.input, POD[1:])
    qtbot.waitUntil(lambda: spot.results.query == POD, timeout=2000)
    assert spot.results.current() is not None and spot.results.current().name == POD
    # The existing krate ranks first (boost 56); the pod itself is the next row.
    assert spot.results.current().kind == "krate"
    qtbot.keyClick(spot.input, Qt.Key.Key_Down)
    assert spot.results.current().kind == "Pod"
    qtbot.keyClick(spot.input, Qt.Key.Key_Y, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClick(spot.input, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClick(spot.input, Qt.Key.Key_Escape)

    yaml_binding = _binding(session, RenderedBinding)
    assert yaml_binding is not None
    assert any(
        line.strip() == f"name: {POD}" for line in yaml_binding.view.plain_lines()
    )

    shell = _binding(session, ShellBinding)
    assert shell is not None
    wait_connected(qtbot, shell)
    view.setFocus()
    qtbot.keyClicks(view, "echo hello")
    qtbot.keyClick(view, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: (
            "hello"
            in [line.strip() for line in shell.terminal.screen_text().splitlines()]
        ),
        timeout=10000,
    )
    krate = next(iter(session.yard.krates.values()))
    assert len(krate.windows) == 3
    assert session.controller.krate_items[krate.id].window_count == 3


def test_yaml_follows_the_live_object(session, qtbot, sandbox_kubeconfig: Path) -> None:  # type: ignore[no-untyped-def]
    """A label added to the pod on the server shows up in the open YAML view."""
    qtbot.waitUntil(lambda: _pod_listed(session), timeout=15000)
    candidate = next(c for c in session.source.candidates() if c.name == POD)
    session.controller.open_view(candidate.payload, "yaml")
    yaml_binding = _binding(session, RenderedBinding)
    qtbot.waitUntil(
        lambda: any(POD in line for line in yaml_binding.view.plain_lines()),
        timeout=5000,
    )
    # The YAML shows the whole object, not the cache's compact record.
    qtbot.waitUntil(
        lambda: any(
            line.strip() in ("env:", "volumes:")
            for line in yaml_binding.view.plain_lines()
        ),
        timeout=10000,
    )

    api = Kubeconfig.load([sandbox_kubeconfig]).api_client("krates-sandbox")
    k8s.CoreV1Api(api).patch_namespaced_pod(
        POD, "payments", {"metadata": {"labels": {"krates-test": "yaml-live"}}}
    )
    qtbot.waitUntil(
        lambda: any(
            "krates-test: yaml-live" in line for line in yaml_binding.view.plain_lines()
        ),
        timeout=10000,
    )


def test_yaml_ends_on_the_last_of_a_burst_and_catches_up_once_shown(
    session, qtbot, sandbox_kubeconfig: Path
) -> None:  # type: ignore[no-untyped-def]
    """Eight quick label changes end with the last one in the YAML view; a change made
    while the krate is minimised shows once the krate is expanded again."""
    qtbot.waitUntil(lambda: _pod_listed(session), timeout=15000)
    candidate = next(c for c in session.source.candidates() if c.name == POD)
    session.controller.open_view(candidate.payload, "yaml")
    yaml_binding = _binding(session, RenderedBinding)
    qtbot.waitUntil(
        lambda: any(POD in line for line in yaml_binding.view.plain_lines()),
        timeout=5000,
    )

    def shows(text: str) -> bool:
        return any(text in line for line in yaml_binding.view.plain_lines())

    core = k8s.CoreV1Api(Kubeconfig.load([sandbox_kubeconfig]).api_client())
    for number in range(8):
        core.patch_namespaced_pod(
            POD, "payments", {"metadata": {"labels": {"burst": f"n{number}"}}}
        )
    qtbot.waitUntil(lambda: shows("burst: n7"), timeout=10000)

    kid = next(iter(session.yard.krates))
    item = session.controller.krate_items[kid]
    minimize, _close = item._button_rects()
    viewport = session.window.view.viewport()
    at = session.window.view.mapFromScene(item.mapToScene(minimize.center()))
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=at)
    assert item.collapsed and not yaml_binding.window.isVisible()
    core.patch_namespaced_pod(
        POD, "payments", {"metadata": {"labels": {"burst": "hidden"}}}
    )
    qtbot.waitUntil(
        lambda: any(
            o["metadata"].get("labels", {}).get("burst") == "hidden"
            for o in [session.source.get_object(yaml_binding.ref) or {"metadata": {}}]
        ),
        timeout=10000,
    )
    card = session.window.view.mapFromScene(item.mapToScene(QPointF(100, 46)))
    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=card)
    assert not item.collapsed
    qtbot.waitUntil(lambda: shows("burst: hidden"), timeout=10000)
