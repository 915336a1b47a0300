"""One running instance per user and profile receives the links of later launches."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from krates_desktop.ui.single_instance import (
    InstanceError,
    claim,
    present_link,
    server_name,
)

SECRET = (
    base64.urlsafe_b64encode(hashlib.sha256(b"instance test").digest())
    .rstrip(b"=")
    .decode()
)
LINK = (
    "krates://join?signal=ws%3A%2F%2F127.0.0.1%3A9%2Fkrates"
    f"&yard=Qm3v9cZb0kXn2s7RtY4wLg&secret={SECRET}&name=payments-prod"
)


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private XDG_RUNTIME_DIR for this test (and for the launches it starts)."""
    folder = tmp_path / "run"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    return folder


def _launch(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.Popen(
        [sys.executable, "-m", "krates_desktop", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_join_command_hands_its_link_to_the_running_instance(
    qtbot, runtime: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """`krates --profile P join LINK` gives LINK to the instance of P and exits 0."""
    server = claim(tmp_path / "profile")
    assert server is not None and server.listening
    with qtbot.waitSignal(server.link_received, timeout=15000) as received:
        launch = _launch("--profile", str(tmp_path / "profile"), "join", LINK)
    qtbot.waitUntil(lambda: launch.poll() is not None, timeout=15000)
    assert received.args == [LINK]
    assert launch.returncode == 0
    assert "already running" in launch.stderr.read()
    server.close()


def test_bare_link_argument_is_handed_over_like_join(
    qtbot, runtime: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """`krates krates://join?…`, as a desktop's URL handler runs it, reaches the running instance."""
    server = claim(tmp_path / "profile")
    assert server is not None
    with qtbot.waitSignal(server.link_received, timeout=15000) as received:
        launch = _launch(LINK, "--profile", str(tmp_path / "profile"))
    qtbot.waitUntil(lambda: launch.poll() is not None, timeout=15000)
    assert received.args == [LINK] and launch.returncode == 0
    server.close()


def test_plain_second_launch_brings_the_window_forward(
    qtbot, runtime: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A second `krates` with no link asks the running one to come forward, then exits 0."""
    server = claim(tmp_path / "profile")
    assert server is not None
    with qtbot.waitSignal(server.link_received, timeout=15000) as received:
        launch = _launch("--profile", str(tmp_path / "profile"))
    qtbot.waitUntil(lambda: launch.poll() is not None, timeout=15000)
    assert received.args == [""] and launch.returncode == 0
    server.close()


def test_other_profiles_get_instances_of_their_own(
    runtime: Path, tmp_path: Path
) -> None:
    """Each profile listens on its own socket, inside the private runtime folder."""
    first, second = server_name(tmp_path / "a"), server_name(tmp_path / "b")
    assert first != second and Path(first).parent == runtime == Path(second).parent
    servers = [claim(tmp_path / "a"), claim(tmp_path / "b")]
    assert all(s is not None and s.listening for s in servers)
    for server in servers:
        assert server is not None
        server.close()


def test_a_stale_socket_left_by_a_crash_is_replaced(
    qtbot, runtime: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A socket file nobody listens on (a crashed instance) does not stop a new start."""
    path = server_name(tmp_path / "profile")
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(path)
    stale.close()
    assert Path(path).exists()
    server = claim(tmp_path / "profile")
    assert server is not None and server.listening
    server.close()


def test_messages_of_another_version_are_refused(
    qtbot, runtime: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A message that is not version 1 gets {"ok": false} and no link reaches the app."""
    server = claim(tmp_path / "profile")
    assert server is not None
    got: list[str] = []
    server.link_received.connect(got.append)
    replies: list[bytes] = []

    def talk() -> None:
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(server.name)
            client.sendall(json.dumps({"v": 99, "link": LINK}).encode() + b"\n")
            replies.append(client.recv(100))

    thread = threading.Thread(target=talk)
    thread.start()
    qtbot.waitUntil(lambda: bool(replies), timeout=5000)
    thread.join()
    assert json.loads(replies[0]) == {"ok": False} and got == []
    server.close()


def test_a_shared_temporary_folder_is_not_trusted(
    runtime: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without XDG_RUNTIME_DIR, a krates-<uid> folder others may write to is refused, and Krates still starts."""
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    shared = tmp_path / f"krates-{os.getuid()}"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(InstanceError, match="others may enter it"):
        server_name(tmp_path / "profile")
    with caplog.at_level(logging.WARNING):
        server = claim(tmp_path / "profile")
    assert server is not None and not server.listening
    assert "Later launches will open windows of their own" in caplog.text


def test_received_invite_is_shown_without_its_secret(
    qtbot, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    """The window shows which yard the invite is for; the log names it but never the secret."""
    from krates_desktop.ui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(1200, 800)
    with caplog.at_level(logging.INFO):
        present_link(window, LINK)
    assert window.isVisible()
    assert (
        window.toasts.shown[-1].label.text()
        == "Invite received: payments-prod on 127.0.0.1"
    )
    assert "invite link received: yard payments-prod" in caplog.text
    assert SECRET not in caplog.text


def test_a_link_that_is_not_an_invite_is_explained(qtbot) -> None:  # type: ignore[no-untyped-def]
    """A krates:// link with no secret shows what is wrong with it."""
    from krates_desktop.ui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    present_link(
        window,
        "krates://join?signal=ws%3A%2F%2F127.0.0.1%3A9&yard=Qm3v9cZb0kXn2s7RtY4wLg",
    )
    assert "no secret" in window.toasts.shown[-1].label.text()
