"""Fixtures for the terminal tests: a real bash in a real PTY."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.terminal.pty_capture import PtySession

PROMPT = rb"\$ "


@pytest.fixture
def shell(tmp_path: Path) -> Iterator[PtySession]:
    """An interactive bash (prompt `$ `, no rc files) in an 80x24 PTY, at its prompt."""
    session = PtySession(
        ["bash", "--norc", "--noprofile", "-i"],
        cwd=tmp_path,
        env={"PS1": "$ ", "HISTFILE": "/dev/null"},
    )
    session.expect(PROMPT)
    try:
        yield session
    finally:
        if session.proc.poll() is None:
            session.close()
