"""Where yard secrets are kept: the system keyring, or a file only the user can read.

Secrets go to the keyring (``keyring``: Secret Service, macOS Keychain, Windows
Credential Locker) under the service ``krates`` and the user name
``yard:<yardId>``. Where no keyring backend exists, saving raises ``NoKeyring``
unless the caller explicitly allowed the file fallback, which writes
``yards/<yardId>/secret`` with mode 0600 in a 0700 folder. Nothing is ever
written in plain text without that choice, and no secret reaches a log.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

from krates_desktop.sync.errors import NoKeyring, SecretStoreError
from krates_desktop.sync.sealing import YardSecret

log = logging.getLogger(__name__)

SERVICE = "krates"


def _account(yard_id: str) -> str:
    return f"yard:{yard_id}"


class SecretStore:
    """Saves, loads and deletes yard secrets."""

    def __init__(
        self,
        data_dir: Path,
        *,
        allow_file: bool = False,
        backend: KeyringBackend | None = None,
    ) -> None:
        self.folder = data_dir / "yards"
        self.allow_file = allow_file
        self._backend = backend

    def __repr__(self) -> str:
        return f"<SecretStore {self.where()} file_fallback={self.allow_file}>"

    @property
    def backend(self) -> KeyringBackend:
        """The keyring backend in use."""
        if self._backend is None:
            self._backend = keyring.get_keyring()
        return self._backend

    def keyring_available(self) -> bool:
        """True when a working keyring backend exists on this machine."""
        try:
            self.backend.get_password(SERVICE, "probe")
        except NoKeyringError:
            return False
        except KeyringError as exc:
            log.warning("the keyring is not usable: %s", type(exc).__name__)
            return False
        return True

    def where(self) -> str:
        """Where secrets go: ``keyring``, ``file`` or ``nowhere``."""
        if self.keyring_available():
            return "keyring"
        return "file" if self.allow_file else "nowhere"

    def save(self, yard_id: str, secret: YardSecret) -> str:
        """Keep a yard's secret; return where it went (``keyring`` or ``file``)."""
        if self.keyring_available():
            try:
                self.backend.set_password(SERVICE, _account(yard_id), secret.reveal())
            except KeyringError as exc:
                raise SecretStoreError(
                    f"The system keyring refused to store the yard secret "
                    f"({type(exc).__name__}); unlock the keyring and try again."
                ) from exc
            log.info("yard %s secret stored in the keyring", yard_id)
            return "keyring"
        if not self.allow_file:
            raise NoKeyring(
                "No system keyring is available to keep the yard secret. Krates can "
                f"keep it in a file only you can read ({self._path(yard_id)}) if you "
                "allow it."
            )
        self._write_file(yard_id, secret)
        log.info("yard %s secret stored in a private file", yard_id)
        return "file"

    def load(self, yard_id: str) -> YardSecret | None:
        """The yard's secret, from the keyring or else its file; None if neither."""
        if self.keyring_available():
            try:
                text = self.backend.get_password(SERVICE, _account(yard_id))
            except KeyringError as exc:
                raise SecretStoreError(
                    "The system keyring could not be read; unlock it and try again."
                ) from exc
            if text:
                return _parse(text)
        return self._read_file(yard_id)

    def delete(self, yard_id: str) -> None:
        """Forget a yard's secret everywhere it may be."""
        if self.keyring_available():
            try:
                self.backend.delete_password(SERVICE, _account(yard_id))
            except PasswordDeleteError:
                pass
            except KeyringError as exc:
                log.warning("could not delete a yard secret from the keyring: %s", exc)
        path = self._path(yard_id)
        if path.exists():
            path.unlink()

    def _path(self, yard_id: str) -> Path:
        return self.folder / yard_id / "secret"

    def _write_file(self, yard_id: str, secret: YardSecret) -> None:
        path = self._path(yard_id)
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(path.parent, 0o700)
            tmp = path.with_name(".secret.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secret.reveal())
            os.replace(tmp, path)
        except OSError as exc:
            raise SecretStoreError(
                f"Could not write the yard secret file {path}: {exc}."
            ) from exc

    def _read_file(self, yard_id: str) -> YardSecret | None:
        path = self._path(yard_id)
        try:
            info = path.stat()
        except FileNotFoundError:
            return None
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SecretStoreError(
                f"The yard secret file {path} can be read by other users; "
                "it was not used. Run chmod 600 on it, or leave and join the yard again."
            )
        return _parse(path.read_text(encoding="ascii").strip())


def _parse(text: str) -> YardSecret:
    try:
        return YardSecret(text)
    except ValueError as exc:
        raise SecretStoreError(
            "The stored yard secret is damaged; join the yard again."
        ) from exc
