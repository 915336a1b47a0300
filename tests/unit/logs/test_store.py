"""The line store: every line kept, the newest in memory, the rest in a spill file."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from krates_desktop.logs.store import BLOCK, LogStore, LogStoreError
from tests.unit.logs.conftest import sample_lines


@pytest.fixture
def lines() -> list[str]:
    """Real lines from four samples: 8,000 lines with long ones among them."""
    names = ["HDFS_2k.log", "Android_2k.log", "OpenStack_2k.log", "Linux_2k.log"]
    return [line for name in names for line in sample_lines(name)]


def filled(lines: list[str], spill_dir: Path, memory_lines: int = 2048) -> LogStore:
    store = LogStore(memory_lines=memory_lines, spill_dir=spill_dir)
    for start in range(0, len(lines), 333):
        store.append(lines[start : start + 333], source="app")
    return store


def test_every_line_is_kept_and_reads_back(lines: list[str], spill_dir: Path) -> None:
    """Beyond the memory limit lines go to disk, and each reads back unchanged."""
    store = filled(lines, spill_dir)
    assert len(store) == len(lines)
    assert store.memory_count < 2048 + BLOCK
    assert store.disk_count == len(lines) - store.memory_count
    assert store.disk_count % BLOCK == 0
    assert store.spill_path is not None and store.spill_path.parent == spill_dir
    rng = random.Random(5)
    for index in rng.sample(range(len(lines)), 300) + [0, store.disk_count - 1]:
        assert store.line(index) == lines[index]
    boundary = store.disk_count
    assert (
        store.lines(boundary - 700, boundary + 700)
        == lines[boundary - 700 : boundary + 700]
    )
    assert store.lines(0, len(lines)) == lines
    store.close()


def test_close_deletes_the_spill_file(lines: list[str], spill_dir: Path) -> None:
    """Closing the store removes its spill file and empties it."""
    store = filled(lines, spill_dir)
    path = store.spill_path
    assert path is not None and path.exists()
    assert path.stat().st_mode & 0o077 == 0, "only the user can read it"
    store.close()
    assert not path.exists()
    assert len(store) == 0


def test_times_sources_and_markers(spill_dir: Path) -> None:
    """Each line knows when it came and from which container; markers are marked."""
    store = LogStore(spill_dir=spill_dir)
    store.append(["a1", "a2"], source="app", at=100.0)
    store.append(["s1"], source="sidecar", at=101.5)
    marker = store.append_marker("— stream ended, reconnecting —", at=102.0)
    store.append(["a3"], source="app", at=103.0)
    assert [store.source_of(i) for i in range(5)] == [
        "app",
        "app",
        "sidecar",
        "",
        "app",
    ]
    assert [store.time_of(i) for i in range(5)] == [100.0, 100.0, 101.5, 102.0, 103.0]
    assert store.sources == ["app", "sidecar"]
    assert [store.is_marker(i) for i in range(5)] == [False, False, False, True, False]
    assert marker == 3


def test_embedded_newlines_split_lines(spill_dir: Path) -> None:
    """A line handed over with a newline inside becomes two lines."""
    store = LogStore(spill_dir=spill_dir)
    store.append(["one\ntwo", "three"])
    assert store.lines(0, 3) == ["one", "two", "three"]


def test_snapshot_saves_everything_but_markers(
    lines: list[str], spill_dir: Path
) -> None:
    """Saving writes every line from disk and memory as shown; markers are left out."""
    store = filled(lines[:3000], spill_dir, memory_lines=1024)
    store.append_marker("— stream ended, reconnecting —")
    store.append(["\x1b[31mERROR\x1b[0m coloured"], source="app")
    snapshot = store.snapshot()
    store.append(["after the snapshot"], source="app")
    shown = spill_dir.parent / "shown.log"
    assert snapshot.save(shown) == 3001
    assert shown.read_text().split("\n") == [*lines[:3000], "ERROR coloured", ""]
    raw = spill_dir.parent / "raw.log"
    snapshot.save(raw, raw=True)
    assert raw.read_text().splitlines()[-1] == "\x1b[31mERROR\x1b[0m coloured"
    store.close()


def test_an_unusable_spill_directory_is_explained(tmp_path: Path) -> None:
    """When the spill file cannot be created the error names the directory."""
    store = LogStore(memory_lines=BLOCK, spill_dir=tmp_path / "missing")
    with pytest.raises(LogStoreError, match="missing"):
        store.append([f"line {i}" for i in range(3 * BLOCK)])
