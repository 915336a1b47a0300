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
from krates_desktop.sandbox.status import ApiError, bad_request, invalid
from krates_desktop.sandbox.store import Store, StoredEvent

logger = logging.getLogger(__name__)

Json = dict[str, Any]
ContainerKey = tuple[str, str, str]
HISTORY_LINES = 10_000
PREFILL_LINES = 150
# A container up for this long (kube-proxy in the demo cluster) has a history of
# thousands of lines over its last hours, so a Logs window's tailLines=500 is full.
LONG_RUNNING = timedelta(days=10)
LONG_PREFILL_LINES = 6000
LONG_SPAN = timedelta(hours=2)


@dataclass(frozen=True)
class LogLine:
    """One line a container wrote, without its newline."""

    at: datetime
    data: bytes


class ContainerLog:
    """The lines of a container's latest runs, and the streams following it.

    As with a kubelet, "current" is the latest run (still running, or the one that
    just exited while the container waits to restart) and "previous" the one before.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.profile = chatter.profile_for(name)
        self._runs: deque[deque[LogLine]] = deque(
            [deque(maxlen=HISTORY_LINES)], maxlen=2
        )
        self.followers: set[asyncio.Queue[LogLine | None]] = set()
        self.next_due = 0.0
        self.run_started: str | None = None  # startedAt of the run being written

    @property
    def current(self) -> list[LogLine]:
        """Lines of the latest run."""
        return list(self._runs[-1])

    @property
    def previous(self) -> list[LogLine] | None:
        """Lines of the run before the latest, if there was one."""
        return list(self._runs[0]) if len(self._runs) > 1 else None

    def write(self, lines: Iterable[bytes], at: datetime | None = None) -> None:
        """Append lines to the latest run and hand them to followers."""
        moment = at or clock.now()
        for index, data in enumerate(lines):
            # A burst (a stack trace) is written over some microseconds, not at once.
            line = LogLine(moment + timedelta(microseconds=40 * index), data)
            self._runs[-1].append(line)
            for queue in self.followers:
                queue.put_nowait(line)

    def exited(self) -> None:
        """The container stopped: follow streams reach their end."""
        self.end_followers()

    def started(self) -> None:
        """The container started again: a new run begins."""
        self._runs.append(deque(maxlen=HISTORY_LINES))

    def end_followers(self) -> None:
        """Close every follow stream."""
        for queue in self.followers:
            queue.put_nowait(None)


def _interactive(pod: Json | None, container: str) -> bool:
    """Whether a container's main process is a real one (spec.stdin): its log is
    what that process writes, not chatter."""
    for spec in ((pod or {}).get("spec") or {}).get("containers") or []:
        if spec.get("name") == container:
            return bool(spec.get("stdin"))
    return False


def _running(status: Json) -> bool:
    return "running" in (status.get("state") or {})


class LogHub:
    """Every container's log, fed on a timer for each running container."""

    def __init__(self, store: Store, pods: ResourceKind, rng: random.Random) -> None:
        self._store = store
        self._pods = pods
        self._rng = rng
        self._logs: dict[ContainerKey, ContainerLog] = {}
        self._pace = 1.0
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
        if _interactive(pod, log.name):
            log.run_started = ((status.get("state") or {}).get("running") or {}).get(
                "startedAt"
            )
            return
        state = status.get("state") or {}
        last = (status.get("lastState") or {}).get("terminated")
        image = status.get("image", "")
        if "terminated" in state:
            start = clock.parse(state["terminated"]["startedAt"])
            log.write(chatter.startup_lines(log.name, image), start)
            log.write([b"applied 3 pending migrations", b"done"], start)
            return
        log.run_started = (state.get("running") or {}).get("startedAt")
        if last:
            # A restarted container: back-fill the run before and the one that crashed.
            start, end = clock.parse(last["startedAt"]), clock.parse(last["finishedAt"])
            for earlier in (timedelta(minutes=3), timedelta(0)):
                if not earlier:
                    log.started()
                self._backfill(log, image, start - earlier, end - earlier, 12)
                log.write(chatter.last_words(log.name, self._rng), end - earlier)
            if "running" not in state:
                return
            log.started()
        started = (state.get("running") or {}).get("startedAt")
        if started:
            start, now = clock.parse(started), clock.now()
            if now - start >= LONG_RUNNING:
                self._backfill(log, image, start, now, LONG_PREFILL_LINES, LONG_SPAN)
            else:
                self._backfill(log, image, start, now, PREFILL_LINES)

    def _backfill(
        self,
        log: ContainerLog,
        image: str,
        start: datetime,
        end: datetime,
        count: int,
        span: timedelta = timedelta(minutes=20),
    ) -> None:
        """Startup lines at `start`, then up to `count` lines over the `span` before
        `end`; generated when the log is first read, not at sandbox start."""
        log.write(chatter.startup_lines(log.name, image), start)
        begin = max(start, end - span)
        count = min(count, int((end - begin).total_seconds() / 0.9))
        # The last minute is as busy as the live stream; earlier lines thin out.
        recent = min(count // 2, int(min((end - begin).total_seconds(), 60) / 0.9))
        middle = max(begin, end - timedelta(seconds=60))
        moments = [
            begin + (middle - begin) * (i / max(count - recent, 1))
            for i in range(count - recent)
        ] + [middle + (end - middle) * (i / max(recent, 1)) for i in range(recent)]
        for moment in moments:
            log.write(log.profile(self._rng, moment), moment)

    def tick(self) -> None:
        """Let every running container that is due write its next line(s).

        Only containers whose log has been read (or that the simulation runs) are
        fed; the others are back-filled from their start time when first read.
        """
        now = time.monotonic()
        for (namespace, name, container), log in list(self._logs.items()):
            pod = self._store.get(self._pods, namespace, name)
            status = _container_status(pod, container) if pod else None
            if status is None or not _running(status) or _interactive(pod, container):
                continue
            self._notice_start(log, status)
            if now >= log.next_due:
                if log.next_due:
                    log.write(log.profile(self._rng, clock.now()))
                log.next_due = now + self._rng.uniform(0.3, 1.5) / self._pace

    def _notice_start(self, log: ContainerLog, status: Json) -> None:
        """A container that (re)started since the last tick begins a new run."""
        started = status["state"]["running"].get("startedAt")
        if started == log.run_started:
            return
        if log.run_started is not None or log.current:
            log.started()
        log.run_started = started
        log.write(chatter.startup_lines(log.name, status.get("image", "")))

    async def run(self, pace: float = 1.0) -> None:
        """Feed the logs until cancelled; `pace` 2.0 writes twice as often."""
        self._pace = pace
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
        message = (
            f"a container name must be specified for pod {name}, "
            f"choose one of: [{' '.join(containers)}]"
        )
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
    def parse(cls, query: Mapping[str, str], pod: str = "") -> LogOptions:
        """Read the query and validate it as the API server's PodLogOptions
        validation does (its 422s name the pod)."""

        def number(name: str) -> int | None:
            raw = query.get(name)
            if raw in (None, ""):
                return None
            try:
                return int(raw)
            except ValueError as exc:
                raise bad_request(
                    f'strconv.ParseInt: parsing "{raw}": invalid syntax'
                ) from exc

        tail, limit = number("tailLines"), number("limitBytes")
        seconds, since_time = number("sinceSeconds"), query.get("sinceTime") or None
        _validate(pod, tail, limit, seconds, since_time)
        since = None
        if seconds is not None:
            since = clock.now() - timedelta(seconds=seconds)
        elif since_time is not None:
            try:
                since = clock.parse(since_time)
            except ValueError as exc:
                raise bad_request(
                    f'parsing time "{since_time}" as "2006-01-02T15:04:05Z07:00": '
                    "cannot parse it"
                ) from exc
        return cls(
            container=query.get("container", ""),
            follow=query.get("follow") == "true",
            previous=query.get("previous") == "true",
            timestamps=query.get("timestamps") == "true",
            tail_lines=tail,
            since=since,
            limit_bytes=limit,
        )


def _validate(
    pod: str,
    tail: int | None,
    limit: int | None,
    seconds: int | None,
    since_time: str | None,
) -> None:
    def refuse(field: str, detail: str) -> ApiError:
        return invalid("PodLogOptions", "", pod, field, detail)

    if tail is not None and tail < 0:
        raise refuse(
            "tailLines", f"Invalid value: {tail}: must be greater than or equal to 0"
        )
    if limit is not None and limit < 1:
        raise refuse("limitBytes", f"Invalid value: {limit}: must be greater than 0")
    if seconds is not None and since_time is not None:
        raise ApiError(
            422,
            "Invalid",
            f'PodLogOptions "{pod}" is invalid: [: Forbidden: at most one of '
            "`sinceTime` or `sinceSeconds` may be specified]",
            {"name": pod, "kind": "PodLogOptions"},
        )
    if seconds is not None and seconds < 1:
        raise refuse(
            "sinceSeconds", f"Invalid value: {seconds}: must be greater than 0"
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
    name, namespace = pod["metadata"]["name"], pod["metadata"]["namespace"]
    options = LogOptions.parse(request.query, name)
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
        lines = log.previous
    else:
        reason = _waiting_reason(status)
        if reason is not None:
            raise bad_request(
                f'container "{container}" in pod "{name}" is waiting to start: {reason}'
            )
        lines = log.current
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
