"""Errors of the sync layer, each one sentence for the person at the keyboard."""

from __future__ import annotations


class SyncError(Exception):
    """Root of the sync layer's errors; ``str()`` says what failed and what to try."""


class InviteError(SyncError):
    """An invite link that cannot be used as it is."""


class SecretStoreError(SyncError):
    """The yard secret could not be kept in, or read from, the keyring or its file."""


class NoKeyring(SecretStoreError):
    """No system keyring is available and no file fallback was chosen."""


class SignalingError(SyncError):
    """The signaling server refused us or could not be reached; ``code`` says why."""

    def __init__(self, message: str, code: str = "unreachable") -> None:
        super().__init__(message)
        self.code = code
