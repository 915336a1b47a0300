"""UI fixtures: a real window session connected to the real sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from krates_desktop.app import Options
from krates_desktop.ui.runner import Session
from krates_desktop.yard.model import ObjRef

POD = "api-server-7c9d5-x2k4p"
POD_REF = ObjRef("Pod", "", "v1", "payments", POD)
SERVICE_REF = ObjRef("Service", "", "v1", "payments", "api-server")


def start_session(  # type: ignore[no-untyped-def]
    qtbot,
    kubeconfig: Path,
    profile: Path,
    context: str | None = None,
    listed: bool = True,
):
    """A window at 1400x900 showing the sandbox as `context`; with `listed`, once the
    pods are listed."""
    live = Session(Options(kubeconfig=kubeconfig, context=context, profile=profile))
    qtbot.addWidget(live.window)
    live.window.resize(1400, 900)
    live.window.show()
    qtbot.waitExposed(live.window)
    live.start()
    if listed:
        qtbot.waitUntil(
            lambda: any(c.name == POD for c in live.source.candidates()), timeout=30000
        )
    return live


@pytest.fixture
def session(qtbot, sandbox_kubeconfig: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A window at 1400x900 showing the sandbox, with the pods listed."""
    live = start_session(qtbot, sandbox_kubeconfig, tmp_path / "profile")
    yield live
    live.shutdown()
