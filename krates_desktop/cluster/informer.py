"""One list-then-watch loop per (context, kind, namespace scope), shared and counted.

An informer lists its kind in pages of 500 (raw JSON parsed with orjson on its own
thread, the garbage collector paused meanwhile), keeps the compact form of each
object, then watches from the list's ``resourceVersion`` with bookmarks. When a
watch ends it resumes from the last version seen; on ``410 Gone`` it lists again
and emits only the difference, so nothing flickers. Failures back off from 1 s to
30 s with jitter, and a 429 waits as long as the server asks.

Informers are shared: every :class:`~krates_desktop.cluster.cache.ClusterCache` on
the same context, kind and scope uses the same one (:func:`acquire`), which stops
when the last of them lets go (:func:`release`). A listener that joins late gets
the current objects as additions.

Each page is compacted at once and its records kept encoded in one buffer; only
when every page is gone are the records decoded, so they sit together in memory
the pages no longer hold (about 1.7 KB per pod instead of 3). While lists are
read the cyclic garbage collector is paused, and after a big list the objects
alive are frozen out of its reach (see :func:`_collector_paused`).

Secrets are listed and watched as metadata only. Objects that a window follows are
also kept whole (:meth:`Informer.follow`); for Secrets that copy is read with a GET.

Limitations: each informer has a thread and a connection of its own, so a user
watching many kinds in many namespaces one by one holds many connections.
Objects frozen out of the collector's reach after a big list that later become
part of a reference cycle are not reclaimed (the cache's own records hold no
cycles).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypedDict

import msgspec
import orjson
import urllib3
from kubernetes.client import Configuration

from krates_desktop.cluster import api, impersonation, streams
from krates_desktop.cluster.backoff import Backoff
from krates_desktop.cluster.credentials import CredentialError
from krates_desktop.cluster.errors import (
    AccessDenied,
    ClusterError,
    ConnectionFailed,
    NotFound,
    Unauthorized,
)
from krates_desktop.cluster.kinds import SECRET, Kind
from krates_desktop.cluster.records import NotAnObject, Unreadable, decode
from krates_desktop.cluster.transport import new_api_client

log = logging.getLogger(__name__)

PAGE_SIZE = 500
WATCH_TIMEOUT = 300

_METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
_METADATA_OBJECT = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"

ChangeType = Literal["ADDED", "MODIFIED", "DELETED"]
ObjKey = tuple[str, str]


_ListMetadata = TypedDict(  # noqa: UP013 (`continue` is a keyword)
    "_ListMetadata",
    {"resourceVersion": str | None, "continue": str | None},
    total=False,
)


class _ListPage(TypedDict, total=False):
    """A page of a list as read: each item is kept as its JSON (a view of the
    page's bytes) and decoded on its own, so no more than one item's parsed
    fields exist at a time beside the records."""

    metadata: _ListMetadata | None
    items: list[msgspec.Raw] | None


_PAGE_DECODER = msgspec.json.Decoder(_ListPage)


class _WatchEvent(TypedDict, total=False):
    """A watch event as read: its object is kept as JSON until its type is known."""

    type: Any
    object: msgspec.Raw


_EVENT_DECODER = msgspec.json.Decoder(_WatchEvent)


class _Versioned(TypedDict, total=False):
    """What a BOOKMARK's object says: its resourceVersion."""

    metadata: _ListMetadata | None


_VERSION_DECODER = msgspec.json.Decoder(_Versioned)

Obj = dict[str, Any]
State = Literal["loading", "synced", "denied", "forbidden", "degraded", "unreachable"]
"""``denied``: 401; ``forbidden``: 403 (RBAC); the rest as named."""


@dataclass(frozen=True)
class Change:
    """One object added, modified or deleted (``obj`` is its last known state).

    The ``repr`` names the object only: object bodies can be large, and a
    followed Secret carries its data.
    """

    type: ChangeType
    kind: Kind
    obj: dict[str, Any]

    def __repr__(self) -> str:
        metadata = self.obj.get("metadata") or {}
        where = f"{metadata['namespace']}/" if metadata.get("namespace") else ""
        version = metadata.get("resourceVersion", "")
        return f"Change({self.type} {self.kind.kind} {where}{metadata.get('name', '')} rv={version})"


class Listener(Protocol):
    """What an informer reports to (a cache)."""

    def informer_changes(self, informer: Informer, changes: list[Change]) -> None: ...

    def informer_state(
        self, informer: Informer, state: State, message: str
    ) -> None: ...


class _Interrupted(ClusterError):
    """A watch stream broke after it had started."""


class Informer:
    """The list-then-watch loop of one kind in one scope, on its own thread."""

    def __init__(
        self,
        configuration: Configuration,
        kind: Kind,
        namespace: str | None,
        key: tuple[Any, ...],
        watch_timeout: int = WATCH_TIMEOUT,
    ) -> None:
        self.kind = kind
        self.namespace = namespace if kind.namespaced else None
        self.key = key
        self.context = streams.context_of(configuration)
        self.watch_timeout = watch_timeout
        self._client = new_api_client(configuration, pool_size=2)
        self._lock = threading.RLock()
        self._store: dict[ObjKey, Obj] = {}
        self._full: dict[ObjKey, Obj] = {}
        self._followed: dict[ObjKey, int] = {}
        self._listeners: list[Listener] = []
        self.state: tuple[State, str] = ("loading", "")
        self._stopping = threading.Event()
        self._backoff = Backoff(1.0, 30.0, jitter=0.2)
        self._response: urllib3.BaseHTTPResponse | None = None
        self._entry: streams.StreamEntry | None = None
        self._synced_once = False
        scope = self.namespace or "all"
        self._thread = threading.Thread(
            target=self._run, name=f"informer-{kind.plural}-{scope}", daemon=True
        )
        metadata_only = kind.key == SECRET.key
        self._list_accept = (
            f"{_METADATA_LIST},application/json"
            if metadata_only
            else "application/json"
        )
        self._watch_accept = (
            f"{_METADATA_OBJECT},application/json"
            if metadata_only
            else "application/json"
        )
        self._metadata_only = metadata_only

    def __repr__(self) -> str:
        return f"<Informer {self.kind.plural} in {self.namespace or 'all namespaces'} on {self.context}>"

    @property
    def server(self) -> str:
        """The URL of the cluster API."""
        return api.server_of(self._client)

    # -- listeners and lifetime ----------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """Start reporting to ``listener``, beginning with what is already cached."""
        with self._lock:
            self._listeners.append(listener)
            current = [Change("ADDED", self.kind, obj) for obj in self._store.values()]
            if current:
                listener.informer_changes(self, current)
            listener.informer_state(self, *self.state)

    def remove_listener(self, listener: Listener) -> int:
        """Stop reporting to ``listener``; returns how many listeners remain."""
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)
            return len(self._listeners)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the loop to end and unblock its read; see :meth:`join`."""
        self._stopping.set()
        api.interrupt(self._response)

    def join(self, timeout: float) -> None:
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        if not self._thread.is_alive():
            self._client.close()

    # -- reads -------------------------------------------------------------------

    def objects(self) -> list[Obj]:
        with self._lock:
            return [self._full.get(key, obj) for key, obj in self._store.items()]

    def get(self, namespace: str | None, name: str) -> Obj | None:
        key = (namespace or "" if self.kind.namespaced else "", name)
        with self._lock:
            return self._full.get(key) or self._store.get(key)

    def count(self) -> int:
        with self._lock:
            return len(self._store)

    # -- following one object whole -----------------------------------------------

    def follow(self, namespace: str | None, name: str) -> None:
        """Keep the whole object (not its compact form) while someone follows it."""
        key = (namespace or "" if self.kind.namespaced else "", name)
        with self._lock:
            self._followed[key] = self._followed.get(key, 0) + 1
            first = self._followed[key] == 1
        if first:
            threading.Thread(
                target=self._fetch_followed,
                args=(key,),
                name="follow-fetch",
                daemon=True,
            ).start()

    def unfollow(self, namespace: str | None, name: str) -> None:
        key = (namespace or "" if self.kind.namespaced else "", name)
        with self._lock:
            left = self._followed.get(key, 0) - 1
            if left > 0:
                self._followed[key] = left
                return
            self._followed.pop(key, None)
            self._full.pop(key, None)

    def _fetch_followed(self, key: ObjKey) -> None:
        try:
            full = self.fetch(*key)
        except NotFound:
            return
        except ClusterError as exc:
            log.warning("%r could not read %s: %s", self, key[1], exc)
            return
        with self._lock:
            if key not in self._followed:
                return
            self._full[key] = full
            self._notify([Change("MODIFIED", self.kind, full)])

    def fetch(self, namespace: str, name: str) -> Obj:
        """Read one whole object from the API (blocking)."""
        path = self.kind.object_path(namespace or None, name)
        obj = api.get_json(self._client, path, kind="get")
        obj.setdefault("kind", self.kind.kind)
        obj.setdefault("apiVersion", self.kind.api_version)
        return obj

    # -- the loop ----------------------------------------------------------------

    def _notify(self, changes: list[Change]) -> None:
        """Fan changes out; the caller holds the lock, so every listener sees one order."""
        for listener in self._listeners:
            listener.informer_changes(self, changes)

    def _set_state(self, state: State, message: str = "") -> None:
        with self._lock:
            if self.state == (state, message):
                return
            log.debug("%r %s -> %s", self, self.state[0], state)
            self.state = (state, message)
            for listener in self._listeners:
                listener.informer_state(self, state, message)

    def _run(self) -> None:
        version: str | None = None
        while not self._stopping.is_set():
            try:
                if version is None:
                    version = self._list()
                version, healthy = self._watch(version)
                if healthy:
                    self._backoff.reset()
                else:
                    self._pause()
            except api.Expired as exc:
                log.warning("%s: %s; listing again", self.kind.plural, exc)
                version = None
            except api.Throttled as exc:
                self._fail("degraded", str(exc), exc.retry_after)
            except Unauthorized as exc:
                self._fail("denied", str(exc))
            except AccessDenied as exc:
                self._fail("forbidden", str(exc))
            except api.ConnectionDropped as exc:
                self._fail("degraded", str(exc))
            except (ConnectionFailed, CredentialError) as exc:
                self._fail("unreachable", str(exc))
            except ClusterError as exc:
                self._fail("degraded", str(exc))
            except Exception as exc:
                log.exception("the informer for %s failed", self.kind.plural)
                self._fail("degraded", f"The watch of {self.kind.plural} failed: {exc}")
        streams.BOOK.closed(self._entry)

    def _fail(self, state: State, message: str, wait: float | None = None) -> None:
        if self._stopping.is_set():
            return
        if state not in ("denied", "forbidden"):
            log.warning("%s: %s", self.kind.plural, message)
        streams.BOOK.closed(self._entry)
        self._entry = None
        self._set_state(state, message)
        self._pause(wait)

    def _pause(self, wait: float | None = None) -> None:
        delay = self._backoff.next_delay()
        self._stopping.wait(max(delay, wait or 0.0))

    def _list(self) -> str:
        """List every page, replace the objects, and return the list's version."""
        items: dict[ObjKey, Obj] = {}
        path = self.kind.collection_path(self.namespace)
        with _collector_paused(lambda: len(items)):
            version = self._pages(path, items)
        self._replace(items)
        self._set_state("synced")
        log.debug("listed %d %s at version %s", len(items), self.kind.plural, version)
        return version

    def _pages(self, path: str, items: dict[ObjKey, Obj]) -> str:
        version = ""
        token = ""
        seen: set[str] = set()
        while True:
            page = self._page(path, token)
            for raw in page.get("items") or ():
                try:
                    record = self._normalize(decode(self.kind.kind, raw))
                except Unreadable as exc:
                    self._skip(path, len(items), exc)
                    continue
                items[_obj_key(record)] = record
            metadata = page.get("metadata") or {}
            version = metadata.get("resourceVersion") or version
            token = metadata.get("continue") or ""
            if not token or self._stopping.is_set():
                return version
            if token in seen:
                raise ClusterError(
                    f"The cluster API sent the same continue token twice for {path}: "
                    f"the list of {self.kind.plural} cannot go on"
                )
            seen.add(token)

    def _skip(self, path: str, read: int, exc: Exception) -> None:
        # The rest of the list is kept: one object a server mangled costs only itself.
        log.warning(
            "%s: left out an object of the list %s (after %d read): %s",
            self.kind.plural,
            path,
            read,
            exc,
        )

    def _page(self, path: str, token: str) -> _ListPage:
        """One page of the list: its metadata, and each item's JSON to decode."""
        query = [("limit", str(PAGE_SIZE))] + ([("continue", token)] if token else [])
        raw = api.request(
            self._client,
            path,
            query,
            accept=self._list_accept,
            headers={"Accept-Encoding": "gzip"},
            kind="list",
            wait=self._stopping.wait,
        )
        self._response = raw
        try:
            if self._stopping.is_set():
                api.interrupt(raw)
            data = api.read_body(self._client, raw)
        finally:
            self._response = None
        try:
            return _PAGE_DECODER.decode(data)
        except (msgspec.DecodeError, RecursionError) as exc:
            raise ClusterError(
                f"The cluster API sent an unexpected answer for {path}: {exc}"
            ) from exc

    def _replace(self, items: dict[ObjKey, Obj]) -> None:
        """Swap in a fresh list and emit its difference from what was cached."""
        with self._lock:
            old, self._store = self._store, items
            changes = list(_diff(self.kind, old, items))
            if changes:
                self._notify(changes)
            followed = [k for k in self._followed if k in items]
        for key in followed:
            self._fetch_followed(key)

    def _watch(self, version: str) -> tuple[str, bool]:
        """Watch from ``version`` until the stream ends; return the last version seen."""
        query = [
            ("watch", "true"),
            ("allowWatchBookmarks", "true"),
            ("resourceVersion", version),
            ("timeoutSeconds", str(self.watch_timeout)),
        ]
        raw = api.request(
            self._client,
            self.kind.collection_path(self.namespace),
            query,
            accept=self._watch_accept,
            timeout=(10, self.watch_timeout + 30),
            kind="watch",
            wait=self._stopping.wait,
        )
        self._response = raw
        if self._stopping.is_set():
            api.interrupt(raw)
        if self._entry is None:
            self._entry = streams.BOOK.open(
                "watch", self.context, repr(self), self.stop
            )
        self._set_state("synced")
        started = time.monotonic()
        version, events = self._read_events(raw, version)
        healthy = events > 0 or time.monotonic() - started >= 1.0
        return version, healthy

    def _read_events(
        self, raw: urllib3.BaseHTTPResponse, version: str
    ) -> tuple[str, int]:
        events = 0
        try:
            for line in _lines(api.iter_chunks(raw)):
                version = self._handle(line, version)
                events += 1
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raw.close()
            if self._stopping.is_set():
                return version, events
            streams.BOOK.reconnected(self.context, "watch")
            raise _Interrupted(
                f"The watch of {self.kind.plural} on {self.server} broke; reconnecting"
            ) from exc
        finally:
            self._response = None
        raw.release_conn()
        return version, events

    def _handle(self, line: bytes | memoryview, version: str) -> str:
        """Apply one watch event and return the newest resource version.

        The event is read with its object left as JSON, and a pod is then read
        straight into its compact record (``records.decode``), keeping the spec
        of its last version when it cannot have changed.
        """
        try:
            event = _EVENT_DECODER.decode(line)
        except (msgspec.DecodeError, RecursionError):
            log.warning(
                "%s: skipped a watch line that is not an event", self.kind.plural
            )
            return version
        raw = event.get("object")
        event_type = event.get("type")
        try:
            if raw is None:
                raise NotAnObject(None)
            if event_type == "ERROR":
                status = orjson.loads(memoryview(raw))
                raise _watch_error(
                    self.kind, status if isinstance(status, dict) else {}
                )
            if event_type not in ("ADDED", "MODIFIED", "DELETED"):  # BOOKMARK
                metadata = _VERSION_DECODER.decode(raw).get("metadata") or {}
                return metadata.get("resourceVersion") or version
            previous = self._last_version if event_type != "DELETED" else None
            record = decode(self.kind.kind, raw, previous=previous)
        except (Unreadable, msgspec.DecodeError, orjson.JSONDecodeError) as exc:
            log.warning("%s: skipped a watch event: %s", self.kind.plural, exc)
            return version
        metadata = record.get("metadata") or {}
        new_version = str(metadata.get("resourceVersion") or version)
        self._apply(event_type, self._normalize(record), raw)
        return new_version

    def _last_version(self, metadata: Obj) -> Obj | None:
        return self._store.get(_key_of(metadata))

    def _apply(self, event_type: str, record: Obj, raw: msgspec.Raw) -> None:
        key = _obj_key(record)
        refetch = False
        with self._lock:
            if event_type == "DELETED":
                known = self._store.pop(key, None) is not None
                self._full.pop(key, None)
                change = Change("DELETED", self.kind, record) if known else None
            else:
                existed = key in self._store
                shown = record
                if key in self._followed:
                    # The one object a window shows is kept whole.
                    whole = None if self._metadata_only else _whole(raw)
                    if whole is None:
                        refetch = True
                    else:
                        self._full[key] = shown = self._normalize(whole)
                self._store[key] = record
                change = Change("MODIFIED" if existed else "ADDED", self.kind, shown)
            if change is not None:
                self._notify([change])
        if refetch:
            self._fetch_followed(key)

    def _normalize(self, obj: Obj) -> Obj:
        obj["kind"] = self.kind.kind
        obj["apiVersion"] = self.kind.api_version
        if self._metadata_only:
            obj.pop("data", None)
            obj.pop("stringData", None)
        return obj


FREEZE_AFTER = 5000
_collector_lock = threading.Lock()
_collector_pauses = 0
_collector_was_enabled = True


@contextmanager
def _collector_paused(count: Callable[[], int]) -> Iterator[None]:
    """Pause the cyclic garbage collector while lists are read.

    Compacting tens of thousands of objects makes millions of small ones; the
    collector would scan the growing heap again and again, holding the GIL (and
    the GUI thread) for tens of milliseconds each time. When the last list in
    progress ends it is switched back on, and after a big list the objects alive
    then are frozen (``gc.freeze``) so that later collections skip the cache.
    """
    global _collector_pauses, _collector_was_enabled
    with _collector_lock:
        if _collector_pauses == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _collector_pauses += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector_pauses -= 1
            if _collector_pauses == 0 and _collector_was_enabled:
                if count() >= FREEZE_AFTER:
                    gc.freeze()
                    _return_free_memory()
                gc.enable()


def _return_free_memory() -> None:
    """Hand the pages freed by a big list back to the system (glibc only)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _lines(chunks: Iterable[bytes]) -> Iterator[memoryview]:
    """The non-blank lines of a stream of chunks, each a view of the bytes it came in.

    A watch sends an event a line; one event may span chunks and one chunk hold
    many. Views (not copies) of each line are handed on: at thousands of events a
    second the copies would cost as much as parsing them.
    """
    pending = b""
    for chunk in chunks:
        if pending:
            chunk = pending + chunk
        view = memoryview(chunk)
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            # (JSON starts with a printable byte: only a line that does not is checked)
            if end > start and (chunk[start] > 32 or not chunk[start:end].isspace()):
                yield view[start:end]
            start = end + 1
        pending = chunk[start:]
    if pending and not pending.isspace():
        yield memoryview(pending)


def _watch_error(kind: Kind, status: dict[str, Any]) -> ClusterError:
    code = status.get("code")
    message = str(status.get("message") or "the watch failed")
    if code == 410:
        return api.Expired(message)
    if code == 401:
        return Unauthorized(f"The cluster API rejected the credentials ({message})")
    if code == 403:
        return AccessDenied(f"No access: {message}")
    if code == 429:
        return api.Throttled(
            f"The watch of {kind.plural} was throttled: {message}", 1.0
        )
    return ClusterError(f"The watch of {kind.plural} failed: {message}")


def _whole(raw: msgspec.Raw) -> Obj | None:
    """The whole object of a watch event, or None if orjson cannot read it (then it
    is fetched again)."""
    try:
        whole = orjson.loads(memoryview(raw))
    except orjson.JSONDecodeError:
        return None
    return whole if isinstance(whole, dict) else None


def _obj_key(obj: Obj) -> ObjKey:
    return _key_of(obj.get("metadata") or {})


def _key_of(metadata: Obj) -> ObjKey:
    return (str(metadata.get("namespace") or ""), str(metadata.get("name") or ""))


def identity(obj: Obj) -> tuple[str, ...]:
    """The uid of an object, or its (namespace, name) when it has none."""
    metadata = obj.get("metadata") or {}
    uid = metadata.get("uid")
    return (str(uid),) if uid else _obj_key(obj)


def _version(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


def _diff(
    kind: Kind, old: dict[ObjKey, Obj], new: dict[ObjKey, Obj]
) -> Iterable[Change]:
    for key, obj in new.items():
        previous = old.get(key)
        if previous is None:
            yield Change("ADDED", kind, obj)
        elif identity(previous) != identity(obj):
            yield Change("DELETED", kind, previous)
            yield Change("ADDED", kind, obj)
        elif _version(previous) != _version(obj):
            yield Change("MODIFIED", kind, obj)
    for key, previous in old.items():
        if key not in new:
            yield Change("DELETED", kind, previous)


# -- sharing ---------------------------------------------------------------------

_registry: dict[tuple[Any, ...], Informer] = {}
_registry_lock = threading.Lock()


def client_identity(configuration: Configuration) -> tuple[str, ...]:
    """Who talks to which server: informers are shared only between equal identities."""
    auth = configuration.api_key.get("BearerToken", "")
    credentials = getattr(configuration, "krates_credentials", None)
    # A refreshable credential's token (and a plugin's certificate) changes over
    # time; the object stays the same.
    refreshable = getattr(credentials, "refreshable", False)
    secret = str(id(credentials)) if refreshable else auth
    certificate = "" if refreshable else str(configuration.cert_file or "")
    digest = hashlib.sha256(
        "\0".join(
            [
                str(configuration.host),
                certificate,
                secret,
                repr(impersonation.of(configuration)),
            ]
        ).encode()
    ).hexdigest()
    return (str(configuration.host), streams.context_of(configuration), digest)


def acquire(
    configuration: Configuration,
    kind: Kind,
    namespace: str | None,
    listener: Listener,
    watch_timeout: int = WATCH_TIMEOUT,
) -> Informer:
    """The shared informer for (identity, kind, scope), started on first use."""
    scope = namespace if kind.namespaced else None
    key = (*client_identity(configuration), kind.key, scope, watch_timeout)
    with _registry_lock:
        informer = _registry.get(key)
        created = informer is None
        if informer is None:
            informer = Informer(configuration, kind, scope, key, watch_timeout)
            _registry[key] = informer
        informer.add_listener(listener)
    if created:
        informer.start()
    return informer


def release(informer: Informer, listener: Listener) -> bool:
    """Let go of ``informer``; it is stopped (True) when nobody else uses it."""
    with _registry_lock:
        if informer.remove_listener(listener) > 0:
            return False
        if _registry.get(informer.key) is informer:
            del _registry[informer.key]
    informer.stop()
    return True


def shared_count() -> int:
    """How many informers run in this process."""
    with _registry_lock:
        return len(_registry)
