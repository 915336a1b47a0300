"""The Shell view against real exec sessions: keyboard, sizing, scrolling and failures."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from kubernetes import client as k8s
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from krates_desktop.cluster.kubeconfig import Kubeconfig
from krates_desktop.ui.windows.bindings import ShellBinding
from krates_desktop.yard.model import ObjRef
from tests.ui.bindings_support import wait_connected
from tests.ui.conftest import POD_REF


def _shell(session, qtbot, ref=POD_REF) -> ShellBinding:  # type: ignore[no-untyped-def]
    session.controller.open_view(ref, "shell")
    qtbot.waitUntil(lambda: not session.window.view.flying, timeout=2000)
    return next(
        b for b in session.controller.bindings.values() if isinstance(b, ShellBinding)
    )


def _lines(shell: ShellBinding) -> list[str]:
    return [line.rstrip() for line in shell.terminal.screen_text().splitlines()]


def _wait_for_prompt(qtbot, shell: ShellBinding) -> None:  # type: ignore[no-untyped-def]
    """Wait until the last line shown is the shell's prompt (`pod:~$`, `#` as root): keys typed before
    it may arrive while bash is still busy and, under load, get lost to a redraw."""

    def at_prompt() -> bool:
        shown = [line for line in _lines(shell) if line]
        return bool(shown) and shown[-1].endswith(("$", "#"))

    qtbot.waitUntil(at_prompt, timeout=15000)


def _run(qtbot, view, command: str) -> None:  # type: ignore[no-untyped-def]
    view.setFocus()
    qtbot.keyClicks(view, command)
    qtbot.keyClick(view, Qt.Key.Key_Return)


def _expect_size(qtbot, view, shell: ShellBinding) -> None:  # type: ignore[no-untyped-def]
    """`stty size` in the pod prints the terminal's grid. Under load the window may
    still be settling its size when the command runs (its resize then follows it to
    the pod), so the command is run again, up to three times, before failing."""
    seen: list[str] = []
    for _attempt in range(3):
        before = len(_sizes(shell))
        _run(qtbot, view, "stty size")
        try:
            qtbot.waitUntil(lambda: len(_sizes(shell)) > before, timeout=15000)  # noqa: B023
        except qtbot.TimeoutError:
            seen.append(f"no answer; the screen ends {_lines(shell)[-3:]}")
            continue
        _wait_for_prompt(qtbot, shell)
        cols, rows = shell.terminal.grid_size()
        seen.append(f"{_sizes(shell)[-1]} (grid {rows} {cols})")
        if _sizes(shell)[-1] == f"{rows} {cols}":
            return
    raise AssertionError(f"stty size never matched the grid: {seen}")


def _sizes(shell: ShellBinding) -> list[str]:
    return [line for line in _lines(shell) if re.fullmatch(r"\d+ \d+", line)]


def test_shell_fits_the_window_and_takes_every_key(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The terminal is fitted to the content area (cols/rows seen by `stty size`); Space,
    Tab and `/` go to the shell and never open spotlight."""
    shell = _shell(session, qtbot)
    wait_connected(qtbot, shell)
    cols, rows = shell.terminal.grid_size()
    assert (cols, rows) != (80, 24)
    view = session.window.view
    _wait_for_prompt(qtbot, shell)
    _expect_size(qtbot, view, shell)
    view.setFocus()
    qtbot.keyClicks(view, "echo a/b")
    qtbot.keyClick(view, Qt.Key.Key_Space)
    qtbot.keyClicks(view, "z")
    qtbot.keyClick(view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "a/b z" in _lines(shell), timeout=15000)
    assert not session.window.spotlight.is_open()
    assert not session.controller.maximizer.active


def test_ctrl_wheel_over_the_shell_zooms_the_canvas(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Ctrl+wheel over the terminal zooms the canvas; the terminal keeps its size."""
    shell = _shell(session, qtbot)
    wait_connected(qtbot, shell)
    view = session.window.view
    before = shell.terminal.grid_size()
    pos = QPointF(view.mapFromScene(shell.terminal.mapToScene(QPointF(100, 100))))
    event = QWheelEvent(
        pos,
        view.viewport().mapToGlobal(pos),
        QPoint(0, 0),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.ControlModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view.viewport(), event)
    assert view.zoom == pytest.approx(0.92 * 1.12)
    qtbot.wait(150)
    assert shell.terminal.grid_size() == before


def test_exit_shows_the_status_and_reconnect_works(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """`exit 4` shows the exit status with a Reconnect button that opens a new shell."""
    shell = _shell(session, qtbot)
    wait_connected(qtbot, shell)
    _run(qtbot, session.window.view, "exit 4")
    qtbot.waitUntil(lambda: shell.state == "exited", timeout=10000)
    assert shell.window.message == "shell exited with status 4"
    assert shell.window.action_label == "Reconnect"
    view = session.window.view
    button = view.mapFromScene(shell.window.mapToScene(shell.window.action_center()))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=button)
    wait_connected(qtbot, shell)
    assert shell.window.message == ""


def test_exited_shell_keeps_its_screen_readable(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """After `exit`, the last output still shows behind the veiled message: its text pixels
    are there above the card, and the message sits centred over them."""
    shell = _shell(session, qtbot)
    wait_connected(qtbot, shell)
    _wait_for_prompt(qtbot, shell)
    view = session.window.view
    _run(
        qtbot,
        view,
        "clear; for i in 1 2 3 4 5 6; do echo MARKER-$i-MARKER-$i; done; sleep 1; exit 3",
    )
    qtbot.waitUntil(lambda: shell.state == "exited", timeout=15000)
    assert "MARKER-1-MARKER-1" in _lines(shell)
    qtbot.wait(100)
    window = shell.window
    content = window.content_rect()
    # The first output rows, above the message card, as the user sees them.
    top = window.mapToScene(content.topLeft() + QPointF(8, 4))
    bottom = window.mapToScene(content.topLeft() + QPointF(content.width() - 8, 60))
    shot = view.grab().toImage()
    a, b = view.mapFromScene(top), view.mapFromScene(bottom)
    readable = [
        (x, y)
        for x in range(a.x(), b.x())
        for y in range(a.y(), b.y())
        if shot.pixelColor(x, y).lightness() > 70
    ]
    assert len(readable) > 50, "the screen behind the exit message is hidden"
    assert window.message == "shell exited with status 3"


def test_missing_pod_is_named(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A Shell on a pod that does not exist says `pod <name> not found in ns/<ns>`."""
    ref = ObjRef("Pod", "", "v1", "payments", "ghost-pod")
    shell = _shell(session, qtbot, ref)
    assert shell.window.message == "pod ghost-pod not found in ns/payments"


def test_container_without_a_shell_is_named(
    session, qtbot, sandbox_kubeconfig: Path
) -> None:  # type: ignore[no-untyped-def]
    """A distroless container has no shell: the window says so instead of hanging."""
    name = f"nosh-{secrets.token_hex(3)}"
    api = k8s.CoreV1Api(Kubeconfig.load([sandbox_kubeconfig]).api_client())
    api.create_namespaced_pod(
        "default",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {
                "containers": [
                    {"name": "app", "image": "gcr.io/distroless/static-debian12"}
                ]
            },
        },
    )
    ref = ObjRef("Pod", "", "v1", "default", name)
    try:
        qtbot.waitUntil(
            lambda: session.source.status_of(ref)[0] == "Running", timeout=15000
        )
        shell = _shell(session, qtbot, ref)
        qtbot.waitUntil(lambda: shell.state == "failed", timeout=15000)
        assert shell.window.message.startswith("no shell found in container app")
    finally:
        api.delete_namespaced_pod(name, "default")
