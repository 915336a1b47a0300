"""An interactive exec session into a container, the equivalent of ``kubectl exec -it``.

The session opens the exec WebSocket through the official client with a TTY and
reads it on a worker thread. Output stays raw bytes (the client's ``binary``
mode) because the terminal model decodes UTF-8 itself; input goes out on the
stdin channel and window sizes on the resize channel, both as binary frames.
The end of the session is a status value: the exit code, a disconnect, or a
failure worded for the person at the keyboard. Exec input and output are never
logged.

Limitations: the session does not reconnect by itself; the UI offers that.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from kubernetes.client import ApiClient, CoreV1Api
from kubernetes.client.exceptions import ApiException
from kubernetes.stream import stream
from kubernetes.stream.ws_client import (
    ERROR_CHANNEL,
    RESIZE_CHANNEL,
    STDERR_CHANNEL,
    STDIN_CHANNEL,
    STDOUT_CHANNEL,
    WSClient,
)
from websocket import WebSocketException

from krates_desktop.cluster import api

log = logging.getLogger(__name__)

DEFAULT_SHELL = ["/bin/sh", "-c", "command -v bash >/dev/null && exec bash || exec sh"]

# An exit with one of these codes this soon after connecting means no shell ran.
_NO_SHELL_CODES = (126, 127)
_NO_SHELL_WINDOW = 2.0
_NO_SHELL_WORDS = (
    "no such file or directory",
    "executable file not found",
    "not found in $PATH",
)
_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Connecting:
    """The exec request is being sent."""


@dataclass(frozen=True)
class Connected:
    """The shell is running; output flows and input is accepted."""


@dataclass(frozen=True)
class Exited:
    """The shell ended with exit ``code``."""

    code: int


@dataclass(frozen=True)
class Disconnected:
    """The connection ended without an exit status; ``reason`` says how."""

    reason: str


@dataclass(frozen=True)
class Failed:
    """The session could not start; ``message`` is what to show."""

    message: str


SessionStatus = Connecting | Connected | Exited | Disconnected | Failed


class ExecSession:
    """One TTY exec session; callbacks run on the session's worker thread."""

    def __init__(
        self,
        api_client: ApiClient,
        namespace: str,
        pod: str,
        container: str | None,
        on_output: Callable[[bytes], None],
        on_status: Callable[[SessionStatus], None],
        command: Sequence[str] = DEFAULT_SHELL,
    ) -> None:
        self._configuration = api_client.configuration
        self._namespace = namespace
        self._pod = pod
        self._container = container
        self._on_output = on_output
        self._on_status = on_status
        self._command = list(command)
        self._lock = threading.Lock()
        self._ws: WSClient | None = None
        self._pending_input = bytearray()
        self._size: tuple[int, int] | None = None
        self._closing = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"exec-{pod}", daemon=True
        )

    def __repr__(self) -> str:
        container = f"/{self._container}" if self._container else ""
        return f"<ExecSession {self._namespace}/{self._pod}{container}>"

    def start(self) -> None:
        """Connect on a worker thread; the status goes ``Connecting`` then ``Connected``."""
        self._thread.start()

    def write(self, data: bytes) -> None:
        """Send ``data`` to the shell's stdin (queued until the session is connected)."""
        with self._lock:
            if self._ws is None:
                self._pending_input += data
                return
            self._send(STDIN_CHANNEL, data)

    def resize(self, cols: int, rows: int) -> None:
        """Tell the remote TTY its size (sent once connected if called earlier)."""
        with self._lock:
            self._size = (cols, rows)
            if self._ws is not None:
                self._send_size()

    def close(self) -> None:
        """End the session; the worker closes the socket within a fraction of a second."""
        self._closing.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the worker has ended; True if it did within ``timeout``."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # -- worker ------------------------------------------------------------------

    def _run(self) -> None:
        self._status(Connecting())
        try:
            ws = self._connect()
        except _ConnectError as exc:
            log.error("%r failed: %s", self, exc)
            self._status(Failed(str(exc)))
            return
        connected_at = time.monotonic()
        with self._lock:
            self._ws = ws
            if self._size is not None:
                self._send_size()
            if self._pending_input:
                self._send(STDIN_CHANNEL, bytes(self._pending_input))
                self._pending_input.clear()
        log.info("%r connected", self)
        self._status(Connected())
        self._status(self._pump(ws, connected_at))

    def _connect(self) -> WSClient:
        # stream() swaps call_api on the client it is given, so the session uses a
        # client of its own and never disturbs requests on other threads.
        client = ApiClient(configuration=self._configuration)
        kwargs: dict[str, Any] = {
            "command": self._command,
            "stdin": True,
            "stdout": True,
            "stderr": True,
            "tty": True,
            "_preload_content": False,
            "binary": True,
        }
        if self._container:
            kwargs["container"] = self._container
        try:
            ws: WSClient = stream(
                CoreV1Api(client).connect_get_namespaced_pod_exec,
                self._pod,
                self._namespace,
                **kwargs,
            )
        except ApiException as exc:
            raise self._connect_error(exc) from exc
        finally:
            client.close()
        return ws

    def _connect_error(self, exc: ApiException) -> _ConnectError:
        cause = exc.__context__
        status = int(getattr(cause, "status_code", 0) or exc.status or 0)
        body = getattr(cause, "resp_body", None)
        _, message = api.status_message(body)
        if status in (401, 403):
            return _ConnectError(
                f"no access: cannot exec into pod {self._pod} in ns/{self._namespace}"
            )
        if status == 404:
            return _ConnectError(f"pod {self._pod} not found in ns/{self._namespace}")
        if status:
            return _ConnectError(message or f"The exec request failed ({status})")
        reason = api.failure_reason(cause) if cause else str(exc.reason)
        return _ConnectError(
            f"Cannot reach the cluster API at {self._configuration.host}: {reason}"
        )

    def _pump(self, ws: WSClient, connected_at: float) -> SessionStatus:
        """Forward output until the session ends; return the final status."""
        status_bytes = bytearray()
        broken = ""
        try:
            while ws.is_open() and not self._closing.is_set():
                ws.update(timeout=_POLL_SECONDS)
                status_bytes += self._drain(ws)
        except (WebSocketException, OSError, ValueError) as exc:
            broken = str(exc) or type(exc).__name__
        status_bytes += self._drain(ws)
        with self._lock:
            self._ws = None
        self._close_socket(ws)
        if self._closing.is_set():
            return Disconnected("closed")
        if status_bytes:
            return self._final_status(
                bytes(status_bytes), time.monotonic() - connected_at
            )
        return Disconnected(broken or "the connection closed")

    def _drain(self, ws: WSClient) -> bytes:
        """Forward buffered output; return whatever arrived on the status channel."""
        for channel in (STDOUT_CHANNEL, STDERR_CHANNEL):
            data = ws.read_channel(channel)
            if data:
                self._output(bytes(data))
        return bytes(ws.read_channel(ERROR_CHANNEL) or b"")

    def _final_status(self, raw: bytes, elapsed: float) -> SessionStatus:
        try:
            status = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return Failed(raw.decode("utf-8", "replace").strip())
        if status.get("status") == "Success":
            return Exited(0)
        code = _exit_code(status)
        message = str(status.get("message") or "")
        soon = elapsed < _NO_SHELL_WINDOW
        lowered = message.lower()
        no_shell = (code in _NO_SHELL_CODES and soon) or (
            code is None and any(word in lowered for word in _NO_SHELL_WORDS)
        )
        if no_shell:
            return Failed(f"no shell found in container {self._container or self._pod}")
        if code is not None:
            return Exited(code)
        return Failed(message or "the command failed")

    def _close_socket(self, ws: WSClient) -> None:
        try:
            ws.close(timeout=1)
        except (WebSocketException, OSError, ValueError):
            pass

    def _send(self, channel: int, data: bytes) -> None:
        """Write one frame; the caller holds the lock."""
        assert self._ws is not None
        try:
            self._ws.write_channel(channel, data)
        except (WebSocketException, OSError, ValueError) as exc:
            log.warning("%r could not send: %s", self, type(exc).__name__)

    def _send_size(self) -> None:
        assert self._size is not None
        cols, rows = self._size
        self._send(RESIZE_CHANNEL, orjson.dumps({"Width": cols, "Height": rows}))

    def _output(self, data: bytes) -> None:
        try:
            self._on_output(data)
        except Exception:
            log.exception("%r output callback failed", self)

    def _status(self, status: SessionStatus) -> None:
        log.debug("%r status %s", self, status)
        try:
            self._on_status(status)
        except Exception:
            log.exception("%r status callback failed", self)


class _ConnectError(Exception):
    """The exec stream could not be opened; the message is what to show."""


def _exit_code(status: dict[str, Any]) -> int | None:
    causes = (status.get("details") or {}).get("causes") or []
    for cause in causes:
        if cause.get("reason") == "ExitCode":
            try:
                return int(cause.get("message"))
            except (TypeError, ValueError):
                return None
    return None
