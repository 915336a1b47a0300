"""The open streams of every context, the caps that protect clusters, and the numbers.

Watches, log follows and exec sessions register here while they are open. Log
streams and shells are capped per context (:class:`Limits`, 20 and 10 by default)
so that a forgotten yard cannot open hundreds of them: one more is refused with a
:class:`LimitReached` that names the limit and can close the oldest stream of that
kind. The same book counts API latency, errors and reconnects per context;
:func:`snapshot` returns all of it as plain values the UI (or ``krates doctor
--stats``) can render.
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
from kubernetes.client import Configuration

from krates_desktop.cluster.errors import ClusterError

log = logging.getLogger(__name__)

StreamKind = Literal["watch", "log", "shell"]
_LIMITED: tuple[StreamKind, ...] = ("log", "shell")
_SAMPLES = 2000


@dataclass
class Limits:
    """Concurrent log streams and shells allowed per context."""

    logs: int = 20
    shells: int = 10

    def of(self, kind: StreamKind) -> int | None:
        """The cap for ``kind``, None for uncapped kinds (watches)."""
        return {"log": self.logs, "shell": self.shells}.get(kind)


@dataclass(frozen=True)
class StreamEntry:
    """One open stream: what it is, where, since when, and how to close it."""

    id: int
    kind: StreamKind
    context: str
    label: str
    opened: float
    close: Callable[[], None] = field(compare=False, repr=False)


class LimitReached(ClusterError):
    """Opening one more stream of a kind would pass the context's cap."""

    def __init__(
        self,
        kind: StreamKind,
        context: str,
        limit: int,
        oldest: StreamEntry,
        book: StreamBook | None = None,
    ):
        noun = "log streams" if kind == "log" else "shells"
        super().__init__(
            f"{limit} {noun} are already open on {context}, the most allowed; "
            f"close one, or close the oldest ({oldest.label})"
        )
        self.kind = kind
        self.context = context
        self.limit = limit
        self.oldest = oldest
        self._book = book

    def close_oldest(self) -> None:
        """Close the oldest stream of this kind on this context, freeing its place now.

        The stream's worker may take a moment to end; its place is given back at
        once so that the stream the user asked for can open right away.
        """
        self.oldest.close()
        if self._book is not None:
            self._book.closed(self.oldest)


@dataclass(frozen=True)
class Latency:
    """Request latency of one kind of request, in milliseconds."""

    count: int
    p50: float
    p95: float
    p99: float


@dataclass(frozen=True)
class ContextStats:
    """The health figures of one context."""

    context: str
    watches: int
    log_streams: int
    shells: int
    latency: dict[str, Latency]
    errors: dict[str, int]
    reconnects: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return {
            "context": self.context,
            "watches": self.watches,
            "log_streams": self.log_streams,
            "shells": self.shells,
            "latency_ms": {
                kind: {"count": v.count, "p50": v.p50, "p95": v.p95, "p99": v.p99}
                for kind, v in self.latency.items()
            },
            "errors": dict(self.errors),
            "reconnects": dict(self.reconnects),
        }


class StreamBook:
    """Open streams, caps and request figures for every context in this process."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._open: dict[int, StreamEntry] = {}
        self._latency: dict[tuple[str, str], deque[float]] = {}
        self._errors: Counter[tuple[str, str]] = Counter()
        self._reconnects: Counter[tuple[str, str]] = Counter()

    def open(
        self, kind: StreamKind, context: str, label: str, close: Callable[[], None]
    ) -> StreamEntry:
        """Register a stream; raises :class:`LimitReached` when the cap is reached."""
        with self._lock:
            limit = self.limits.of(kind)
            same = [
                e
                for e in self._open.values()
                if e.kind == kind and e.context == context
            ]
            if limit is not None and len(same) >= limit:
                oldest = min(same, key=lambda e: e.opened)
                raise LimitReached(kind, context, limit, oldest, self)
            entry = StreamEntry(
                next(self._ids), kind, context, label, time.monotonic(), close
            )
            self._open[entry.id] = entry
        log.debug("%s opened on %s: %s", kind, context, label)
        return entry

    def closed(self, entry: StreamEntry | None) -> None:
        """Forget a stream (calling it twice is harmless)."""
        if entry is None:
            return
        with self._lock:
            self._open.pop(entry.id, None)

    def entries(self, context: str | None = None) -> list[StreamEntry]:
        """The open streams, oldest first (of one context when given)."""
        with self._lock:
            found = [e for e in self._open.values() if context in (None, e.context)]
        return sorted(found, key=lambda e: e.opened)

    def record(
        self, context: str, request: str, seconds: float, error: str = ""
    ) -> None:
        """Count one API request: its latency, and its error kind when it failed."""
        with self._lock:
            samples = self._latency.setdefault(
                (context, request), deque(maxlen=_SAMPLES)
            )
            samples.append(seconds)
            if error:
                self._errors[(context, error)] += 1

    def reconnected(self, context: str, what: StreamKind) -> None:
        """Count a stream that had to reconnect."""
        with self._lock:
            self._reconnects[(context, what)] += 1

    def snapshot(self) -> dict[str, ContextStats]:
        """Every context's figures as frozen values."""
        with self._lock:
            contexts = {e.context for e in self._open.values()}
            contexts |= {c for c, _ in self._latency} | {c for c, _ in self._errors}
            contexts |= {c for c, _ in self._reconnects}
            return {c: self._stats(c) for c in sorted(contexts)}

    def _stats(self, context: str) -> ContextStats:
        counts = Counter(e.kind for e in self._open.values() if e.context == context)
        latency = {
            request: _latency(list(samples))
            for (c, request), samples in self._latency.items()
            if c == context and samples
        }
        return ContextStats(
            context=context,
            watches=counts["watch"],
            log_streams=counts["log"],
            shells=counts["shell"],
            latency=latency,
            errors={k: v for (c, k), v in self._errors.items() if c == context},
            reconnects={k: v for (c, k), v in self._reconnects.items() if c == context},
        )

    def reset(self) -> None:
        """Forget the figures (open streams stay): for tests and a fresh health view."""
        with self._lock:
            self._latency.clear()
            self._errors.clear()
            self._reconnects.clear()


def _latency(samples: list[float]) -> Latency:
    ordered = sorted(samples)

    def pick(fraction: float) -> float:
        # Nearest rank: the smallest sample at or above the fraction of samples.
        index = max(0, math.ceil(fraction * len(ordered)) - 1)
        return round(ordered[index] * 1000, 2)

    return Latency(len(ordered), pick(0.5), pick(0.95), pick(0.99))


STATS_MARKER = "cluster stats "
"""Log lines carrying the figures start with this (``krates doctor --stats`` reads them)."""


class StatsReporter:
    """Writes :func:`snapshot` to the log every ``interval`` seconds while figures exist."""

    def __init__(self, book: StreamBook, interval: float = 60.0) -> None:
        self._book = book
        self._interval = interval
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="cluster-stats", daemon=True
        )

    def start(self) -> StatsReporter:
        """Start reporting."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop reporting (after one last report)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(2)

    def report(self) -> None:
        """Write the figures now."""
        figures = [stats.as_dict() for stats in self._book.snapshot().values()]
        if figures:
            log.info("%s%s", STATS_MARKER, orjson.dumps(figures).decode())

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            self.report()
        self.report()


BOOK = StreamBook()
"""The process's stream book: the cluster layer registers every stream here."""


def context_of(configuration: Configuration) -> str:
    """The context name a client configuration belongs to (its server when unnamed)."""
    return str(getattr(configuration, "krates_context", "") or configuration.host)


def snapshot() -> dict[str, ContextStats]:
    """The health figures of every context, from :data:`BOOK`."""
    return BOOK.snapshot()
