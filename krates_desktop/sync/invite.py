"""Invite links: ``krates://join?signal=…&yard=…&secret=…[&name=…][&cluster=…]``.

``Invite`` holds what a link carries; ``parse_invite`` reads a link pasted or
handed over by the desktop and explains in one sentence what is wrong with a bad
one. The secret inside is a ``YardSecret``, so an ``Invite`` never shows it in a
repr or a log line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

from krates_desktop.sync.errors import InviteError
from krates_desktop.sync.sealing import YardSecret

SCHEME = "krates"
_YARD_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")
_CLUSTER = re.compile(r"^[0-9a-f]{1,64}$")


@dataclass(frozen=True)
class Invite:
    """The contents of an invite link."""

    signal: str
    yard_id: str
    secret: YardSecret
    name: str = ""
    cluster: str = ""

    @property
    def insecure(self) -> bool:
        """True for a ``ws://`` signaling URL (payloads are sealed either way)."""
        return self.signal.startswith("ws://")

    def to_link(self) -> str:
        """The ``krates://join?…`` text (it contains the secret: treat it as one)."""
        parts = [
            f"signal={quote(self.signal, safe='')}",
            f"yard={self.yard_id}",
            f"secret={self.secret.reveal()}",
        ]
        if self.name:
            parts.append(f"name={quote(self.name, safe='')}")
        if self.cluster:
            parts.append(f"cluster={self.cluster[:16]}")
        return f"{SCHEME}://join?" + "&".join(parts)


def make_invite(
    signal: str, yard_id: str, secret: YardSecret, name: str = "", cluster: str = ""
) -> Invite:
    """Build an invite, checking the signaling URL and the yard id."""
    _check_signal(signal)
    if not _YARD_ID.match(yard_id):
        raise InviteError(f"{yard_id!r} is not a yard id (22 characters of base64url).")
    return Invite(signal, yard_id, secret, name, cluster.lower()[:16])


def parse_invite(link: str) -> Invite:
    """Read an invite link; raise InviteError saying what is wrong with it."""
    text = link.strip()
    parts = urlsplit(text)
    if parts.scheme != SCHEME or (parts.netloc or parts.path.strip("/")) != "join":
        raise InviteError(
            "This is not a Krates invite link: it should start with krates://join?"
        )
    query = parse_qs(parts.query, keep_blank_values=True)

    def one(key: str, required: bool = True) -> str:
        values = query.get(key, [])
        if not values or not values[0]:
            if required:
                raise InviteError(
                    f"The invite link has no {key}=…: ask for a new link."
                )
            return ""
        return values[0]

    signal, yard_id, secret_text = one("signal"), one("yard"), one("secret")
    try:
        secret = YardSecret(secret_text)
    except ValueError as exc:
        raise InviteError(
            "The invite link's secret is damaged: copy the whole link again."
        ) from exc
    cluster = one("cluster", required=False).lower()
    if cluster and not _CLUSTER.match(cluster):
        cluster = ""
    return make_invite(signal, yard_id, secret, one("name", required=False), cluster)


def _check_signal(signal: str) -> None:
    parts = urlsplit(signal)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise InviteError(
            f"The signaling address {signal!r} is not a ws:// or wss:// URL."
        )
