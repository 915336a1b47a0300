"""Where Krates keeps its files, the user's settings, and each yard's camera.

Everything is written below the user's config, data and cache directories (or one
`--profile` directory), never next to the program, so a bundle can run from a
read-only location.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

log = logging.getLogger(__name__)

APP = "krates"


@dataclass(frozen=True)
class Dirs:
    """The three folders Krates writes to."""

    config: Path
    data: Path
    cache: Path

    @classmethod
    def for_profile(cls, profile: Path | None = None) -> Dirs:
        """The user's standard folders, or three folders inside `profile`."""
        if profile is not None:
            root = profile.expanduser().resolve()
            return cls(root / "config", root / "data", root / "cache")
        return cls(
            Path(platformdirs.user_config_dir(APP)),
            Path(platformdirs.user_data_dir(APP)),
            Path(platformdirs.user_cache_dir(APP)),
        )


@dataclass
class Settings:
    """The user's choices; unknown keys in the file are kept as they are."""

    user_id: str = ""
    name: str = ""
    color: str = ""
    signaling_server: str = ""
    ice_servers: list[str] = field(default_factory=list)
    frosted_overlays: bool = False
    cursor_blink: bool = False
    reduce_motion: bool = False
    namespaces: list[str] = field(default_factory=list)
    added_namespaces: dict[str, list[str]] = field(default_factory=dict)
    """Per context: namespaces added by hand by a user who may not list them."""
    extra: dict[str, Any] = field(default_factory=dict)


def _write_json(path: Path, value: dict[str, Any]) -> None:
    """Write atomically: a crash never leaves half a file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(value, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable file %s: %s", path, exc)
        return {}
    return value if isinstance(value, dict) else {}


class SettingsStore:
    """Reads and writes `settings.json` in the config folder."""

    def __init__(self, dirs: Dirs) -> None:
        self.path = dirs.config / "settings.json"

    def load(self) -> Settings:
        """The saved settings, or the defaults."""
        raw = _read_json(self.path)
        known = {k: raw.pop(k) for k in list(raw) if k in Settings.__dataclass_fields__}
        known.pop("extra", None)
        try:
            return Settings(**known, extra=raw)
        except TypeError as exc:
            log.warning("ignoring settings in %s: %s", self.path, exc)
            return Settings()

    def save(self, settings: Settings) -> None:
        """Write the settings."""
        value = asdict(settings)
        value.update(value.pop("extra"))
        _write_json(self.path, value)


@dataclass(frozen=True)
class Camera:
    """A yard's camera, kept per cluster on this machine only."""

    cam_x: float
    cam_y: float
    zoom: float


class CameraStore:
    """Per-cluster camera files in the data folder."""

    def __init__(self, dirs: Dirs) -> None:
        self.root = dirs.data / "yards"

    def _path(self, fingerprint: str) -> Path:
        return self.root / fingerprint[:32] / "camera.json"

    def load(self, fingerprint: str) -> Camera | None:
        """The saved camera for a cluster, if any."""
        raw = _read_json(self._path(fingerprint))
        try:
            return Camera(float(raw["camX"]), float(raw["camY"]), float(raw["zoom"]))
        except (KeyError, TypeError, ValueError):
            return None

    def save(self, fingerprint: str, camera: Camera) -> None:
        """Remember the camera for a cluster."""
        _write_json(
            self._path(fingerprint),
            {"camX": camera.cam_x, "camY": camera.cam_y, "zoom": camera.zoom},
        )
