"""The lines of one log pane: the newest in memory, the rest spilled to a file on disk.

`LogStore` keeps the newest `memory_lines` lines as strings and writes older ones, a
block of 1,024 at a time, to a spill file (UTF-8, one line per `\\n`), with the byte
offset of each block in memory, so a million lines cost a few megabytes of RAM and
any line can be read back. Lines keep their raw text (escape codes and all); what a
line shows is worked out when it is drawn or searched (`krates_desktop.logs.ansi`).

Each line also has a time (when it reached Krates) and a source (the container it
came from), stored once per batch of lines. The pane's own lines (a stream that ended
and reconnects) are markers: shown and searched, never saved.

Each spilled block also records whether any of its lines holds a control character,
so a search or a save over the file skips working out what clean lines show.

`snapshot()` gives an unchanging view of what the store held at that moment, which a
worker thread may read (to save a file) while new lines keep arriving.

Limitations: the spill file lives in the system temporary directory (or the one
given) while the pane is open, readable only by the user, and is deleted by
`close()`; lines are never dropped, so a pane left following a chatty container grows
its spill file without bound.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from array import array
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

from krates_desktop.logs.ansi import chunk_has_controls, display_chunk

logger = logging.getLogger(__name__)

BLOCK = 1024  # lines per block in the spill file
DEFAULT_MEMORY_LINES = 50_000
_CACHED_BLOCKS = 16
_ENCODING_ERRORS = "surrogatepass"  # any str round-trips through the file
_SAME_BATCH_S = 0.001  # lines this close in time, from one source, share a record
MARKER_SOURCE = "\x00marker"


class LogStoreError(Exception):
    """The spill file could not be written or read; `str()` says what to do."""


class LogStore:
    """Every line of a log pane, by index from 0 (the oldest)."""

    def __init__(
        self,
        *,
        memory_lines: int = DEFAULT_MEMORY_LINES,
        spill_dir: Path | None = None,
    ) -> None:
        self._memory_limit = max(BLOCK, memory_lines)
        self._spill_dir = spill_dir
        self._memory: list[str] = []
        self._disk_count = 0
        self._offsets = array(
            "q", [0]
        )  # byte offset of each block; one more at the end
        self._plain_blocks = array("b")  # 1: the block holds no control characters
        self._writer: BinaryIO | None = None
        self._reader: BinaryIO | None = None
        self._path: Path | None = None
        self._blocks: OrderedDict[int, list[str]] = OrderedDict()
        self._batch_starts = array("q")
        self._batch_times = array("d")
        self._batch_sources = array("H")
        self._sources: list[str] = []
        self._markers = array("q")
        self.version = 0  # grows with every append

    def __repr__(self) -> str:
        return f"<LogStore {len(self)} lines, {self._disk_count} on disk>"

    def __len__(self) -> int:
        return self._disk_count + len(self._memory)

    # -- where the lines are -----------------------------------------------------------

    @property
    def memory_count(self) -> int:
        """How many lines are held in memory."""
        return len(self._memory)

    @property
    def disk_count(self) -> int:
        """How many (older) lines are in the spill file."""
        return self._disk_count

    @property
    def spill_path(self) -> Path | None:
        """The spill file, once lines have been written to it."""
        return self._path

    @property
    def sources(self) -> list[str]:
        """The sources (containers) lines came from, in order of first appearance."""
        return [s for s in self._sources if s != MARKER_SOURCE]

    # -- adding lines ------------------------------------------------------------------

    def append(
        self, lines: Iterable[str], *, source: str = "", at: float | None = None
    ) -> int:
        """Add lines (without line ends); return the index of the first one."""
        first = len(self)
        batch = _single_lines(lines)
        if not batch:
            return first
        self._record_batch(first, source, time.time() if at is None else at)
        self._memory.extend(batch)
        self.version += 1
        if len(self._memory) >= self._memory_limit + BLOCK:
            self._spill()
        return first

    def append_marker(self, text: str, *, at: float | None = None) -> int:
        """Add a line the pane writes itself (shown muted, never saved)."""
        index = self.append([text], source=MARKER_SOURCE, at=at)
        self._markers.append(index)
        return index

    def is_marker(self, index: int) -> bool:
        """Whether line `index` is one of the pane's own lines."""
        markers = self._markers
        at = bisect_right(markers, index)
        return at > 0 and markers[at - 1] == index

    def _record_batch(self, first: int, source: str, at: float) -> None:
        try:
            code = self._sources.index(source)
        except ValueError:
            code = len(self._sources)
            self._sources.append(source)
        if (
            self._batch_sources
            and self._batch_sources[-1] == code
            and abs(at - self._batch_times[-1]) < _SAME_BATCH_S
        ):
            return
        self._batch_starts.append(first)
        self._batch_times.append(at)
        self._batch_sources.append(code)

    def _spill(self) -> None:
        """Write the oldest whole blocks beyond the memory limit to the spill file."""
        blocks = (len(self._memory) - self._memory_limit) // BLOCK
        writer = self._open_writer()
        try:
            for block in range(blocks):
                text = "\n".join(self._memory[block * BLOCK : (block + 1) * BLOCK])
                data = (text + "\n").encode("utf-8", _ENCODING_ERRORS)
                writer.write(data)
                self._offsets.append(self._offsets[-1] + len(data))
                self._plain_blocks.append(not chunk_has_controls(text))
            writer.flush()
        except OSError as exc:
            raise LogStoreError(
                f"Could not write older log lines to {self._path}: {exc.strerror}. "
                "Free some disk space or close log windows."
            ) from exc
        del self._memory[: blocks * BLOCK]
        self._disk_count += blocks * BLOCK
        logger.debug("%r spilled %d blocks", self, blocks)

    def _open_writer(self) -> BinaryIO:
        if self._writer is None:
            try:
                handle, name = tempfile.mkstemp(
                    prefix="krates-log-", suffix=".log", dir=self._spill_dir
                )
            except OSError as exc:
                raise LogStoreError(
                    f"Could not create a file for older log lines in "
                    f"{self._spill_dir or tempfile.gettempdir()}: {exc.strerror}."
                ) from exc
            self._path = Path(name)
            self._writer = os.fdopen(handle, "wb")
            self._reader = open(name, "rb")  # noqa: SIM115 - closed in close()
            logger.info("log lines beyond %d spill to %s", self._memory_limit, name)
        return self._writer

    # -- reading lines -----------------------------------------------------------------

    def line(self, index: int) -> str:
        """The raw text of line `index`."""
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        if index >= self._disk_count:
            return self._memory[index - self._disk_count]
        return self._block(index // BLOCK)[index % BLOCK]

    def lines(self, start: int, stop: int) -> list[str]:
        """The raw text of lines `start` to `stop - 1` (clamped to what exists)."""
        start, stop = max(0, start), min(stop, len(self))
        out: list[str] = []
        index = start
        while index < min(stop, self._disk_count):
            block = index // BLOCK
            end = min(stop, (block + 1) * BLOCK, self._disk_count)
            out.extend(self._block(block)[index % BLOCK : index % BLOCK + end - index])
            index = end
        if index < stop:
            base = self._disk_count
            out.extend(self._memory[index - base : stop - base])
        return out

    def _block(self, block: int) -> list[str]:
        cached = self._blocks.get(block)
        if cached is not None:
            self._blocks.move_to_end(block)
            return cached
        assert self._reader is not None
        start, end = self._offsets[block], self._offsets[block + 1]
        self._reader.seek(start)
        data = self._reader.read(end - start)
        lines = data.decode("utf-8", _ENCODING_ERRORS).split("\n")[:-1]
        self._blocks[block] = lines
        if len(self._blocks) > _CACHED_BLOCKS:
            self._blocks.popitem(last=False)
        return lines

    def time_of(self, index: int) -> float:
        """When line `index` arrived (seconds since the epoch)."""
        return self._batch_times[self._batch_of(index)]

    def source_of(self, index: int) -> str:
        """The source (container) of line `index`; "" when none was given."""
        source = self._sources[self._batch_sources[self._batch_of(index)]]
        return "" if source == MARKER_SOURCE else source

    def _batch_of(self, index: int) -> int:
        if not 0 <= index < len(self):
            raise IndexError(index)
        return bisect_right(self._batch_starts, index) - 1

    # -- snapshots, saving, closing ----------------------------------------------------

    def snapshot(self) -> LogSnapshot:
        """What the store holds now, readable from any thread while lines arrive."""
        blocks = self._disk_count // BLOCK
        return LogSnapshot(
            path=self._path,
            disk_count=self._disk_count,
            offsets=array("q", self._offsets[: blocks + 1]),
            plain_blocks=array("b", self._plain_blocks[:blocks]),
            memory=list(self._memory),
            markers=array("q", self._markers),
        )

    def close(self) -> None:
        """Delete the spill file; the store is empty afterwards."""
        for handle in (self._writer, self._reader):
            if handle is not None:
                handle.close()
        if self._path is not None:
            self._path.unlink(missing_ok=True)
            logger.debug("removed %s", self._path)
        self._writer = self._reader = self._path = None
        self._memory = []
        self._disk_count = 0
        self._offsets = array("q", [0])
        self._plain_blocks = array("b")
        self._blocks.clear()


def _single_lines(lines: Iterable[str]) -> list[str]:
    """The lines as a list, any embedded newline splitting a line in two."""
    batch = list(lines)
    if any("\n" in line for line in batch):
        batch = [part for line in batch for part in line.split("\n")]
    return batch


class Chunk(NamedTuple):
    """Lines `first .. first + count - 1` joined by `\\n`, as stored (raw)."""

    first: int
    count: int
    text: str
    plain: bool  # no line holds a control character: each shows as it is stored


@dataclass(frozen=True)
class LogSnapshot:
    """The lines a store held at one moment: spilled blocks plus a copy of memory."""

    path: Path | None
    disk_count: int
    offsets: array[int]
    plain_blocks: array[int]
    memory: list[str]
    markers: array[int]

    @property
    def total(self) -> int:
        """How many lines the snapshot holds."""
        return self.disk_count + len(self.memory)

    def chunks(self, start: int = 0, chunk_bytes: int = 1 << 20) -> Iterator[Chunk]:
        """The lines from `start` on, about `chunk_bytes` at a time.

        The count comes from the block index, so a search need not count lines;
        lines still in memory are never marked plain (nobody looked yet).
        """
        if start < self.disk_count and self.path is not None:
            yield from self._disk_chunks(start, chunk_bytes)
            start = self.disk_count
        memory = self.memory
        index = max(0, start - self.disk_count)
        while index < len(memory):
            stop, size = index, 0
            while stop < len(memory) and size < chunk_bytes:
                size += len(memory[stop]) + 1
                stop += 1
            text = "\n".join(memory[index:stop])
            yield Chunk(self.disk_count + index, stop - index, text, False)
            index = stop

    def _disk_chunks(self, start: int, chunk_bytes: int) -> Iterator[Chunk]:
        assert self.path is not None
        blocks = len(self.offsets) - 1
        block = start // BLOCK
        with open(self.path, "rb") as reader:
            while block < blocks:
                last = block + 1
                while (
                    last < blocks
                    and self.offsets[last] - self.offsets[block] < chunk_bytes
                ):
                    last += 1
                reader.seek(self.offsets[block])
                data = reader.read(self.offsets[last] - self.offsets[block])
                text = data.decode("utf-8", _ENCODING_ERRORS)[:-1]
                skip = start - block * BLOCK if start > block * BLOCK else 0
                if skip:
                    text = text.split("\n", skip)[-1]
                first = block * BLOCK + skip
                count = min(last * BLOCK, self.disk_count) - first
                yield Chunk(first, count, text, all(self.plain_blocks[block:last]))
                block = last

    def save(self, path: Path, *, raw: bool = False) -> int:
        """Write every line but the pane's markers to `path`; return how many.

        `raw` keeps escape codes as the container wrote them; otherwise each line is
        written as it shows. Lines end with `\\n`.
        """
        written = 0
        markers = set(self.markers)
        try:
            with open(
                path, "w", encoding="utf-8", errors=_ENCODING_ERRORS, newline="\n"
            ) as out:
                for first, count, text, plain in self.chunks():
                    if not raw and not plain:
                        text = display_chunk(text)
                    if markers and any(first <= m < first + count for m in markers):
                        kept = [
                            line
                            for offset, line in enumerate(text.split("\n"))
                            if first + offset not in markers
                        ]
                        text, count = "\n".join(kept), len(kept)
                        if not kept:
                            continue
                    out.write(text)
                    out.write("\n")
                    written += count
        except OSError as exc:
            raise LogStoreError(
                f"Could not save the log to {path}: {exc.strerror}."
            ) from exc
        return written
