"""Packaging fixtures: a bundle built from a clean copy of the repository, and clean environments.

The `bundle` marker runs by default (CI runs it); building takes about a minute on
two cores and happens once per session.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.packaging.helpers import REPO, clean_checkout

BUILD_TIMEOUT_S = 480


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "bundle: builds the PyInstaller bundle from a clean checkout (about a minute)",
    )


@dataclass(frozen=True)
class Build:
    """A bundle built by the test session."""

    source: Path
    dist: Path
    work: Path
    seconds: float


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """`packaging/krates.spec` built into a one-folder bundle from a clean checkout."""
    root = tmp_path_factory.mktemp("bundle")
    source = clean_checkout(REPO, root / "src")
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(root / "dist"),
            "--workpath",
            str(root / "build"),
            str(source / "packaging" / "krates.spec"),
        ],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return Build(
        source, root / "dist" / "krates", root / "build", time.monotonic() - started
    )


@pytest.fixture(scope="session")
def no_python_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PATH folder with every program of the machine except Python's."""
    folder = tmp_path_factory.mktemp("bin")
    for directory in ("/usr/local/bin", "/usr/bin", "/bin"):
        for program in sorted(Path(directory).iterdir()):
            name = program.name
            if (
                name.startswith(("python", "pip", "pydoc", "idle"))
                or (folder / name).exists()
            ):
                continue
            (folder / name).symlink_to(program)
    return folder


@pytest.fixture
def bare_env(no_python_bin: Path, tmp_path: Path) -> Iterator[dict[str, str]]:
    """A login of its own: an empty HOME and runtime folder, no Python, no D-Bus or keyring."""
    home = tmp_path / "home"
    home.mkdir()
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    yield {
        "PATH": str(no_python_bin),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "XDG_RUNTIME_DIR": str(runtime),
    }
