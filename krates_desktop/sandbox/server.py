"""The sandbox server: an HTTPS Kubernetes API on 127.0.0.1 that runs either on the
caller's event loop (`start`/`close`) or on its own loop in a daemon thread
(`start_in_thread`/`stop`), with its users' tokens, the fault switch and the
thread-safe `compact()` for tests."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TypeVar

from aiohttp import web

from krates_desktop.sandbox import bulk, manifests
from krates_desktop.sandbox.api import Api, FlowControl, add_warning, error_middleware
from krates_desktop.sandbox.auth import ADMIN, USER_KEY, Identities, auth_middleware
from krates_desktop.sandbox.crud import read_body, respond
from krates_desktop.sandbox.faults import (
    Faults,
    admin_only,
    describe,
    fault_middleware,
    parse_rule,
)
from krates_desktop.sandbox.impersonation import impersonation_middleware
from krates_desktop.sandbox.kubeconfig import write_kubeconfig
from krates_desktop.sandbox.seed import seed
from krates_desktop.sandbox.simulation import Simulation
from krates_desktop.sandbox.state import DEFAULT_HISTORY, SandboxState
from krates_desktop.sandbox.status import bad_request
from krates_desktop.sandbox.tls import ServerTls, generate_server_tls

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
_BASHRC = """\
# Written by the Krates sandbox: a prompt that names the pod.
PS1='${POD_NAME:-sandbox}:\\w\\$ '
"""


MAX_PODS = 50_000
T = TypeVar("T")


class SandboxError(Exception):
    """The sandbox could not start."""


class Sandbox:
    """An embedded Kubernetes API server seeded with the demo cluster.

    `pods` and `events` add that many generated pods (up to 50,000) and events for
    benchmarks; `load` names manifest files or folders to create at start (CRDs
    first); `pace` scales how fast the cluster moves (2.0 twice as fast, 0 frozen);
    `history` is how many changes a watch can resume across.
    """

    def __init__(
        self,
        port: int = 0,
        state_dir: Path | None = None,
        *,
        pods: int = 0,
        events: int = 0,
        load: Iterable[Path] = (),
        pace: float = 1.0,
        history: int = DEFAULT_HISTORY,
        seed: int | None = None,
    ) -> None:
        if not 0 <= pods <= MAX_PODS:
            raise SandboxError(
                f"--pods must be between 0 and {MAX_PODS:,}, not {pods}."
            )
        if events < 0 or pace < 0 or history < 1:
            raise SandboxError("--events and --pace cannot be negative.")
        self._requested_port = port
        self._owns_state_dir = state_dir is None
        self.state_dir = (
            Path(state_dir)
            if state_dir
            else Path(tempfile.mkdtemp(prefix="krates-sandbox-"))
        )
        self._identities = Identities()
        self._pods, self._events = pods, events
        self._load = [Path(p) for p in load]
        self._pace, self._history, self._seed = pace, history, seed
        self.faults = Faults()
        self.load_problems: list[str] = []
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
        """The admin's bearer token."""
        return self._identities.token(ADMIN.name)

    @property
    def tokens(self) -> Mapping[str, str]:
        """Every sandbox user's bearer token, by user name."""
        return self._identities.tokens()

    def token_for(self, user: str) -> str:
        """The bearer token of one user (`sandbox-admin`, `sandbox-viewer`,
        `payments-dev`)."""
        return self._identities.token(user)

    @property
    def ca_file(self) -> Path:
        """The CA certificate that verifies the server."""
        if self._tls is None:
            raise SandboxError("The sandbox has not been started yet.")
        return self._tls.ca_file

    @property
    def ca_key_file(self) -> Path:
        """The CA's private key, for minting client certificates the sandbox accepts
        (`tls.issue_client_certificate`)."""
        if self._tls is None:
            raise SandboxError("The sandbox has not been started yet.")
        return self._tls.ca_key_file

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
        state = self._state = self._build_state(home)
        api = Api(state)
        app = web.Application(
            middlewares=[
                error_middleware,
                auth_middleware(self._identities),
                impersonation_middleware(state.authorizer),
                fault_middleware(self.faults),
            ],
            client_max_size=16 * 1024 * 1024,
        )
        app.on_response_prepare.append(add_warning)
        app.on_response_prepare.append(FlowControl().add_headers)
        app.router.add_route("*", "/sandbox/faults", self._admin_faults)
        app.router.add_route("*", "/sandbox/compact", self._admin_compact)
        app.router.add_route("*", "/{tail:.*}", api.handle)
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        await web.SockSite(
            self._runner, sock, ssl_context=self._tls.server_context()
        ).start()
        if self._pace > 0:
            simulation = Simulation(state)
            self._tasks = [
                asyncio.create_task(state.logs.run(self._pace), name="sandbox-logs"),
                asyncio.create_task(simulation.run(), name="sandbox-simulation"),
            ]
        logger.info("sandbox listening on %s", self.url)

    def _build_state(self, home: Path) -> SandboxState:
        state = SandboxState.create(home, seed=self._seed, history=self._history)
        state.server_address = f"{HOST}:{self.port}"
        state.pace = self._pace
        seed(state.store, state.registry)
        if self._pods or self._events:
            bulk.fill(state, pods=self._pods, events=self._events)
        if self._load:
            self.load_problems = manifests.load(state, self._load).problems
        state.store.compact()
        return state

    # The admin API (loopback, admin token)

    async def _admin_faults(self, request: web.Request) -> web.Response:
        admin_only(request[USER_KEY].privileged, request.remote)
        if request.method == "POST":
            rule = parse_rule(await read_body(request))
            try:
                self.faults.inject(**rule)  # type: ignore[arg-type]
            except ValueError as exc:
                raise bad_request(str(exc)) from exc
            return respond(describe(self.faults), 201)
        if request.method == "DELETE":
            self.faults.clear()
        elif request.method != "GET":
            raise bad_request("use GET, POST or DELETE on /sandbox/faults")
        return respond(describe(self.faults))

    async def _admin_compact(self, request: web.Request) -> web.Response:
        admin_only(request[USER_KEY].privileged, request.remote)
        if request.method != "POST":
            raise bad_request("use POST on /sandbox/compact")
        store = self.state.store
        store.compact()
        return respond({"compactedTo": store.compacted})

    def compact(self) -> int:
        """Forget the watch history so far, from any thread; returns the newest
        resourceVersion that can no longer be watched from."""

        def compact() -> int:
            store = self.state.store
            store.compact()
            return store.compacted

        return self.call(compact)

    def end_watches(self) -> int:
        """Close every open watch stream cleanly (clients reconnect from their last
        resourceVersion), from any thread; returns how many were open."""
        return self.call(lambda: self.state.store.end_watches())

    def call(self, function: Callable[[], T]) -> T:
        """Run `function` on the sandbox's loop (where the state lives) and return
        its result; called on that loop itself, it just runs it."""
        loop = self._loop
        running = None
        with contextlib.suppress(RuntimeError):
            running = asyncio.get_running_loop()
        if loop is None or running is loop or self._thread is None:
            return function()

        async def wrapper() -> T:
            return function()

        return asyncio.run_coroutine_threadsafe(wrapper(), loop).result(30)

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
        """Write a kubeconfig (mode 0600) for this sandbox: context `krates-sandbox`
        (admin, current), `krates-sandbox-viewer` and `krates-sandbox-payments`."""
        return write_kubeconfig(Path(path), self.url, self.ca_file, self.tokens)
