"""Canvas frame time and spotlight keystroke latency.

Run: `QT_QPA_PLATFORM=offscreen .venv/bin/python bench/ui.py`

1. Frame time while panning and zooming across 30 krates holding 100 windows, with
   10 log windows streaming from the sandbox, beside the empty canvas (baseline)
   in the same process. A frame is one synchronous repaint of the viewport.
2. Spotlight latency per keystroke over 50,000 objects (typing four queries
   letter by letter), beside a plain substring scan of the same names (baseline).
"""

from __future__ import annotations

import os
import random
import statistics
import string
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from krates_desktop.app import Options  # noqa: E402
from krates_desktop.ui.runner import Session, ensure_application  # noqa: E402
from krates_desktop.ui.spotlight.fuzzy import Candidate, rank  # noqa: E402
from krates_desktop.yard.model import ObjRef, available_tabs  # noqa: E402


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def pump(app, seconds: float) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.005)


def frame_times(app, session: Session, frames: int = 240) -> list[float]:  # type: ignore[no-untyped-def]
    view = session.window.view
    times = []
    for i in range(frames):
        if i % 40 < 20:
            view.pan_by(12.0, 7.0 if i % 2 else -7.0)
        else:
            view.zoom_at(
                view.viewport().rect().center().toPointF(),
                1.03 if i % 80 < 60 else 0.97,
            )
        start = time.perf_counter()
        view.viewport().repaint()
        times.append((time.perf_counter() - start) * 1000)
        app.processEvents()
    return times


def open_yard(app, session: Session) -> int:  # type: ignore[no-untyped-def]
    """Open 30 krates with 100 windows: at most 10 Logs and 10 Shells among them."""
    refs = []
    for kind in (
        "Pod",
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "Service",
        "ConfigMap",
        "Secret",
    ):
        for obj in session.source.objects(kind):
            meta = obj["metadata"]
            group = "apps" if kind in ("Deployment", "StatefulSet", "DaemonSet") else ""
            refs.append(ObjRef(kind, group, "v1", meta.get("namespace"), meta["name"]))
    refs = refs[:30]
    opened = {"logs": 0, "shell": 0}
    windows = 0
    for tab_round in ("yaml", "describe", "logs", "shell"):
        for index, ref in enumerate(refs):
            if windows >= 100 or tab_round not in available_tabs(ref.kind):
                continue
            if tab_round in ("logs", "shell") and opened[tab_round] >= 10:
                continue
            session.window.view.center_on(
                1500 + (index % 6) * 1700, 1200 + (index // 6) * 1500
            )
            session.controller.open_view(ref, tab_round)
            opened[tab_round] = opened.get(tab_round, 0) + 1
            windows += 1
            pump(app, 0.01)
    return sum(len(k.windows) for k in session.yard.krates.values())


def bench_canvas() -> None:
    app = ensure_application()
    session = Session(Options(demo=True, profile=Path("/tmp/krates-bench-ui")))
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
    count = open_yard(app, session)
    session.window.view.center_on(4000, 2500, 0.6)
    pump(app, 2.0)
    loaded = frame_times(app, session)
    print(
        f"canvas: {len(session.yard.krates)} krates, {count} windows, 10 log windows streaming"
    )
    for name, values in (
        ("empty canvas (baseline)", baseline),
        ("loaded yard", loaded),
    ):
        print(
            f"  {name:24s} median {statistics.median(values):6.2f} ms   "
            f"p99 {percentile(values, 99):6.2f} ms"
        )
    ratio = statistics.median(loaded) / max(1e-6, statistics.median(baseline))
    print(f"  ratio loaded/baseline (median): {ratio:.1f}x")
    session.shutdown()


def bench_spotlight() -> None:
    random.seed(7)
    words = [
        "ledger",
        "worker",
        "api",
        "server",
        "cart",
        "payments",
        "checkout",
        "gateway",
        "metrics",
        "redis",
        "kafka",
        "web",
        "billing",
        "auth",
        "search",
        "queue",
    ]
    kinds = ["Pod"] * 8 + ["Deployment", "Service", "ConfigMap", "Secret"]

    def suffix(n: int) -> str:
        return "".join(
            random.choice(string.ascii_lowercase + string.digits) for _ in range(n)
        )

    cands = [
        Candidate(
            random.choice(kinds),
            f"{random.choice(words)}-{random.choice(words)}-{suffix(5)}-{suffix(5)}",
        )
        for _ in range(50_000)
    ]
    fuzzy, scan = [], []
    for query in ("ledger-wor", "api-serv", "cartx", "pay"):
        for i in range(1, len(query) + 1):
            q = query[:i]
            start = time.perf_counter()
            rank(q, cands, 8)
            fuzzy.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            [c for c in cands if q in c.name][:8]
            scan.append((time.perf_counter() - start) * 1000)
    print(f"spotlight over {len(cands)} objects, {len(fuzzy)} keystrokes:")
    print(
        f"  fuzzy rank            median {statistics.median(fuzzy):7.1f} ms   "
        f"p99 {percentile(fuzzy, 99):7.1f} ms"
    )
    print(
        f"  substring scan (base) median {statistics.median(scan):7.1f} ms   "
        f"p99 {percentile(scan, 99):7.1f} ms"
    )
    print(
        f"  ratio fuzzy/scan (median): {statistics.median(fuzzy) / statistics.median(scan):.1f}x"
    )


if __name__ == "__main__":
    bench_canvas()
    bench_spotlight()
