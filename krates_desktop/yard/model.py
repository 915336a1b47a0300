"""The yard's krates and windows, their ids and their grid, backed by the yard document.

The yard is the layout of krates on the canvas. Its truth is the pycrdt document of
``yard/doc.py``; this module keeps a plain-Python mirror of it (``Yard.krates``),
turns each user action into one transaction, and tells listeners about every
change, local or arriving from a peer, so the canvas draws from one place.

Collection krates (``c-`` ids) are listed in ``Yard.collection_krates`` as raw
dictionaries; ``yard/collections.py`` reads and changes them.

Limitations: mutating a mirrored ``Krate`` or ``Window`` directly changes nothing in
the document.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from pycrdt import Map

from krates_desktop.yard.doc import LOCAL, YardDoc
from krates_desktop.yard.palette import namespace_color

log = logging.getLogger(__name__)

Tab = Literal["logs", "shell", "describe", "yaml"]
TABS: tuple[Tab, ...] = ("yaml", "describe", "logs", "shell")

WORLD_W, WORLD_H = 12000.0, 8000.0
FRAME_PAD = 30.0
HEADER_SPAN = 34.0
COLUMN_PITCH, ROW_PITCH = 412.0, 416.0
COLUMN_GAP, ROW_GAP = 32.0, 54.0
WINDOW_W, WINDOW_H = 380.0, 362.0
KRATE_GAP = 40.0

STREAMING_KINDS = frozenset({"Pod", "Deployment", "StatefulSet", "DaemonSet"})

# A krate closed remotely within this many seconds of us adding a window to it
# counts as the "deletion wins" conflict that the UI reports with a toast.
CONFLICT_WINDOW_S = 10.0

_WID = re.compile(r"^w(\d+)-([0-9a-f]{6})$")


@dataclass(frozen=True)
class ObjRef:
    """Names one Kubernetes object: kinds are keyed by group, version and kind."""

    kind: str
    group: str
    version: str
    namespace: str | None
    name: str

    def key(self) -> str:
        """Return a stable text form of the object, for logs and lookups."""
        return "/".join(
            (self.group, self.version, self.kind, self.namespace or "", self.name)
        )

    def to_json(self) -> dict[str, Any]:
        """The document's ``objRef`` value."""
        return {
            "kind": self.kind,
            "group": self.group,
            "version": self.version,
            "namespace": self.namespace,
            "name": self.name,
        }


@dataclass
class Window:
    """One view of an object inside a krate, at (dx, dy) of size (w, h)."""

    wid: str
    tab: Tab
    dx: float = 0.0
    dy: float = 0.0
    w: float = WINDOW_W
    h: float = WINDOW_H
    kind: Literal["detail", "collection"] = "detail"

    def to_map(self) -> Map[Any]:
        """The document's nested window map."""
        return Map(
            {"wid": self.wid, "kind": self.kind, "tab": self.tab, "geom": self.geom()}
        )

    def geom(self) -> list[float]:
        """The document's ``geom`` value: ``[dx, dy, w, h]``."""
        return [float(self.dx), float(self.dy), float(self.w), float(self.h)]


@dataclass
class Krate:
    """A framed group of windows for one object."""

    id: str
    obj_ref: ObjRef
    label: str
    color: str
    pos: tuple[float, float]
    owner: str
    minimized: bool = False
    seq: int = 0
    windows: dict[str, Window] = field(default_factory=dict)

    def frame_size(self) -> tuple[float, float]:
        """Return the frame's width and height: the windows plus 30 px padding."""
        if not self.windows:
            return (WINDOW_W + 2 * FRAME_PAD, WINDOW_H + 2 * FRAME_PAD)
        right = max(w.dx + w.w for w in self.windows.values())
        bottom = max(w.dy + w.h for w in self.windows.values())
        return (right + 2 * FRAME_PAD, bottom + 2 * FRAME_PAD)

    def footprint(self) -> tuple[float, float, float, float]:
        """Return (x, y, w, h) of the header and frame together, for collisions."""
        width, height = self.frame_size()
        return (self.pos[0], self.pos[1] - HEADER_SPAN, width, height + HEADER_SPAN)

    def center(self) -> tuple[float, float]:
        """Return the frame centre in world coordinates."""
        width, height = self.frame_size()
        return (self.pos[0] + width / 2, self.pos[1] + height / 2)

    def window_for_tab(self, tab: Tab) -> Window | None:
        """Return the window currently showing `tab`, if there is one."""
        return next((w for w in self.windows.values() if w.tab == tab), None)


@dataclass(frozen=True)
class KrateClosedRemotely:
    """A peer closed a krate we had just added a window to: the deletion won."""

    krate_id: str
    label: str
    origin: str


def _digest20(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def krate_id(ref: ObjRef) -> str:
    """Derive the krate id from the object, so every peer mints the same one."""
    return "o-" + _digest20(f"{ref.group}/{ref.kind}/{ref.namespace or ''}/{ref.name}")


def collection_krate_id(kind: str, value: str, namespace: str | None = None) -> str:
    """Derive a collection krate's id from its scope."""
    return "c-" + _digest20(f"{kind}/{value}/{namespace or ''}")


def user_tag(user_id: str) -> str:
    """The six hex characters of a user id that end the window ids they create."""
    cleaned = user_id.replace("-", "").lower()
    if re.fullmatch(r"[0-9a-f]{6,}", cleaned):
        return cleaned[:6]
    return hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:6]


def window_creator_tag(wid: str) -> str | None:
    """The creator's six-hex tag inside a window id, if it has the standard form."""
    match = _WID.match(wid)
    return match.group(2) if match else None


def available_tabs(kind: str) -> tuple[Tab, ...]:
    """Return the views an object of `kind` offers, in tab-bar order."""
    if kind in STREAMING_KINDS:
        return TABS
    return ("yaml", "describe")


def default_tab(kind: str, crd_instance: bool = False) -> Tab:
    """Return the view that Enter opens for an object of `kind`."""
    if kind in STREAMING_KINDS:
        return "logs"
    return "yaml" if crd_instance else "describe"


MIN_WINDOW, MAX_WINDOW = (240.0, 160.0), (2000.0, 1600.0)

Slot = tuple[int, int]  # (column, row)


def layout_windows(windows: list[Window]) -> None:
    """Place windows in two columns by the pitch rule, in reading order."""
    place_in_slots({(i % 2, i // 2): w for i, w in enumerate(windows)})


def place_in_slots(grid: dict[Slot, Window]) -> None:
    """Set every window's dx/dy from its (column, row) slot by the pitch rule.

    Rows are renumbered by rank, so a row left empty by a move closes up.
    """
    col1_x = max(
        [COLUMN_PITCH] + [w.w + COLUMN_GAP for (col, _), w in grid.items() if col == 0]
    )
    row_y = 0.0
    for row in sorted({row for _, row in grid}):
        members = [(col, w) for (col, r), w in grid.items() if r == row]
        for col, window in members:
            window.dx = 0.0 if col == 0 else col1_x
            window.dy = row_y
        row_y += max([ROW_PITCH] + [w.h + ROW_GAP for _, w in members])


def slots_of(windows: list[Window]) -> dict[Slot, Window]:
    """Each window by its slot: the column from dx (0 or not), the row as the rank of
    its dy among the distinct dy values. Windows sharing a slot (a tangled grid from
    a merge) are laid out again in reading order."""
    rows = sorted({w.dy for w in windows})
    grid: dict[Slot, Window] = {}
    for window in sorted(windows, key=lambda w: window_order(w.wid)):
        slot = (0 if window.dx == 0 else 1, rows.index(window.dy))
        if slot in grid:
            ordered = sorted(windows, key=lambda w: window_order(w.wid))
            return {(i % 2, i // 2): w for i, w in enumerate(ordered)}
        grid[slot] = window
    return grid


def in_slot_order(windows: list[Window]) -> list[Window]:
    """The windows in reading order of their current slots."""
    grid = slots_of(windows)
    return [grid[slot] for slot in sorted(grid, key=lambda s: (s[1], s[0]))]


def first_free_slot(grid: dict[Slot, Window]) -> Slot:
    """The first slot in reading order that no window holds."""
    index = 0
    while (index % 2, index // 2) in grid:
        index += 1
    return (index % 2, index // 2)


def slot_at(windows: list[Window], dx: float, dy: float) -> Slot:
    """The slot nearest to grid offset (dx, dy): column 0 or 1, a row up to one past
    the last (where a dropped window opens a new row)."""
    grid = slots_of(windows)
    col0 = [w.w for (col, _), w in grid.items() if col == 0]
    col1_x = max([COLUMN_PITCH] + [w + COLUMN_GAP for w in col0])
    tops = sorted({w.dy for w in windows}) or [0.0]
    last = [w.h for w in windows if w.dy == tops[-1]]
    tops.append(tops[-1] + max([ROW_PITCH] + [h + ROW_GAP for h in last]))
    row = min(range(len(tops)), key=lambda r: abs(tops[r] - dy))
    return (0 if abs(dx) <= abs(dx - col1_x) else 1, row)


def _clamp_size(w: float, h: float) -> tuple[float, float]:
    return (
        min(max(w, MIN_WINDOW[0]), MAX_WINDOW[0]),
        min(max(h, MIN_WINDOW[1]), MAX_WINDOW[1]),
    )


def window_order(wid: str) -> tuple[int, str]:
    """Reading order of windows: by the krate counter, then by creator."""
    match = _WID.match(wid)
    if match is None:
        return (1 << 30, wid)
    return (int(match.group(1)), match.group(2))


def _overlaps(a: tuple[float, ...], b: tuple[float, ...], gap: float) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return not (
        ax + aw + gap <= bx
        or bx + bw + gap <= ax
        or ay + ah + gap <= by
        or by + bh + gap <= ay
    )


class Yard:
    """All krates of one cluster's yard, with change notification."""

    def __init__(self, user_id: str | None = None, doc: YardDoc | None = None) -> None:
        self.user_id = user_id or secrets.token_hex(8)
        self._tag = user_tag(self.user_id)
        self.doc = doc if doc is not None else YardDoc.new(name="", cluster="")
        self.krates: dict[str, Krate] = {}
        self.collection_krates: dict[str, dict[str, Any]] = {}
        # Footprints of krates this mirror does not hold (collection krates, read by
        # yard/collections.py), which placing and nudging keep clear of too.
        self.obstacles: Callable[[], list[tuple[float, float, float, float]]] = list
        self._listeners: list[Callable[[str, str], None]] = []
        self._conflict_listeners: list[Callable[[KrateClosedRemotely], None]] = []
        self._dirty: set[str] = set()
        self._replaced: set[str] = set()
        self._recent: dict[str, float] = {}
        self._repairing = False
        self.doc.krates_map.observe_deep(self._on_deep_events)
        self.doc.on_changed(self._on_doc_changed)
        self._dirty.update(str(k) for k in self.doc.krates_map.keys())
        self._refresh(LOCAL, emit=False)

    def __repr__(self) -> str:
        return f"<Yard {self._tag} krates={len(self.krates)}>"

    # listeners ----------------------------------------------------------------

    def subscribe(self, listener: Callable[[str, str], None]) -> None:
        """Call `listener(event, krate_id)` on `added`, `changed` and `removed`."""
        self._listeners.append(listener)

    def subscribe_conflicts(
        self, listener: Callable[[KrateClosedRemotely], None]
    ) -> None:
        """Call `listener` when a peer closes a krate we had just added a window to."""
        self._conflict_listeners.append(listener)

    def _emit(self, event: str, kid: str) -> None:
        for listener in list(self._listeners):
            try:
                listener(event, kid)
            except Exception:
                log.exception("a yard listener failed on %s %s", event, kid)

    # user actions -------------------------------------------------------------

    def open_view(
        self, ref: ObjRef, tab: Tab, near: tuple[float, float]
    ) -> tuple[Krate, Window, bool]:
        """Open `tab` of `ref` in its krate; return (krate, window, newly_created)."""
        kid = krate_id(ref)
        krate = self.krates.get(kid)
        if krate is not None:
            existing = krate.window_for_tab(tab)
            if existing is not None:
                return krate, existing, False
        with self.doc.transact():
            wid = self._add_window(kid, ref, tab, near)
        self._recent[kid] = time.monotonic()
        krate = self.krates[kid]
        return krate, krate.windows[wid], True

    def _add_window(
        self, kid: str, ref: ObjRef, tab: Tab, near: tuple[float, float]
    ) -> str:
        current = self.krates.get(kid)
        seq = (current.seq if current else 0) + 1
        wid = f"w{seq}-{self._tag}"
        window = Window(wid=wid, tab=tab)
        grid = slots_of(_copies(current.windows.values()) if current else [])
        grid[first_free_slot(grid)] = window
        place_in_slots(grid)
        placed = list(grid.values())
        if current is None:
            self._write_new_krate(kid, ref, window, near)
            return wid
        node = self.doc.krates_map[kid]
        node["seq"] = seq
        node["windows"][wid] = window.to_map()
        self._write_geoms(kid, placed)
        return wid

    def _write_new_krate(
        self, kid: str, ref: ObjRef, window: Window, near: tuple[float, float]
    ) -> None:
        probe = Krate(kid, ref, ref.name, "", (0.0, 0.0), self.user_id)
        probe.windows[window.wid] = window
        width, height = probe.frame_size()
        pos = self._free_position(probe, (near[0] - width / 2, near[1] - height / 2))
        self.doc.krates_map[kid] = Map(
            {
                "id": kid,
                "objRef": ref.to_json(),
                "collScope": None,
                "label": ref.name,
                "color": namespace_color(ref.namespace),
                "pos": [float(pos[0]), float(pos[1])],
                "minimized": False,
                "seq": 1,
                "owner": self.user_id,
                "windows": Map({window.wid: window.to_map()}),
            }
        )
        log.info("krate %s created for %s", kid, ref.key())

    def _write_geoms(self, kid: str, windows: list[Window]) -> None:
        nodes = self.doc.krates_map[kid]["windows"]
        for window in windows:
            current = self._geom_of(kid, window.wid)
            if current is not None and current != window.geom() and window.wid in nodes:
                nodes[window.wid]["geom"] = window.geom()

    def _geom_of(self, kid: str, wid: str) -> list[float] | None:
        krate = self.krates.get(kid)
        window = krate.windows.get(wid) if krate else None
        return window.geom() if window else None

    def _free_position(
        self, krate: Krate, want: tuple[float, float]
    ) -> tuple[float, float]:
        """Clamp `want` to the world, then spiral outwards to a spot clear of others."""
        width, height = krate.frame_size()
        base_x = min(max(want[0], 0.0), WORLD_W - width)
        base_y = min(max(want[1], HEADER_SPAN), WORLD_H - height)
        extra = self.obstacles()
        for dx, dy in _spiral(step=KRATE_GAP, radius=4000.0):
            x, y = base_x + dx, base_y + dy
            if x < 0 or y < HEADER_SPAN or x + width > WORLD_W or y + height > WORLD_H:
                continue
            box = (x, y - HEADER_SPAN, width, height + HEADER_SPAN)
            others = [k.footprint() for k in self.krates.values() if k.id != krate.id]
            if not any(_overlaps(box, other, KRATE_GAP) for other in others + extra):
                return (x, y)
        return (base_x, base_y)

    def close_window(self, kid: str, wid: str) -> None:
        """Close one window; closing the last one removes the krate."""
        krate = self.krates.get(kid)
        if krate is None or wid not in krate.windows:
            return
        if len(krate.windows) == 1:
            self.remove_krate(kid)
            return
        rest = in_slot_order(
            [w for w in _copies(krate.windows.values()) if w.wid != wid]
        )
        layout_windows(rest)
        with self.doc.transact():
            del self.doc.krates_map[kid]["windows"][wid]
            self._write_geoms(kid, rest)

    def remove_krate(self, kid: str) -> None:
        """Remove a krate and all its windows."""
        if kid not in self.doc.krates_map:
            return
        with self.doc.transact():
            del self.doc.krates_map[kid]
        self._recent.pop(kid, None)

    def take_krate(self, kid: str) -> dict[str, Any] | None:
        """Remove a krate, object or collection, and return its document entry as plain
        values: `put_back_krate` restores it as it was (the closing user's Undo)."""
        raw = self._raw(kid)
        self.remove_krate(kid)
        return raw

    def put_back_krate(self, raw: dict[str, Any]) -> None:
        """Restore a krate `take_krate` removed, unless it has been opened again since."""
        kid = str(raw.get("id", ""))
        if not kid or kid in self.doc.krates_map:
            return
        windows = raw.get("windows") or {}
        with self.doc.transact():
            self.doc.krates_map[kid] = Map(
                {**raw, "windows": Map({wid: Map(w) for wid, w in windows.items()})}
            )

    def set_tab(self, kid: str, wid: str, tab: Tab) -> None:
        """Switch what a window shows."""
        window = self.krates[kid].windows[wid]
        if window.tab != tab:
            with self.doc.transact():
                self.doc.krates_map[kid]["windows"][wid]["tab"] = tab

    def move_krate(self, kid: str, pos: tuple[float, float]) -> None:
        """Move a krate's frame to `pos` (world coordinates of its top-left corner)."""
        if kid not in self.krates:
            raise KeyError(kid)
        with self.doc.transact():
            self.doc.krates_map[kid]["pos"] = [float(pos[0]), float(pos[1])]

    def set_minimized(self, kid: str, minimized: bool) -> None:
        """Collapse a krate to its card, or expand it."""
        if kid not in self.krates:
            raise KeyError(kid)
        with self.doc.transact():
            self.doc.krates_map[kid]["minimized"] = bool(minimized)

    def resize_window(self, kid: str, wid: str, size: tuple[float, float]) -> None:
        """Resize one window; the others in its column take the same width ratio, the
        others in its row the same height ratio, then the pitch rule re-flows the grid
        (one transaction). Sizes stay within 240x160 and 2000x1600."""
        grid = slots_of(_copies(self.krates[kid].windows.values()))
        slot, target = next((s, w) for s, w in grid.items() if w.wid == wid)
        new_w, new_h = _clamp_size(float(size[0]), float(size[1]))
        fx, fy = new_w / target.w, new_h / target.h
        for (col, row), window in grid.items():
            if window is target:
                continue
            if col == slot[0]:
                window.w = _clamp_size(window.w * fx, window.h)[0]
            if row == slot[1]:
                window.h = _clamp_size(window.w, window.h * fy)[1]
        target.w, target.h = new_w, new_h
        place_in_slots(grid)
        with self.doc.transact():
            self._write_geoms(kid, list(grid.values()))

    def move_window(self, kid: str, wid: str, slot: Slot) -> None:
        """Drop a window into `slot` (column clamped to 0-1, row to one past the last).
        A window already there swaps into the moved window's old slot."""
        grid = slots_of(_copies(self.krates[kid].windows.values()))
        old, moving = next((s, w) for s, w in grid.items() if w.wid == wid)
        rows = len({row for _, row in grid})
        target = (min(max(slot[0], 0), 1), min(max(slot[1], 0), rows))
        if target == old:
            return
        occupant = grid.pop(target, None)
        del grid[old]
        grid[target] = moving
        if occupant is not None:
            grid[old] = occupant
        place_in_slots(grid)
        with self.doc.transact():
            self._write_geoms(kid, list(grid.values()))

    def drop_krate(self, kid: str, pos: tuple[float, float]) -> tuple[float, float]:
        """Release a dragged krate at `pos`: it moves to the nearest spot clear of the
        others (spec 6.7), or stays at `pos` if there is none. Return where it lands."""
        krate = self.krates[kid]
        landed = self._free_position(krate, pos)
        self.move_krate(kid, landed)
        return landed

    # document changes ---------------------------------------------------------

    def _on_deep_events(self, events: list[Any]) -> None:
        for event in events:
            path = list(event.path)
            if path:
                self._dirty.add(str(path[0]))
                continue
            for key, change in dict(event.keys).items():
                self._dirty.add(str(key))
                if change.get("action") == "update":
                    self._replaced.add(str(key))

    def _on_doc_changed(self, origin: str) -> None:
        if self._repairing or not self._dirty:
            return
        if origin != LOCAL:
            self._repairing = True
            try:
                self._repair()
            finally:
                self._repairing = False
        self._refresh(origin, emit=True)

    def _refresh(self, origin: str, emit: bool) -> None:
        dirty, self._dirty = self._dirty, set()
        for kid in sorted(dirty):
            event = self._mirror(kid, origin)
            if event and emit:
                self._emit(event, kid)

    def _mirror(self, kid: str, origin: str) -> str | None:
        raw = self._raw(kid)
        if kid.startswith("c-"):
            return self._mirror_collection(kid, raw)
        parsed = _parse_krate(kid, raw) if raw is not None else None
        old = self.krates.get(kid)
        if parsed is None:
            if old is None:
                return None
            del self.krates[kid]
            self._note_remote_close(old, origin)
            return "removed"
        if old is None:
            self.krates[kid] = parsed
            return "added"
        _update_in_place(old, parsed)
        return "changed"

    def _mirror_collection(self, kid: str, raw: dict[str, Any] | None) -> str | None:
        if raw is None:
            return (
                "removed" if self.collection_krates.pop(kid, None) is not None else None
            )
        event = "changed" if kid in self.collection_krates else "added"
        self.collection_krates[kid] = raw
        return event

    def _raw(self, kid: str) -> dict[str, Any] | None:
        """One krate as plain values (through pycrdt's JSON export, which is several
        times faster than ``to_py``)."""
        node = self.doc.krates_map.get(kid)
        if not isinstance(node, Map):
            return None
        value = json.loads(str(node))
        return value if isinstance(value, dict) else None

    def _note_remote_close(self, old: Krate, origin: str) -> None:
        added_at = self._recent.pop(old.id, None)
        if origin == LOCAL or added_at is None:
            return
        if time.monotonic() - added_at > CONFLICT_WINDOW_S:
            return
        notice = KrateClosedRemotely(old.id, old.label, origin)
        log.info("krate %s was closed by a peer while we added to it", old.id)
        for listener in list(self._conflict_listeners):
            try:
                listener(notice)
            except Exception:
                log.exception("a conflict listener failed")

    def _repair(self) -> None:
        """Re-add windows lost to a concurrent create, untangle overlapping grids, and
        remove krates whose last windows were closed concurrently.

        Runs after a remote transaction and before the mirror is refreshed, so the
        mirror still shows the windows this peer had before the update arrived.
        """
        replaced, self._replaced = self._replaced, set()
        raws = {
            kid: self._raw(kid) for kid in sorted(self._dirty) if kid.startswith("o-")
        }
        lost = [
            kid
            for kid in raws
            if kid in replaced and self._lost_windows(kid, raws[kid])
        ]
        tangled = [
            kid for kid, raw in raws.items() if _tangled_raw(kid, raw, self._tag)
        ]
        empty = [
            kid for kid, raw in raws.items() if kid not in lost and _windowless(raw)
        ]
        if not lost and not tangled and not empty:
            return
        with self.doc.transact():
            for kid in lost:
                self._readd_lost_windows(kid)
            for kid in lost + tangled:
                self._relayout_if_tangled(kid)
            for kid in empty:
                log.info("krate %s lost its last window to concurrent closes", kid)
                del self.doc.krates_map[kid]

    def _lost_windows(self, kid: str, raw: dict[str, Any] | None) -> list[Window]:
        before = self.krates.get(kid)
        if before is None or raw is None:
            return []
        windows = raw.get("windows")
        present: dict[str, Any] = windows if isinstance(windows, dict) else {}
        return [
            w
            for w in before.windows.values()
            if window_creator_tag(w.wid) == self._tag and w.wid not in present
        ]

    def _readd_lost_windows(self, kid: str) -> None:
        raw = self._raw(kid) or {}
        mine = self._lost_windows(kid, raw)
        node = self.doc.krates_map[kid]
        if not isinstance(node.get("windows"), Map):
            node["windows"] = Map({})
        for window in mine:
            node["windows"][window.wid] = window.to_map()
        highest = max(window_order(w.wid)[0] for w in mine)
        if highest > _as_int(raw.get("seq"), 0):
            node["seq"] = highest
        log.info(
            "re-added %d window(s) to krate %s after a concurrent create",
            len(mine),
            kid,
        )

    def _relayout_if_tangled(self, kid: str) -> None:
        parsed = _parse_krate(kid, self._raw(kid))
        if parsed is None or not _tangled(parsed, self._tag):
            return
        placed = list(parsed.windows.values())
        layout_windows(placed)
        nodes = self.doc.krates_map[kid]["windows"]
        for window in placed:
            nodes[window.wid]["geom"] = window.geom()


def _windowless(raw: dict[str, Any] | None) -> bool:
    """True for an object krate whose windows were all closed (concurrently)."""
    if raw is None or _parse_ref(raw.get("objRef")) is None:
        return False
    return not _parse_windows(raw.get("windows"))


def _tangled_raw(kid: str, raw: dict[str, Any] | None, tag: str) -> bool:
    parsed = _parse_krate(kid, raw) if raw is not None else None
    return parsed is not None and _tangled(parsed, tag)


def _tangled(krate: Krate, tag: str) -> bool:
    """True when two windows overlap and we created one of them."""
    windows = list(krate.windows.values())
    for i, a in enumerate(windows):
        for b in windows[i + 1 :]:
            if tag not in (window_creator_tag(a.wid), window_creator_tag(b.wid)):
                continue
            if _overlaps((a.dx, a.dy, a.w, a.h), (b.dx, b.dy, b.w, b.h), 0.0):
                return True
    return False


def _as_float(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _as_int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _parse_ref(value: Any) -> ObjRef | None:
    if not isinstance(value, dict) or not value.get("kind") or not value.get("name"):
        return None
    namespace = value.get("namespace")
    return ObjRef(
        kind=str(value["kind"]),
        group=str(value.get("group") or ""),
        version=str(value.get("version") or ""),
        namespace=str(namespace) if namespace else None,
        name=str(value["name"]),
    )


def _parse_window(wid: str, value: Any) -> Window | None:
    if not isinstance(value, dict):
        return None
    tab = value.get("tab")
    if tab not in TABS:
        return None
    geom = value.get("geom")
    if not isinstance(geom, list) or len(geom) != 4:
        geom = [0.0, 0.0, WINDOW_W, WINDOW_H]
    kind: Literal["detail", "collection"] = (
        "collection" if value.get("kind") == "collection" else "detail"
    )
    defaults = (0.0, 0.0, WINDOW_W, WINDOW_H)
    dx, dy, w, h = (_as_float(v, d) for v, d in zip(geom, defaults, strict=True))
    return Window(wid, cast(Tab, tab), dx, dy, w, h, kind)


def _parse_windows(value: Any) -> dict[str, Window]:
    if not isinstance(value, dict):
        return {}
    parsed = (_parse_window(str(wid), raw) for wid, raw in value.items())
    windows = [w for w in parsed if w is not None]
    return {w.wid: w for w in sorted(windows, key=lambda w: window_order(w.wid))}


def _parse_krate(kid: str, raw: dict[str, Any] | None) -> Krate | None:
    """Read one krate map; malformed or foreign-shaped entries come back as None."""
    if raw is None:
        return None
    ref = _parse_ref(raw.get("objRef"))
    if ref is None:
        log.warning("krate %s has no usable objRef; it is not shown", kid)
        return None
    pos = raw.get("pos")
    if not isinstance(pos, list) or len(pos) != 2:
        pos = [0.0, 0.0]
    return Krate(
        id=kid,
        obj_ref=ref,
        label=str(raw.get("label") or ref.name),
        color=str(raw.get("color") or namespace_color(ref.namespace)),
        pos=(_as_float(pos[0], 0.0), _as_float(pos[1], 0.0)),
        owner=str(raw.get("owner") or ""),
        minimized=bool(raw.get("minimized", False)),
        seq=_as_int(raw.get("seq"), 0),
        windows=_parse_windows(raw.get("windows")),
    )


def _update_in_place(old: Krate, new: Krate) -> None:
    """Copy `new` into `old`, keeping the Krate and Window objects callers hold."""
    old.obj_ref, old.label, old.color = new.obj_ref, new.label, new.color
    old.pos, old.owner, old.minimized, old.seq = (
        new.pos,
        new.owner,
        new.minimized,
        new.seq,
    )
    windows: dict[str, Window] = {}
    for wid, fresh in new.windows.items():
        kept = old.windows.get(wid)
        if kept is None:
            windows[wid] = fresh
            continue
        kept.tab, kept.kind = fresh.tab, fresh.kind
        kept.dx, kept.dy, kept.w, kept.h = fresh.dx, fresh.dy, fresh.w, fresh.h
        windows[wid] = kept
    old.windows = windows


def _copies(windows: Any) -> list[Window]:
    """Detached copies to lay out before writing, so the mirror changes only through
    the document."""
    return [Window(w.wid, w.tab, w.dx, w.dy, w.w, w.h, w.kind) for w in windows]


def _spiral(step: float, radius: float) -> Iterator[tuple[float, float]]:
    """Yield offsets along an outward square spiral, starting at (0, 0)."""
    yield (0.0, 0.0)
    ring = 1
    while ring * step <= radius:
        r = ring * step
        for i in range(-ring, ring + 1):
            yield (i * step, -r)
            yield (i * step, r)
        for i in range(-ring + 1, ring):
            yield (-r, i * step)
            yield (r, i * step)
        ring += 1
