"""One version, set in pyproject.toml, everywhere it is shown."""

from __future__ import annotations

import re
import subprocess
import sys

from krates_desktop import __version__
from tests.packaging.helpers import PACKAGING, REPO, project_version


def test_package_and_command_line_report_the_pyproject_version() -> None:
    """`krates --version` prints the version written in pyproject.toml."""
    result = subprocess.run(
        [sys.executable, "-m", "krates_desktop", "--version"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.stdout.split() == ["krates", project_version()]
    assert __version__ == project_version()


def test_changelog_and_metainfo_start_with_the_current_version() -> None:
    """The newest CHANGELOG entry and the newest AppStream release name the current version."""
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    released = re.findall(r"^## \[(\d[^\]]*)\]", changelog, re.MULTILINE)
    assert released and released[0] == project_version()
    assert "## [Unreleased]" in changelog
    metainfo = (PACKAGING / "linux" / "krates.metainfo.xml").read_text(encoding="utf-8")
    releases = re.findall(r'<release version="([^"]+)"', metainfo)
    assert releases and releases[0] == project_version()


def test_about_dialog_shows_the_version(qtbot) -> None:  # type: ignore[no-untyped-def]
    """The About dialog names Krates, its version and its licence."""
    from PySide6.QtWidgets import QWidget

    from krates_desktop.ui.about import show_about

    parent = QWidget()
    qtbot.addWidget(parent)
    box = show_about(parent)
    qtbot.waitUntil(box.isVisible)
    assert box.windowTitle() == "About Krates"
    assert box.text() == f"<b>Krates</b> {project_version()}"
    assert "Licensed under Apache-2.0." in box.informativeText()
    assert "PySide6 6." in box.informativeText()
    box.close()
