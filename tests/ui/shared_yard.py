"""Helpers for tests that run several windows sharing one yard on the qasync loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from krates_desktop.app import Options
from krates_desktop.sync.transport import TransportConfig
from krates_desktop.ui.runner import Session

LOOPBACK_ONLY = TransportConfig(host_addresses=("127.0.0.1",))


async def until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Wait on the running loop until `condition()` holds, or fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


def window(qtbot, kubeconfig: Path, profile: Path) -> Session:  # type: ignore[no-untyped-def]
    """A started window on the sandbox whose peers use loopback addresses only."""
    live = Session(Options(kubeconfig=kubeconfig, profile=profile), LOOPBACK_ONLY)
    qtbot.addWidget(live.window)
    live.window.resize(1200, 800)
    live.window.show()
    live.start()
    return live
