"""Watch streams: replay from a resourceVersion or send the current state, then
live events, filtered by selectors (objects that start or stop matching arrive as
ADDED or DELETED), with bookmarks, `sendInitialEvents`, timeouts, Table rows and
the 410 Expired ERROR event."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import orjson
from aiohttp import web

from krates_desktop.sandbox.kinds import ResourceKind
from krates_desktop.sandbox.status import ApiError, bad_request
from krates_desktop.sandbox.store import Store, StoredEvent
from krates_desktop.sandbox.tables import to_table

logger = logging.getLogger(__name__)

Json = dict[str, Any]
Matcher = Callable[[Json], bool]
BOOKMARK_INTERVAL = 10.0
INITIAL_EVENTS_END = "k8s.io/initial-events-end"


def translate(event: StoredEvent, matches: Matcher) -> tuple[str, Json] | None:
    """The event a watcher with this selector sees for a stored change, if any."""
    new_ok = matches(event.new)
    old_ok = event.old is not None and matches(event.old)
    if event.type == "ADDED":
        return ("ADDED", event.new) if new_ok else None
    if event.type == "DELETED":
        return ("DELETED", event.new) if old_ok or new_ok else None
    if old_ok and new_ok:
        return ("MODIFIED", event.new)
    if new_ok:
        return ("ADDED", event.new)
    if old_ok:
        return ("DELETED", event.new)
    return None


class WatchEncoder:
    """Turns watch events into JSON lines, as objects or as one-row Tables."""

    def __init__(self, kind: ResourceKind, table: bool, include_object: str) -> None:
        self._kind = kind
        self._table = table
        self._include = include_object
        self._columns_sent = False

    def event(self, type_: str, obj: Json) -> bytes:
        """One event line."""
        if self._table and type_ != "ERROR":
            rows = [] if type_ == "BOOKMARK" else [obj]
            meta = {"resourceVersion": obj["metadata"].get("resourceVersion", "")}
            obj = to_table(
                self._kind, rows, meta, self._include, not self._columns_sent
            )
            self._columns_sent = True
        return orjson.dumps({"type": type_, "object": obj}) + b"\n"

    def bookmark(self, rv: int, initial_end: bool = False) -> bytes:
        """A BOOKMARK line at `rv`."""
        meta: Json = {"resourceVersion": str(rv), "creationTimestamp": None}
        if initial_end:
            meta["annotations"] = {INITIAL_EVENTS_END: "true"}
        obj = {
            "kind": self._kind.kind,
            "apiVersion": self._kind.api_version,
            "metadata": meta,
        }
        return self.event("BOOKMARK", obj)


class WatchRequest:
    """The parsed query of one watch."""

    def __init__(self, query: Mapping[str, str]) -> None:
        self.resource_version = query.get("resourceVersion", "")
        self.bookmarks = query.get("allowWatchBookmarks") == "true"
        self.send_initial = query.get("sendInitialEvents")
        match = query.get("resourceVersionMatch", "")
        if self.send_initial == "true" and match != "NotOlderThan":
            raise ApiError(
                422,
                "Invalid",
                'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: '
                "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
            )
        if self.send_initial == "true" and not self.bookmarks:
            raise ApiError(
                422,
                "Invalid",
                'ListOptions.meta.k8s.io "" is invalid: allowWatchBookmarks: Forbidden: '
                "sendInitialEvents requires setting allowWatchBookmarks to true",
            )
        raw_timeout = query.get("timeoutSeconds")
        try:
            self.timeout = (
                float(raw_timeout) if raw_timeout else random.uniform(1800, 3600)
            )
        except ValueError as exc:
            raise bad_request(f"invalid timeoutSeconds: {raw_timeout!r}") from exc
        if (
            self.resource_version not in ("", "0")
            and not self.resource_version.isdigit()
        ):
            raise bad_request(f"invalid resource version: {self.resource_version!r}")

    @property
    def from_now_with_state(self) -> bool:
        """Whether the stream starts with ADDED for every current object."""
        if self.send_initial == "true":
            return True
        return self.resource_version in ("", "0") and self.send_initial != "false"


async def serve_watch(
    request: web.Request,
    store: Store,
    kind: ResourceKind,
    namespace: str | None,
    matches: Matcher,
    encoder: WatchEncoder,
    bookmark_every: float = BOOKMARK_INTERVAL,
) -> web.StreamResponse:
    """Stream a watch until its timeout, a client disconnect or an error;
    bookmarks (when asked for) every `bookmark_every` seconds."""
    options = WatchRequest(request.query)

    def in_scope(obj: Json) -> bool:
        obj_ns = obj["metadata"].get("namespace")
        return (namespace is None or obj_ns == namespace) and matches(obj)

    subscription = store.subscribe(kind)
    try:
        lines, error = _opening(store, kind, options, in_scope, encoder)
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for piece in _pieces(lines):
            await response.write(piece)
        if error is None:
            await _follow(
                response,
                store,
                subscription.queue,
                options,
                in_scope,
                encoder,
                bookmark_every,
            )
        await response.write_eof()
        return response
    finally:
        subscription.close()


def _pieces(lines: list[bytes], size: int = 65536) -> Iterator[bytes]:
    """The opening lines joined into writes of about `size` bytes: an API server
    flushes its events as it goes, it does not send a history as one chunk."""
    batch: list[bytes] = []
    length = 0
    for line in lines:
        batch.append(line)
        length += len(line)
        if length >= size:
            yield b"".join(batch)
            batch, length = [], 0
    if batch:
        yield b"".join(batch)


def _opening(
    store: Store,
    kind: ResourceKind,
    options: WatchRequest,
    in_scope: Matcher,
    encoder: WatchEncoder,
) -> tuple[list[bytes], ApiError | None]:
    """The lines sent first; runs without awaiting, right after subscribing."""
    if options.from_now_with_state:
        lines = [
            encoder.event("ADDED", obj) for obj in store.list(kind) if in_scope(obj)
        ]
        if options.send_initial == "true":
            lines.append(encoder.bookmark(store.resource_version, initial_end=True))
        return lines, None
    if options.resource_version in ("", "0"):
        return [], None
    try:
        events = store.events_since(kind, int(options.resource_version))
    except ApiError as error:
        return [encoder.event("ERROR", error.to_status())], error
    lines = []
    for event in events:
        seen = translate(event, in_scope)
        if seen is not None:
            lines.append(encoder.event(*seen))
    return lines, None


async def _follow(
    response: web.StreamResponse,
    store: Store,
    queue: asyncio.Queue[StoredEvent | None],
    options: WatchRequest,
    in_scope: Matcher,
    encoder: WatchEncoder,
    bookmark_every: float,
) -> None:
    deadline = time.monotonic() + options.timeout
    next_bookmark = time.monotonic() + bookmark_every
    while (left := deadline - time.monotonic()) > 0:
        wait = (
            min(left, next_bookmark - time.monotonic()) if options.bookmarks else left
        )
        event: StoredEvent | None | bool = False
        if not queue.empty():
            # wait_for with a zero timeout would cancel the get every time.
            event = queue.get_nowait()
        else:
            with contextlib.suppress(TimeoutError):
                event = await asyncio.wait_for(queue.get(), max(wait, 0.0))
        if event is None:
            return  # the server ends its watches
        if isinstance(event, StoredEvent):
            seen = translate(event, in_scope)
            if seen is not None:
                await response.write(encoder.event(*seen))
        if options.bookmarks and time.monotonic() >= next_bookmark and queue.empty():
            # Every event up to the current RV of this kind has been consumed.
            await response.write(encoder.bookmark(store.resource_version))
            next_bookmark = time.monotonic() + bookmark_every
