"""Helpers of the packaging tests: the repository, a clean checkout, running bundled programs."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"


def clean_checkout(repo: Path, target: Path) -> Path:
    """Copy what a fresh clone plus uncommitted work holds: no build output, caches or venv."""
    listed = (
        subprocess.run(
            [
                "git",
                "-C",
                str(repo),
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ],
            capture_output=True,
            check=True,
        )
        .stdout.decode("utf-8")
        .split("\0")
    )
    for name in filter(None, listed):
        source = repo / name
        if source.is_file():
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)
    return target


def run(
    args: list[str], env: dict[str, str], timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    """Run a program with exactly `env` (nothing inherited)."""
    return subprocess.run(
        args, env=env, capture_output=True, text=True, timeout=timeout
    )


def project_version() -> str:
    """The one version, from pyproject.toml."""
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    return str(tomllib.loads(text)["project"]["version"])
