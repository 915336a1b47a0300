"""An interactive exec session into a container, the equivalent of ``kubectl exec -it``.

The session dials the exec WebSocket itself (:func:`~.transport.open_websocket`,
so proxies apply), offering ``v5.channel.k8s.io`` and ``v4.channel.k8s.io``, and
reads it on a worker thread. Output stays raw bytes because the terminal model
decodes UTF-8 itself; input goes out on the stdin channel and window sizes on the
resize channel, both as binary frames. Exec input and output are never logged.

Without a command the session tries ``bash``, then ``sh``, ``ash`` and
``/busybox/sh``, moving on when the container has no such program; it reports
:class:`Connected` once the shell has spoken (or stayed quiet for a second), and
only then sends what was typed meanwhile. Before dialing it reads the pod, so a
pod that has finished, a container that is not running and a container that does
not exist each get their own message, as do a 403 and a container without any
shell. A 401 refreshes the credentials once; a 429 waits as the server asks.

Every session counts against the context's cap on shells (:mod:`.streams`).

Limitations: the session does not reconnect by itself; the UI offers that. No
ephemeral debug container is added for images without a shell; the message says
how to add one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import websocket
from kubernetes.client import ApiClient

from krates_desktop.cluster import api, streams
from krates_desktop.cluster.errors import AccessDenied, ClusterError, NotFound
from krates_desktop.cluster.streams import LimitReached
from krates_desktop.cluster.transport import new_api_client, open_websocket

log = logging.getLogger(__name__)

DEFAULT_SHELL = ["/bin/sh", "-c", "command -v bash >/dev/null && exec bash || exec sh"]
SHELLS: tuple[tuple[str, ...], ...] = (("bash",), ("sh",), ("ash",), ("/busybox/sh",))
PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")

STDIN, STDOUT, STDERR, STATUS, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255

# An exit with one of these codes this soon after connecting means nothing ran.
_NOT_FOUND_CODES = (126, 127)
_NOT_FOUND_WINDOW = 2.0
_NOT_FOUND_WORDS = (
    "no such file or directory",
    "executable file not found",
    "not found in $path",
    "command not found",
)
_QUIET_SECONDS = 1.0
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
    """The session could not start; ``message`` is what to show.

    ``limit`` is set when the context's cap on shells was reached; its
    ``close_oldest()`` frees a place.
    """

    message: str
    limit: LimitReached | None = field(default=None, compare=False)


SessionStatus = Connecting | Connected | Exited | Disconnected | Failed


class _ConnectError(Exception):
    """The exec stream could not be opened; the message is what to show."""


class _NoSuchCommand(Exception):
    """The container has no such program: try the next shell."""


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
        command: Sequence[str] | None = None,
    ) -> None:
        self._configuration = api_client.configuration
        self._context = streams.context_of(api_client.configuration)
        self._namespace = namespace
        self._pod = pod
        self._container = container
        self._on_output = on_output
        self._on_status = on_status
        self._commands = [tuple(command)] if command else list(SHELLS)
        self._explicit = bool(command)
        self._lock = threading.Lock()
        self._ws: websocket.WebSocket | None = None
        self._live = False
        self._pending_input = bytearray()
        self._size: tuple[int, int] | None = None
        self._closing = threading.Event()
        self._entry: streams.StreamEntry | None = None
        self.command: tuple[str, ...] | None = None
        self._shown_container = container
        self._thread = threading.Thread(
            target=self._run, name=f"exec-{pod}", daemon=True
        )

    def __repr__(self) -> str:
        container = f"/{self._container}" if self._container else ""
        return f"<ExecSession {self._namespace}/{self._pod}{container}>"

    def start(self) -> None:
        """Connect on a worker thread; the status goes ``Connecting`` then ``Connected``."""
        try:
            self._entry = streams.BOOK.open(
                "shell", self._context, repr(self), self.close
            )
        except LimitReached as exc:
            log.warning("%r not opened: %s", self, exc)
            self._status(Failed(str(exc), limit=exc))
            self._closing.set()
            return
        self._thread.start()

    def write(self, data: bytes) -> None:
        """Send ``data`` to the shell's stdin (queued until the session is connected)."""
        with self._lock:
            if not self._live:
                self._pending_input += data
                return
            self._send(STDIN, data)

    def resize(self, cols: int, rows: int) -> None:
        """Tell the remote TTY its size (sent once connected if called earlier)."""
        with self._lock:
            self._size = (cols, rows)
            if self._live:
                self._send_size()

    def close(self) -> None:
        """End the session; the worker closes the socket within a fraction of a second."""
        self._closing.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the worker has ended; True if it did within ``timeout``."""
        if not self._thread.is_alive() and self._thread.ident is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # -- worker ------------------------------------------------------------------

    def _run(self) -> None:
        self._status(Connecting())
        try:
            self._status(self._session())
        except _ConnectError as exc:
            log.error("%r failed: %s", self, exc)
            self._status(Failed(str(exc)))
        finally:
            streams.BOOK.closed(self._entry)

    def _session(self) -> SessionStatus:
        self._check_pod()
        for command in self._commands:
            ws = self._connect(command)
            try:
                return self._serve(ws, command)
            except _NoSuchCommand:
                log.info("%r: %s is not in the container", self, command[0])
                continue
            finally:
                self._close_socket(ws)
        return Failed(self._no_command_message())

    def _no_command_message(self) -> str:
        where = f"container {self._shown_container or self._pod}"
        if self._explicit:
            return f"{self._commands[0][0]} was not found in {where}"
        tried = ", ".join(c[0] for c in SHELLS)
        return (
            f"no shell found in {where} (tried {tried}); the image may have none: "
            "kubectl debug can add a debug container with one"
        )

    def _check_pod(self) -> None:
        """Read the pod first, as kubectl does, to say clearly why exec cannot work."""
        client = new_api_client(self._configuration, pool_size=1)
        path = f"/api/v1/namespaces/{self._namespace}/pods/{self._pod}"
        try:
            pod = api.get_json(client, path, kind="get")
        except NotFound as exc:
            raise _ConnectError(
                f"pod {self._pod} not found in ns/{self._namespace}"
            ) from exc
        except AccessDenied:
            return  # Some users may exec without reading pods: let exec decide.
        except ClusterError as exc:
            raise _ConnectError(str(exc)) from exc
        finally:
            client.close()
        problem = _pod_problem(pod, self._container)
        if problem:
            raise _ConnectError(problem)
        names = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]
        self._shown_container = self._container or (str(names[0]) if names else None)

    def _connect(self, command: Sequence[str]) -> websocket.WebSocket:
        query = [("command", part) for part in command]
        query += [
            ("stdin", "true"),
            ("stdout", "true"),
            ("stderr", "true"),
            ("tty", "true"),
        ]
        if self._container:
            query.append(("container", self._container))
        path = f"/api/v1/namespaces/{self._namespace}/pods/{self._pod}/exec"
        refreshed = False
        throttled = 0
        while True:
            started = time.monotonic()
            try:
                ws = open_websocket(self._configuration, path, query, PROTOCOLS)
            except websocket.WebSocketBadStatusException as exc:
                status = int(exc.status_code or 0)
                streams.BOOK.record(
                    self._context, "exec", time.monotonic() - started, f"exec {status}"
                )
                if status == 401 and not refreshed:
                    refreshed = True
                    if api.refresh_credentials(self._configuration):
                        continue
                if status == 429 and throttled < api.THROTTLE_RETRIES:
                    throttled += 1
                    self._closing.wait(_retry_after(exc))
                    continue
                raise self._connect_error(status, exc.resp_body) from exc
            except (websocket.WebSocketException, OSError) as exc:
                streams.BOOK.record(
                    self._context, "exec", time.monotonic() - started, "exec failed"
                )
                raise _ConnectError(
                    f"Cannot reach the cluster API at {self._configuration.host}: "
                    f"{api.failure_reason(exc)}"
                ) from exc
            except ClusterError as exc:
                raise _ConnectError(str(exc)) from exc
            streams.BOOK.record(self._context, "exec", time.monotonic() - started)
            return ws

    def _connect_error(self, status: int, body: Any) -> _ConnectError:
        _, message = api.status_message(body)
        if status in (401, 403):
            return _ConnectError(
                f"no access: cannot exec into pod {self._pod} in ns/{self._namespace}"
            )
        if status == 404:
            return _ConnectError(f"pod {self._pod} not found in ns/{self._namespace}")
        return _ConnectError(message or f"The exec request failed ({status})")

    def _serve(self, ws: websocket.WebSocket, command: Sequence[str]) -> SessionStatus:
        """Forward output until the session ends; return the final status.

        While probing for a shell, output that reads like "executable not found"
        is held back: if the command then exits at once, the next shell is tried.
        """
        connected_at = time.monotonic()
        probing = not self._explicit
        held = bytearray()
        if not probing:
            self._go_live(ws, command)
        ws.settimeout(_POLL_SECONDS)
        status_bytes = bytearray()
        broken = ""
        while not self._closing.is_set():
            if probing and time.monotonic() - connected_at >= _QUIET_SECONDS:
                probing = False
                self._go_live(ws, command, bytes(held))
            try:
                opcode, frame = ws.recv_data()
            except websocket.WebSocketTimeoutException:
                continue
            except (websocket.WebSocketException, OSError, ValueError) as exc:
                broken = str(exc) or type(exc).__name__
                break
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                break
            if not frame or opcode not in (
                websocket.ABNF.OPCODE_BINARY,
                websocket.ABNF.OPCODE_TEXT,
            ):
                continue
            channel, data = frame[0], bytes(frame[1:])
            if channel in (STDOUT, STDERR) and data:
                if not probing:
                    self._output(data)
                    continue
                held += data
                if not _says_not_found(bytes(held)):
                    probing = False
                    self._go_live(ws, command, bytes(held))
            elif channel == STATUS:
                status_bytes += data
        with self._lock:
            self._ws, self._live = None, False
        if self._closing.is_set():
            return Disconnected("closed")
        if status_bytes:
            elapsed = time.monotonic() - connected_at
            return self._final_status(
                bytes(status_bytes), elapsed, probing, bytes(held)
            )
        if probing:
            raise _NoSuchCommand()
        return Disconnected(broken or "the connection closed")

    def _go_live(
        self, ws: websocket.WebSocket, command: Sequence[str], held: bytes = b""
    ) -> None:
        with self._lock:
            self._ws, self._live = ws, True
            self.command = tuple(command)
            if self._size is not None:
                self._send_size()
            if self._pending_input:
                self._send(STDIN, bytes(self._pending_input))
                self._pending_input.clear()
        log.info("%r connected", self)
        self._status(Connected())
        if held:
            self._output(held)

    def _final_status(
        self, raw: bytes, elapsed: float, probing: bool, held: bytes = b""
    ) -> SessionStatus:
        try:
            status = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return Failed(raw.decode("utf-8", "replace").strip())
        if status.get("status") == "Success":
            return Exited(0)
        code = _exit_code(status)
        message = str(status.get("message") or "")
        lowered = message.lower()
        soon = elapsed < _NOT_FOUND_WINDOW
        missing = (code in _NOT_FOUND_CODES and soon) or (
            code is None and any(word in lowered for word in _NOT_FOUND_WORDS)
        )
        if missing and (probing or self._explicit):
            raise _NoSuchCommand()
        if probing and held:
            self._output(held)
        if code is not None:
            return Exited(code)
        return Failed(message or "the command failed")

    def _close_socket(self, ws: websocket.WebSocket) -> None:
        try:
            ws.close(timeout=1)
        except (websocket.WebSocketException, OSError, ValueError):
            pass

    def _send(self, channel: int, data: bytes) -> None:
        """Write one frame; the caller holds the lock."""
        if self._ws is None:
            return
        try:
            self._ws.send_binary(bytes([channel]) + data)
        except (websocket.WebSocketException, OSError, ValueError) as exc:
            log.warning("%r could not send: %s", self, type(exc).__name__)

    def _send_size(self) -> None:
        assert self._size is not None
        cols, rows = self._size
        self._send(RESIZE, orjson.dumps({"Width": cols, "Height": rows}))

    def _output(self, data: bytes) -> None:
        try:
            self._on_output(data)
        except Exception:
            log.exception("%r output callback failed", self)

    def _status(self, status: SessionStatus) -> None:
        log.debug("%r status %s", self, type(status).__name__)
        try:
            self._on_status(status)
        except Exception:
            log.exception("%r status callback failed", self)


def _says_not_found(output: bytes) -> bool:
    lowered = output.decode("utf-8", "replace").lower()
    return any(word in lowered for word in _NOT_FOUND_WORDS)


def _retry_after(exc: websocket.WebSocketBadStatusException) -> float:
    headers = exc.resp_headers or {}
    value = headers.get("retry-after") or headers.get("Retry-After") or "1"
    try:
        return max(0.0, min(float(value), api.MAX_RETRY_AFTER))
    except ValueError:
        return 1.0


def _pod_problem(pod: dict[str, Any], container: str | None) -> str:
    """Why exec into ``pod`` cannot work, or "" when it may."""
    name = (pod.get("metadata") or {}).get("name", "")
    status = pod.get("status") or {}
    phase = status.get("phase")
    if phase in ("Succeeded", "Failed"):
        finished = "completed" if phase == "Succeeded" else "failed"
        return f"pod {name} is not running (it has {finished}): there is nothing to exec into"
    names = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]
    names += [
        c.get("name") for c in (pod.get("spec") or {}).get("ephemeralContainers") or []
    ]
    if container and names and container not in names:
        return f"container {container} is not in pod {name} (it has {', '.join(map(str, names))})"
    wanted = container or (names[0] if names else None)
    for item in status.get("containerStatuses") or []:
        if item.get("name") != wanted:
            continue
        state = item.get("state") or {}
        if "waiting" in state:
            reason = (state["waiting"] or {}).get("reason") or "waiting"
            return f"container {wanted} is not running yet ({reason})"
        if "terminated" in state:
            reason = (state["terminated"] or {}).get("reason") or "terminated"
            return f"container {wanted} is not running ({reason})"
    return ""


def _exit_code(status: dict[str, Any]) -> int | None:
    causes = (status.get("details") or {}).get("causes") or []
    for cause in causes:
        if cause.get("reason") == "ExitCode":
            try:
                return int(cause.get("message"))
            except (TypeError, ValueError):
                return None
    return None
