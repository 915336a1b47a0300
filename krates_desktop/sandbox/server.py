"""The sandbox server: an HTTPS Kubernetes API on 127.0.0.1 that runs either on the
caller's event loop (`start`/`close`) or on its own loop in a daemon thread
(`start_in_thread`/`stop`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import socket
import tempfile
import threading
from pathlib import Path

from aiohttp import web

from krates_desktop.sandbox.api import Api, error_middleware
from krates_desktop.sandbox.auth import BearerToken, auth_middleware
from krates_desktop.sandbox.kubeconfig import write_kubeconfig
from krates_desktop.sandbox.seed import seed
from krates_desktop.sandbox.simulation import Simulation
from krates_desktop.sandbox.state import SandboxState
from krates_desktop.sandbox.tls import ServerTls, generate_server_tls

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
_BASHRC = """\
# Written by the Krates sandbox: a prompt that names the pod.
PS1='${POD_NAME:-sandbox}:\\w\\$ '
"""


class SandboxError(Exception):
    """The sandbox could not start."""


class Sandbox:
    """An embedded Kubernetes API server seeded with the demo cluster."""

    def __init__(self, port: int = 0, state_dir: Path | None = None) -> None:
        self._requested_port = port
        self._owns_state_dir = state_dir is None
        self.state_dir = (
            Path(state_dir)
            if state_dir
            else Path(tempfile.mkdtemp(prefix="krates-sandbox-"))
        )
        self._token = BearerToken()
        self.port = 0
        self._tls: ServerTls | None = None
        self._state: SandboxState | None = None
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopping: asyncio.Event | None = None

    def __repr__(self) -> str:
        return f"Sandbox(url={self.url!r}, state_dir={str(self.state_dir)!r})"

    @property
    def url(self) -> str:
        """`https://127.0.0.1:PORT`."""
        return f"https://{HOST}:{self.port}"

    @property
    def token(self) -> str:
        """The bearer token clients must send."""
        return self._token.reveal()

    @property
    def ca_file(self) -> Path:
        """The CA certificate that verifies the server."""
        if self._tls is None:
            raise SandboxError("The sandbox has not been started yet.")
        return self._tls.ca_file

    @property
    def state(self) -> SandboxState:
        """The live state (for code running on the sandbox's loop)."""
        if self._state is None:
            raise SandboxError("The sandbox has not been started yet.")
        return self._state

    # On the caller's loop

    async def start(self) -> None:
        """Bind 127.0.0.1:port, seed the cluster and start serving."""
        self._tls = generate_server_tls(self.state_dir / "tls")
        home = self.state_dir / "home"
        home.mkdir(parents=True, exist_ok=True)
        bashrc = home / ".bashrc"
        if not bashrc.exists():
            bashrc.write_text(_BASHRC, encoding="utf-8")
        sock = self._bind()
        self.port = sock.getsockname()[1]
        state = self._state = SandboxState.create(home)
        state.server_address = f"{HOST}:{self.port}"
        seed(state.store, state.registry)
        api = Api(state)
        app = web.Application(
            middlewares=[error_middleware, auth_middleware(self._token)],
            client_max_size=16 * 1024 * 1024,
        )
        app.router.add_route("*", "/{tail:.*}", api.handle)
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        await web.SockSite(
            self._runner, sock, ssl_context=self._tls.server_context()
        ).start()
        simulation = Simulation(state)
        self._tasks = [
            asyncio.create_task(state.logs.run(), name="sandbox-logs"),
            asyncio.create_task(simulation.run(), name="sandbox-simulation"),
        ]
        logger.info("sandbox listening on %s", self.url)

    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, self._requested_port))
        except OSError as exc:
            sock.close()
            raise SandboxError(
                f"The sandbox cannot listen on {HOST}:{self._requested_port} ({exc.strerror}); "
                "choose another port or --port 0 for a free one."
            ) from exc
        return sock

    async def close(self) -> None:
        """Stop serving, end every shell the sandbox started, and clean up."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._state is not None:
            self._state.tracker.kill_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._owns_state_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)
        logger.info("sandbox stopped")

    # On a thread of its own

    def start_in_thread(self) -> None:
        """Run on a new event loop in a daemon thread; return once listening."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def main() -> None:
            with asyncio.Runner(loop_factory=asyncio.SelectorEventLoop) as runner:
                self._loop = runner.get_loop()
                try:
                    runner.run(self._serve_until_stopped(ready))
                except BaseException as exc:  # reported to the starting thread
                    failure.append(exc)
                    ready.set()

        self._thread = threading.Thread(target=main, name="krates-sandbox", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]

    async def _serve_until_stopped(self, ready: threading.Event) -> None:
        self._stopping = asyncio.Event()
        try:
            await self.start()
            ready.set()
            await self._stopping.wait()
        finally:
            await self.close()

    def stop(self) -> None:
        """Stop a sandbox started with `start_in_thread` and wait for its thread."""
        if self._thread is None or self._loop is None or self._stopping is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop already closed
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(timeout=15)
        self._thread = None

    def write_kubeconfig(self, path: Path) -> Path:
        """Write a kubeconfig (context `krates-sandbox`, mode 0600) for this sandbox."""
        return write_kubeconfig(Path(path), self.url, self.ca_file, self.token)
