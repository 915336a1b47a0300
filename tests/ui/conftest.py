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
        qtbot.waitUntil(lambda: searchable(live, POD), timeout=30000)
    return live


def searchable(live, name: str) -> bool:  # type: ignore[no-untyped-def]
    """Whether spotlight can find `name`: its index holds it (filled from the cache's
    delivered changes, a batch after the cache itself has the object)."""
    return any(c.name == name for c in live.window.spotlight.index.candidates())


@pytest.fixture
def session(qtbot, sandbox_kubeconfig: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A window at 1400x900 showing the sandbox, with the pods listed."""
    live = start_session(qtbot, sandbox_kubeconfig, tmp_path / "profile")
    yield live
    live.shutdown()
