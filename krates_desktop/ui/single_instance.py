"""One running Krates per user and profile; later launches hand it their link and exit.

The first instance listens on a `QLocalServer`. A second `krates`, `krates
krates://join?…` (what the desktop's URL handler runs) or `krates join LINK`
connects, sends one JSON line `{"v": 1, "link": "…"}` (an empty link just brings
the window forward), waits for `{"ok": true}` and exits 0.

On Linux and macOS the socket lives in a folder only the user can enter
(`XDG_RUNTIME_DIR`, else a private folder in the temporary directory), so no other
local user can listen in its place and receive invite links, which carry secrets.
On Windows it is a named pipe that only the user may open.

Limitations: two launches in the same few milliseconds can both start; the second
one to listen then hands its link to the first and exits.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from krates_desktop.sync.errors import InviteError
from krates_desktop.sync.invite import parse_invite
from krates_desktop.ui.main_window import MainWindow

log = logging.getLogger(__name__)

PROTOCOL = 1
MAX_MESSAGE_BYTES = 16 * 1024
CLIENT_TIMEOUT_MS = 5000
# A Unix socket path may hold 107 bytes; keep well inside it.
MAX_SOCKET_PATH = 100


class InstanceError(Exception):
    """The single-instance socket cannot be set up safely; `str()` says why."""


def _runtime_dir() -> Path | None:
    """`XDG_RUNTIME_DIR` when it is set and private to this user."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    return Path(runtime) if runtime and _is_private(Path(runtime)) else None


def _user_temp_dir() -> Path:
    """`<tmp>/krates-<uid>`, made private to this user; refused if someone else owns it."""
    folder = Path(tempfile.gettempdir()) / f"krates-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
    except OSError as exc:
        raise InstanceError(f"Cannot create {folder}: {exc.strerror}.") from exc
    if not _is_private(folder):
        raise InstanceError(
            f"{folder} belongs to another user or others may enter it; remove it "
            "so that Krates can make its own."
        )
    return folder


def _is_private(folder: Path) -> bool:
    try:
        info = folder.lstat()
    except OSError:
        return False
    owned = info.st_uid == os.getuid()
    return stat.S_ISDIR(info.st_mode) and owned and not info.st_mode & 0o077


def server_name(profile: Path | None = None) -> str:
    """Where the instance of this user and profile listens: a socket path or pipe name."""
    key = str(profile.expanduser().resolve()) if profile is not None else "default"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    if sys.platform == "win32":
        user = hashlib.sha256(getpass.getuser().encode("utf-8")).hexdigest()[:12]
        return f"krates-{user}-{digest}"
    filename = f"krates-{digest}.sock"
    runtime = _runtime_dir()
    if runtime is not None and len(str(runtime / filename)) <= MAX_SOCKET_PATH:
        return str(runtime / filename)
    return str(_user_temp_dir() / filename)


def forward(name: str, link: str = "", timeout_ms: int = 3000) -> bool:
    """Hand `link` to the instance listening at `name`; False if none answered."""
    sock = QLocalSocket()
    sock.connectToServer(name)
    if not sock.waitForConnected(timeout_ms):
        return False
    message = json.dumps({"v": PROTOCOL, "link": link}).encode("utf-8") + b"\n"
    sock.write(message)
    if not sock.waitForBytesWritten(timeout_ms):
        return False
    reply = b""
    while b"\n" not in reply and sock.waitForReadyRead(timeout_ms):
        reply += bytes(sock.readAll().data())
    sock.disconnectFromServer()
    try:
        return bool(json.loads(reply.decode("utf-8")).get("ok"))
    except (ValueError, AttributeError):
        log.warning("the running Krates gave an unreadable answer: %r", reply[:80])
        return False


class InstanceServer(QObject):
    """Listens for later launches; `link_received` carries each one's link ("" for none)."""

    link_received = Signal(str)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_server_new_connection)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def __repr__(self) -> str:
        return f"<InstanceServer {Path(self.name).name}>"

    @property
    def listening(self) -> bool:
        """True while this instance receives the links of later launches."""
        return self._server.isListening()

    def listen(self) -> bool:
        """Start listening; False when another instance already answers at this name."""
        if self._server.listen(self.name):
            log.debug("single instance: listening at %s", self.name)
            return True
        if forward(self.name, "", timeout_ms=1000):
            return False
        log.debug("single instance: removing a stale socket at %s", self.name)
        QLocalServer.removeServer(self.name)
        if not self._server.listen(self.name):
            raise InstanceError(
                f"Cannot listen at {self.name}: {self._server.errorString()}."
            )
        return True

    def close(self) -> None:
        """Stop listening and remove the socket."""
        self._server.close()

    def _on_server_new_connection(self) -> None:
        while self._server.hasPendingConnections():
            sock = self._server.nextPendingConnection()
            self._buffers[sock] = b""
            sock.readyRead.connect(lambda s=sock: self._on_socket_ready_read(s))
            sock.disconnected.connect(lambda s=sock: self._drop(s))
            QTimer.singleShot(CLIENT_TIMEOUT_MS, sock, lambda s=sock: self._drop(s))

    def _on_socket_ready_read(self, sock: QLocalSocket) -> None:
        data = self._buffers.get(sock, b"") + bytes(sock.readAll().data())
        if len(data) > MAX_MESSAGE_BYTES:
            log.warning(
                "single instance: dropped a message of over %d bytes", MAX_MESSAGE_BYTES
            )
            self._drop(sock)
            return
        self._buffers[sock] = data
        if b"\n" not in data:
            return
        link = _read_message(data.split(b"\n", 1)[0])
        sock.write(json.dumps({"ok": link is not None}).encode("utf-8") + b"\n")
        sock.flush()
        if link is not None:
            self.link_received.emit(link)

    def _drop(self, sock: QLocalSocket) -> None:
        if self._buffers.pop(sock, None) is not None:
            sock.disconnectFromServer()
            sock.deleteLater()


def _read_message(line: bytes) -> str | None:
    """The link of one message, "" for none, or None if the message is not ours."""
    try:
        message: Any = json.loads(line.decode("utf-8"))
    except ValueError:
        log.warning("single instance: ignored a message that is not JSON")
        return None
    if not isinstance(message, dict) or message.get("v") != PROTOCOL:
        log.warning("single instance: ignored a message of another version")
        return None
    link = message.get("link", "")
    return link if isinstance(link, str) else None


def hand_off(profile: Path | None, link: str = "") -> bool:
    """Give `link` to the running instance of this profile; False if there is none."""
    try:
        name = server_name(profile)
    except InstanceError as exc:
        log.warning("%s", exc)
        return False
    return forward(name, link)


def claim(profile: Path | None, link: str = "") -> InstanceServer | None:
    """Become the running instance, or hand `link` to the one there is and return None.

    When the socket cannot be set up safely, Krates still starts: the server
    returned then does not listen, and a warning says why.
    """
    try:
        server = InstanceServer(server_name(profile))
        if server.listen():
            return server
    except InstanceError as exc:
        log.warning("%s Later launches will open windows of their own.", exc)
        return InstanceServer("")
    return None if forward(server.name, link) else server


def present_link(window: MainWindow, link: str) -> None:
    """Bring the window forward and say which invite arrived, or why it is not one."""
    window.show()
    window.raise_()
    window.activateWindow()
    if not link:
        log.info("another launch asked for the window")
        return
    try:
        invite = parse_invite(link)
    except InviteError as exc:
        log.warning("received a link that is not an invite: %s", exc)
        window.toasts.show(str(exc))
        return
    yard = invite.name or "a shared yard"
    host = urlsplit(invite.signal).hostname or invite.signal
    log.info("invite link received: yard %s, signaling server %s", yard, host)
    window.toasts.show(f"Invite received: {yard} on {host}")
