"""Yard secrets without a keyring: refused unless the private file was chosen."""

from __future__ import annotations

import stat
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from krates_desktop.sync.errors import NoKeyring, SecretStoreError
from krates_desktop.sync.sealing import YardSecret
from krates_desktop.sync.secret_store import SecretStore

YARD = "Qm3v9cZb0kXn2s7RtY4wLg"


def test_without_a_keyring_nothing_is_written_unless_allowed(tmp_path: Path) -> None:
    """With the failing backend, save raises NoKeyring naming the file option, and writes nothing."""
    store = SecretStore(tmp_path, backend=fail.Keyring())
    assert not store.keyring_available() and store.where() == "nowhere"
    with pytest.raises(NoKeyring, match="file only you can read"):
        store.save(YARD, YardSecret.generate())
    assert not any(tmp_path.rglob("secret"))


def test_the_chosen_file_fallback_is_private(tmp_path: Path) -> None:
    """With the fallback allowed, the secret goes to a 0600 file in a 0700 folder and reads back."""
    store = SecretStore(tmp_path, allow_file=True, backend=fail.Keyring())
    secret = YardSecret.generate()
    assert store.save(YARD, secret) == "file"
    path = tmp_path / "yards" / YARD / "secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert store.load(YARD) == secret
    store.delete(YARD)
    assert store.load(YARD) is None


def test_a_file_others_can_read_is_refused(tmp_path: Path) -> None:
    """A secret file opened up to other users is not used, and the error says how to fix it."""
    store = SecretStore(tmp_path, allow_file=True, backend=fail.Keyring())
    store.save(YARD, YardSecret.generate())
    (tmp_path / "yards" / YARD / "secret").chmod(0o644)
    with pytest.raises(SecretStoreError, match="chmod 600"):
        store.load(YARD)


def test_this_machine_has_no_keyring_by_default() -> None:
    """Without a Secret Service on the bus, keyring picks its failing backend (so tests are honest)."""
    assert (
        isinstance(keyring.get_keyring(), fail.Keyring)
        or SecretStore(Path("/")).where()
    )
