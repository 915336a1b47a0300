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


def test_camera_is_restored_after_restart(
    qtbot, sandbox_kubeconfig: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Pan and zoom, close, reopen with the same profile: the same view comes back."""
    first = _session(qtbot, sandbox_kubeconfig, tmp_path)
    first.window.view.center_on(2500, 1800, 0.5)
    expected = (
        first.window.view.cam_x,
        first.window.view.cam_y,
        first.window.view.zoom,
    )
    first.window.close()
    files = list((tmp_path / "data" / "yards").glob("*/camera.json"))
    assert len(files) == 1

    second = _session(qtbot, sandbox_kubeconfig, tmp_path)
    view = second.window.view
    assert (view.cam_x, view.cam_y, view.zoom) == pytest.approx(expected)
    second.shutdown()


def test_krates_come_back_after_restart(
    qtbot, sandbox_kubeconfig: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Krates and their windows are saved per cluster and reopened with the yard."""
    from tests.ui.conftest import POD_REF, SERVICE_REF

    first = _session(qtbot, sandbox_kubeconfig, tmp_path)
    first.controller.open_view(POD_REF, "logs")
    first.controller.open_view(POD_REF, "yaml")
    first.controller.open_view(SERVICE_REF, "describe")
    saved = {
        k.label: sorted(w.tab for w in k.windows.values())
        for k in first.yard.krates.values()
    }
    first.window.close()

    second = _session(qtbot, sandbox_kubeconfig, tmp_path)
    again = {
        k.label: sorted(w.tab for w in k.windows.values())
        for k in second.yard.krates.values()
    }
    assert again == saved
    assert second.window.top_bar.krate_count.text() == "2 krates"
    assert len(second.controller.krate_items) == 2
    second.shutdown()
