"""Canvas frame time and spotlight keystroke latency.

Run: `QT_QPA_PLATFORM=offscreen .venv/bin/python bench/ui.py [--canvas | --spotlight]`
(`--profile` adds a profile of the loaded canvas frames).

1. Frame time while panning and zooming across 30 krates holding 100 windows, with
   10 log windows streaming from the sandbox, beside the empty canvas (baseline)
   in the same process. The camera moves a step each 60th of a second; a frame is
   each paint of the canvas, those the app's own updates cause included.
2. Spotlight latency per keystroke over 50,000 objects: four queries typed letter
   by letter into the real panel, answered from its index; beside the full fuzzy
   scan of every name (how spotlight worked before the index) and a plain
   substring scan of the same names (baseline). Also the index's memory (traced
   while a second index of the same names is built).
"""

from __future__ import annotations

import cProfile
import os
import pstats
import random
import statistics
import string
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QWidget  # noqa: E402

from krates_desktop.app import Options  # noqa: E402
from krates_desktop.ui.canvas.view import CanvasView  # noqa: E402
from krates_desktop.ui.runner import Session, ensure_application  # noqa: E402
from krates_desktop.ui.spotlight.fuzzy import Candidate, rank  # noqa: E402
from krates_desktop.ui.spotlight.index import SearchIndex  # noqa: E402
from krates_desktop.ui.spotlight.spotlight import Spotlight  # noqa: E402
from krates_desktop.yard.model import ObjRef, available_tabs  # noqa: E402

PODS = 200  # generated running pods, beside the sandbox's own objects


def start_sandbox(state: Path) -> tuple[subprocess.Popen[str], Path]:
    """The sandbox in its own process, as a real cluster would be: its threads then
    never compete with the window's for the interpreter lock."""
    kubeconfig = state / "kubeconfig"
    code = (
        "import sys; from pathlib import Path; from krates_desktop.sandbox.cli import run;"
        f" sys.exit(run(0, Path({str(kubeconfig)!r}), pods={PODS}))"
    )
    box = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True
    )
    assert box.stdout is not None
    line = box.stdout.readline()
    if "listening" not in line:
        box.kill()
        raise SystemExit(f"the sandbox did not start: {line!r}")
    return box, kubeconfig


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def pump(app, seconds: float) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.005)


FRAME_S = 1 / 60


class PaintClock:
    """Wall and CPU time of each paint of the canvas: those that camera changes
    cause and those of the app's own updates (a log line arriving, a rested zoom
    settling), each a frame on the screen."""

    def __init__(self) -> None:
        self.paints: list[tuple[float, float]] | None = None
        original = CanvasView.paintEvent

        def timed(view, event):  # type: ignore[no-untyped-def]
            start, cpu = time.perf_counter(), time.thread_time()
            original(view, event)
            if self.paints is not None:
                self.paints.append(
                    (
                        (time.perf_counter() - start) * 1000,
                        (time.thread_time() - cpu) * 1000,
                    )
                )

        CanvasView.paintEvent = timed  # type: ignore[method-assign]


CLOCK = PaintClock()


def frame_times(app, session: Session, frames: int = 240) -> list[tuple[float, float]]:  # type: ignore[no-untyped-def]
    """(wall, CPU) ms of each paint of the canvas while the camera pans 20 steps,
    zooms 20, and so on, a step each 60th of a second as input arrives; Qt paints
    as it does for a user (updates coalesced), and the app's timers and streams run
    meanwhile. The CPU time of the GUI thread leaves out waiting for a busy
    machine's cores."""
    view = session.window.view
    CLOCK.paints = []
    for i in range(frames):
        due = time.perf_counter() + FRAME_S
        if i % 40 < 20:
            view.pan_by(12.0, 7.0 if i % 2 else -7.0)
        else:
            view.zoom_at(
                view.viewport().rect().center().toPointF(),
                1.03 if i % 80 < 60 else 0.97,
            )
        while True:
            app.processEvents()
            if time.perf_counter() >= due:
                break
            time.sleep(0.001)
    paints, CLOCK.paints = CLOCK.paints, None
    return paints


def open_yard(app, session: Session) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Open 30 pod krates with 100 windows: YAML, Describe and a Shell in each, Logs
    in 10 of them; return the windows opened by view."""
    running = [
        p["metadata"]
        for p in session.source.objects("Pod")
        if p.get("status", {}).get("phase") == "Running"
    ]
    refs = [ObjRef("Pod", "", "v1", m.get("namespace"), m["name"]) for m in running]
    refs = refs[:30]
    opened = dict.fromkeys(("yaml", "describe", "shell", "logs"), 0)
    for tab_round in opened:
        for index, ref in enumerate(refs):
            if sum(opened.values()) >= 100 or tab_round not in available_tabs(ref.kind):
                continue
            if tab_round == "logs" and opened["logs"] >= 10:
                continue
            session.window.view.center_on(
                1500 + (index % 6) * 1700, 1200 + (index // 6) * 1500
            )
            session.controller.open_view(ref, tab_round)
            opened[tab_round] += 1
            pump(app, 0.01)
    return opened


def bench_canvas() -> None:
    app = ensure_application()
    state = Path(tempfile.mkdtemp(prefix="krates-bench-ui-"))
    box, kubeconfig = start_sandbox(state)
    options = Options(kubeconfig=kubeconfig, context="krates-sandbox")
    session = Session(replace(options, profile=state / "profile"))
    session.window.resize(1600, 1000)
    session.window.show()
    session.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (
        session.cache is None or type(session.cache.status).__name__ != "Synced"
    ):
        pump(app, 0.05)
    pump(app, 1.0)
    baseline = frame_times(app, session)
    opened = open_yard(app, session)
    session.window.view.center_on(4000, 2500, 0.6)
    pump(app, 2.0)
    profiler = cProfile.Profile() if "--profile" in sys.argv[1:] else None
    if profiler is not None:
        profiler.enable()
    loaded = frame_times(app, session)
    if profiler is not None:
        profiler.disable()
    windows = sum(len(k.windows) for k in session.yard.krates.values())
    views = ", ".join(f"{count} {tab}" for tab, count in opened.items())
    print(f"canvas: {len(session.yard.krates)} krates, {windows} windows ({views})")
    for name, pairs in (
        ("empty canvas (baseline)", baseline),
        ("loaded yard", loaded),
    ):
        wall, cpu = [p[0] for p in pairs], [p[1] for p in pairs]
        print(
            f"  {name:24s} median {statistics.median(wall):6.2f} ms   "
            f"p99 {percentile(wall, 99):6.2f} ms   (GUI thread CPU: median "
            f"{statistics.median(cpu):6.2f} ms, p99 {percentile(cpu, 99):6.2f} ms)"
        )
        over = sum(w > 16 for w in wall)
        print(
            f"  {'':24s} {len(wall)} frames, {over} over 16 ms, "
            f"worst {max(wall):.2f} ms"
        )
    ratio = statistics.median(p[0] for p in loaded) / max(
        1e-6, statistics.median(p[0] for p in baseline)
    )
    print(f"  ratio loaded/baseline (median): {ratio:.1f}x")
    session.shutdown()
    box.terminate()
    box.wait(timeout=10)
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def spotlight_corpus(size: int = 50_000) -> list[Candidate]:
    """Pod-like names: two words and two random five-letter suffixes, mixed kinds."""
    rng = random.Random(7)
    words = (
        "ledger worker api server cart payments checkout gateway metrics redis "
        "kafka web billing auth search queue"
    ).split()
    kinds = ["Pod"] * 8 + ["Deployment", "Service", "ConfigMap", "Secret"]
    alphabet = string.ascii_lowercase + string.digits

    def suffix() -> str:
        return "".join(rng.choice(alphabet) for _ in range(5))

    return [
        Candidate(
            rng.choice(kinds),
            f"{rng.choice(words)}-{rng.choice(words)}-{suffix()}-{suffix()}",
        )
        for _ in range(size)
    ]


def type_into_spotlight(
    app, spot: Spotlight, queries: tuple[str, ...]
) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    """Type each query letter by letter; time each key press and the search it causes
    (the 16 ms debounce itself is left out). Also returns the GUI thread's CPU time
    of each, which leaves out waiting for a busy machine's cores."""
    times, cpu = [], []
    for query in queries:
        spot.open_with("")
        for letter in query:
            start, used = time.perf_counter(), time.thread_time()
            QTest.keyClick(spot.input, letter)
            spot.refresh()
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.thread_time() - used) * 1000)
            app.processEvents()
        spot.close_spotlight()
    return times, cpu


def index_memory_mb(cands: list[Candidate]) -> float:
    """The memory an index of `cands` holds (the candidates themselves left out)."""
    tracemalloc.start()
    index = SearchIndex()
    for number, cand in enumerate(cands):
        index.put(number, cand)
    index.search("")
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del index
    return held / 1e6


def bench_spotlight() -> None:
    app = ensure_application()
    cands = spotlight_corpus()
    host = QWidget()
    host.resize(1200, 800)
    spot = Spotlight(host, candidates=lambda: [])
    host.show()
    start = time.perf_counter()
    for number, cand in enumerate(cands):
        spot.index.put(number, cand)
    spot.index.search("")
    built = time.perf_counter() - start
    start = time.perf_counter()
    for number in range(0, 50_000, 50):  # a watch batch: 1,000 replaced objects
        spot.index.put(number, Candidate("Pod", f"{cands[number].name}-x"))
    spot.index.search("")
    churn = (time.perf_counter() - start) * 1000
    queries = ("ledger-wor", "api-serv", "cartx", "pay")
    typed, typed_cpu = type_into_spotlight(app, spot, queries)
    assert spot.index.search("ledger-wor") == rank(
        "ledger-wor", spot.index.candidates()
    )
    full, scan = [], []
    names = spot.index.candidates()
    for query in queries:
        for i in range(1, len(query) + 1):
            q = query[:i]
            start = time.perf_counter()
            rank(q, names, 8)
            full.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            [c for c in names if q in c.name][:8]
            scan.append((time.perf_counter() - start) * 1000)
    print(f"spotlight over {len(names)} objects, {len(typed)} keystrokes:")
    print(f"  index built in {built:.2f} s; 1,000 replaced objects in {churn:.1f} ms")
    print(f"  index memory: {index_memory_mb(cands):.0f} MB")
    for label, values in (
        ("indexed search (key+search)", typed),
        ("  the same, GUI thread CPU", typed_cpu),
        ("full DP scan (before)", full),
        ("substring scan (baseline)", scan),
    ):
        print(
            f"  {label:28s} median {statistics.median(values):7.1f} ms   "
            f"p99 {percentile(values, 99):7.1f} ms"
        )
    print(
        "  ratio indexed/substring (median): "
        f"{statistics.median(typed) / statistics.median(scan):.2f}x; "
        f"full scan/indexed: {statistics.median(full) / statistics.median(typed):.0f}x"
    )
    host.close()


if __name__ == "__main__":
    if "--spotlight" not in sys.argv[1:]:
        bench_canvas()
    if "--canvas" not in sys.argv[1:]:
        bench_spotlight()
