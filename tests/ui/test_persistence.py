"""The camera survives a restart, per cluster, in the profile's data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from krates_desktop.app import Options
from krates_desktop.ui.runner import Session


def _session(qtbot, kubeconfig: Path, profile: Path) -> Session:  # type: ignore[no-untyped-def]
    live = Session(Options(kubeconfig=kubeconfig, profile=profile))
    qtbot.addWidget(live.window)
    live.window.resize(1200, 800)
    live.window.show()
    qtbot.waitExposed(live.window)
    live.start()
    return live


def test_camera_is_restored_after_restart(qtbot, sandbox_kubeconfig: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Pan and zoom, close, reopen with the same profile: the same view comes back."""
    first = _session(qtbot, sandbox_kubeconfig, tmp_path)
    first.window.view.center_on(2500, 1800, 0.5)
    expected = (first.window.view.cam_x, first.window.view.cam_y, first.window.view.zoom)
    first.window.close()
    files = list((tmp_path / "data" / "yards").glob("*/camera.json"))
    assert len(files) == 1

    second = _session(qtbot, sandbox_kubeconfig, tmp_path)
    view = second.window.view
    assert (view.cam_x, view.cam_y, view.zoom) == pytest.approx(expected)
    second.shutdown()
