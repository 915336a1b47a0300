"""Runs real programs in a real pseudo-terminal and records the bytes they write."""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import termios
import time
from collections.abc import Sequence
from pathlib import Path


class PtySession:
    """One program on the slave side of a fresh PTY of a fixed size; we hold the master."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        cols: int = 80,
        rows: int = 24,
        env: dict[str, str] | None = None,
    ) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(cwd),
            "TERM": "xterm-256color",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            **(env or {}),
        }
        self.proc = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=cwd,
            env=environment,
            start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        os.close(slave)
        self.master = master
        self.output = bytearray()
        self._mark = 0

    def _read(self, timeout: float) -> bool:
        """Read what is available within `timeout`; return False at end of output."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self.master, 65536)
        except OSError:
            return False
        if not data:
            return False
        self.output.extend(data)
        return True

    def expect(self, pattern: bytes, timeout: float = 10.0) -> bytes:
        """Read until `pattern` (a regex) appears in output written since the last expect."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while True:
            match = regex.search(self.output, self._mark)
            if match:
                self._mark = match.end()
                return bytes(self.output[: match.end()])
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._read(min(remaining, 0.1)):
                tail = bytes(self.output[-400:])
                raise AssertionError(
                    f"{pattern!r} never appeared; output ended {tail!r}"
                )

    def send(self, data: bytes) -> None:
        """Type `data` into the program."""
        os.write(self.master, data)

    def settle(self, quiet: float = 0.3, timeout: float = 5.0) -> None:
        """Read until the program has written nothing for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            before = len(self.output)
            if not self._read(quiet) or len(self.output) == before:
                return

    def finish(self, timeout: float = 10.0) -> bytes:
        """Wait for the program to exit and return everything it wrote."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._read(0.1):
            if self.proc.poll() is not None:
                while self._read(0.05):
                    pass
                break
        self.close()
        return bytes(self.output)

    def close(self) -> None:
        """Stop the program if it still runs and release the PTY."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=5)
        os.close(self.master)


def capture(argv: Sequence[str], *, cwd: Path, cols: int = 80, rows: int = 24) -> bytes:
    """Run a program that needs no input and return all it wrote to the terminal."""
    return PtySession(argv, cwd=cwd, cols=cols, rows=rows).finish()
