"""The in-memory cache of cluster objects, kept current by one informer per kind.

Each informer runs on its own thread: it lists its kind in pages of 500 (raw JSON
parsed with orjson), then watches from the list's ``resourceVersion`` with
bookmarks, resumes from the last version it saw when the stream ends, and lists
again on ``410 Gone``, emitting only the difference so nothing flickers. Errors
back off from 1 s to 30 s with jitter. Changes reach ``on_changes`` in batches,
at most once per ``batch_interval``; the overall state reaches ``on_status`` as
frozen values. Both callbacks run on worker threads.

Secrets are listed and watched as metadata only; their ``data`` never enters the
cache. :meth:`ClusterCache.fetch_object` reads one full object on demand.

Limitations: kinds are watched cluster-wide only; a kind whose cluster-wide list
is forbidden is reported as :class:`KindDenied` and retried with backoff rather
than watched namespace by namespace. Objects handed out are the cache's own
dicts: callers must not modify them.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson
import urllib3
from kubernetes.client import ApiClient

from krates_desktop.cluster import api
from krates_desktop.cluster.backoff import Backoff
from krates_desktop.cluster.batching import Batcher
from krates_desktop.cluster.describe import event_time
from krates_desktop.cluster.errors import AccessDenied, ClusterError, ConnectionFailed
from krates_desktop.cluster.kinds import BUILTIN_KINDS, EVENT, SECRET, Kind

log = logging.getLogger(__name__)

PAGE_SIZE = 500
WATCH_TIMEOUT = 300

_METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
_METADATA_OBJECT = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"

ChangeType = Literal["ADDED", "MODIFIED", "DELETED"]
ObjKey = tuple[str, str]


@dataclass(frozen=True)
class Change:
    """One object added, modified or deleted (``obj`` is its last known state)."""

    type: ChangeType
    kind: Kind
    obj: dict[str, Any]


@dataclass(frozen=True)
class Loading:
    """The first lists are under way: ``kinds_done`` of ``kinds_total`` are in."""

    kinds_done: int
    kinds_total: int


@dataclass(frozen=True)
class Synced:
    """Every kind is listed and its watch is running (denied kinds aside)."""


@dataclass(frozen=True)
class Degraded:
    """A watch broke and is reconnecting; the cache keeps its last content."""

    message: str


@dataclass(frozen=True)
class Unreachable:
    """The cluster API cannot be reached; ``message`` names the server."""

    message: str


@dataclass(frozen=True)
class KindDenied:
    """The cluster refuses to list ``kind``; the cache holds none of it."""

    kind: Kind
    message: str


CacheStatus = Loading | Synced | Degraded | Unreachable | KindDenied

_KindState = Literal["loading", "synced", "denied", "degraded", "unreachable"]


class ClusterCache:
    """Objects of the watched kinds, kept current by list-then-watch informers."""

    def __init__(
        self,
        api_client: ApiClient,
        kinds: Sequence[Kind] = BUILTIN_KINDS,
        on_changes: Callable[[list[Change]], None] | None = None,
        on_status: Callable[[CacheStatus], None] | None = None,
        batch_interval: float = 0.1,
        *,
        watch_timeout: int = WATCH_TIMEOUT,
    ) -> None:
        self._kinds = tuple(kinds)
        self._client = _private_client(api_client, len(self._kinds) + 4)
        self._on_status = on_status or (lambda status: None)
        self._watch_timeout = watch_timeout
        self._lock = threading.Lock()
        self._store: dict[tuple[str, str, str], dict[ObjKey, dict[str, Any]]] = {
            kind.key: {} for kind in self._kinds
        }
        self._status_lock = threading.RLock()
        self._states: dict[tuple[str, str, str], tuple[_KindState, str]] = {
            kind.key: ("loading", "") for kind in self._kinds
        }
        self._settled: set[tuple[str, str, str]] = set()
        self._status: CacheStatus = Loading(0, len(self._kinds))
        self._on_changes = on_changes or (lambda changes: None)
        self._stopping = threading.Event()
        # Statuses travel with the changes, so Synced never overtakes the objects.
        self._batcher: Batcher[Change | CacheStatus] = Batcher(
            self._deliver, batch_interval, name="cache-changes", merge=_coalesce_runs
        )
        self._informers = [_Informer(self, kind) for kind in self._kinds]

    @property
    def server(self) -> str:
        """The URL of the cluster API."""
        return api.server_of(self._client)

    @property
    def status(self) -> CacheStatus:
        """The current overall status."""
        with self._status_lock:
            return self._status

    @property
    def denied(self) -> dict[Kind, str]:
        """The kinds the cluster refuses to list, with its message."""
        with self._status_lock:
            return {
                kind: self._states[kind.key][1]
                for kind in self._kinds
                if self._states[kind.key][0] == "denied"
            }

    def start(self) -> None:
        """Start the informers; the first status is ``Loading(0, n)``."""
        log.info("cache starting for %s (%d kinds)", self.server, len(self._kinds))
        self._batcher.start()
        self._emit_status(self._status)
        for informer in self._informers:
            informer.start()

    def stop(self, timeout: float = 3.0) -> None:
        """Stop every informer and the batcher, waiting at most about ``timeout``."""
        self._stopping.set()
        for informer in self._informers:
            informer.interrupt()
        deadline = time.monotonic() + timeout
        for informer in self._informers:
            informer.join(max(0.0, deadline - time.monotonic()))
        self._batcher.stop()
        self._client.close()
        log.info("cache stopped for %s", self.server)

    def objects(self, kind: Kind | str) -> list[dict[str, Any]]:
        """Every cached object of ``kind``."""
        key = self._key_of(kind)
        with self._lock:
            return list(self._store[key].values())

    def get(
        self, kind: Kind | str, namespace: str | None, name: str
    ) -> dict[str, Any] | None:
        """The cached object, or None (``namespace`` is None for cluster-scoped kinds)."""
        key = self._key_of(kind)
        with self._lock:
            return self._store[key].get((namespace or "", name))

    def events_for(self, obj: dict[str, Any]) -> list[dict[str, Any]]:
        """The cached Events about ``obj`` (by uid, or by kind/name/namespace), oldest first."""
        if EVENT.key not in self._store:
            return []
        metadata = obj.get("metadata") or {}
        target = (
            str(metadata.get("uid") or ""),
            str(obj.get("kind") or ""),
            str(metadata.get("name") or ""),
            str(metadata.get("namespace") or ""),
        )
        with self._lock:
            events = list(self._store[EVENT.key].values())
        return sorted((e for e in events if _involves(e, *target)), key=event_time)

    def fetch_object(
        self, kind: Kind | str, namespace: str | None, name: str
    ) -> dict[str, Any]:
        """Read one full object from the API (blocking), Secret data included."""
        resolved = self._kind(kind)
        path = resolved.object_path(namespace, name)
        obj = api.get_json(self._client, path)
        obj.setdefault("kind", resolved.kind)
        obj.setdefault("apiVersion", resolved.api_version)
        return obj

    # -- used by the informers ---------------------------------------------------

    def _kind(self, kind: Kind | str) -> Kind:
        if isinstance(kind, Kind):
            return kind
        wanted = kind.lower()
        for candidate in self._kinds:
            if wanted in (candidate.kind.lower(), candidate.plural, candidate.short):
                return candidate
        raise KeyError(f"{kind!r} is not a watched kind")

    def _key_of(self, kind: Kind | str) -> tuple[str, str, str]:
        key = self._kind(kind).key
        if key not in self._store:
            raise KeyError(f"{kind!r} is not a watched kind")
        return key

    def _replace(self, kind: Kind, items: dict[ObjKey, dict[str, Any]]) -> None:
        """Swap in a fresh list and emit its difference from what was cached."""
        with self._lock:
            old = self._store[kind.key]
            self._store[kind.key] = items
        changes = list(_diff(kind, old, items))
        if changes:
            self._batcher.add(changes)

    def _apply(self, kind: Kind, event_type: str, obj: dict[str, Any]) -> None:
        key = _obj_key(obj)
        with self._lock:
            store = self._store[kind.key]
            if event_type == "DELETED":
                known = store.pop(key, None) is not None
                change: Change | None = Change("DELETED", kind, obj) if known else None
            else:
                existed = key in store
                store[key] = obj
                change = Change("MODIFIED" if existed else "ADDED", kind, obj)
        if change is not None:
            self._batcher.add([change])

    def _set_state(self, kind: Kind, state: _KindState, message: str = "") -> None:
        with self._status_lock:
            previous = self._states[kind.key]
            self._states[kind.key] = (state, message)
            if state in ("synced", "denied"):
                self._settled.add(kind.key)
            if state == "denied" and previous != (state, message):
                log.error("%s: %s", kind.plural, message)
                self._emit_status(KindDenied(kind, message))
            status = self._aggregate()
            if status != self._status:
                log.debug("cache status %s -> %s", self._status, status)
                self._status = status
                self._emit_status(status)

    def _aggregate(self) -> CacheStatus:
        states = list(self._states.values())
        unreachable = [message for state, message in states if state == "unreachable"]
        if unreachable:
            return Unreachable(unreachable[0])
        if len(self._settled) < len(states):
            return Loading(len(self._settled), len(states))
        degraded = [message for state, message in states if state == "degraded"]
        return Degraded(degraded[0]) if degraded else Synced()

    def _emit_status(self, status: CacheStatus) -> None:
        self._batcher.add([status])

    def _deliver(self, items: list[Change | CacheStatus]) -> None:
        """Hand changes and statuses to the callbacks in the order they happened."""
        changes: list[Change] = []
        for item in items:
            if isinstance(item, Change):
                changes.append(item)
                continue
            self._call(self._on_changes, changes)
            changes = []
            self._call(self._on_status, item)
        self._call(self._on_changes, changes)

    def _call(self, callback: Callable[[Any], None], value: Any) -> None:
        if value == []:
            return
        try:
            callback(value)
        except Exception:
            log.exception("a cache callback failed")

    def _stopped(self) -> bool:
        return self._stopping.is_set()

    def _wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)


class _Interrupted(ClusterError):
    """A watch stream broke after it had started."""


class _Informer:
    """The list-then-watch loop of one kind, on its own thread."""

    def __init__(self, cache: ClusterCache, kind: Kind) -> None:
        self._cache = cache
        self._kind = kind
        self._client = cache._client
        self._backoff = Backoff(1.0, 30.0, jitter=0.2)
        self._response: urllib3.BaseHTTPResponse | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"informer-{kind.plural}", daemon=True
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

    def start(self) -> None:
        self._thread.start()

    def interrupt(self) -> None:
        api.interrupt(self._response)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        version: str | None = None
        while not self._cache._stopped():
            try:
                if version is None:
                    version = self._list()
                version, healthy = self._watch(version)
                if healthy:
                    self._backoff.reset()
                else:
                    self._pause()
            except api.Expired as exc:
                log.warning("%s: %s; listing again", self._kind.plural, exc)
                version = None
            except AccessDenied as exc:
                self._fail("denied", str(exc))
            except ConnectionFailed as exc:
                self._fail("unreachable", str(exc))
            except ClusterError as exc:
                self._fail("degraded", str(exc))
            except Exception as exc:
                log.exception("the informer for %s failed", self._kind.plural)
                self._fail(
                    "degraded", f"The watch of {self._kind.plural} failed: {exc}"
                )

    def _fail(self, state: _KindState, message: str) -> None:
        if self._cache._stopped():
            return
        if state != "denied":
            log.warning("%s: %s", self._kind.plural, message)
        self._cache._set_state(self._kind, state, message)
        self._pause()

    def _pause(self) -> None:
        self._cache._wait(self._backoff.next_delay())

    def _list(self) -> str:
        """List every page, replace the kind's objects, and return the list's version."""
        items: dict[ObjKey, dict[str, Any]] = {}
        version = ""
        token = ""
        path = self._kind.collection_path()
        while True:
            query = [("limit", str(PAGE_SIZE))] + (
                [("continue", token)] if token else []
            )
            raw = api.request(
                self._client,
                path,
                query,
                accept=self._list_accept,
                headers={"Accept-Encoding": "gzip"},
            )
            self._response = raw
            try:
                body = api.read_json(self._client, raw, path)
            finally:
                self._response = None
            for item in body.get("items") or []:
                obj = self._normalize(item)
                items[_obj_key(obj)] = obj
            metadata = body.get("metadata") or {}
            version = str(metadata.get("resourceVersion") or version)
            token = str(metadata.get("continue") or "")
            if not token or self._cache._stopped():
                break
        self._cache._replace(self._kind, items)
        self._cache._set_state(self._kind, "synced")
        log.debug("listed %d %s at version %s", len(items), self._kind.plural, version)
        return version

    def _watch(self, version: str) -> tuple[str, bool]:
        """Watch from ``version`` until the stream ends; return the last version seen."""
        query = [
            ("watch", "true"),
            ("allowWatchBookmarks", "true"),
            ("resourceVersion", version),
            ("timeoutSeconds", str(self._cache._watch_timeout)),
        ]
        raw = api.request(
            self._client,
            self._kind.collection_path(),
            query,
            accept=self._watch_accept,
            timeout=(10, self._cache._watch_timeout + 30),
        )
        self._response = raw
        if self._cache._stopped():
            api.interrupt(raw)
        self._cache._set_state(self._kind, "synced")
        started = time.monotonic()
        version, events = self._read_events(raw, version)
        healthy = events > 0 or time.monotonic() - started >= 1.0
        return version, healthy

    def _read_events(
        self, raw: urllib3.BaseHTTPResponse, version: str
    ) -> tuple[str, int]:
        buffer = bytearray()
        events = 0
        try:
            for chunk in api.iter_chunks(raw):
                buffer += chunk
                while (end := buffer.find(b"\n")) >= 0:
                    line = bytes(buffer[:end])
                    del buffer[: end + 1]
                    if line.strip():
                        version = self._handle(line, version)
                        events += 1
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raw.close()
            if self._cache._stopped():
                return version, events
            raise _Interrupted(
                f"The watch of {self._kind.plural} on {self._cache.server} broke; "
                "reconnecting"
            ) from exc
        finally:
            self._response = None
        raw.release_conn()
        return version, events

    def _handle(self, line: bytes, version: str) -> str:
        """Apply one watch event and return the newest resource version."""
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError:
            log.warning("%s: skipped a watch line that is not JSON", self._kind.plural)
            return version
        event_type = event.get("type")
        obj = event.get("object") or {}
        if event_type == "ERROR":
            raise _watch_error(self._kind, obj)
        new_version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
        if event_type in ("ADDED", "MODIFIED", "DELETED"):
            self._cache._apply(self._kind, event_type, self._normalize(obj))
        return new_version

    def _normalize(self, obj: dict[str, Any]) -> dict[str, Any]:
        obj["kind"] = self._kind.kind
        obj["apiVersion"] = self._kind.api_version
        if self._kind.key == SECRET.key:
            obj.pop("data", None)
            obj.pop("stringData", None)
        return obj


def _watch_error(kind: Kind, status: dict[str, Any]) -> ClusterError:
    code = status.get("code")
    message = str(status.get("message") or "the watch failed")
    if code == 410:
        return api.Expired(message)
    if code in (401, 403):
        return AccessDenied(f"No access: {message}")
    return ClusterError(f"The watch of {kind.plural} failed: {message}")


def _private_client(api_client: ApiClient, pool_size: int) -> ApiClient:
    """A client on the same configuration with a pool big enough for every watch."""
    configuration = copy.copy(api_client.configuration)
    configuration.connection_pool_maxsize = max(
        pool_size, configuration.connection_pool_maxsize or 0
    )
    return ApiClient(configuration=configuration)


def _obj_key(obj: dict[str, Any]) -> ObjKey:
    metadata = obj.get("metadata") or {}
    return (str(metadata.get("namespace") or ""), str(metadata.get("name") or ""))


def _identity(obj: dict[str, Any]) -> tuple[str, ...]:
    metadata = obj.get("metadata") or {}
    uid = metadata.get("uid")
    return (str(uid),) if uid else _obj_key(obj)


def _version(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


def _diff(
    kind: Kind, old: dict[ObjKey, dict[str, Any]], new: dict[ObjKey, dict[str, Any]]
) -> Iterable[Change]:
    for key, obj in new.items():
        previous = old.get(key)
        if previous is None:
            yield Change("ADDED", kind, obj)
        elif _identity(previous) != _identity(obj):
            yield Change("DELETED", kind, previous)
            yield Change("ADDED", kind, obj)
        elif _version(previous) != _version(obj):
            yield Change("MODIFIED", kind, obj)
    for key, previous in old.items():
        if key not in new:
            yield Change("DELETED", kind, previous)


def coalesce(changes: list[Change]) -> list[Change]:
    """Fold several changes of one object in a batch into one, in first-seen order."""
    merged: dict[tuple[Any, ...], Change] = {}
    for change in changes:
        ident = (change.kind.key, *_identity(change.obj))
        previous = merged.get(ident)
        if previous is None:
            merged[ident] = change
        elif change.type == "DELETED":
            if previous.type == "ADDED":
                del merged[ident]
            else:
                merged[ident] = change
        elif previous.type == "ADDED":
            merged[ident] = Change("ADDED", change.kind, change.obj)
        else:
            merged[ident] = Change("MODIFIED", change.kind, change.obj)
    return list(merged.values())


def _coalesce_runs(items: list[Change | CacheStatus]) -> list[Change | CacheStatus]:
    """Coalesce each run of changes between two statuses, keeping statuses in place."""
    merged: list[Change | CacheStatus] = []
    run: list[Change] = []
    for item in items:
        if isinstance(item, Change):
            run.append(item)
            continue
        merged += coalesce(run)
        run = []
        merged.append(item)
    return merged + coalesce(run)


def _involves(
    event: dict[str, Any], uid: str, kind: str, name: str, namespace: str
) -> bool:
    involved = event.get("involvedObject") or event.get("regarding") or {}
    if uid and involved.get("uid") == uid:
        return True
    event_namespace = involved.get("namespace") or (event.get("metadata") or {}).get(
        "namespace"
    )
    return (
        bool(name)
        and involved.get("name") == name
        and involved.get("kind") == kind
        and (event_namespace or "") == namespace
    )
