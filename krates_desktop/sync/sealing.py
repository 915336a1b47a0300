"""The yard secret and what is derived from it: the room id and the sealing key.

The signaling server only ever sees ``room_id(yard_id, secret)`` and sealed
payloads. Sealing is ChaCha20-Poly1305 with a key from HKDF-SHA256 over the
secret, a random 12-byte nonce before the ciphertext, and ``from ‖ to`` as
associated data, so a relay can neither read an offer nor alter or redirect it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ROOM_LABEL = b"krates-room-v1"
KEY_INFO = b"krates-signal-v1"
NONCE_BYTES = 12
SECRET_BYTES = 32
# Sent in place of a sealed payload to tell a peer its seal did not open. It is
# not authenticated: a relay could forge it, which only denies service, as a
# relay can anyway by dropping messages.
BAD_SEAL_NOTICE = b"krates:bad-seal"


class SealError(ValueError):
    """A sealed payload that does not open with our key (wrong secret or tampered)."""


def _b64url_decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.urlsafe_b64decode(padded.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise ValueError("not base64url") from exc


@dataclass(frozen=True)
class YardSecret:
    """32 random bytes shared by a yard's members; never shown in a repr or log."""

    value: str = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.raw) != SECRET_BYTES:
            raise ValueError("a yard secret is 32 bytes of base64url (43 characters)")

    def __repr__(self) -> str:
        return "YardSecret(<hidden>)"

    __str__ = __repr__

    @classmethod
    def generate(cls) -> YardSecret:
        """A fresh random secret."""
        raw = secrets.token_bytes(SECRET_BYTES)
        return cls(base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii"))

    @property
    def raw(self) -> bytes:
        """The 32 secret bytes."""
        return _b64url_decode(self.value)

    def reveal(self) -> str:
        """The base64url text, for an invite link or the keyring only."""
        return self.value


def room_id(yard_id: str, secret: YardSecret) -> str:
    """``hex(SHA-256("krates-room-v1" ‖ yardId ‖ secret))[:32]``."""
    digest = hashlib.sha256(ROOM_LABEL + yard_id.encode("utf-8") + secret.raw)
    return digest.hexdigest()[:32]


class Sealer:
    """Seals and opens signaling payloads with the key derived from one secret."""

    def __init__(self, secret: YardSecret) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_INFO
        ).derive(secret.raw)
        self._aead = ChaCha20Poly1305(key)

    def __repr__(self) -> str:
        return "Sealer(<key hidden>)"

    def seal(self, sender: str, recipient: str, payload: dict[str, Any]) -> str:
        """Encrypt ``payload`` (JSON) for ``recipient``; return base64 text."""
        nonce = os.urandom(NONCE_BYTES)
        plain = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        sealed = nonce + self._aead.encrypt(nonce, plain, _ad(sender, recipient))
        return base64.b64encode(sealed).decode("ascii")

    def open(self, sender: str, recipient: str, data: str) -> dict[str, Any]:
        """Decrypt a payload sealed by ``sender`` for ``recipient``; raise SealError."""
        try:
            sealed = base64.b64decode(data.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
            raise SealError("sealed payload is not base64") from exc
        if len(sealed) < NONCE_BYTES + 16:
            raise SealError("sealed payload is too short")
        nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        try:
            plain = self._aead.decrypt(nonce, body, _ad(sender, recipient))
        except InvalidTag as exc:
            raise SealError(
                "sealed payload does not open with this yard's secret"
            ) from exc
        value = json.loads(plain.decode("utf-8"))
        if not isinstance(value, dict):
            raise SealError("sealed payload is not an object")
        return value


def bad_seal_notice() -> str:
    """The ``data`` that tells a peer its payload did not open."""
    return base64.b64encode(BAD_SEAL_NOTICE).decode("ascii")


def is_bad_seal_notice(data: str) -> bool:
    """True when ``data`` is the unsealed notice of ``bad_seal_notice``."""
    try:
        return base64.b64decode(data.encode("ascii"), validate=True) == BAD_SEAL_NOTICE
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return False


def _ad(sender: str, recipient: str) -> bytes:
    return sender.encode("utf-8") + recipient.encode("utf-8")
