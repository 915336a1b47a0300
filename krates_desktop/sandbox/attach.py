"""`pods/attach` over WebSocket (v5 and v4 framing, as exec).

A container declared with `stdin: true` (as `kubectl run -it` makes them) has a
main process: a real local process (its `command`/`args`, or `sh`), in a PTY when
the container has `tty: true`, started at the first attach and kept running
between attaches. Attaching connects to it: its output goes to every attached
client and to the container's log, their input to its stdin, their resizes to
its terminal. When it exits, attached clients get its exit status on channel 3
(Success: the exit code is in the container's terminated state) and the
container is marked terminated (or restarted, per restartPolicy);
`stdinOnce` closes its stdin when the first attach ends.

Attaching to any other container streams what it writes from then on, like
`kubectl attach` to a server process.

Limitations: the main process runs on this machine as the current user, like
exec; nothing isolates it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from krates_desktop.sandbox import clock, logs
from krates_desktop.sandbox.exec import (
    CLOSE,
    ERROR,
    PROTOCOLS,
    RESIZE,
    STDERR,
    STDIN,
    STDOUT,
    ProcessTracker,
    container_env,
    kill_group,
    resolve,
    success_status,
    take_controlling_tty,
)
from krates_desktop.sandbox.objects import refresh_pod_status, running, terminated
from krates_desktop.sandbox.routes import Target
from krates_desktop.sandbox.state import SandboxState
from krates_desktop.sandbox.status import bad_request

try:
    import fcntl
    import pty
    import termios
except ImportError:  # Windows: no PTYs
    fcntl = pty = termios = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

Json = dict[str, Any]
ContainerKey = tuple[str, str, str]
Listener = Callable[[int, bytes], None]
_READ_SIZE = 65536


class MainProcess:
    """The long-lived process of one interactive container."""

    def __init__(
        self,
        key: ContainerKey,
        argv: list[str],
        env: dict[str, str],
        cwd: Path,
        tty: bool,
        tracker: ProcessTracker,
        on_exit: Callable[[MainProcess], None],
    ) -> None:
        self.key = key
        self.tty = tty
        self.listeners: set[Listener] = set()
        self.exited = asyncio.Event()
        self.exit_code: int | None = None
        self.attaches = 0
        self._on_exit = on_exit
        self._tracker = tracker
        self._loop = asyncio.get_running_loop()
        self._outputs: dict[int, int] = {}
        self._stdin: int | None = None
        self._partial = b""
        self._log_lines: Callable[[list[bytes]], None] | None = None
        self._process = self._spawn(argv, env, cwd)
        tracker.add(self._process)
        for fd in self._outputs:
            os.set_blocking(fd, False)
            self._loop.add_reader(fd, self._on_readable, fd)
        self._waiter = self._loop.create_task(self._wait())

    def _spawn(
        self, argv: list[str], env: dict[str, str], cwd: Path
    ) -> subprocess.Popen[bytes]:
        if self.tty:
            assert pty is not None
            master, slave = pty.openpty()
            env.setdefault("TERM", "xterm-256color")
            try:
                process = subprocess.Popen(
                    argv, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env,
                    start_new_session=True, preexec_fn=take_controlling_tty,
                )  # fmt: skip
            finally:
                os.close(slave)
            self._stdin = master
            self._outputs[master] = STDOUT
            return process
        process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=cwd, env=env, start_new_session=True,
        )  # fmt: skip
        assert process.stdin and process.stdout and process.stderr
        self._stdin = os.dup(process.stdin.fileno())
        process.stdin.close()
        for stream, channel in ((process.stdout, STDOUT), (process.stderr, STDERR)):
            fd = os.dup(stream.fileno())
            stream.close()
            self._outputs[fd] = channel
        return process

    def log_to(self, write: Callable[[list[bytes]], None]) -> None:
        """Also write complete output lines to the container's log."""
        self._log_lines = write

    def _on_readable(self, fd: int) -> None:
        try:
            data = os.read(fd, _READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._loop.remove_reader(fd)
            channel = self._outputs.pop(fd)
            if fd != self._stdin:
                os.close(fd)
            logger.debug("main process %s closed channel %d", self.key, channel)
            return
        channel = self._outputs[fd]
        for listener in list(self.listeners):
            listener(channel, data)
        if self._log_lines is not None:
            lines = (self._partial + data).split(b"\n")
            self._partial = lines.pop()[-4096:]
            if lines:
                self._log_lines([line.rstrip(b"\r") for line in lines])

    def write(self, data: bytes) -> None:
        """Pass client input to the process's stdin (or its terminal)."""
        if self._stdin is None:
            return
        with contextlib.suppress(OSError):
            os.write(self._stdin, data)

    def close_stdin(self) -> None:
        """End the process's input: ^D on a terminal, closing the pipe otherwise."""
        if self._stdin is None:
            return
        if self.tty:
            self.write(b"\x04")
            return
        with contextlib.suppress(OSError):
            os.close(self._stdin)
        self._stdin = None

    def resize(self, rows: int, cols: int) -> None:
        """Set the terminal size of a tty process."""
        if self.tty and self._stdin is not None and fcntl is not None:
            packed = struct.pack("HHHH", rows, cols, 0, 0)
            with contextlib.suppress(OSError):
                fcntl.ioctl(self._stdin, termios.TIOCSWINSZ, packed)

    async def _wait(self) -> None:
        while self._process.poll() is None:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.05)  # let the last output through
        for fd in list(self._outputs):
            self._on_readable(fd)
        self._close()
        code = self._process.returncode
        self.exit_code = 128 - code if code < 0 else code
        self._tracker.discard(self._process)
        self.exited.set()
        self._on_exit(self)

    def _close(self) -> None:
        for fd in list(self._outputs):
            self._loop.remove_reader(fd)
            if fd != self._stdin:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._outputs.clear()
        if self._stdin is not None:
            with contextlib.suppress(OSError):
                os.close(self._stdin)
            self._stdin = None

    def kill(self) -> None:
        """End the process (the pod was deleted or the sandbox stops)."""
        kill_group(self._process)


class AttachHub:
    """The main processes of the interactive containers of one sandbox."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._processes: dict[ContainerKey, MainProcess] = {}
        state.store.add_listener(self._on_event)

    def process(self, pod: Json, spec: Json) -> MainProcess:
        """The running main process of a container, started if need be."""
        meta = pod["metadata"]
        key = (meta["namespace"], meta["name"], spec["name"])
        found = self._processes.get(key)
        if found is not None and not found.exited.is_set():
            return found
        argv = list(spec.get("command") or []) + list(spec.get("args") or [])
        env = container_env(pod, spec, self.state.home)
        executable = resolve((argv or ["sh"])[0], env["PATH"], spec.get("image", ""))
        if executable is None:
            raise bad_request(f"container {spec['name']} has no executable {argv[:1]}")
        process = MainProcess(
            key,
            argv or ["sh"],
            env,
            self.state.home,
            bool(spec.get("tty")),
            self.state.tracker,
            self._exited,
        )
        log = self.state.logs.log(*key)
        process.log_to(log.write)
        self._processes[key] = process
        return process

    def _exited(self, process: MainProcess) -> None:
        namespace, name, container = process.key
        pods = self.state.kind("", "pods")
        pod = self.state.store.get(pods, namespace, name)
        if pod is None:
            return
        code = process.exit_code or 0
        restart = (pod.get("spec") or {}).get("restartPolicy", "Always")
        again = restart == "Always" or (restart == "OnFailure" and code != 0)
        now = clock.rfc3339(clock.now())

        def record(obj: Json) -> None:
            for status in obj["status"].get("containerStatuses") or []:
                if status["name"] != container:
                    continue
                started = (
                    (status.get("state") or {}).get("running", {}).get("startedAt")
                )
                ended = terminated(
                    "Completed" if code == 0 else "Error", code, started or now, now
                )
                if again:
                    status["lastState"] = ended
                    status["restartCount"] = int(status.get("restartCount", 0)) + 1
                    status["state"] = running(now)
                else:
                    status["state"] = ended
                    status["ready"] = status["started"] = False
            refresh_pod_status(obj)
            if not again:
                obj["status"]["phase"] = "Succeeded" if code == 0 else "Failed"

        self.state.store.mutate(pods, namespace, name, record)
        self.state.logs.log(*process.key).exited()

    def _on_event(self, event: Any) -> None:
        if event.key != ("", "pods") or event.type != "DELETED":
            return
        meta = event.new["metadata"]
        for key in [
            k for k in self._processes if k[:2] == (meta["namespace"], meta["name"])
        ]:
            self._processes.pop(key).kill()


class AttachSession:
    """One attached WebSocket client."""

    def __init__(self, ws: web.WebSocketResponse, query: Any) -> None:
        self.ws = ws
        self.v5 = ws.ws_protocol == PROTOCOLS[0]
        self.want = {
            STDIN: query.get("stdin") == "true",
            STDOUT: query.get("stdout") == "true",
            STDERR: query.get("stderr") == "true",
        }
        self.tty = query.get("tty") == "true"
        self.frames: asyncio.Queue[bytes | None] = asyncio.Queue()

    def deliver(self, channel: int, data: bytes) -> None:
        """Queue output for the client (a tty has one stream, on stdout)."""
        if self.tty:
            channel = STDOUT
        if self.want.get(channel):
            self.frames.put_nowait(bytes([channel]) + data)

    async def send(self) -> None:
        while (frame := await self.frames.get()) is not None:
            await self.ws.send_bytes(frame)

    async def finish(self, status: Json) -> None:
        """Send the status on channel 3 and close normally."""
        self.frames.put_nowait(None)
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self.ws.send_bytes(bytes([ERROR]) + json.dumps(status).encode())
            await self.ws.close(code=1000)


async def _read_client(session: AttachSession, process: MainProcess | None) -> None:
    async for message in session.ws:
        if message.type == WSMsgType.BINARY:
            data = bytes(message.data)
        elif message.type == WSMsgType.TEXT:
            data = str(message.data).encode("utf-8", "surrogateescape")
        else:
            continue
        if not data or process is None:
            continue
        channel, payload = data[0], data[1:]
        if channel == STDIN and session.want[STDIN]:
            process.write(payload)
        elif channel == RESIZE:
            with contextlib.suppress(ValueError, KeyError, TypeError):
                size = json.loads(payload)
                process.resize(int(size["Height"]), int(size["Width"]))
        elif channel == CLOSE and session.v5 and payload[:1] == bytes([STDIN]):
            process.close_stdin()


async def _attach_process(
    session: AttachSession, process: MainProcess, once: bool
) -> None:
    process.listeners.add(session.deliver)
    process.attaches += 1
    sender = asyncio.create_task(session.send())
    reader = asyncio.create_task(_read_client(session, process))
    exited = asyncio.create_task(process.exited.wait())
    try:
        await asyncio.wait({reader, exited}, return_when=asyncio.FIRST_COMPLETED)
        if process.exited.is_set():
            # As from a kubelet: the attach itself succeeded, whatever the exit code
            # (clients read that from the container's terminated state).
            await asyncio.sleep(0.05)
            await session.finish(success_status())
        elif once:
            process.close_stdin()
    finally:
        process.listeners.discard(session.deliver)
        for task in (sender, reader, exited):
            task.cancel()


async def _attach_log(session: AttachSession, log: logs.ContainerLog) -> None:
    """Stream what a non-interactive container writes from now on."""
    queue: asyncio.Queue[logs.LogLine | None] = asyncio.Queue()
    log.followers.add(queue)
    reader = asyncio.create_task(_read_client(session, None))
    sender = asyncio.create_task(session.send())
    try:
        while not reader.done():
            getter = asyncio.create_task(queue.get())
            await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
            if not getter.done():
                getter.cancel()
                break
            line = getter.result()
            if line is None:
                await session.finish(success_status())
                break
            session.deliver(STDOUT, line.data + b"\n")
    finally:
        log.followers.discard(queue)
        reader.cancel()
        sender.cancel()


def _attachable(pod: Json, container: str) -> Json:
    phase = (pod.get("status") or {}).get("phase")
    if phase in ("Succeeded", "Failed"):
        raise bad_request(
            f"cannot attach a container in a completed pod; current phase is {phase}"
        )
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    status = next((s for s in statuses if s.get("name") == container), None)
    if status is None or "running" not in (status.get("state") or {}):
        raise bad_request(f'container not found ("{container}")')
    return next(c for c in pod["spec"]["containers"] if c["name"] == container)


async def serve_attach(
    request: web.Request, state: SandboxState, target: Target
) -> web.StreamResponse:
    """Answer `.../pods/NAME/attach` (after authorization)."""
    pod = state.store.require(target.kind, target.namespace or "", target.name or "")
    container = logs.choose_container(pod, request.query.get("container", ""))
    spec = _attachable(pod, container)
    if request.headers.get("Upgrade", "").lower() != "websocket":
        raise bad_request(
            "the sandbox serves attach over WebSocket only "
            "(v5.channel.k8s.io or v4.channel.k8s.io), not SPDY"
        )
    if state.attachments is None:
        state.attachments = AttachHub(state)
    hub: AttachHub = state.attachments
    process = hub.process(pod, spec) if spec.get("stdin") else None
    ws = web.WebSocketResponse(protocols=PROTOCOLS, autoping=True, max_msg_size=0)
    await ws.prepare(request)
    session = AttachSession(ws, request.query)
    if process is not None:
        once = bool(spec.get("stdinOnce")) and process.attaches == 0
        await _attach_process(session, process, once)
    else:
        meta = pod["metadata"]
        await _attach_log(
            session, state.logs.log(meta["namespace"], meta["name"], container)
        )
    return ws
