"""Keeps a cache watching the custom resources the cluster serves.

The cache watches CustomResourceDefinitions like any other kind. Whenever one is
added, changed (it becomes Established) or removed, discovery is read again and
the cache is told the custom kinds it should now watch, so a new CRD's objects
reach spotlight without a restart and a deleted CRD's objects go away. The
refresh runs on its own worker thread; several CRD changes while one runs fold
into one more refresh.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from kubernetes.client import ApiClient

from krates_desktop.cluster.cache import Change, ClusterCache
from krates_desktop.cluster.discovery import CRD, Discovery
from krates_desktop.cluster.errors import ClusterError

log = logging.getLogger(__name__)


class CustomKinds:
    """Follows CRD changes and keeps ``cache``'s extra kinds equal to discovery's custom ones."""

    def __init__(self, cache: ClusterCache, api_client: ApiClient) -> None:
        self._cache = cache
        self._discovery = Discovery(api_client)
        self._lock = threading.Lock()
        self._dirty = False
        self._worker: threading.Thread | None = None
        self._closed = False

    def start(self) -> None:
        """Read discovery once now (a user who may not list CRDs still gets their kinds)."""
        self.refresh()

    def changes(self, changes: Iterable[Change]) -> None:
        """Take a batch of cache changes; a CRD among them refreshes the custom kinds."""
        if any(change.kind.key == CRD.key for change in changes):
            self.refresh()

    def refresh(self) -> None:
        """Read discovery again on the worker (soon, once, however often asked)."""
        with self._lock:
            if self._closed:
                return
            self._dirty = True
            if self._worker is not None:
                return
            self._worker = threading.Thread(
                target=self._run, name="custom-kinds", daemon=True
            )
            self._worker.start()

    def close(self) -> None:
        """Stop refreshing and release discovery's connections."""
        with self._lock:
            self._closed = True
            worker = self._worker
        if worker is not None:
            worker.join(2)
        self._discovery.close()

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._dirty or self._closed:
                    self._worker = None
                    return
                self._dirty = False
            self._discovery.invalidate()
            try:
                kinds = self._discovery.custom()
            except ClusterError as exc:
                log.warning("custom resources not refreshed: %s", exc)
                continue
            self._cache.set_extra_kinds(kinds)
