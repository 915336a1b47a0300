"""`pods/exec` over WebSocket (v5.channel.k8s.io and v4): runs the command as a real
local process, in a PTY when `tty=true` and over pipes otherwise, and speaks the
channel framing kubectl and the Python client expect.

Limitations: the process runs on this machine as the current user, with a HOME
and working directory inside the sandbox's state directory; nothing isolates it.
PTYs need a POSIX system, so on Windows exec answers with a Failure status. SPDY
(kubectl's fallback) is not served.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import struct
import subprocess
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

try:
    import fcntl
    import pty
    import termios
except ImportError:  # Windows: no PTYs
    fcntl = pty = termios = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from krates_desktop.sandbox.store import Store, StoredEvent

logger = logging.getLogger(__name__)

Json = dict[str, Any]
PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "busybox"})
_READ_SIZE = 65536
_MAX_QUEUED = 256


class ProcessTracker:
    """Every process the sandbox started, so `stop()` can end them all."""

    def __init__(self) -> None:
        self._processes: set[subprocess.Popen[bytes]] = set()

    def add(self, process: subprocess.Popen[bytes]) -> None:
        """Track a started process."""
        self._processes.add(process)

    def discard(self, process: subprocess.Popen[bytes]) -> None:
        """Forget a process that has been reaped."""
        self._processes.discard(process)

    def kill_all(self) -> None:
        """Kill each tracked process group and reap it."""
        for process in list(self._processes):
            kill_group(process)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=2)
        self._processes.clear()


def kill_group(
    process: subprocess.Popen[bytes],
    sig: int = getattr(signal, "SIGKILL", signal.SIGTERM),
) -> None:
    """Signal the process group a session leader started (or just the process)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError, AttributeError):
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)


def container_env(pod: Json, spec: Json, home: Path) -> dict[str, str]:
    """The environment a process in one of the pod's containers sees."""
    meta = pod["metadata"]
    env = {
        "PATH": os.environ.get(
            "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        ),
        "HOME": str(home),
        "HOSTNAME": meta["name"],
        "POD_NAME": meta["name"],
        "POD_NAMESPACE": meta["namespace"],
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "KUBERNETES_SERVICE_HOST": "10.96.0.1",
        "KUBERNETES_SERVICE_PORT": "443",
        "KUBERNETES_SERVICE_PORT_HTTPS": "443",
    }
    for entry in spec.get("env") or []:
        if isinstance(entry.get("value"), str):
            env[entry["name"]] = entry["value"]
    return env


def success_status() -> Json:
    """Channel-3 status of a command that exited 0."""
    return {"metadata": {}, "status": "Success"}


def exit_status(code: int) -> Json:
    """Channel-3 status of a command that exited with `code`."""
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"command terminated with non-zero exit code: error executing command "
        f"[{code}], exit code {code}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


def failure_status(message: str) -> Json:
    """Channel-3 status of an exec that could not run at all."""
    return {
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "InternalError",
        "details": {"causes": [{"message": message}]},
        "code": 500,
    }


def _exit_code(returncode: int) -> int:
    """A runtime's exit code: 128+N for a process killed by signal N."""
    return 128 - returncode if returncode < 0 else returncode


def resolve(argv0: str, path: str, image: str) -> str | None:
    """The executable `argv0` names in the container, or None if it has none."""
    if "distroless" in image and os.path.basename(argv0) in SHELLS:
        return None
    if "/" in argv0:
        return argv0 if os.path.isfile(argv0) and os.access(argv0, os.X_OK) else None
    return shutil.which(argv0, path=path)


def not_found_message(argv0: str) -> str:
    """What containerd prints when the command is missing."""
    return (
        "OCI runtime exec failed: exec failed: unable to start container process: "
        f'exec: "{argv0}": executable file not found in $PATH: unknown'
    )


@contextlib.contextmanager
def container_gone(store: Store, pod: Json, container: str) -> Iterator[asyncio.Event]:
    """An event set once the container an exec runs in is gone: its pod deleted, or
    the container stopped or restarted. A kubelet then ends the exec, whose process
    dies with the container."""
    meta = pod["metadata"]
    where = (meta["namespace"], meta["name"])
    run = _run_of(pod, container)
    gone = asyncio.Event()

    def notice(event: StoredEvent) -> None:
        if event.key != ("", "pods"):
            return
        changed = event.new["metadata"]
        if (changed.get("namespace"), changed.get("name")) != where:
            return
        if event.type == "DELETED" or _run_of(event.new, container) != run:
            gone.set()

    store.add_listener(notice)
    try:
        yield gone
    finally:
        store.remove_listener(notice)


def _run_of(pod: Json, container: str) -> tuple[Any, Any] | None:
    """Which run of the container is running: its start and restart count (a quick
    restart may start within the same second); None unless it runs."""
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        if status.get("name") == container:
            running = (status.get("state") or {}).get("running")
            if running is None:
                return None
            return running.get("startedAt"), status.get("restartCount")
    return None


class ExecSession:
    """One exec: a WebSocket on one side, a local process on the other."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        argv: list[str],
        *,
        tty: bool,
        stdin: bool,
        stdout: bool,
        stderr: bool,
        env: Mapping[str, str],
        cwd: Path,
        tracker: ProcessTracker,
        image: str = "",
        gone: asyncio.Event | None = None,
    ) -> None:
        self._ws = ws
        self._container_gone = gone or asyncio.Event()
        self._image = image
        self._argv = argv
        self._tty, self._want_stdin = tty, stdin
        self._want_stdout, self._want_stderr = stdout, stderr
        self._env, self._cwd, self._tracker = dict(env), cwd, tracker
        self._loop = asyncio.get_running_loop()
        self._v5 = ws.ws_protocol == PROTOCOLS[0]
        self._process: subprocess.Popen[bytes] | None = None
        self._stdin_fd: int | None = None
        self._stdin_buffer = bytearray()
        self._stdin_closing = False
        self._size = (24, 80)
        self._sized = asyncio.Event()
        self._client_gone = asyncio.Event()
        self._outputs: dict[int, int] = {}  # fd -> channel
        # Each fd is closed exactly once, by its owner (Popen's file or os.close):
        # a second close could hit a number another thread has reused.
        self._closers: dict[int, Callable[[], None]] = {}
        self._output_done = asyncio.Event()
        self._frames: asyncio.Queue[bytes] = asyncio.Queue()
        self._paused: set[int] = set()

    async def run(self) -> None:
        """Serve the session until the process exits or the client goes away."""
        reader = asyncio.create_task(self._read_client())
        sender = asyncio.create_task(self._send_frames())
        try:
            status = await self._execute()
            await self._drain()
            if not self._client_gone.is_set():
                await self._ws.send_bytes(bytes([ERROR]) + json.dumps(status).encode())
                await self._ws.close(code=1000)
        finally:
            reader.cancel()
            sender.cancel()
            self._cleanup()

    async def _execute(self) -> Json:
        executable = resolve(self._argv[0], self._env.get("PATH", ""), self._image)
        if executable is None:
            channel = STDOUT if self._want_stdout or self._tty else STDERR
            self._frames.put_nowait(
                bytes([channel]) + not_found_message(self._argv[0]).encode() + b"\r\n"
            )
            return exit_status(126)
        if self._tty:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._sized.wait(), 0.3)
        try:
            self._spawn()
        except OSError as exc:
            return failure_status(f"error executing command in container: {exc}")
        code = await self._wait_process()
        if code is None:
            return failure_status("the client closed the connection")
        return success_status() if code == 0 else exit_status(code)

    def _spawn(self) -> None:
        env = dict(self._env)
        if self._tty:
            self._spawn_pty(env)
        else:
            self._spawn_pipes(env)
        assert self._process is not None
        self._tracker.add(self._process)
        logger.debug(
            "exec started pid=%d argv=%s tty=%s",
            self._process.pid,
            self._argv[0],
            self._tty,
        )
        for fd in self._outputs:
            os.set_blocking(fd, False)
            self._loop.add_reader(fd, self._on_readable, fd)
        if not self._outputs:
            self._output_done.set()
        self._flush_stdin()

    def _spawn_pty(self, env: dict[str, str]) -> None:
        assert pty is not None and fcntl is not None and termios is not None
        master, slave = pty.openpty()
        self._apply_size(master)
        env.setdefault("TERM", "xterm-256color")
        env["COLUMNS"], env["LINES"] = str(self._size[1]), str(self._size[0])
        try:
            self._process = subprocess.Popen(
                self._argv,
                stdin=slave,
                stdout=slave,
                stderr=slave,
                cwd=self._cwd,
                env=env,
                start_new_session=True,
                preexec_fn=take_controlling_tty,
            )
        except OSError:
            os.close(master)
            raise
        finally:
            os.close(slave)
        self._stdin_fd = master
        self._outputs[master] = STDOUT
        self._closers[master] = lambda: os.close(master)

    def _spawn_pipes(self, env: dict[str, str]) -> None:
        pipe, null = subprocess.PIPE, subprocess.DEVNULL
        self._process = subprocess.Popen(
            self._argv,
            stdin=pipe if self._want_stdin else null,
            stdout=pipe if self._want_stdout else null,
            stderr=pipe if self._want_stderr else null,
            cwd=self._cwd,
            env=env,
            start_new_session=True,
        )
        for stream, channel in (
            (self._process.stdin, STDIN),
            (self._process.stdout, STDOUT),
            (self._process.stderr, STDERR),
        ):
            if stream is None:
                continue
            self._closers[stream.fileno()] = stream.close
            if channel == STDIN:
                self._stdin_fd = stream.fileno()
                os.set_blocking(self._stdin_fd, False)
            else:
                self._outputs[stream.fileno()] = channel

    async def _wait_process(self) -> int | None:
        assert self._process is not None
        while self._process.poll() is None:
            if self._client_gone.is_set():
                kill_group(self._process, getattr(signal, "SIGHUP", signal.SIGTERM))
                await asyncio.sleep(0.05)
                kill_group(self._process)
                self._process.wait()
                return None
            if self._container_gone.is_set():
                # The container is gone: its processes are killed with it (exit 137).
                kill_group(self._process)
                self._process.wait()
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._client_gone.wait(), 0.05)
        self._tracker.discard(self._process)
        return _exit_code(self._process.returncode)

    async def _drain(self) -> None:
        """Let the last output reach the client (grandchildren may hold the fds)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._output_done.wait(), 0.5)
        for fd in list(self._outputs):
            self._close_output(fd)
        while not self._frames.empty() and not self._client_gone.is_set():
            await asyncio.sleep(0.01)

    # Process output

    def _on_readable(self, fd: int) -> None:
        try:
            data = os.read(fd, _READ_SIZE)
        except BlockingIOError:
            return
        except OSError:  # EIO: the PTY's last writer closed it
            data = b""
        if not data:
            self._close_output(fd)
            return
        self._frames.put_nowait(bytes([self._outputs[fd]]) + data)
        if self._frames.qsize() > _MAX_QUEUED:
            self._loop.remove_reader(fd)
            self._paused.add(fd)

    def _close_output(self, fd: int) -> None:
        if fd not in self._outputs:
            return
        self._loop.remove_reader(fd)
        self._paused.discard(fd)
        del self._outputs[fd]
        if fd != self._stdin_fd:  # the PTY master stays open for input
            self._release(fd)
        if not self._outputs:
            self._output_done.set()

    async def _send_frames(self) -> None:
        while True:
            frame = await self._frames.get()
            try:
                await self._ws.send_bytes(frame)
            except (ConnectionError, RuntimeError):
                self._client_gone.set()
                return
            if self._paused and self._frames.qsize() < _MAX_QUEUED // 4:
                for fd in list(self._paused):
                    self._loop.add_reader(fd, self._on_readable, fd)
                self._paused.clear()

    # Client input

    async def _read_client(self) -> None:
        try:
            async for message in self._ws:
                if message.type == WSMsgType.BINARY:
                    data = bytes(message.data)
                elif message.type == WSMsgType.TEXT:
                    raw = message.data
                    data = (
                        raw.encode("utf-8", "surrogateescape")
                        if isinstance(raw, str)
                        else bytes(raw)
                    )
                else:
                    continue
                if data:
                    self._on_client_frame(data[0], data[1:])
        finally:
            self._client_gone.set()

    def _on_client_frame(self, channel: int, payload: bytes) -> None:
        if channel == STDIN:
            self._stdin_buffer += payload
            self._flush_stdin()
        elif channel == RESIZE:
            self._on_resize(payload)
        elif channel == CLOSE and self._v5 and payload[:1] == bytes([STDIN]):
            self._stdin_closing = True
            self._flush_stdin()

    def _on_resize(self, payload: bytes) -> None:
        try:
            size = json.loads(payload)
            rows, cols = int(size["Height"]), int(size["Width"])
        except (ValueError, KeyError, TypeError):
            logger.debug("ignored malformed resize %r", payload[:80])
            return
        self._size = (rows, cols)
        self._sized.set()
        if self._tty and self._stdin_fd is not None:
            self._apply_size(self._stdin_fd)

    def _apply_size(self, fd: int) -> None:
        assert fcntl is not None and termios is not None
        rows, cols = self._size
        with contextlib.suppress(OSError):
            fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def _flush_stdin(self) -> None:
        fd = self._stdin_fd
        if fd is None or self._process is None:
            return
        if self._stdin_buffer:
            try:
                written = os.write(fd, self._stdin_buffer)
                del self._stdin_buffer[:written]
            except BlockingIOError:
                pass
            except OSError:
                self._stdin_buffer.clear()
            if self._stdin_buffer:
                self._loop.add_writer(fd, self._on_writable)
                return
        if self._stdin_closing:
            self._stdin_closing = False
            if self._tty:
                with contextlib.suppress(OSError):
                    os.write(fd, b"\x04")
            else:
                self._stdin_fd = None
                self._release(fd)

    def _on_writable(self) -> None:
        if self._stdin_fd is not None:
            self._loop.remove_writer(self._stdin_fd)
        self._flush_stdin()

    def _release(self, fd: int) -> None:
        closer = self._closers.pop(fd, None)
        if closer is not None:
            with contextlib.suppress(OSError):
                closer()

    def _cleanup(self) -> None:
        for fd in list(self._outputs):
            self._close_output(fd)
        if self._stdin_fd is not None:
            self._loop.remove_writer(self._stdin_fd)
            self._stdin_fd = None
        for fd in list(self._closers):
            self._release(fd)
        if self._process is not None and self._process.poll() is None:
            kill_group(self._process)


def take_controlling_tty() -> None:
    """In the child, after setsid: make the PTY slave on fd 0 the controlling tty."""
    assert fcntl is not None and termios is not None
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


async def serve_exec(
    request: web.Request,
    argv: list[str],
    env: Mapping[str, str],
    cwd: Path,
    tracker: ProcessTracker,
    image: str = "",
    gone: asyncio.Event | None = None,
) -> web.WebSocketResponse:
    """Upgrade to WebSocket and run one exec session (ended when `gone` is set)."""
    query = request.query
    ws = web.WebSocketResponse(protocols=PROTOCOLS, autoping=True, max_msg_size=0)
    await ws.prepare(request)
    if pty is None and query.get("tty") == "true":
        status = failure_status("the sandbox cannot allocate a TTY on this system")
        await ws.send_bytes(bytes([ERROR]) + json.dumps(status).encode())
        await ws.close(code=1000)
        return ws
    session = ExecSession(
        ws,
        argv,
        tty=query.get("tty") == "true",
        stdin=query.get("stdin") == "true",
        stdout=query.get("stdout") == "true",
        stderr=query.get("stderr") == "true",
        env=env,
        cwd=cwd,
        tracker=tracker,
        image=image,
        gone=gone,
    )
    await session.run()
    return ws
