"""A broken kubeconfig or a refusing server: the window starts and says what is wrong."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from krates_desktop.app import Options
from krates_desktop.ui.runner import Session


def _start(qtbot, monkeypatch, kubeconfig: str):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KUBECONFIG", kubeconfig)
    live = Session(Options())
    qtbot.addWidget(live.window)
    live.window.resize(1200, 800)
    live.window.show()
    live.start()
    return live


def _message(live) -> str:  # type: ignore[no-untyped-def]
    return f"{live.window.problem.title.text()} {live.window.problem.body.text()}"


def test_missing_kubeconfig_names_the_file(qtbot, monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """KUBECONFIG naming a missing file: the window names the file and offers the demo."""
    missing = tmp_path / "nowhere" / "config"
    live = _start(qtbot, monkeypatch, str(missing))
    assert live.window.problem.isVisible()
    assert str(missing) in _message(live)
    assert live.window.problem.button.isVisible()
    live.shutdown()


def test_kubeconfig_with_a_syntax_error_names_file_and_line(
    qtbot, monkeypatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A YAML syntax error is reported with the file and where in it."""
    broken = tmp_path / "config"
    broken.write_text(
        "apiVersion: v1\nclusters:\n  - name: a\n    cluster: {server: [\n"
    )
    live = _start(qtbot, monkeypatch, str(broken))
    assert live.window.problem.isVisible()
    message = _message(live)
    assert str(broken) in message
    assert "line" in message
    live.shutdown()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_refusing_server_is_named_and_the_app_stays_usable(
    qtbot, monkeypatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A context whose server refuses connections: the message names the server, the dot
    turns red, and spotlight still opens."""
    port = _closed_port()
    config = tmp_path / "config"
    config.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: dead\n"
        f"clusters: [{{name: dead, cluster: {{server: 'https://127.0.0.1:{port}', "
        "insecure-skip-tls-verify: true}}]\n"
        "users: [{name: u, user: {token: abc}}]\n"
        "contexts: [{name: dead, context: {cluster: dead, user: u}}]\n"
    )
    live = _start(qtbot, monkeypatch, str(config))
    qtbot.waitUntil(lambda: live.window.problem.isVisible(), timeout=15000)
    assert f"127.0.0.1:{port}" in _message(live)
    assert live.window.top_bar.cluster.dot_color == "#ef6f6f"
    live.window.view.setFocus()
    qtbot.keyClick(live.window.view, "x")
    assert live.window.spotlight.is_open()
    live.shutdown()


@pytest.mark.parametrize("name", ["nope"])
def test_unknown_context_is_named(
    qtbot, monkeypatch, tmp_path: Path, name: str
) -> None:  # type: ignore[no-untyped-def]
    """--context naming a context the kubeconfig lacks says so, with the file."""
    config = tmp_path / "config"
    config.write_text(
        "apiVersion: v1\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: u, user: {}}]\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
    )
    monkeypatch.setenv("KUBECONFIG", str(config))
    live = Session(Options(context=name))
    qtbot.addWidget(live.window)
    live.window.show()
    live.start()
    assert name in _message(live) and str(config) in _message(live)
    live.shutdown()
