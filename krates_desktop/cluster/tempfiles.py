"""Private files for certificate data that TLS libraries only accept as paths.

Kubeconfigs carry certificates and keys inline (``*-data``), but OpenSSL loads
client keys from files. Each blob is written once, by content hash, into a
directory only the user can read, and the directory is removed at exit.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
import threading
from pathlib import Path

_lock = threading.Lock()
_directory: Path | None = None


def _root() -> Path:
    global _directory
    if _directory is None:
        _directory = Path(tempfile.mkdtemp(prefix="krates-tls-"))
        os.chmod(_directory, 0o700)
        atexit.register(shutil.rmtree, _directory, True)
    return _directory


def private_file(data: bytes, suffix: str) -> Path:
    """A file (mode 0600) holding ``data``; the same data always gives the same path."""
    name = hashlib.sha256(data).hexdigest()[:24] + suffix
    with _lock:
        path = _root() / name
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
    return path
