"""Quitting on SIGTERM or SIGINT as on closing the window, so that a `kill PID` or
Ctrl+C still stops the embedded sandbox, its exec processes and its files.

Python runs a signal handler only when the interpreter gets control, and Qt's event
loop may sleep in C++ for long; the signal's wakeup fd wakes a socket notifier, so
the handler runs at once.
"""

from __future__ import annotations

import contextlib
import signal
import socket
from collections.abc import Callable, Iterator

from PySide6.QtCore import QCoreApplication, QSocketNotifier, QTimer

_SIGNALS = tuple(
    sig for sig in (getattr(signal, "SIGTERM", None), signal.SIGINT) if sig is not None
)


@contextlib.contextmanager
def quit_on_signals(app: QCoreApplication) -> Iterator[None]:
    """While inside, SIGTERM and SIGINT make `app` quit its event loop."""
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(lambda *_: _drain(reader))
    previous_fd = signal.set_wakeup_fd(writer.fileno())
    previous: dict[int, Callable[..., object] | int | None] = {
        # Posted, so that a signal before the event loop runs still ends it.
        sig: signal.signal(sig, lambda *_: QTimer.singleShot(0, app.quit))
        for sig in _SIGNALS
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        signal.set_wakeup_fd(previous_fd)
        notifier.setEnabled(False)
        reader.close()
        writer.close()


def _drain(reader: socket.socket) -> None:
    """Empty the wakeup socket (the handler itself has run by now)."""
    with contextlib.suppress(OSError):
        while reader.recv(64):
            pass
