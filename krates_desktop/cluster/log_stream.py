"""Following a container's log, the way ``kubectl logs --follow`` does, on a worker.

The stream is read as raw bytes, decoded as UTF-8 incrementally with replacement
characters (a multi-byte character split across chunks stays whole; a stray
Latin-1 byte costs one character, not the log) and split into lines at LF, CRLF
or a lone CR. Lines and status values reach the callbacks in order, in batches.
When the stream ends (the pod restarted, the server timed out) the status
becomes :class:`Ended` and the stream reconnects with ``sinceSeconds`` covering
the time since the last line, backing off 1 s, 2 s, 4 s ... up to 30 s.

Limitations: lines are passed on as the container wrote them (ANSI sequences
included). A reconnect may repeat lines written in the second of the last line
received, because ``sinceSeconds`` has a resolution of one second.
"""

from __future__ import annotations

import codecs
import logging
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import urllib3
from kubernetes.client import ApiClient, CoreV1Api
from kubernetes.client.exceptions import ApiException

from krates_desktop.cluster import api
from krates_desktop.cluster.backoff import Backoff
from krates_desktop.cluster.batching import Batcher

log = logging.getLogger(__name__)

_BREAK = re.compile(r"\r\n|\r|\n")
_NOT_STARTED = (
    "waiting to start",
    "ContainerCreating",
    "PodInitializing",
    "not started",
)


@dataclass(frozen=True)
class Connecting:
    """The log request is being sent."""


@dataclass(frozen=True)
class Streaming:
    """The stream is open; lines arrive as the container writes them."""


@dataclass(frozen=True)
class Ended:
    """The stream ended; it reconnects after a pause."""


@dataclass(frozen=True)
class Failed:
    """The log cannot be read: ``message`` says why, for the person reading it."""

    message: str


StreamStatus = Connecting | Streaming | Ended | Failed


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


class _StreamError(Exception):
    """A failure to open the stream, with the status to show and whether to retry."""

    def __init__(self, message: str, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


class LogStream:
    """Follows the log of one container; callbacks run on worker threads."""

    def __init__(
        self,
        api_client: ApiClient,
        namespace: str,
        pod: str,
        container: str | None,
        on_lines: Callable[[list[str]], None],
        on_status: Callable[[StreamStatus], None],
        tail_lines: int = 500,
        batch_interval: float = 0.05,
    ) -> None:
        self._api = CoreV1Api(api_client)
        self._server = api.server_of(api_client)
        self._namespace = namespace
        self._pod = pod
        self._container = container
        self._on_lines = on_lines
        self._on_status = on_status
        self._tail_lines = tail_lines
        self._stopping = threading.Event()
        self._response: urllib3.BaseHTTPResponse | None = None
        self._last_line_at: float | None = None
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
        """Open the stream on a worker thread."""
        self._batcher.start()
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Close the stream; no callback runs once this returns."""
        self._stopping.set()
        api.interrupt(self._response)
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._batcher.stop()

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
        while not self._stopping.is_set():
            self._status(Connecting())
            try:
                raw = self._open()
            except _StreamError as exc:
                self._status(Failed(str(exc)))
                if not exc.retry:
                    return
                self._stopping.wait(backoff.next_delay())
                continue
            self._status(Streaming())
            if self._pump(raw):
                backoff.reset()
            if self._stopping.is_set():
                return
            self._status(Ended())
            self._stopping.wait(backoff.next_delay())

    def _open(self) -> urllib3.BaseHTTPResponse:
        kwargs: dict[str, Any] = {"follow": True, "_preload_content": False}
        if self._container:
            kwargs["container"] = self._container
        if self._last_line_at is None:
            kwargs["tail_lines"] = self._tail_lines
        else:
            kwargs["since_seconds"] = max(
                1, math.ceil(time.time() - self._last_line_at)
            )
        try:
            # With _preload_content=False the client returns the raw response.
            raw = cast(
                urllib3.BaseHTTPResponse,
                self._api.read_namespaced_pod_log(
                    self._pod, self._namespace, _request_timeout=(10, 3600), **kwargs
                ),
            )
        except ApiException as exc:
            raise self._error(exc) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            message = f"Cannot reach the cluster API at {self._server}: {api.failure_reason(exc)}"
            raise _StreamError(message, retry=True) from exc
        self._response = raw
        if self._stopping.is_set():
            api.interrupt(raw)
        return raw

    def _error(self, exc: ApiException) -> _StreamError:
        where = f"pod {self._pod} in ns/{self._namespace}"
        status = int(exc.status or 0)
        _, message = api.status_message(exc.body)
        if status in (401, 403):
            return _StreamError(f"no access: cannot read the logs of {where}", False)
        if status == 404:
            return _StreamError(
                f"pod {self._pod} not found in ns/{self._namespace}", False
            )
        if status == 400 and any(word in message for word in _NOT_STARTED):
            return _StreamError(f"container not started: {message}", True)
        if status == 0:
            text = f"Cannot reach the cluster API at {self._server}: {exc.reason}"
            return _StreamError(text, True)
        return _StreamError(
            message or f"The logs of {where} failed ({status})", status >= 500
        )

    def _pump(self, raw: urllib3.BaseHTTPResponse) -> bool:
        """Read until the stream ends; True when at least one line arrived."""
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
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

    def _emit(self, lines: list[str]) -> bool:
        if not lines:
            return False
        self._last_line_at = time.time()
        self._batcher.add(lines)
        return True
