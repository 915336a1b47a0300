"""Shared inputs for the log pane's model tests: the real log samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SHARED

LOGS = SHARED / "data" / "logs"


def sample_bytes(name: str) -> bytes:
    """One real sample log as it is on disk (CRLF line ends)."""
    return (LOGS / name).read_bytes()


def sample_lines(name: str) -> list[str]:
    """The lines of a sample, decoded, without line ends."""
    lines = sample_bytes(name).decode("utf-8").split("\r\n")
    return lines[:-1] if lines[-1] == "" else lines


@pytest.fixture
def spill_dir(tmp_path: Path) -> Path:
    """A directory for spill files, so each test sees only its own."""
    path = tmp_path / "spill"
    path.mkdir()
    return path
