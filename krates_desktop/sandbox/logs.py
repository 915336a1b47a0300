"""Container logs: a bounded history per container that grows while the container
runs, the previous run's lines after a restart, and the `pods/log` endpoint with
`follow`, `tailLines`, `timestamps`, `previous`, `sinceSeconds`, `sinceTime` and
`limitBytes`."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from krates_desktop.sandbox import chatter, clock
from krates_desktop.sandbox.kinds import ResourceKind
from krates_desktop.sandbox.status import bad_request
from krates_desktop.sandbox.store import Store, StoredEvent

logger = logging.getLogger(__name__)

Json = dict[str, Any]
ContainerKey = tuple[str, str, str]
HISTORY_LINES = 2000
PREFILL_LINES = 150


@dataclass(frozen=True)
class LogLine:
    """One line a container wrote, without its newline."""

    at: datetime
    data: bytes


class ContainerLog:
    """The lines of one container's current and previous run, and their followers."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.profile = chatter.profile_for(name)
        self.current: deque[LogLine] = deque(maxlen=HISTORY_LINES)
        self.previous: deque[LogLine] | None = None
        self.followers: set[asyncio.Queue[LogLine | None]] = set()
        self.next_due = 0.0

    def write(self, lines: Iterable[bytes], at: datetime | None = None) -> None:
        """Append lines and hand them to followers."""
        moment = at or clock.now()
        for data in lines:
            line = LogLine(moment, data)
            self.current.append(line)
            for queue in self.followers:
                queue.put_nowait(line)

    def restart(self) -> None:
        """The container exited: its lines become `previous`; followers reach EOF."""
        self.previous, self.current = self.current, deque(maxlen=HISTORY_LINES)
        self.end_followers()

    def end_followers(self) -> None:
        """Close every follow stream."""
        for queue in self.followers:
            queue.put_nowait(None)


def _running(status: Json) -> bool:
    return "running" in (status.get("state") or {})


class LogHub:
    """Every container's log, fed on a timer for each running container."""

    def __init__(self, store: Store, pods: ResourceKind, rng: random.Random) -> None:
        self._store = store
        self._pods = pods
        self._rng = rng
        self._logs: dict[ContainerKey, ContainerLog] = {}
        store.add_listener(self._on_event)

    def log(self, namespace: str, pod: str, container: str) -> ContainerLog:
        """The log of one container, created (and back-filled) on first use."""
        key = (namespace, pod, container)
        found = self._logs.get(key)
        if found is None:
            found = self._logs[key] = ContainerLog(container)
            self._prefill(found, namespace, pod)
        return found

    def _prefill(self, log: ContainerLog, namespace: str, pod_name: str) -> None:
        pod = self._store.get(self._pods, namespace, pod_name)
        status = _container_status(pod, log.name) if pod else None
        if status is None:
            return
        state = status.get("state") or {}
        started = (state.get("running") or state.get("terminated") or {}).get(
            "startedAt"
        )
        if not started:
            return
        start = clock.parse(started)
        log.write(chatter.startup_lines(log.name, status.get("image", "")), start)
        if "terminated" in state:
            log.write([b"applied 3 pending migrations", b"done"], start)
            return
        span = min(clock.now() - start, timedelta(minutes=20))
        for index in range(PREFILL_LINES):
            moment = clock.now() - span + span * (index / PREFILL_LINES)
            log.write(log.profile(self._rng, moment), moment)

    def tick(self) -> None:
        """Let every running container that is due write its next line(s)."""
        now = time.monotonic()
        for pod in self._store.list(self._pods):
            meta = pod["metadata"]
            for status in (pod.get("status") or {}).get("containerStatuses") or []:
                if not _running(status):
                    continue
                log = self.log(meta["namespace"], meta["name"], status["name"])
                if now >= log.next_due:
                    if log.next_due:
                        log.write(log.profile(self._rng, clock.now()))
                    log.next_due = now + self._rng.uniform(0.3, 1.5)

    async def run(self) -> None:
        """Feed the logs until cancelled."""
        while True:
            try:
                self.tick()
            except Exception:  # a bad object must not silence every container
                logger.exception("log tick failed")
            await asyncio.sleep(0.1)

    def _on_event(self, event: StoredEvent) -> None:
        if event.key != self._pods.key or event.type != "DELETED":
            return
        meta = event.new["metadata"]
        for key in [
            k for k in self._logs if k[:2] == (meta["namespace"], meta["name"])
        ]:
            self._logs.pop(key).end_followers()


def _container_status(pod: Json, name: str) -> Json | None:
    status = pod.get("status") or {}
    for entry in (status.get("containerStatuses") or []) + (
        status.get("initContainerStatuses") or []
    ):
        if entry.get("name") == name:
            found: Json = entry
            return found
    return None


def choose_container(pod: Json, requested: str) -> str:
    """The container a log or exec request addresses, with the server's 400s."""
    spec = pod.get("spec") or {}
    name = pod["metadata"]["name"]
    containers = [c["name"] for c in spec.get("containers") or []]
    inits = [c["name"] for c in spec.get("initContainers") or []]
    ephemeral = [c["name"] for c in spec.get("ephemeralContainers") or []]
    if not requested:
        if len(containers) == 1:
            return str(containers[0])
        message = f"a container name must be specified for pod {name}, choose one of: [{' '.join(containers)}]"
        if inits:
            message += f" or one of the init containers: [{' '.join(inits)}]"
        raise bad_request(message)
    if requested not in containers + inits + ephemeral:
        raise bad_request(f"container {requested} is not valid for pod {name}")
    return requested


def _waiting_reason(status: Json | None) -> str | None:
    """Why a container that never ran cannot give logs, or None if it has run."""
    if status is None:
        return "ContainerCreating"
    waiting = (status.get("state") or {}).get("waiting")
    if waiting is not None and not status.get("restartCount"):
        return waiting.get("reason") or "ContainerCreating"
    return None


@dataclass(frozen=True)
class LogOptions:
    """The query parameters of a `pods/log` request."""

    container: str
    follow: bool
    previous: bool
    timestamps: bool
    tail_lines: int | None
    since: datetime | None
    limit_bytes: int | None

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> LogOptions:
        """Read and validate the query."""

        def number(name: str) -> int | None:
            raw = query.get(name)
            if raw in (None, ""):
                return None
            try:
                return int(raw)
            except ValueError as exc:
                raise bad_request(f"invalid {name}: {raw!r}") from exc

        since = None
        if (seconds := number("sinceSeconds")) is not None:
            since = clock.now() - timedelta(seconds=seconds)
        elif query.get("sinceTime"):
            since = clock.parse(query["sinceTime"])
        return cls(
            container=query.get("container", ""),
            follow=query.get("follow") == "true",
            previous=query.get("previous") == "true",
            timestamps=query.get("timestamps") == "true",
            tail_lines=number("tailLines"),
            since=since,
            limit_bytes=number("limitBytes"),
        )


def _render(line: LogLine, timestamps: bool) -> bytes:
    prefix = (clock.rfc3339_nano(line.at) + " ").encode() if timestamps else b""
    return prefix + line.data + b"\n"


class _Budget:
    """Counts bytes against `limitBytes`."""

    def __init__(self, limit: int | None) -> None:
        self.left = limit

    def take(self, data: bytes) -> bytes:
        if self.left is None:
            return data
        data = data[: self.left]
        self.left -= len(data)
        return data

    @property
    def spent(self) -> bool:
        return self.left is not None and self.left <= 0


async def serve_log(request: web.Request, hub: LogHub, pod: Json) -> web.StreamResponse:
    """Answer `GET .../pods/NAME/log`."""
    options = LogOptions.parse(request.query)
    name, namespace = pod["metadata"]["name"], pod["metadata"]["namespace"]
    container = choose_container(pod, options.container)
    status = _container_status(pod, container)
    log = hub.log(namespace, name, container)
    if options.previous:
        if (
            not ((status or {}).get("lastState") or {}).get("terminated")
            or log.previous is None
        ):
            raise bad_request(
                f'previous terminated container "{container}" in pod "{name}" not found'
            )
        lines = list(log.previous)
    else:
        reason = _waiting_reason(status)
        if reason is not None:
            raise bad_request(
                f'container "{container}" in pod "{name}" is waiting to start: {reason}'
            )
        lines = list(log.current)
    if options.since is not None:
        lines = [line for line in lines if line.at >= options.since]
    if options.tail_lines is not None:
        lines = lines[-options.tail_lines :] if options.tail_lines > 0 else []
    follow = (
        options.follow
        and not options.previous
        and status is not None
        and _running(status)
    )
    return await _stream(request, log, lines, options, follow)


async def _stream(
    request: web.Request,
    log: ContainerLog,
    lines: list[LogLine],
    options: LogOptions,
    follow: bool,
) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    response.enable_chunked_encoding()
    budget = _Budget(options.limit_bytes)
    queue: asyncio.Queue[LogLine | None] = asyncio.Queue()
    if follow:
        log.followers.add(queue)
    try:
        await response.prepare(request)
        history = budget.take(
            b"".join(_render(line, options.timestamps) for line in lines)
        )
        if history:
            await response.write(history)
        while follow and not budget.spent:
            line = await queue.get()
            if line is None:
                break
            await response.write(budget.take(_render(line, options.timestamps)))
        await response.write_eof()
    finally:
        log.followers.discard(queue)
    return response
