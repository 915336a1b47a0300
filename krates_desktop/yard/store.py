"""Yards on disk: the document, the camera and the yard's settings, per yard id.

Layout under the data directory (``platformdirs.user_data_dir("krates")`` unless
given): ``yards/<yardId>/doc.bin`` (``Doc.get_update()`` bytes), ``camera.json``,
``yard.json`` (name, signaling URL, context, cluster fingerprint, schema), and
``yards/clusters.json``, which names each cluster's current yard. Files are
written to a temporary name and renamed, so a crash never leaves half a file.
``AutoSaver`` saves a document 2 s after its last change and on ``flush()``.

Limitations: two processes writing the same yard at once are not coordinated
(the app runs one instance per user); the secret is not stored here (see
``sync/secret_store.py``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import platformdirs

from krates_desktop.yard.doc import SCHEMA, YardDoc
from krates_desktop.yard.errors import SchemaMismatch, StoreError, UpdateRejected

log = logging.getLogger(__name__)

SAVE_DELAY_S = 2.0
_YARD_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def default_data_dir() -> Path:
    """The per-user data directory of Krates."""
    return Path(platformdirs.user_data_dir("krates", appauthor=False))


@dataclass(frozen=True)
class YardSettings:
    """What a yard remembers besides its document (``yard.json``)."""

    yard_id: str
    name: str = ""
    signal_url: str = ""
    context: str = ""
    cluster: str = ""
    schema: int = SCHEMA
    archived: bool = False


def _atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise StoreError(f"Could not write {path}: {exc.strerror or exc}.") from exc


class YardStore:
    """Reads and writes yards under one data directory."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or default_data_dir()) / "yards"

    def __repr__(self) -> str:
        return f"<YardStore {self.root}>"

    def folder(self, yard_id: str) -> Path:
        """The folder of one yard (not created)."""
        if not _YARD_ID.match(yard_id):
            raise StoreError(f"{yard_id!r} is not a yard id.")
        return self.root / yard_id

    # the document --------------------------------------------------------------

    def save(self, doc: YardDoc) -> Path:
        """Write the whole document; return the file written."""
        meta = doc.meta
        if meta is None:
            raise StoreError(
                "This yard has not received its first sync yet: nothing to save."
            )
        path = self.folder(meta.yard_id) / "doc.bin"
        _atomic_write(path, doc.update_since())
        settings = self.load_settings(meta.yard_id) or YardSettings(meta.yard_id)
        if settings.name != meta.name or settings.cluster != meta.cluster:
            self.save_settings(_replace(settings, name=meta.name, cluster=meta.cluster))
        log.debug("yard %s saved (%d bytes)", meta.yard_id, path.stat().st_size)
        return path

    def load(self, yard_id: str) -> YardDoc | None:
        """Read a saved yard, or None if there is none; refuse another schema."""
        path = self.folder(yard_id) / "doc.bin"
        settings = self.load_settings(yard_id)
        if settings is not None and settings.schema != SCHEMA:
            raise _schema_error(yard_id, settings.schema)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"Could not read {path}: {exc.strerror or exc}.") from exc
        try:
            doc = YardDoc.from_update(data)
        except UpdateRejected as exc:
            raise StoreError(
                f"The saved yard at {path} is damaged; it was left as it is. "
                "Leave the yard and join it again to get a fresh copy."
            ) from exc
        meta = doc.meta
        if meta is not None and meta.schema != SCHEMA:
            raise _schema_error(yard_id, meta.schema)
        return doc

    def delete(self, yard_id: str) -> None:
        """Remove a yard's folder (leave yard)."""
        shutil.rmtree(self.folder(yard_id), ignore_errors=True)
        index = self._clusters()
        changed = {k: v for k, v in index.items() if v != yard_id}
        if changed != index:
            self._write_clusters(changed)

    def yard_ids(self) -> list[str]:
        """Every yard saved here."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / "doc.bin").is_file())

    # settings and camera -------------------------------------------------------

    def save_settings(self, settings: YardSettings) -> None:
        """Write ``yard.json``."""
        data = json.dumps(asdict(settings), indent=2).encode()
        _atomic_write(self.folder(settings.yard_id) / "yard.json", data)

    def load_settings(self, yard_id: str) -> YardSettings | None:
        """Read ``yard.json``, or None."""
        raw = self._read_json(self.folder(yard_id) / "yard.json")
        if not isinstance(raw, dict):
            return None
        known = {k: raw[k] for k in YardSettings.__dataclass_fields__ if k in raw}
        known["yard_id"] = yard_id
        try:
            return YardSettings(**known)
        except TypeError:
            return None

    def save_camera(self, yard_id: str, camera: dict[str, float]) -> None:
        """Write ``camera.json`` (the camera is local, never shared)."""
        _atomic_write(self.folder(yard_id) / "camera.json", json.dumps(camera).encode())

    def load_camera(self, yard_id: str) -> dict[str, float] | None:
        """Read ``camera.json``, or None."""
        raw = self._read_json(self.folder(yard_id) / "camera.json")
        if not isinstance(raw, dict):
            return None
        try:
            return {str(k): float(v) for k, v in raw.items()}
        except (TypeError, ValueError):
            return None

    # one yard per cluster ------------------------------------------------------

    def yard_for_cluster(self, fingerprint: str) -> str | None:
        """The current yard of a cluster on this machine."""
        return self._clusters().get(fingerprint)

    def set_cluster_yard(self, fingerprint: str, yard_id: str) -> str | None:
        """Make ``yard_id`` the cluster's yard; archive and return the one it replaces."""
        index = self._clusters()
        previous = index.get(fingerprint)
        index[fingerprint] = yard_id
        self._write_clusters(index)
        if previous and previous != yard_id:
            settings = self.load_settings(previous) or YardSettings(previous)
            self.save_settings(_replace(settings, archived=True))
            log.info(
                "yard %s archived: the cluster now uses yard %s", previous, yard_id
            )
            return previous
        return None

    def archived(self) -> list[YardSettings]:
        """Settings of every archived yard."""
        found = (self.load_settings(y) for y in self.yard_ids())
        return [s for s in found if s is not None and s.archived]

    def _clusters(self) -> dict[str, str]:
        raw = self._read_json(self.root / "clusters.json")
        return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}

    def _write_clusters(self, index: dict[str, str]) -> None:
        _atomic_write(self.root / "clusters.json", json.dumps(index, indent=2).encode())

    @staticmethod
    def _read_json(path: Path) -> Any:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable %s: %s", path, exc)
            return None


def _replace(settings: YardSettings, **changes: Any) -> YardSettings:
    return YardSettings(**{**asdict(settings), **changes})


def _schema_error(yard_id: str, schema: int) -> SchemaMismatch:
    return SchemaMismatch(
        f"The saved yard {yard_id} uses document schema {schema} and this Krates "
        f"uses schema {SCHEMA}: update Krates to open it."
    )


class AutoSaver:
    """Saves a document ``delay`` seconds after its last change, and on ``flush``."""

    def __init__(
        self, store: YardStore, doc: YardDoc, delay: float = SAVE_DELAY_S
    ) -> None:
        self.store = store
        self.doc = doc
        self.delay = delay
        self._handle: asyncio.TimerHandle | None = None
        self._dirty = False
        self.saves = 0
        self._unsubscribe = doc.on_changed(self._on_changed)

    def __repr__(self) -> str:
        return f"<AutoSaver {self.doc!r} dirty={self._dirty}>"

    def _on_changed(self, _origin: str) -> None:
        self._dirty = True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._handle is not None:
            self._handle.cancel()
        self._handle = loop.call_later(self.delay, self.flush)

    def flush(self) -> None:
        """Save now if anything changed since the last save."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if not self._dirty or self.doc.meta is None:
            return
        started = time.perf_counter()
        try:
            self.store.save(self.doc)
        except StoreError as exc:
            log.error("%s", exc)
            return
        self._dirty = False
        self.saves += 1
        log.debug("autosave took %.1f ms", (time.perf_counter() - started) * 1000)

    def close(self) -> None:
        """Save what is pending and stop watching the document."""
        self.flush()
        self._unsubscribe()
