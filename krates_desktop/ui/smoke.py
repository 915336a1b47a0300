"""`krates --smoke-test`: drives the real window through spotlight, Logs and Shell.

Packagers run it against a built bundle: it finds a pod through spotlight, opens
its Logs and Shell with the keyboard, waits for a log line and for the output of
`echo` in the shell, and exits 0, or non-zero with the reason on stderr.
"""

from __future__ import annotations

import logging
import secrets
import sys
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from krates_desktop.ui.windows.bindings import LogsBinding, ShellBinding

log = logging.getLogger(__name__)

POD_QUERY = "api-server-7c9d5-x2k4p"
TIMEOUT_S = 60.0


def send_key(
    widget, key: Qt.Key, text: str = "", mods=Qt.KeyboardModifier.NoModifier
) -> None:  # type: ignore[no-untyped-def]
    """Deliver a real key press and release to `widget`."""
    for kind in (QKeyEvent.Type.KeyPress, QKeyEvent.Type.KeyRelease):
        QApplication.sendEvent(widget, QKeyEvent(kind, key, mods, text))


class SmokeTest(QObject):
    """A small state machine run by a timer; each step waits for its condition."""

    def __init__(self, session) -> None:  # type: ignore[no-untyped-def]
        super().__init__(session.window)
        self.session = session
        self.exit_code = 1
        self.marker = f"smoke-{secrets.token_hex(3)}"
        self._deadline = time.monotonic() + TIMEOUT_S
        self._steps: list[tuple[str, Callable[[], bool]]] = [
            ("the sandbox pods are listed", self._pods_listed),
            ("spotlight finds the pod and opens Logs and Shell", self._open_views),
            ("a log line arrives", self._log_line_arrived),
            ("the shell connects", self._shell_connected),
            ("echo prints in the shell", self._echo_seen),
        ]
        self._timer = QTimer(self, interval=100)
        self._timer.timeout.connect(self._tick)
        self._typed = False

    def start(self) -> None:
        """Begin; the event loop must be running for the steps to advance."""
        self._timer.start()

    def _tick(self) -> None:
        if time.monotonic() > self._deadline:
            self._finish(1, f"timed out waiting until {self._steps[0][0]}")
            return
        if self.session.window.problem.isVisible() and self.session.connection is None:
            self._finish(2, f"no cluster: {self.session.window.problem.body.text()}")
            return
        name, step = self._steps[0]
        try:
            done = step()
        except Exception as exc:  # noqa: BLE001 - the smoke test reports every failure
            self._finish(1, f"{name}: {exc}")
            return
        if done:
            print(f"smoke: ok: {name}", flush=True)
            self._steps.pop(0)
            if not self._steps:
                self._finish(0, "")

    def _finish(self, code: int, reason: str) -> None:
        self._timer.stop()
        self.exit_code = code
        if reason:
            print(f"smoke test failed: {reason}", file=sys.stderr, flush=True)
        else:
            print("smoke test passed", flush=True)
        QTimer.singleShot(0, QApplication.instance().quit)

    def _pods_listed(self) -> bool:
        # What spotlight searches: its index, filled from the cache's delivered
        # changes (the cache itself may already hold the pod a batch earlier).
        index = self.session.window.spotlight.index
        return any(c.name == POD_QUERY for c in index.candidates())

    def _open_views(self) -> bool:
        spot = self.session.window.spotlight
        view = self.session.window.view
        view.setFocus()
        send_key(view, Qt.Key.Key_A, "a")
        if not spot.is_open():
            raise RuntimeError("typing on the canvas did not open spotlight")
        spot.input.setText(POD_QUERY)
        spot.refresh()
        current = spot.results.current()
        if current is None or current.name != POD_QUERY:
            return False  # not ranked first yet: try again on the next tick
        alt = Qt.KeyboardModifier.AltModifier
        send_key(spot.input, Qt.Key.Key_L, "l", alt)
        send_key(spot.input, Qt.Key.Key_S, "s", alt)
        return True

    def _bindings(self, cls: type) -> list:  # type: ignore[type-arg]
        return [
            b for b in self.session.controller.bindings.values() if isinstance(b, cls)
        ]

    def _log_line_arrived(self) -> bool:
        logs = self._bindings(LogsBinding)
        return bool(logs) and logs[0].view.line_count() > 0

    def _shell_connected(self) -> bool:
        shells = self._bindings(ShellBinding)
        if shells and shells[0].state in ("failed", "disconnected"):
            raise RuntimeError(shells[0].window.message)
        return bool(shells) and shells[0].state == "connected"

    def _echo_seen(self) -> bool:
        shell = self._bindings(ShellBinding)[0]
        if not self._typed:
            shell.session.write(f"echo {self.marker}\r".encode())
            self._typed = True
            return False
        return any(
            line.strip() == self.marker
            for line in shell.terminal.screen_text().splitlines()
        )
