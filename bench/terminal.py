"""Terminal throughput: real program output through our emulator and the Shell widget.

Captures real output in a pseudo-terminal on this machine (plain text: `cat` of the
log samples; coloured text: `grep --color=always` and `ls --color=always`;
full-screen redraws: interactive `top` and `less` paging), at 80x24 and 200x60, then
feeds the same bytes to

* the Shell widget (`TerminalItem` in a shown `QGraphicsView`, painting included),
* our emulator alone (`TerminalScreen`, scroll-back on),
* bare `pyte.Screen` and `pyte.HistoryScreen(history=5000)` (the baselines),

and prints MB/s for each (ours: the best of three runs), with the ratio against the
baselines. Last, it runs `cat`
of a 20 MB file in a PTY, reads it into the widget as a session would, and prints
the frame times while the output scrolls.

Run: `QT_QPA_PLATFORM=offscreen .venv/bin/python bench/terminal.py [--quick]`
"""

from __future__ import annotations

import fcntl
import gc
import os
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyte  # noqa: E402
from PySide6.QtCore import QEvent, QSocketNotifier, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QGraphicsScene, QGraphicsView  # noqa: E402

from krates_desktop.terminal.screen import TerminalScreen  # noqa: E402
from krates_desktop.ui.windows.terminal_view import TerminalItem  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
LOGS = REPO.parent / "shared" / "data" / "logs"
SIZES = ((80, 24), (200, 60))
BASELINE_BYTES = 400_000  # bare pyte is slow: it gets a prefix of each stream
REPEATS = 3  # best of three for our figures: other work on the machine adds noise


# -- capturing real output -----------------------------------------------------------


def run_in_pty(
    argv: list[str],
    cols: int,
    rows: int,
    keys: Callable[[int], bytes | None] = None,  # type: ignore[assignment]
) -> bytes:
    """Run a program in a fresh PTY of the given size and return all it wrote.

    `keys(n)` is called each time output pauses; it returns bytes to type, or None
    when the program should be left to finish.
    """
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "LANG": "C.UTF-8", "LESS": ""}
    env["COLUMNS"], env["LINES"] = str(cols), str(rows)
    proc = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    out = bytearray()
    pauses = 0
    while True:
        ready, _, _ = select.select([master], [], [], 0.15)
        if ready:
            try:
                data = os.read(master, 1 << 16)
            except OSError:
                break
            if not data:
                break
            out.extend(data)
            continue
        if proc.poll() is not None:
            break
        if keys is not None:
            typed = keys(pauses)
            pauses += 1
            if typed:
                os.write(master, typed)
    proc.wait()
    os.close(master)
    return bytes(out)


def capture_streams(cols: int, rows: int, quick: bool) -> dict[str, bytes]:
    """Real output of plain, coloured and full-screen programs at one size."""
    logs = sorted(str(p) for p in LOGS.glob("*.log"))
    plain = run_in_pty(["cat", *logs[: 4 if quick else 10]], cols, rows)
    coloured = run_in_pty(
        ["grep", "--color=always", "-E", r"INFO|WARN|ERROR|[0-9]+\.[0-9]+", *logs[:6]],
        cols,
        rows,
    ) + run_in_pty(["ls", "-l", "--color=always", "/usr/bin", "/usr/lib"], cols, rows)
    pages = 40 if quick else 150
    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as handle:
        handle.write(Path(logs[0]).read_text(errors="replace") * 3)
    less = run_in_pty(
        ["less", "-S", handle.name],
        cols,
        rows,
        lambda n: b" " if n < pages else (b"q" if n == pages else None),
    )
    os.unlink(handle.name)
    top = run_in_pty(["top", "-d", "0.05", "-n", "15" if quick else "40"], cols, rows)
    return {"plain": plain, "coloured": coloured, "full-screen": less + top}


# -- feeding -------------------------------------------------------------------------


def rate_of(feed: Callable[[bytes], None], data: bytes, chunk: int = 4096) -> float:
    """MB/s of feeding `data` in chunks the size a reader gets them."""
    started = time.perf_counter()
    for offset in range(0, len(data), chunk):
        feed(data[offset : offset + chunk])
    return len(data) / (time.perf_counter() - started) / 1e6


def pyte_rate(screen: pyte.Screen, data: bytes) -> float:
    stream = pyte.ByteStream(screen)
    return rate_of(stream.feed, data[:BASELINE_BYTES])


class WidgetRig:
    """A TerminalItem in a shown view, sized to a grid, with its paints counted."""

    def __init__(self, app: QApplication, cols: int, rows: int) -> None:
        self.app = app
        self.scene = QGraphicsScene()
        self.item = TerminalItem()
        self.scene.addItem(self.item)
        cw, ch = self.item.cell_size
        self.item.set_size(cols * cw + 1, rows * ch + 1)
        self.item.fit_now()
        self.view = FrameView(self.scene)
        self.view.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.view.resize(int(cols * cw) + 20, int(rows * ch) + 20)
        self.view.show()
        app.processEvents()

    def rate(self, data: bytes, chunk: int = 4096) -> float:
        """MB/s from the first byte fed to the last row painted."""
        item = self.item
        started = time.perf_counter()
        for offset in range(0, len(data), chunk):
            item.feed(data[offset : offset + chunk])
            if item.pending_bytes() > 1 << 20:
                self.app.processEvents()
        while item.pending_bytes():
            self.app.processEvents()
        self.app.processEvents()
        return len(data) / (time.perf_counter() - started) / 1e6

    def close(self) -> None:
        """Free the view, scene and item now, scroll-back included.

        `deleteLater` alone waits for an event loop that this script never runs, so
        each rig would stay alive, and the garbage collector's full passes over
        them would slow every later figure.
        """
        self.view.close()
        self.scene.removeItem(self.item)
        for obj in (self.item, self.view, self.scene):
            obj.deleteLater()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        del self.item, self.view, self.scene
        gc.collect()


class FrameView(QGraphicsView):
    """A view that records when each frame was painted."""

    def __init__(self, scene: QGraphicsScene) -> None:
        super().__init__(scene)
        self.frames: list[float] = []

    def paintEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)  # type: ignore[arg-type]
        self.frames.append(time.perf_counter())


def throughput(app: QApplication, quick: bool) -> None:
    """Print MB/s per stream and size for the widget, our screen and bare pyte."""
    print("Throughput, MB/s (ratio: widget / bare HistoryScreen, widget / bare Screen)")
    header = f"{'stream':12} {'size':7} {'MB':>6} {'widget':>8} {'screen':>8}"
    print(header + f" {'pyte':>8} {'pyteHist':>8} {'xHist':>6} {'xScreen':>7}")
    for cols, rows in SIZES:
        streams = capture_streams(cols, rows, quick)
        for name, data in streams.items():
            widget = ours = 0.0
            for _ in range(REPEATS):
                rig = WidgetRig(app, cols, rows)
                widget = max(widget, rig.rate(data))
                rig.close()
                ours = max(ours, rate_of(TerminalScreen(cols, rows).feed, data))
            bare = pyte_rate(pyte.Screen(cols, rows), data)
            hist = pyte_rate(pyte.HistoryScreen(cols, rows, history=5000), data)
            # pyte's screens are cyclic garbage of a million cells: free them now, or
            # the collector's full pass over them lands in a later figure.
            gc.collect()
            print(
                f"{name:12} {cols}x{rows:<4} {len(data) / 1e6:6.2f} {widget:8.2f}"
                f" {ours:8.2f} {bare:8.2f} {hist:8.2f} {widget / hist:6.1f}"
                f" {widget / bare:7.1f}"
            )


# -- frame times while cat scrolls ---------------------------------------------------


def frame_times(app: QApplication, megabytes: int, cols: int, rows: int) -> None:
    """`cat` of a big file in a PTY, read into the widget; print the frame times.

    Two figures: the gaps between painted frames, and the longest stretch the GUI
    thread was busy (a 1 ms heartbeat timer that fires late shows it).
    """
    source = b"".join(p.read_bytes() for p in sorted(LOGS.glob("*.log")))
    with tempfile.NamedTemporaryFile(suffix=".log", delete=False) as handle:
        written = 0
        while written < megabytes * 1_000_000:
            handle.write(source)
            written += len(source)
    rig = WidgetRig(app, cols, rows)
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    proc = subprocess.Popen(["cat", handle.name], stdout=slave, stderr=slave)
    os.close(slave)
    received = 0
    done = False

    def on_readable() -> None:
        nonlocal received, done
        try:
            data = os.read(master, 1 << 16)
        except OSError:
            data = b""
        if not data:
            done = True
            notifier.setEnabled(False)
            return
        received += len(data)
        rig.item.feed(data)

    beats: list[float] = []
    cpu: list[float] = []
    heartbeat = QTimer()
    heartbeat.setInterval(1)

    def on_beat() -> None:
        beats.append(time.perf_counter())
        cpu.append(time.thread_time())

    heartbeat.timeout.connect(on_beat)
    notifier = QSocketNotifier(master, QSocketNotifier.Type.Read)
    notifier.activated.connect(on_readable)
    rig.view.frames.clear()
    gc.collect()  # start from a clean heap: no other figure's garbage in these
    heartbeat.start()
    started = time.perf_counter()
    while not done or rig.item.pending_bytes():
        app.processEvents()
    elapsed = time.perf_counter() - started
    for _ in range(5):
        app.processEvents()
    heartbeat.stop()
    proc.wait()
    os.close(master)
    os.unlink(handle.name)
    frames = [t for t in rig.view.frames if t <= started + elapsed]
    rig.close()
    print(
        f"\ncat of {written / 1e6:.1f} MB at {cols}x{rows}: {received / 1e6:.1f} MB in"
        f" {elapsed:.2f} s ({received / elapsed / 1e6:.2f} MB/s), {len(frames)} frames"
    )
    for label, times in (("frame gap", frames), ("GUI busy", beats)):
        gaps = sorted((b - a) * 1000 for a, b in zip(times, times[1:], strict=False))
        if gaps:
            p99 = gaps[min(len(gaps) - 1, int(len(gaps) * 0.99))]
            print(
                f"  {label:9} ms: median {statistics.median(gaps):5.1f}, p99 {p99:5.1f},"
                f" max {gaps[-1]:5.1f}  (goal: none over 50)"
            )
    if len(beats) > 1:
        # The GUI thread's own CPU time in its longest gap: far below the gap's wall
        # time means the machine, not the terminal, held the thread up.
        walls = [b - a for a, b in zip(beats, beats[1:], strict=False)]
        worst = max(range(len(walls)), key=walls.__getitem__)
        used = (cpu[worst + 1] - cpu[worst]) * 1000
        print(
            f"  longest GUI gap: {walls[worst] * 1000:.1f} ms wall, {used:.1f} ms CPU"
        )
        # The longest our own code held the thread: the most CPU in any one gap.
        held = max(b - a for a, b in zip(cpu, cpu[1:], strict=False)) * 1000
        print(f"  most GUI CPU in one gap: {held:.1f} ms  (goal: none over 10)")


def main() -> None:
    quick = "--quick" in sys.argv
    app = QApplication.instance() or QApplication(sys.argv)
    throughput(app, quick)  # type: ignore[arg-type]
    for cols, rows in SIZES:
        frame_times(app, 5 if quick else 20, cols, rows)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
