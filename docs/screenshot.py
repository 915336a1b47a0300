"""Takes docs/screenshot.png: `krates --demo` in a real X window under Xvfb.

Run it through `make screenshot` (which starts Xvfb). It opens a pod's krate
with four windows, lets the logs stream and types `ls` into the shell, then
captures the whole X screen with ImageMagick's `import`.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from krates_desktop.app import Options
from krates_desktop.ui.runner import Session, ensure_application

POD = "api-server-7c9d5-x2k4p"


def main(out: Path) -> int:
    app = ensure_application()
    session = Session(Options(demo=True))
    session.window.setGeometry(0, 0, 1600, 1000)
    session.window.show()
    session.start()
    deadline = time.monotonic() + 30

    def wait(condition) -> None:  # type: ignore[no-untyped-def]
        while not condition() and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.02)

    wait(lambda: any(c.name == POD for c in session.source.candidates()))
    ref = next(c.payload for c in session.source.candidates() if c.name == POD)
    for tab in ("logs", "shell", "yaml", "describe"):
        session.controller.open_view(ref, tab)
    shell = next(
        b for b in session.controller.bindings.values() if b.window.tab == "shell"
    )
    wait(lambda: shell.state == "connected")
    time.sleep(0.5)
    app.processEvents()
    shell.session.write(b"ls -la /etc | head -12\r")
    end = time.monotonic() + 4
    wait(lambda: time.monotonic() > end)
    krate = next(iter(session.yard.krates.values()))
    cx, cy = krate.center()
    session.window.view.center_on(cx, cy - 40, 0.86)
    end = time.monotonic() + 1
    wait(lambda: time.monotonic() > end)
    subprocess.run(["import", "-window", "root", str(out)], check=True)
    print(f"wrote {out}")
    session.shutdown()
    QTimer.singleShot(0, app.quit)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshot.png")))
