"""The yard's krates and windows, their ids and their grid, as plain Python values.

The yard is the layout of krates on the canvas. This module keeps it in memory and
tells listeners about each change; the canvas draws from it.

Limitations: the yard lives in this process only. It is not yet a shared CRDT
document and is not persisted; window drag between slots and proportional resize
are not modelled yet.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

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


@dataclass(frozen=True)
class ObjRef:
    """Names one Kubernetes object: kinds are keyed by group, version and kind."""

    kind: str
    group: str
    version: str
    namespace: str | None
    name: str

    def key(self) -> str:
        """Return a stable text form, used to derive the krate id."""
        return "/".join((self.group, self.version, self.kind, self.namespace or "", self.name))


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


def krate_id(ref: ObjRef) -> str:
    """Derive the krate id from the object, so every peer mints the same one."""
    digest = hashlib.sha256(ref.key().encode("utf-8")).hexdigest()[:12]
    return f"o-{digest}"


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


def layout_windows(windows: list[Window]) -> None:
    """Place windows in two columns by the pitch rule, in reading order."""
    col0 = [w for i, w in enumerate(windows) if i % 2 == 0]
    col1_x = max([COLUMN_PITCH] + [w.w + COLUMN_GAP for w in col0])
    row_y = 0.0
    for start in range(0, len(windows), 2):
        row = windows[start : start + 2]
        for index, window in enumerate(row):
            window.dx = 0.0 if index == 0 else col1_x
            window.dy = row_y
        row_y += max([ROW_PITCH] + [w.h + ROW_GAP for w in row])


def _overlaps(a: tuple[float, ...], b: tuple[float, ...], gap: float) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return not (
        ax + aw + gap <= bx or bx + bw + gap <= ax or ay + ah + gap <= by or by + bh + gap <= ay
    )


class Yard:
    """All krates of one cluster's yard, with change notification."""

    def __init__(self, user_id: str | None = None) -> None:
        self.user_id = user_id or secrets.token_hex(8)
        self._tag = hashlib.sha256(self.user_id.encode()).hexdigest()[:6]
        self.krates: dict[str, Krate] = {}
        self._listeners: list[Callable[[str, str], None]] = []

    def subscribe(self, listener: Callable[[str, str], None]) -> None:
        """Call `listener(event, krate_id)` on `added`, `changed` and `removed`."""
        self._listeners.append(listener)

    def _emit(self, event: str, kid: str) -> None:
        for listener in list(self._listeners):
            listener(event, kid)

    def open_view(
        self, ref: ObjRef, tab: Tab, near: tuple[float, float]
    ) -> tuple[Krate, Window, bool]:
        """Open `tab` of `ref` in its krate; return (krate, window, newly_created)."""
        kid = krate_id(ref)
        krate = self.krates.get(kid)
        if krate is None:
            krate = self._create_krate(kid, ref, near)
        existing = krate.window_for_tab(tab)
        if existing is not None:
            return krate, existing, False
        krate.seq += 1
        window = Window(wid=f"w{krate.seq}-{self._tag}", tab=tab)
        krate.windows[window.wid] = window
        layout_windows(list(krate.windows.values()))
        self._emit("changed", kid)
        return krate, window, True

    def _create_krate(self, kid: str, ref: ObjRef, near: tuple[float, float]) -> Krate:
        krate = Krate(
            id=kid,
            obj_ref=ref,
            label=ref.name,
            color=namespace_color(ref.namespace),
            pos=(0.0, 0.0),
            owner=self.user_id,
        )
        width, height = krate.frame_size()
        krate.pos = self._free_position(krate, (near[0] - width / 2, near[1] - height / 2))
        self.krates[kid] = krate
        log.info("krate %s created for %s", kid, ref.key())
        self._emit("added", kid)
        return krate

    def _free_position(self, krate: Krate, want: tuple[float, float]) -> tuple[float, float]:
        """Clamp `want` to the world, then spiral outwards to a spot clear of others."""
        width, height = krate.frame_size()
        base_x = min(max(want[0], 0.0), WORLD_W - width)
        base_y = min(max(want[1], HEADER_SPAN), WORLD_H - height)
        for dx, dy in _spiral(step=KRATE_GAP, radius=4000.0):
            x, y = base_x + dx, base_y + dy
            if x < 0 or y < HEADER_SPAN or x + width > WORLD_W or y + height > WORLD_H:
                continue
            box = (x, y - HEADER_SPAN, width, height + HEADER_SPAN)
            others = (k.footprint() for k in self.krates.values() if k.id != krate.id)
            if not any(_overlaps(box, other, KRATE_GAP) for other in others):
                return (x, y)
        return (base_x, base_y)

    def close_window(self, kid: str, wid: str) -> None:
        """Close one window; closing the last one removes the krate."""
        krate = self.krates.get(kid)
        if krate is None or wid not in krate.windows:
            return
        del krate.windows[wid]
        if not krate.windows:
            self.remove_krate(kid)
            return
        layout_windows(list(krate.windows.values()))
        self._emit("changed", kid)

    def remove_krate(self, kid: str) -> None:
        """Remove a krate and all its windows."""
        if self.krates.pop(kid, None) is not None:
            self._emit("removed", kid)

    def set_tab(self, kid: str, wid: str, tab: Tab) -> None:
        """Switch what a window shows."""
        window = self.krates[kid].windows[wid]
        if window.tab != tab:
            window.tab = tab
            self._emit("changed", kid)

    def move_krate(self, kid: str, pos: tuple[float, float]) -> None:
        """Move a krate's frame to `pos` (world coordinates of its top-left corner)."""
        self.krates[kid].pos = pos
        self._emit("changed", kid)

    def set_minimized(self, kid: str, minimized: bool) -> None:
        """Collapse a krate to its card, or expand it."""
        self.krates[kid].minimized = minimized
        self._emit("changed", kid)


def _spiral(step: float, radius: float):  # type: ignore[no-untyped-def]
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
