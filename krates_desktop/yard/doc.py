"""The yard document: a pycrdt ``Doc`` with the two roots ``meta`` and ``krates``.

This module owns the CRDT itself: it creates the roots once, runs each user action
as one transaction, applies foreign updates behind a guard that turns any decoding
failure (including a Rust panic, which is a ``BaseException``) into
``UpdateRejected``, and tells listeners about every transaction together with its
origin (``LOCAL`` or the id of the peer whose bytes were applied).

Limitations: origins are tracked by this wrapper, not by pycrdt, so updates must be
applied through ``YardDoc.apply_update`` for listeners to learn where they came from.
"""

from __future__ import annotations

import base64
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pycrdt import Doc, Map, TransactionEvent

from krates_desktop.yard.errors import SchemaMismatch, UpdateRejected

log = logging.getLogger(__name__)

SCHEMA = 1
LOCAL = "local"
EMPTY_UPDATE = b"\x00\x00"

_FATAL = (KeyboardInterrupt, SystemExit, GeneratorExit)

UpdateListener = Callable[[bytes, str], None]
ChangeListener = Callable[[str], None]


@dataclass(frozen=True)
class MetaInfo:
    """The ``meta`` root: schema version, yard id, display name, cluster, creation."""

    schema: int
    yard_id: str
    name: str
    cluster: str
    created_at: int


def new_yard_id() -> str:
    """Return a fresh yard id: 16 random bytes as 22 characters of base64url."""
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode()


class YardDoc:
    """One yard's CRDT document, with origin-aware change notification."""

    def __init__(self, doc: Doc[Any] | None = None) -> None:
        self.doc: Doc[Any] = doc if doc is not None else Doc()
        self.meta_map: Map[Any] = self.doc.get("meta", type=Map)
        self.krates_map: Map[Any] = self.doc.get("krates", type=Map)
        self._origin: str | None = None
        self._depth = 0
        self._update_listeners: list[UpdateListener] = []
        self._change_listeners: list[ChangeListener] = []
        self.doc.observe(self._on_transaction)

    def __repr__(self) -> str:
        meta = self.meta
        return f"<YardDoc {meta.yard_id if meta else '?'} client={self.client_id}>"

    @classmethod
    def new(
        cls,
        *,
        name: str,
        cluster: str,
        yard_id: str | None = None,
        created_at: int | None = None,
    ) -> YardDoc:
        """Create a local yard with its ``meta`` written in one transaction."""
        ydoc = cls()
        with ydoc.transact():
            ydoc.meta_map["schema"] = SCHEMA
            ydoc.meta_map["yardId"] = yard_id or new_yard_id()
            ydoc.meta_map["name"] = name
            ydoc.meta_map["cluster"] = cluster
            ydoc.meta_map["createdAt"] = created_at or int(time.time() * 1000)
        return ydoc

    @classmethod
    def from_update(cls, update: bytes) -> YardDoc:
        """Rebuild a document (with a fresh client id) from ``get_update()`` bytes."""
        ydoc = cls()
        ydoc.apply_update(update, origin="disk")
        return ydoc

    @property
    def client_id(self) -> int:
        """This replica's client id, which also keys its awareness state."""
        return int(self.doc.client_id)

    @property
    def meta(self) -> MetaInfo | None:
        """The parsed ``meta`` root, or None while it has not arrived yet."""
        raw = self.meta_map.to_py() or {}
        if "yardId" not in raw:
            return None
        try:
            return MetaInfo(
                schema=int(raw.get("schema", 0)),
                yard_id=str(raw["yardId"]),
                name=str(raw.get("name", "")),
                cluster=str(raw.get("cluster", "")),
                created_at=int(raw.get("createdAt", 0)),
            )
        except (TypeError, ValueError):
            log.warning("yard meta is malformed: %r", sorted(raw))
            return None

    def check_schema(self) -> None:
        """Raise ``SchemaMismatch`` when the document's schema is not ours."""
        meta = self.meta
        if meta is not None and meta.schema != SCHEMA:
            raise SchemaMismatch(
                f"This yard uses document schema {meta.schema} and this Krates uses "
                f"schema {SCHEMA}: update Krates to join this yard."
            )

    def set_name(self, name: str) -> None:
        """Rename the yard (one transaction)."""
        with self.transact():
            self.meta_map["name"] = name

    # transactions -------------------------------------------------------------

    @contextmanager
    def transact(self, origin: str = LOCAL) -> Iterator[None]:
        """Run the block as one transaction; nested blocks join the outer one."""
        if self._depth and origin != self._origin:
            raise RuntimeError("nested transactions must share their origin")
        self._depth += 1
        self._origin = origin
        try:
            with self.doc.transaction():
                yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._origin = None
        if self._depth == 0:
            self._notify_changed(origin)

    def apply_update(self, update: bytes, origin: str) -> None:
        """Merge a foreign update; raise ``UpdateRejected`` if it does not decode."""
        if update == EMPTY_UPDATE:
            return
        try:
            with self.transact(origin):
                self.doc.apply_update(update)
        except _FATAL:
            raise
        except BaseException as exc:  # noqa: B036 - a Rust panic is a BaseException
            raise UpdateRejected(
                f"An update of {len(update)} bytes from {origin} could not be decoded "
                f"({type(exc).__name__}); it was dropped."
            ) from exc

    def state_vector(self) -> bytes:
        """The document's state vector (what it has seen from every client)."""
        return bytes(self.doc.get_state())

    def update_since(self, state_vector: bytes | None = None) -> bytes:
        """Everything not covered by ``state_vector`` (the whole document if None)."""
        try:
            return bytes(self.doc.get_update(state_vector))
        except _FATAL:
            raise
        except BaseException as exc:  # noqa: B036 - a Rust panic is a BaseException
            raise UpdateRejected(
                f"A state vector of {len(state_vector or b'')} bytes could not be decoded."
            ) from exc

    def size(self) -> int:
        """Size in bytes of the whole document encoded as one update."""
        return len(self.update_since())

    # listeners ----------------------------------------------------------------

    def on_update(self, listener: UpdateListener) -> Callable[[], None]:
        """Call ``listener(update, origin)`` with each transaction's update bytes."""
        self._update_listeners.append(listener)
        return lambda: self._update_listeners.remove(listener)

    def on_changed(self, listener: ChangeListener) -> Callable[[], None]:
        """Call ``listener(origin)`` after each transaction has been committed."""
        self._change_listeners.append(listener)
        return lambda: self._change_listeners.remove(listener)

    def _on_transaction(self, event: TransactionEvent) -> None:
        update = bytes(event.update)
        if update == EMPTY_UPDATE:
            return
        origin = self._origin or LOCAL
        for listener in list(self._update_listeners):
            try:
                listener(update, origin)
            except Exception:
                log.exception("an update listener failed")

    def _notify_changed(self, origin: str) -> None:
        for listener in list(self._change_listeners):
            try:
                listener(origin)
            except Exception:
                log.exception("a change listener failed")
