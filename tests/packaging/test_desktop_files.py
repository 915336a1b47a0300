"""The desktop file, the AppStream metainfo and the icons are valid and agree with each other."""

from __future__ import annotations

import configparser
import struct
import subprocess
import sys

from PySide6.QtGui import QImage

from tests.packaging.helpers import PACKAGING, REPO

LINUX = PACKAGING / "linux"
ICONS = REPO / "resources" / "icons"


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment, method-assign]
    parser.read(LINUX / "krates.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_file_is_valid_and_handles_krates_links() -> None:
    """desktop-file-validate accepts it; it declares the krates scheme and passes the URL."""
    checked = subprocess.run(
        ["desktop-file-validate", str(LINUX / "krates.desktop")],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0 and checked.stdout == "", checked.stdout
    entry = _desktop_entry()
    assert entry["MimeType"] == "x-scheme-handler/krates;"
    assert entry["Exec"] == "krates %u" and entry["Icon"] == "krates"


def test_metainfo_is_valid_and_launches_the_desktop_file() -> None:
    """appstreamcli accepts the metainfo (the id is not reverse-DNS: the project has no domain)."""
    checked = subprocess.run(
        [
            "appstreamcli",
            "validate",
            "--no-net",
            "--override=cid-desktopapp-is-not-rdns=info",
            str(LINUX / "krates.metainfo.xml"),
        ],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout
    text = (LINUX / "krates.metainfo.xml").read_text(encoding="utf-8")
    assert '<launchable type="desktop-id">krates.desktop</launchable>' in text


def test_committed_icons_are_renders_of_the_svg(qapp) -> None:  # type: ignore[no-untyped-def]
    """Every PNG, the .ico and the .icns match a fresh render of krates.svg (make_icons.py)."""
    sys.path.insert(0, str(PACKAGING))
    import make_icons

    fresh = make_icons.icon_files(ICONS / "krates.svg")
    for name, data in fresh.items():
        path = ICONS / name
        assert path.exists(), f"run packaging/make_icons.py: {name} is missing"
        if name.endswith(".png"):
            assert _same_pixels(QImage.fromData(data), QImage(str(path))), name
    assert _ico_sizes(ICONS / "krates.ico") == sorted(make_icons.ICO_SIZES)
    assert (ICONS / "krates.icns").read_bytes()[:4] == b"icns"


def _same_pixels(a: QImage, b: QImage) -> bool:
    if a.size() != b.size():
        return False
    a = a.convertToFormat(QImage.Format.Format_ARGB32)
    b = b.convertToFormat(QImage.Format.Format_ARGB32)
    worst = max(
        abs(x - y)
        for x, y in zip(bytes(a.constBits()), bytes(b.constBits()), strict=True)
    )
    return worst <= 2


def _ico_sizes(path) -> list[int]:  # type: ignore[no-untyped-def]
    data = path.read_bytes()
    count = struct.unpack_from("<H", data, 4)[0]
    return sorted((data[6 + 16 * i] or 256) for i in range(count))
