"""Log pane throughput: a million real log lines appended, held and searched.

The lines are the real samples in `../shared/data/logs/` (ten systems' logs),
repeated until there are 1,000,000, decoded from bytes chunk by chunk so every line
is its own string, as a log stream delivers them. The bench prints

* lines per second appended to the pane's store (`LogStore`) and to the pane itself
  (`LogsViewItem`, following, with its repaints), beside a plain Python list as the
  baseline (the fastest anything could hold lines);
* the memory the process gained holding 1,000,000 lines, beside the same lines kept
  in a list (what a pane without a spill file would cost);
* the time of searches over all of them (plain text, case-insensitive text, regular
  expressions), beside the same regular expression run line by line over the list.

Goals: 200,000 lines/s appended, under 150 MB for a million lines, a search under 1 s.

Run: `QT_QPA_PLATFORM=offscreen .venv/bin/python bench/logs.py`
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from krates_desktop.logs import LineAssembler, LogStore, Query, Search  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
LOGS = REPO.parent / "shared" / "data" / "logs"
TOTAL = 1_000_000
BATCH = 500  # lines per delivery, like one batch of a log stream
SEARCHES = [
    Query("ERROR"),
    Query("connection"),
    Query("session opened for user root"),
    Query(r"(ERROR|WARN|FATAL)\b.*\d{3,}", regex=True),
    Query(r"blk_-?\d+", regex=True),
]


def rss_mb() -> float:
    """The process's resident memory, in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return 0.0


def batches(total: int) -> Iterator[list[str]]:
    """The samples' lines, decoded afresh each round, in batches, `total` in all."""
    raw = b"".join(p.read_bytes() for p in sorted(LOGS.glob("*.log")))
    made = 0
    while made < total:
        assembler = LineAssembler()
        pending: list[str] = []
        for offset in range(0, len(raw), 1 << 16):
            pending.extend(assembler.feed(raw[offset : offset + (1 << 16)]))
            while len(pending) >= BATCH and made < total:
                batch, pending = pending[:BATCH], pending[BATCH:]
                batch = batch[: total - made]
                made += len(batch)
                yield batch
        if pending and made < total:
            batch = pending[: total - made]
            made += len(batch)
            yield batch


def timed_appends(append: object, prepared: list[list[str]]) -> float:
    """Lines per second of calling `append(batch)` for every batch."""
    started = time.perf_counter()
    for batch in prepared:
        append(batch)  # type: ignore[operator]
    return sum(map(len, prepared)) / (time.perf_counter() - started)


def bench_appends(prepared: list[list[str]], spill: Path) -> None:
    baseline: list[str] = []
    list_rate = timed_appends(baseline.extend, prepared)
    store = LogStore(spill_dir=spill)
    store_rate = timed_appends(store.append, prepared)
    store.close()
    del baseline
    view_rate = view_appends(prepared, spill)
    print("Appending 1,000,000 lines (lines/s; goal 200,000)")
    print(f"  list.extend (baseline)   {list_rate:12,.0f}")
    print(f"  LogStore.append          {store_rate:12,.0f}")
    print(
        f"  LogsViewItem, following  {view_rate:12,.0f}   ({view_rate / 200_000:.1f}x goal)"
    )


def view_appends(prepared: list[list[str]], spill: Path) -> float:
    """Lines per second into the pane item shown in a view, repaints included."""
    from PySide6.QtWidgets import QApplication, QGraphicsScene, QGraphicsView

    from krates_desktop.ui.windows.logs_view import LogsViewItem

    app = QApplication.instance() or QApplication(sys.argv)
    scene = QGraphicsScene()
    item = LogsViewItem(spill_dir=spill)
    item.set_size(380, 286)
    scene.addItem(item)
    view = QGraphicsView(scene)
    view.resize(420, 320)
    view.show()
    app.processEvents()
    started = time.perf_counter()
    for number, batch in enumerate(prepared):
        item.append_lines(batch)
        if number % 20 == 0:
            app.processEvents()  # a stream's batches arrive between event-loop turns
    app.processEvents()
    rate = sum(map(len, prepared)) / (time.perf_counter() - started)
    item.close()
    view.close()
    app.processEvents()
    return rate


def bench_memory(spill: Path) -> None:
    """Resident memory gained holding the lines, each measured in a fresh process."""
    as_list = float(_child("list", spill))
    held, detail = _child("store", spill).split(" ", 1)
    print("\nMemory with 1,000,000 lines held (MB; goal under 150)")
    print(f"  a list of the lines (baseline)  {as_list:8.1f}")
    print(f"  LogStore                        {float(held):8.1f}   ({detail})")


def _child(kind: str, spill: Path) -> str:
    result = subprocess.run(
        [sys.executable, __file__, "--memory", kind, str(spill)],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


def memory_child(kind: str, spill: Path) -> None:
    """In a fresh process: hold a million lines one way, print the RSS it cost."""
    gc.collect()
    before = rss_mb()
    if kind == "list":
        held = [line for batch in batches(TOTAL) for line in batch]
        gc.collect()
        print(f"{rss_mb() - before:.1f}")
        del held
        return
    store = LogStore(spill_dir=spill)
    for batch in batches(TOTAL):
        store.append(batch)
    gc.collect()
    grown = rss_mb() - before
    disk = store.spill_path.stat().st_size / 1e6 if store.spill_path else 0.0
    print(
        f"{grown:.1f} {store.memory_count:,} lines in memory, {store.disk_count:,}"
        f" in a {disk:.0f} MB spill file"
    )
    store.close()


def filled_store(spill: Path) -> LogStore:
    store = LogStore(spill_dir=spill)
    for batch in batches(TOTAL):
        store.append(batch)
    return store


def bench_search(store: LogStore) -> None:
    lines = store.lines(0, len(store))
    # CPU time beside wall time: on a machine busy with other work the wall time
    # grows while the CPU time the search needs does not.
    print("\nSearching 1,000,000 lines (s wall / s CPU; goal under 1)")
    for query in SEARCHES:
        search = Search(store, query)
        started, cpu = time.perf_counter(), time.thread_time()
        search.run()
        elapsed, cpu = time.perf_counter() - started, time.thread_time() - cpu
        kind = "regex" if query.regex else "text "
        print(
            f"  {kind} {query.text!r:34} {elapsed:6.3f} / {cpu:5.3f}"
            f"   {search.count:>8,} matches on {len(search.lines):,} lines"
        )
    pattern = SEARCHES[3].compile()
    started, cpu = time.perf_counter(), time.thread_time()
    found = sum(1 for line in lines for _ in pattern.finditer(line))
    elapsed, cpu = time.perf_counter() - started, time.thread_time() - cpu
    print(
        f"  baseline: the same regex, line by line over a list  {elapsed:6.3f}"
        f" / {cpu:5.3f}   {found:>8,} matches"
    )


def main() -> None:
    if sys.argv[1:2] == ["--memory"]:
        memory_child(sys.argv[2], Path(sys.argv[3]))
        return
    with tempfile.TemporaryDirectory() as spill:
        prepared = list(batches(TOTAL))
        bench_appends(prepared, Path(spill))
        del prepared
        bench_memory(Path(spill))
        store = filled_store(Path(spill))
        bench_search(store)
        store.close()


if __name__ == "__main__":
    main()
