"""Locates the files under `resources/` in a source tree, an install or a bundle."""

import sys
from pathlib import Path


def resource_root() -> Path:
    """Return the folder that holds `fonts/`, `icons/` and the desktop files."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    """Return the path of one resource file, for example `fonts/OFL.txt`."""
    return resource_root().joinpath(*parts)
