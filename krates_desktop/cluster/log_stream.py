"""Following a container's log, the way ``kubectl logs --follow`` does, on a worker.

The stream is read as raw bytes, decoded incrementally (UTF-8 by default, or a
charset the user picks) with replacement characters, so a multi-byte character
split across chunks stays whole and a stray Latin-1 byte costs one character, not
the log. Text is split into lines at LF, CRLF or a lone CR. Lines and status
values reach the callbacks in order, in batches; no line is dropped on the way.

The server is asked for timestamps, which are stripped before the lines are
handed on (unless asked to keep them). When the stream ends (the container
restarted, the server timed out, the connection broke) the status becomes
:class:`Ended` and the stream reconnects with ``sinceTime`` set to the last line's
second, skipping what it already delivered, so a reconnect neither repeats nor
loses lines. Reconnects back off 1 s, 2 s, 4 s ... up to 30 s; a 429 waits as the
server asks; a 401 refreshes the credentials once.

Every open stream counts against the context's cap (:mod:`.streams`); past it
the stream fails at once with the limit in :attr:`Failed.limit`.

Limitations: resuming relies on the server's timestamps growing; lines a
container writes with a timestamp older than the last one seen (a clock step
back) may be missed after a reconnect.
"""

from __future__ import annotations

import codecs
import logging
import re
import threading
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import urllib3
from kubernetes.client import ApiClient

from krates_desktop.cluster import api, streams
from krates_desktop.cluster.backoff import Backoff
from krates_desktop.cluster.batching import Batcher
from krates_desktop.cluster.errors import (
    AccessDenied,
    ClusterError,
    ConnectionFailed,
    NotFound,
)
from krates_desktop.cluster.streams import LimitReached
from krates_desktop.cluster.transport import new_api_client

log = logging.getLogger(__name__)

_BREAK = re.compile(r"\r\n|\r|\n")
_STAMP = re.compile(
    r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d) "
)
_NOT_STARTED = (
    "waiting to start",
    "ContainerCreating",
    "PodInitializing",
    "not started",
)
DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container"


@dataclass(frozen=True)
class Connecting:
    """The log request is being sent."""


@dataclass(frozen=True)
class Streaming:
    """The stream is open; lines arrive as the container writes them."""


@dataclass(frozen=True)
class Ended:
    """The stream ended; it reconnects after a pause (unless it showed a finished run)."""


@dataclass(frozen=True)
class Failed:
    """The log cannot be read: ``message`` says why, for the person reading it.

    ``limit`` is set when the context's cap on log streams was reached; its
    ``close_oldest()`` frees a place.
    """

    message: str
    limit: LimitReached | None = field(default=None, compare=False)


StreamStatus = Connecting | Streaming | Ended | Failed


@dataclass(frozen=True)
class Containers:
    """A pod's containers for the Logs window: grouped, with the one to open first."""

    init: tuple[str, ...]
    regular: tuple[str, ...]
    ephemeral: tuple[str, ...]
    default: str | None

    def all(self) -> tuple[str, ...]:
        """Every container, init containers first."""
        return self.init + self.regular + self.ephemeral


def containers_of(pod: Mapping[str, Any]) -> Containers:
    """The containers of ``pod`` and the default one (annotation, else first regular)."""
    spec = pod.get("spec") or {}

    def names(key: str) -> tuple[str, ...]:
        return tuple(str(c.get("name")) for c in spec.get(key) or [] if c.get("name"))

    regular = names("containers")
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    named = annotations.get(DEFAULT_CONTAINER)
    default = named if named in regular else (regular[0] if regular else None)
    return Containers(
        names("initContainers"), regular, names("ephemeralContainers"), default
    )


def previous_available(pod: Mapping[str, Any], container: str) -> bool:
    """Whether ``container`` has a previous run to show (it restarted at least once)."""
    status = pod.get("status") or {}
    for key in (
        "initContainerStatuses",
        "containerStatuses",
        "ephemeralContainerStatuses",
    ):
        for item in status.get(key) or []:
            if item.get("name") != container:
                continue
            restarted = int(item.get("restartCount") or 0) > 0
            return restarted or bool((item.get("lastState") or {}).get("terminated"))
    return False


class LineSplitter:
    """Splits decoded text into lines, keeping a partial last line for the next chunk."""

    def __init__(self) -> None:
        self._rest = ""

    def feed(self, text: str) -> list[str]:
        """The complete lines once ``text`` is appended."""
        data = self._rest + text
        # A CR at the end may be the first half of a CRLF split across chunks.
        held = "\r" if data.endswith("\r") else ""
        parts = _BREAK.split(data[:-1] if held else data)
        self._rest = parts.pop() + held
        return parts

    def flush(self) -> list[str]:
        """The partial last line, if any, at the end of the stream."""
        rest, self._rest = self._rest.rstrip("\r"), ""
        return [rest] if rest else []


Stamp = tuple[str, int]
"""A line's timestamp: the second as written, and the nanoseconds."""


def split_stamp(line: str) -> tuple[Stamp | None, str]:
    """(timestamp, text) of a ``timestamps=true`` line; (None, line) without one."""
    match = _STAMP.match(line)
    if match is None:
        return None, line
    second = match.group(1) + ("Z" if match.group(3) == "Z" else match.group(3))
    nanos = int((match.group(2) or "0").ljust(9, "0"))
    return (second, nanos), line[match.end() :]


class _Resume:
    """What the stream delivered last, to skip it when the server sends it again.

    A reconnect asks for everything since the last line's second. The lines the
    server sends first are then the ones already delivered; they are skipped
    while they match the record, and the first line that does not match ends the
    skipping (the server sends lines in the order they were written).
    """

    def __init__(self, remember: int = 2000) -> None:
        self.last: Stamp | None = None
        self._recent: deque[tuple[Stamp, str]] = deque(maxlen=remember)
        self._replay: Counter[tuple[Stamp, str]] = Counter()

    def since_time(self) -> str | None:
        return self.last[0] if self.last else None

    def reconnecting(self) -> None:
        """From now on, drop the lines delivered since the last line's second."""
        second = self.last[0] if self.last else None
        self._replay = Counter(line for line in self._recent if line[0][0] == second)

    def accept(self, stamp: Stamp | None, text: str) -> bool:
        """Whether a line is new; records it when it is."""
        if stamp is None:
            return True
        line = (stamp, text)
        if self._replay:
            if self._replay[line] > 0:
                self._replay[line] -= 1
                return False
            self._replay.clear()
        self.last = stamp
        self._recent.append(line)
        return True


class _StreamError(Exception):
    """A failure to open the stream, with the status to show and whether to retry."""

    def __init__(self, message: str, retry: bool, wait: float | None = None) -> None:
        super().__init__(message)
        self.retry = retry
        self.wait = wait


class LogStream:
    """Follows the log of one container; callbacks run on worker threads.

    The first request asks for the last ``tail_lines`` (None: the whole log), or for
    the last ``since_seconds`` when set; ``previous`` reads the run before the
    current one, once, without following.
    """

    def __init__(
        self,
        api_client: ApiClient,
        namespace: str,
        pod: str,
        container: str | None,
        on_lines: Callable[[list[str]], None],
        on_status: Callable[[StreamStatus], None],
        tail_lines: int | None = 500,
        batch_interval: float = 0.05,
        *,
        since_seconds: int | None = None,
        previous: bool = False,
        timestamps: bool = False,
        encoding: str = "utf-8",
    ) -> None:
        self._client = new_api_client(api_client.configuration, pool_size=1)
        self._context = streams.context_of(api_client.configuration)
        self._server = api.server_of(api_client)
        self._namespace = namespace
        self._pod = pod
        self._container = container
        self._on_lines = on_lines
        self._on_status = on_status
        self._tail_lines = tail_lines
        self._since_seconds = since_seconds
        self._previous = previous
        self._timestamps = timestamps
        self._decoder_factory = codecs.getincrementaldecoder(encoding)
        self._stopping = threading.Event()
        self._response: urllib3.BaseHTTPResponse | None = None
        self._resume = _Resume()
        self._entry: streams.StreamEntry | None = None
        self._batcher: Batcher[str | StreamStatus] = Batcher(
            self._deliver, batch_interval, name=f"log-lines-{pod}"
        )
        self._thread = threading.Thread(
            target=self._run, name=f"log-{pod}", daemon=True
        )

    def __repr__(self) -> str:
        container = f"/{self._container}" if self._container else ""
        return f"<LogStream {self._namespace}/{self._pod}{container}>"

    def start(self) -> None:
        """Open the stream on a worker thread (or fail at once past the context's cap)."""
        self._batcher.start()
        try:
            self._entry = streams.BOOK.open("log", self._context, repr(self), self.stop)
        except LimitReached as exc:
            log.warning("%r not opened: %s", self, exc)
            self._status(Failed(str(exc), limit=exc))
            return
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Close the stream; no callback runs once this returns."""
        self._stopping.set()
        api.interrupt(self._response)
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        streams.BOOK.closed(self._entry)
        self._entry = None
        self._batcher.stop()
        self._client.close()

    def _deliver(self, items: list[str | StreamStatus]) -> None:
        """Hand lines and statuses to the callbacks in the order they happened."""
        lines: list[str] = []
        for item in items:
            if isinstance(item, str):
                lines.append(item)
                continue
            if lines:
                self._on_lines(lines)
                lines = []
            self._on_status(item)
        if lines:
            self._on_lines(lines)

    def _status(self, status: StreamStatus) -> None:
        log.debug("%r status %s", self, status)
        self._batcher.add([status])

    def _run(self) -> None:
        backoff = Backoff(1.0, 30.0)
        first = True
        while not self._stopping.is_set():
            self._status(Connecting())
            try:
                raw = self._open()
            except _StreamError as exc:
                self._status(Failed(str(exc)))
                if not exc.retry:
                    break
                self._stopping.wait(max(backoff.next_delay(), exc.wait or 0.0))
                continue
            if not first:
                streams.BOOK.reconnected(self._context, "log")
            first = False
            self._status(Streaming())
            if self._pump(raw):
                backoff.reset()
            if self._stopping.is_set():
                break
            self._status(Ended())
            if self._previous:
                break
            self._resume.reconnecting()
            self._stopping.wait(backoff.next_delay())
        streams.BOOK.closed(self._entry)

    def _query(self) -> list[tuple[str, str]]:
        query = [
            ("follow", "false" if self._previous else "true"),
            ("timestamps", "true"),
        ]
        if self._container:
            query.append(("container", self._container))
        if self._previous:
            query.append(("previous", "true"))
        since = self._resume.since_time()
        if since is not None:
            query.append(("sinceTime", since))
        elif self._since_seconds is not None:
            query.append(("sinceSeconds", str(self._since_seconds)))
        elif self._tail_lines is not None:
            query.append(("tailLines", str(self._tail_lines)))
        return query

    def _open(self) -> urllib3.BaseHTTPResponse:
        path = f"/api/v1/namespaces/{self._namespace}/pods/{self._pod}/log"
        try:
            raw = api.request(
                self._client,
                path,
                self._query(),
                accept="text/plain, */*",
                timeout=(10, 3600),
                kind="log",
                wait=self._stopping.wait,
            )
        except api.Throttled as exc:
            raise _StreamError(str(exc), retry=True, wait=exc.retry_after) from exc
        except ClusterError as exc:
            raise self._error(exc) from exc
        self._response = raw
        if self._stopping.is_set():
            api.interrupt(raw)
        return raw

    def _error(self, exc: ClusterError) -> _StreamError:
        where = f"pod {self._pod} in ns/{self._namespace}"
        message = str(exc)
        if isinstance(exc, AccessDenied):
            return _StreamError(f"no access: cannot read the logs of {where}", False)
        if isinstance(exc, NotFound):
            return _StreamError(
                f"pod {self._pod} not found in ns/{self._namespace}", False
            )
        if isinstance(exc, ConnectionFailed):
            return _StreamError(message, True)
        detail = api.server_message(exc)
        if any(word in detail for word in _NOT_STARTED):
            return _StreamError(f"container not started: {detail}", True)
        status = getattr(exc, "status", 0)
        return _StreamError(detail or message, retry=status >= 500)

    def _pump(self, raw: urllib3.BaseHTTPResponse) -> bool:
        """Read until the stream ends; True when at least one line arrived."""
        decoder = self._decoder_factory(errors="replace")
        splitter = LineSplitter()
        got_lines = False
        try:
            for chunk in api.iter_chunks(raw):
                got_lines |= self._emit(splitter.feed(decoder.decode(chunk)))
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            if not self._stopping.is_set():
                log.warning("%r broke: %s", self, api.failure_reason(exc))
        finally:
            self._response = None
            raw.close()
        if not self._stopping.is_set():
            tail = splitter.feed(decoder.decode(b"", final=True)) + splitter.flush()
            got_lines |= self._emit(tail)
        return got_lines

    def _emit(self, lines: Sequence[str]) -> bool:
        kept: list[str] = []
        for line in lines:
            stamp, text = split_stamp(line)
            if self._resume.accept(stamp, text):
                kept.append(line if self._timestamps else text)
        if not kept:
            return False
        self._batcher.add(kept)
        return True
