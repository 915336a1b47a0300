"""The API health probe behind the cluster pill's dot: ``GET /readyz``."""

from __future__ import annotations

import logging

from kubernetes.client import ApiClient

from krates_desktop.cluster import api
from krates_desktop.cluster.errors import ClusterError

log = logging.getLogger(__name__)


def probe_health(api_client: ApiClient, timeout: float = 5) -> bool:
    """True when the cluster API answers ``/readyz`` with 200 within ``timeout`` seconds.

    Blocking: call it on a worker thread.
    """
    try:
        raw = api.request(
            api_client, "/readyz", accept="text/plain", timeout=timeout, kind="health"
        )
    except ClusterError as exc:
        log.debug("health probe of %s failed: %s", api.server_of(api_client), exc)
        return False
    raw.drain_conn()
    raw.release_conn()
    return True
