"""The log streams behind one Logs pane: one container, or all of a pod's interleaved.

A `LogFeed` opens a `LogStream` per container of its `LogSource` and hands lines to
the pane marked with their container. With several containers the streams keep the
server's timestamps, and an `Interleaver` puts the lines back in time order a few
times a second before they are shown (the stamps are dropped on the way). The first
lines wait until every container's tail has come (or a few seconds), so the tails
are interleaved too.
Callbacks run on the GUI thread (through the dispatcher).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import partial

from kubernetes.client import ApiClient
from PySide6.QtCore import QObject, QTimer

from krates_desktop.cluster.log_stream import (
    Ended,
    Failed,
    LogStream,
    StreamStatus,
    split_stamp,
)
from krates_desktop.logs.sources import Interleaver, LogSource
from krates_desktop.ui.bridge import Dispatcher

INTERLEAVE_MS = 150  # how long lines of several containers wait to be sorted by time
FIRST_WAIT_S = 3.0  # the longest the first lines wait for the other containers' tails


class LogFeed(QObject):
    """Streams `source` of `pod`; `on_lines(lines, container)`, `on_status(status)`."""

    def __init__(
        self,
        api_client: ApiClient,
        dispatcher: Dispatcher,
        namespace: str,
        pod: str,
        source: LogSource,
        containers: Sequence[str],
        on_lines: Callable[[list[str], str], None],
        on_status: Callable[[StreamStatus], None],
    ) -> None:
        super().__init__()
        self.source = source
        self.containers = source.containers(containers) or [""]
        self._on_lines = on_lines
        self._on_status = on_status
        self._interleaver = Interleaver() if len(self.containers) > 1 else None
        self._timer = QTimer(self)
        self._timer.setInterval(INTERLEAVE_MS)
        self._timer.timeout.connect(self._release)
        span = source.range
        self.streams = [
            LogStream(
                api_client,
                namespace,
                pod,
                container or None,
                on_lines=dispatcher.wrap(partial(self._lines_of, container)),
                on_status=dispatcher.wrap(partial(self._status, container)),
                tail_lines=span.tail_lines,
                since_seconds=span.since_seconds,
                previous=source.previous,
                timestamps=self._interleaver is not None,
            )
            for container in self.containers
        ]
        self._stopped = False
        self._waiting = set(self.containers)  # containers whose tail has not come
        self._deadline = 0.0

    def start(self) -> None:
        """Open every stream."""
        if self._interleaver is not None:
            self._deadline = time.monotonic() + FIRST_WAIT_S
            self._timer.start()
        for stream in self.streams:
            stream.start()

    def stop(self) -> None:
        """Close every stream; no callback runs afterwards."""
        self._stopped = True
        self._timer.stop()
        for stream in self.streams:
            stream.stop()

    def _lines_of(self, container: str, lines: list[str]) -> None:
        if self._stopped:
            return
        if self._interleaver is None:
            self._on_lines(lines, container)
            return
        self._interleaver.add(container, [split_stamp(line) for line in lines])
        self._waiting.discard(container)

    def _status(self, container: str, status: StreamStatus) -> None:
        if self._stopped:
            return
        if isinstance(status, Ended | Failed):
            self._waiting.discard(container)
        self._release()  # lines before a status (an end marker) show before it
        self._on_status(status)

    def _release(self) -> None:
        if self._interleaver is None or not self._interleaver.pending():
            return
        if self._waiting and time.monotonic() < self._deadline:
            return
        self._waiting.clear()
        for container, lines in self._interleaver.take():
            self._on_lines(lines, container)
