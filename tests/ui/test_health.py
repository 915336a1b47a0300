"""The health view and the stream caps, seen from the window against the real sandbox."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from PySide6.QtCore import Qt

from krates_desktop.app import Options
from krates_desktop.cluster import streams
from krates_desktop.cluster.cache import Synced
from krates_desktop.cluster.kinds import BUILTIN_KINDS
from krates_desktop.cluster.streams import Limits
from krates_desktop.ui.hud.toasts import Toast
from krates_desktop.ui.runner import Session
from krates_desktop.ui.windows.bindings import LogsBinding, ShellBinding
from krates_desktop.yard.model import ObjRef
from tests.ui.conftest import POD


@pytest.fixture
def two_shells_at_most() -> Iterator[None]:
    """The per-context cap on shells lowered to 2 (the cap is configurable)."""
    before = streams.BOOK.limits
    streams.BOOK.limits = Limits(logs=before.logs, shells=2)
    yield
    streams.BOOK.limits = before


def _running_pods(session, count: int) -> list[ObjRef]:  # type: ignore[no-untyped-def]
    pods = [
        p
        for p in session.source.objects("Pod")
        if p["metadata"].get("namespace") == "payments"
        and all(
            c.get("ready")
            for c in (p.get("status") or {}).get("containerStatuses") or [{}]
        )
    ]
    names = sorted(p["metadata"]["name"] for p in pods)[:count]
    assert len(names) == count, names
    return [ObjRef("Pod", "", "v1", "payments", name) for name in names]


def _open(session, qtbot, ref: ObjRef, tab: str):  # type: ignore[no-untyped-def]
    kid, wid = session.controller.open_view(ref, tab)
    key = f"{kid}/{wid}"
    qtbot.waitUntil(lambda: key in session.controller.bindings)
    return session.controller.bindings[key]


def _click_action(session, qtbot, window) -> None:  # type: ignore[no-untyped-def]
    view = session.window.view
    point = view.mapFromScene(window.mapToScene(window.action_center()))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)


def _shell_line(session) -> str:  # type: ignore[no-untyped-def]
    return next(
        line for line in session.window.health.text().splitlines() if "shells" in line
    )


def test_more_shells_than_the_cap_show_the_limit_and_close_oldest_works(
    session, qtbot, two_shells_at_most
) -> None:  # type: ignore[no-untyped-def]
    """A third shell with a cap of two says which limit was reached and offers "Close
    oldest"; pressing it closes the first shell and connects the third. The health
    view, opened with Ctrl+Shift+H, counts the shells and the log stream opened."""
    first, second, third = _running_pods(session, 3)
    shells: list[ShellBinding] = []
    for ref in (first, second):
        shells.append(_open(session, qtbot, ref, "shell"))
    for shell in shells:
        qtbot.waitUntil(lambda s=shell: s.state == "connected", timeout=20000)
    logs = _open(session, qtbot, first, "logs")
    assert isinstance(logs, LogsBinding)
    qtbot.waitUntil(lambda: logs.view.line_count() > 0, timeout=20000)
    extra = _open(session, qtbot, third, "shell")
    qtbot.waitUntil(lambda: extra.state == "failed", timeout=10000)
    assert extra.window.message.startswith(
        "2 shells are already open on krates-sandbox"
    )
    assert first.name in extra.window.message
    assert extra.window.action_label == "Close oldest"

    session.window.activateWindow()
    qtbot.waitActive(session.window)
    session.window.view.setFocus()
    session.window.view.scene().setFocusItem(None)  # a connected shell takes every key
    qtbot.keyClick(
        session.window.view,
        Qt.Key.Key_H,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert session.window.health.is_open()
    counts = re.fullmatch(
        r"(\d+) watches · 1 of 20 log streams · 2 of 2 shells", _shell_line(session)
    )
    assert counts is not None and int(counts.group(1)) >= len(BUILTIN_KINDS) - 1
    assert session.window.health.text().splitlines()[0] == "krates-sandbox"

    _click_action(session, qtbot, extra.window)
    qtbot.waitUntil(lambda: extra.state == "connected", timeout=20000)
    qtbot.waitUntil(lambda: shells[0].window.message != "", timeout=10000)
    assert shells[1].state == "connected"
    qtbot.waitUntil(
        lambda: "1 of 20 log streams · 2 of 2 shells" in _shell_line(session),
        timeout=5000,
    )
    open_shells = [
        e.label for e in streams.BOOK.entries("krates-sandbox") if e.kind == "shell"
    ]
    assert [label.split("/")[1] for label in open_shells] == [second.name, third.name]
    qtbot.keyClick(session.window.health, Qt.Key.Key_Escape)
    assert not session.window.health.is_open()


def _conflicting_kubeconfig(sandbox_kubeconfig: Path, tmp_path: Path) -> Path:
    """The sandbox's kubeconfig with insecure-skip-tls-verify added next to its CA (C06)."""
    document = yaml.safe_load(sandbox_kubeconfig.read_text())
    for cluster in document["clusters"]:
        cluster["cluster"]["insecure-skip-tls-verify"] = True
    path = tmp_path / "conflict.yaml"
    path.write_text(yaml.safe_dump(document))
    path.chmod(0o600)
    return path


@pytest.mark.parametrize(
    "choice", ["Verify with the CA", "Skip verification (ignore the CA)"]
)
def test_tls_conflict_asks_and_connects_with_the_choice(
    qtbot, sandbox_kubeconfig: Path, tmp_path: Path, choice: str
) -> None:  # type: ignore[no-untyped-def]
    """A cluster with both a CA and insecure-skip-tls-verify is explained in the window,
    with both choices; clicking one connects, and the cluster's pods appear."""
    kubeconfig = _conflicting_kubeconfig(sandbox_kubeconfig, tmp_path)
    live = Session(Options(kubeconfig=kubeconfig, profile=tmp_path / "profile"))
    qtbot.addWidget(live.window)
    live.window.resize(1400, 900)
    live.window.show()
    qtbot.waitExposed(live.window)
    try:
        live.start()
        card = live.window.problem
        assert card.isVisible()
        assert (
            "insecure-skip-tls-verify and also a certificate authority"
            in card.body.text()
        )
        assert str(kubeconfig) in card.body.text()
        assert [b.text() for b in card.choices.values()] == [
            "Skip verification (ignore the CA)",
            "Verify with the CA",
        ]
        button = next(b for b in card.choices.values() if b.text() == choice)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert not card.isVisible()
        qtbot.waitUntil(
            lambda: any(c.name == POD for c in live.source.candidates()), timeout=30000
        )
        assert live.window.top_bar.cluster.text() == live.connection.context.cluster
        verifying = live.connection.api_client.configuration.verify_ssl
        assert verifying == (choice == "Verify with the CA")
    finally:
        live.shutdown()


def _restricted(qtbot, kubeconfig: Path, profile: Path, context: str):  # type: ignore[no-untyped-def]
    live = Session(Options(kubeconfig=kubeconfig, context=context, profile=profile))
    qtbot.addWidget(live.window)
    live.window.resize(1400, 900)
    live.window.show()
    qtbot.waitExposed(live.window)
    return live


def _toasts(live) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.label.text() for t in live.window.findChildren(Toast)]


def test_loading_progress_then_secrets_refused_for_the_viewer(
    qtbot, sandbox_kubeconfig: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """While the cache fills the pill counts kinds and objects; the viewer, who may not
    read Secrets, gets one toast naming them and a line in the health view, and
    everything else (pods, deployments) is searchable."""
    live = _restricted(
        qtbot, sandbox_kubeconfig, tmp_path / "p", "krates-sandbox-viewer"
    )
    shown: list[str] = []
    seen: list[object] = []

    def pill_after(status: object) -> None:
        seen.append(status)
        if live.window.progress.isVisible():
            shown.append(live.window.progress.text())

    live.source.subscribe_status(pill_after)
    try:
        live.start()
        qtbot.waitUntil(
            lambda: (
                bool(seen)
                and isinstance(seen[-1], Synced)
                and not live.window.progress.isVisible()
            ),
            timeout=30000,
        )
        pattern = re.compile(r"loading (\d+) of (\d+) kinds( · [\d,]+ [a-z.]+)*")
        assert all(pattern.fullmatch(text) for text in shown), shown
        assert any(" pods" in text for text in shown)
        qtbot.waitUntil(lambda: bool(_toasts(live)), timeout=5000)
        assert _toasts(live) == [
            "no access: secrets · the rest of the cluster is shown"
        ]
        assert not any(c.kind == "Secret" for c in live.source.candidates())
        assert any(c.kind == "Deployment" for c in live.source.candidates())
        live.window.toggle_health()
        lines = live.window.health.text().splitlines()
        assert lines[lines.index("Access") + 1] == "no access: secrets"
    finally:
        live.shutdown()


def test_a_user_who_cannot_list_namespaces_works_in_their_namespace(
    qtbot, sandbox_kubeconfig: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """krates-sandbox-payments may not list namespaces or anything cluster-wide: the
    window says so once, and the pods of `payments` are searchable and open."""
    live = _restricted(
        qtbot, sandbox_kubeconfig, tmp_path / "p", "krates-sandbox-payments"
    )
    try:
        live.start()
        qtbot.waitUntil(
            lambda: any(c.name == POD for c in live.source.candidates()), timeout=30000
        )
        qtbot.waitUntil(lambda: bool(_toasts(live)), timeout=10000)
        first = _toasts(live)[0]
        assert first.startswith("no access: ") and " namespaces" in first
        assert first.endswith(" · the rest of the cluster is shown")
        live.window.toggle_health()
        lines = live.window.health.text().splitlines()
        refused = lines[lines.index("Access") + 1]
        assert refused.startswith("no access: ")
        assert {
            "customresourcedefinitions",
            "namespaces",
            "roles.iam.example.com",
        } <= set(refused.removeprefix("no access: ").split(", "))
        assert {c.namespace for c in live.source.candidates() if c.kind == "Pod"} == {
            "payments"
        }
        assert not live.window.problem.isVisible()
    finally:
        live.shutdown()
