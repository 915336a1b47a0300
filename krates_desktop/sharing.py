"""Invites to a cluster's yard, for `krates invite` and the window's "Share yard...".

The yard is the one this machine keeps for the cluster (created if there is none
yet); its secret lives in the system keyring, or, only when the user asks for it,
in a file readable by them alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from krates_desktop.cluster.errors import ClusterError
from krates_desktop.cluster.kubeconfig import Kubeconfig
from krates_desktop.settings import Dirs
from krates_desktop.sync.errors import SyncError
from krates_desktop.sync.invite import InviteError, make_invite
from krates_desktop.sync.sealing import YardSecret
from krates_desktop.sync.secret_store import SecretStore
from krates_desktop.yard.doc import YardDoc
from krates_desktop.yard.errors import YardError
from krates_desktop.yard.store import YardStore

log = logging.getLogger(__name__)


class SharingError(Exception):
    """An invite could not be made; `str()` says why and what to try."""


@dataclass(frozen=True)
class InviteRequest:
    """What `krates invite` was asked for."""

    signal: str
    kubeconfig: Path | None = None
    context: str | None = None
    profile: Path | None = None
    allow_secret_file: bool = False


def yard_for_cluster(store: YardStore, name: str, fingerprint: str) -> YardDoc:
    """The cluster's yard on this machine, created and saved if there is none."""
    yard_id = store.yard_for_cluster(fingerprint)
    doc = store.load(yard_id) if yard_id else None
    if doc is None:
        doc = YardDoc.new(name=name, cluster=fingerprint)
        store.save(doc)
        store.set_cluster_yard(fingerprint, doc.meta.yard_id)  # type: ignore[union-attr]
    return doc


def create_invite(request: InviteRequest) -> str:
    """Return a `krates://join?...` link to the chosen context's yard."""
    try:
        config = Kubeconfig.load([request.kubeconfig] if request.kubeconfig else None)
        name = request.context or config.current_context
        if name is None:
            raise SharingError(
                "The kubeconfig sets no current context: pass --context NAME."
            )
        info = config.context(name)
        fingerprint = config.fingerprint(name)
    except ClusterError as exc:
        raise SharingError(str(exc)) from exc
    dirs = Dirs.for_profile(request.profile)
    try:
        doc = yard_for_cluster(YardStore(dirs.data), info.cluster, fingerprint)
        meta = doc.meta
        assert meta is not None
        secrets = SecretStore(dirs.data, allow_file=request.allow_secret_file)
        secret = secrets.load(meta.yard_id)
        if secret is None:
            secret = YardSecret.generate()
            where = secrets.save(meta.yard_id, secret)
            log.info("new secret for yard %s kept in %s", meta.yard_id, where)
        invite = make_invite(
            request.signal, meta.yard_id, secret, meta.name, fingerprint
        )
    except (YardError, SyncError, InviteError) as exc:
        raise SharingError(str(exc)) from exc
    return invite.to_link()
