"""Presence in a yard over the Yjs awareness protocol: who is here and what they do.

Each replica publishes one state (a ``Presence``) keyed by its document client id.
This module encodes and decodes awareness updates byte for byte as y-protocols
does, keeps every peer's latest state, throttles cursor broadcasts to one per
50 ms, re-broadcasts the local state as a heartbeat at least every 5 s, and
removes peers that have been silent for 30 s. It sends nothing itself: whoever
owns the transport registers ``on_broadcast`` and feeds received updates to
``apply``.

Limitations: the clocks are the process's monotonic and wall clocks; a peer whose
wall clock is wrong shows odd ``lastActive`` values, which are only displayed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypedDict

from krates_desktop.yard.palette import fnv1a32

log = logging.getLogger(__name__)

HEARTBEAT_S = 5.0
EXPIRY_S = 30.0
CURSOR_INTERVAL_S = 0.05
TYPING_S = 1.5
RELAYED_GRACE_S = 5.0
MAX_STATE_BYTES = 8192

USER_PALETTE = (
    "#ff9f6b",
    "#6fb1ff",
    "#a98bff",
    "#7bc8a4",
    "#f08fd0",
    "#c9d86a",
    "#d6a86c",
    "#66d4e0",
)


class Cursor(TypedDict):
    """A pointer position in world coordinates."""

    x: float
    y: float


class Presence(TypedDict):
    """One user's awareness state, as every peer sees it."""

    userId: str
    name: str
    color: str
    cursor: Cursor | None
    activeKrateId: str | None
    spotlightQuery: str | None
    typing: bool
    activeNamespace: str | None
    lastActive: int
    ts: int


@dataclass(frozen=True)
class AwarenessChange:
    """Which client ids appeared, changed or disappeared, and from where."""

    added: tuple[int, ...]
    updated: tuple[int, ...]
    removed: tuple[int, ...]
    origin: str

    def ids(self) -> tuple[int, ...]:
        """Every client id this change touches."""
        return self.added + self.updated + self.removed


@dataclass(frozen=True)
class AwarenessApplied:
    """The result of applying an update: what listeners were told, and which
    entries were newer than ours (the ones worth passing on to other peers)."""

    change: AwarenessChange | None
    accepted: tuple[int, ...]


@dataclass(frozen=True)
class AwarenessEntry:
    """One (client, clock, state) triple of an awareness update; state None = gone."""

    client_id: int
    clock: int
    state: dict[str, Any] | None


class AwarenessError(ValueError):
    """An awareness update that does not follow the protocol."""


def user_color(user_id: str) -> str:
    """The default colour of a user: ``userPalette[fnv1a32(userId) % 8]``."""
    return USER_PALETTE[fnv1a32(user_id.encode("utf-8")) % len(USER_PALETTE)]


def now_ms() -> int:
    """Milliseconds since the epoch."""
    return int(time.time() * 1000)


# codec ---------------------------------------------------------------------------


def _varuint(value: int) -> bytes:
    out = bytearray()
    while value > 127:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


class _Reader:
    """Bounded reader: running off the end raises ``AwarenessError``."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def varuint(self) -> int:
        value = shift = 0
        while True:
            if self.pos >= len(self.data) or shift > 63:
                raise AwarenessError("awareness update ends inside a number")
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    def string(self) -> str:
        length = self.varuint()
        if self.pos + length > len(self.data):
            raise AwarenessError("awareness update ends inside a string")
        raw = self.data[self.pos : self.pos + length]
        self.pos += length
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise AwarenessError("awareness state is not UTF-8") from exc


def encode_awareness_update(entries: Iterable[AwarenessEntry]) -> bytes:
    """Encode entries the way y-protocols' ``encodeAwarenessUpdate`` does."""
    items = list(entries)
    parts = [_varuint(len(items))]
    for entry in items:
        text = json.dumps(entry.state, separators=(",", ":"), ensure_ascii=False)
        raw = text.encode("utf-8")
        parts += [
            _varuint(entry.client_id),
            _varuint(entry.clock),
            _varuint(len(raw)),
            raw,
        ]
    return b"".join(parts)


def decode_awareness_update(data: bytes) -> list[AwarenessEntry]:
    """Decode an awareness update; raise ``AwarenessError`` when it is malformed."""
    reader = _Reader(data)
    count = reader.varuint()
    if count > 4096:
        raise AwarenessError(f"awareness update claims {count} clients")
    entries = []
    for _ in range(count):
        client_id, clock = reader.varuint(), reader.varuint()
        text = reader.string()
        entries.append(AwarenessEntry(client_id, clock, _parse_state(text)))
    if reader.pos != len(data):
        raise AwarenessError("awareness update has trailing bytes")
    return entries


def _parse_state(text: str) -> dict[str, Any] | None:
    if len(text) > MAX_STATE_BYTES:
        raise AwarenessError(f"an awareness state of {len(text)} bytes is too large")
    try:
        value = json.loads(text) if text else None
    except json.JSONDecodeError as exc:
        raise AwarenessError("awareness state is not JSON") from exc
    if value is not None and not isinstance(value, dict):
        raise AwarenessError("awareness state is not an object")
    return value


def normalize_presence(raw: dict[str, Any]) -> Presence:
    """Coerce a remote state into a ``Presence``, filling in what is missing."""
    cursor = raw.get("cursor")
    parsed_cursor: Cursor | None = None
    if isinstance(cursor, dict):
        try:
            parsed_cursor = {"x": float(cursor["x"]), "y": float(cursor["y"])}
        except (KeyError, TypeError, ValueError):
            parsed_cursor = None
    user_id = str(raw.get("userId") or "")
    return Presence(
        userId=user_id,
        name=str(raw.get("name") or "someone"),
        color=str(raw.get("color") or user_color(user_id)),
        cursor=parsed_cursor,
        activeKrateId=_opt_str(raw.get("activeKrateId")),
        spotlightQuery=_opt_str(raw.get("spotlightQuery")),
        typing=bool(raw.get("typing", False)),
        activeNamespace=_opt_str(raw.get("activeNamespace")),
        lastActive=_int(raw.get("lastActive")),
        ts=_int(raw.get("ts")),
    )


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


# the awareness ---------------------------------------------------------------------


class YardAwareness:
    """The local presence plus every peer's, with throttle, heartbeat and expiry."""

    def __init__(
        self,
        client_id: int,
        user_id: str,
        name: str,
        color: str | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_ms: Callable[[], int] = now_ms,
        heartbeat_s: float = HEARTBEAT_S,
        expiry_s: float = EXPIRY_S,
    ) -> None:
        self.client_id = client_id
        self.heartbeat_s = heartbeat_s
        self.expiry_s = expiry_s
        self._clock = clock
        self._wall_ms = wall_ms
        self._local = Presence(
            userId=user_id,
            name=name,
            color=color or user_color(user_id),
            cursor=None,
            activeKrateId=None,
            spotlightQuery=None,
            typing=False,
            activeNamespace=None,
            lastActive=wall_ms(),
            ts=wall_ms(),
        )
        self._local_clock = 0
        self._states: dict[int, Presence] = {}
        self._clocks: dict[int, int] = {}
        self._last_heard: dict[int, float] = {}
        self._heard_via: dict[int, dict[str, float]] = {}
        self._last_broadcast = -1e9
        self._last_cursor_sent = -1e9
        self._cursor_pending = False
        self._typed_at: float | None = None
        self._broadcasters: list[Callable[[bytes], None]] = []
        self._listeners: list[Callable[[AwarenessChange], None]] = []
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self.sent_bytes = 0

    def __repr__(self) -> str:
        return f"<YardAwareness client={self.client_id} peers={len(self._states)}>"

    # reading --------------------------------------------------------------------

    @property
    def local(self) -> Presence:
        """A copy of the local state as last set."""
        return Presence(**self._local)

    def peers(self) -> dict[int, Presence]:
        """Every remote client's latest state, keyed by client id."""
        return dict(self._states)

    def states(self) -> dict[int, Presence]:
        """Every state including the local one (under this replica's client id)."""
        return {self.client_id: self.local, **self._states}

    # subscribing ------------------------------------------------------------------

    def on_broadcast(self, sender: Callable[[bytes], None]) -> Callable[[], None]:
        """Call ``sender(update)`` with each awareness update to send to every peer."""
        self._broadcasters.append(sender)
        return lambda: self._broadcasters.remove(sender)

    def subscribe(
        self, listener: Callable[[AwarenessChange], None]
    ) -> Callable[[], None]:
        """Call ``listener(change)`` when a remote state appears, changes or leaves."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # local changes -----------------------------------------------------------------

    def update(self, **fields: Any) -> None:
        """Change local fields (names as in ``Presence``) and broadcast at once."""
        unknown = set(fields) - set(Presence.__annotations__)
        if unknown:
            raise TypeError(f"not presence fields: {sorted(unknown)}")
        changed = {k: v for k, v in fields.items() if self._local.get(k) != v}
        if not changed:
            return
        self._local.update(changed)  # type: ignore[typeddict-item]
        self._broadcast()

    def set_cursor(self, position: tuple[float, float] | None) -> None:
        """Move the local cursor (world coordinates, None when off the canvas)."""
        cursor: Cursor | None = None
        if position is not None:
            cursor = {"x": float(position[0]), "y": float(position[1])}
        if cursor == self._local["cursor"]:
            return
        self._local["cursor"] = cursor
        self._local["lastActive"] = self._wall_ms()
        if self._clock() - self._last_cursor_sent >= CURSOR_INTERVAL_S:
            self._broadcast()
            return
        self._cursor_pending = True
        if self._wake is not None:
            self._wake.set()

    def note_input(self) -> None:
        """Record user input now (``lastActive``); broadcast with the next message."""
        self._local["lastActive"] = self._wall_ms()

    def set_spotlight(self, query: str | None, typed: bool = False) -> None:
        """Spotlight opened (query ``""``), typed in, or closed (None)."""
        fields: dict[str, Any] = {"spotlightQuery": query}
        if typed and query is not None:
            self._typed_at = self._clock()
            fields["typing"] = True
            fields["lastActive"] = self._wall_ms()
        elif query is None:
            fields["typing"] = False
            self._typed_at = None
        self.update(**fields)

    def _broadcast(self) -> None:
        now = self._clock()
        self._local_clock += 1
        self._local["ts"] = self._wall_ms()
        self._last_broadcast = now
        self._last_cursor_sent = now
        self._cursor_pending = False
        self._send(self.encode([self.client_id]))

    def _send(self, update: bytes) -> None:
        self.sent_bytes += len(update)
        for sender in list(self._broadcasters):
            try:
                sender(update)
            except Exception:
                log.exception("an awareness sender failed")

    def goodbye(self) -> bytes:
        """The update that tells peers we leave (a null state with a newer clock)."""
        self._local_clock += 1
        return encode_awareness_update(
            [AwarenessEntry(self.client_id, self._local_clock, None)]
        )

    # encoding ------------------------------------------------------------------

    def encode(self, client_ids: Iterable[int]) -> bytes:
        """Encode the current states of ``client_ids`` (missing ones as null)."""
        entries = []
        for cid in client_ids:
            if cid == self.client_id:
                entries.append(
                    AwarenessEntry(cid, self._local_clock, dict(self._local))
                )
            else:
                state = self._states.get(cid)
                entries.append(
                    AwarenessEntry(cid, self._clocks.get(cid, 0), _dict(state))
                )
        return encode_awareness_update(entries)

    def encode_all(self) -> bytes:
        """Encode the local state and every known remote state."""
        return self.encode([self.client_id, *self._states])

    # remote changes --------------------------------------------------------------

    def apply(self, update: bytes, origin: str) -> AwarenessApplied:
        """Apply a received update; raise AwarenessError if it is malformed."""
        entries = decode_awareness_update(update)
        now = self._clock()
        buckets: dict[str, list[int]] = {
            "added": [],
            "updated": [],
            "removed": [],
            "refreshed": [],
        }
        for entry in entries:
            self._heard_via.setdefault(entry.client_id, {})[origin] = now
            if entry.client_id == self.client_id:
                self._defend_local(entry)
                continue
            bucket = self._accept(entry, now)
            if bucket is not None:
                buckets[bucket].append(entry.client_id)
        change = self._notify(
            buckets["added"], buckets["updated"], buckets["removed"], origin
        )
        accepted = tuple(cid for ids in buckets.values() for cid in ids)
        return AwarenessApplied(change, accepted)

    def _accept(self, entry: AwarenessEntry, now: float) -> str | None:
        cid = entry.client_id
        known = self._clocks.get(cid)
        if known is not None and entry.clock < known:
            return None
        if known is not None and entry.clock == known:
            if not (entry.state is None and cid in self._states):
                return None
        self._clocks[cid] = entry.clock
        self._last_heard[cid] = now
        if entry.state is None:
            return "removed" if self._states.pop(cid, None) is not None else "refreshed"
        presence = normalize_presence(entry.state)
        previous = self._states.get(cid)
        self._states[cid] = presence
        if previous is None:
            return "added"
        return "updated" if _visible(previous) != _visible(presence) else "refreshed"

    def _defend_local(self, entry: AwarenessEntry) -> None:
        """Someone reported our own state as gone: we are here, say so again."""
        if entry.state is None and entry.clock >= self._local_clock:
            self._local_clock = entry.clock
            self._broadcast()

    def remove(self, client_ids: Iterable[int], origin: str) -> AwarenessChange | None:
        """Forget remote states (expired, or their only path closed)."""
        removed = [cid for cid in client_ids if self._states.pop(cid, None) is not None]
        return self._notify([], [], removed, origin)

    def forget_via(self, peer: str) -> AwarenessChange | None:
        """A link closed: drop states last heard through it and through no other
        link in the last 5 s."""
        now = self._clock()
        gone = []
        for cid, via in self._heard_via.items():
            if peer not in via or cid not in self._states:
                continue
            via.pop(peer, None)
            if not any(now - t <= RELAYED_GRACE_S for t in via.values()):
                gone.append(cid)
        return self.remove(gone, f"closed:{peer}")

    def _notify(
        self, added: list[int], updated: list[int], removed: list[int], origin: str
    ) -> AwarenessChange | None:
        if not (added or updated or removed):
            return None
        change = AwarenessChange(tuple(added), tuple(updated), tuple(removed), origin)
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:
                log.exception("an awareness listener failed")
        return change

    # time ------------------------------------------------------------------------

    def tick(self) -> float:
        """Run what is due (cursor flush, typing, heartbeat, expiry); return the
        seconds until something is due again."""
        now = self._clock()
        if self._typed_at is not None and now - self._typed_at >= TYPING_S:
            self._typed_at = None
            self.update(typing=False)
        if self._cursor_pending and now - self._last_cursor_sent >= CURSOR_INTERVAL_S:
            self._broadcast()
        if now - self._last_broadcast >= self.heartbeat_s:
            self._broadcast()
        self._expire(now)
        return self._next_due(now)

    def _expire(self, now: float) -> None:
        silent = [
            cid
            for cid in self._states
            if now - self._last_heard.get(cid, now) >= self.expiry_s
        ]
        if silent:
            log.info(
                "awareness: %d peer(s) silent for %.0f s removed",
                len(silent),
                self.expiry_s,
            )
            self.remove(silent, "timeout")

    def _next_due(self, now: float) -> float:
        due = [self._last_broadcast + self.heartbeat_s]
        if self._cursor_pending:
            due.append(self._last_cursor_sent + CURSOR_INTERVAL_S)
        if self._typed_at is not None:
            due.append(self._typed_at + TYPING_S)
        due += [
            t + self.expiry_s
            for cid, t in self._last_heard.items()
            if cid in self._states
        ]
        return max(0.0, min(due) - now)

    async def run(self) -> None:
        """Keep ticking on the running asyncio loop until cancelled."""
        self._wake = asyncio.Event()
        try:
            while True:
                delay = self.tick()
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._wake.wait(), timeout=min(delay, 1.0) + 0.001
                    )
        finally:
            self._wake = None

    def start(self) -> None:
        """Start ``run`` as a task on the running loop (idempotent)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.run())

    async def stop(self) -> None:
        """Stop the ticking task."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _dict(state: Presence | None) -> dict[str, Any] | None:
    return dict(state) if state is not None else None


def _visible(state: Presence) -> tuple[Any, ...]:
    """The fields a listener cares about: a heartbeat changes only ``ts``."""
    return tuple(v for k, v in state.items() if k != "ts")


class SmoothedCursor:
    """A remote cursor eased towards each new position over 80 ms."""

    def __init__(self, duration_s: float = 0.08) -> None:
        self.duration_s = duration_s
        self._from: tuple[float, float] | None = None
        self._to: tuple[float, float] | None = None
        self._since = 0.0

    def target(self, position: tuple[float, float] | None, now: float) -> None:
        """Aim at ``position`` (None hides the cursor at once)."""
        if position is None or self._to is None:
            self._from = self._to = position
        else:
            self._from = self.position(now)
            self._to = position
        self._since = now

    def position(self, now: float) -> tuple[float, float] | None:
        """Where to draw the cursor at ``now``."""
        if self._to is None or self._from is None:
            return None
        t = min(1.0, max(0.0, (now - self._since) / self.duration_s))
        ease = 1 - (1 - t) ** 3
        return (
            self._from[0] + (self._to[0] - self._from[0]) * ease,
            self._from[1] + (self._to[1] - self._from[1]) * ease,
        )

    def settled(self, now: float) -> bool:
        """True when the cursor has reached its target."""
        return now - self._since >= self.duration_s
