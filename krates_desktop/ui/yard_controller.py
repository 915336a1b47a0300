"""Keeps the canvas in step with the yard: krate items, window items and their bindings."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent

from krates_desktop.ui.canvas.view import CanvasView
from krates_desktop.ui.cluster_source import ClusterSource
from krates_desktop.ui.krate.krate_item import KrateItem
from krates_desktop.ui.windows.bindings import BINDINGS, Binding, BindingContext
from krates_desktop.ui.windows.detail_window import DetailWindowItem
from krates_desktop.ui.windows.maximize import Maximizer
from krates_desktop.yard.collections import collection_krates
from krates_desktop.yard.model import (
    FRAME_PAD,
    ObjRef,
    Tab,
    Yard,
    available_tabs,
    slot_at,
)

log = logging.getLogger(__name__)


class YardController(QObject):
    """Builds and updates the items for each krate; owns each window's binding."""

    krate_count_changed = Signal(int)
    window_opened = Signal(str, str)  # krate id, window id
    hover_changed = Signal(str)  # "", "shell", "detail"
    krate_closed = Signal(str, object)  # label, snapshot for undo
    krate_activated = Signal(str)  # the krate last opened, hovered or moved here

    def __init__(
        self, yard: Yard, view: CanvasView, source: ClusterSource, ctx: BindingContext
    ):
        super().__init__(view)
        self.yard = yard
        self.view = view
        self.source = source
        self.ctx = ctx
        self.krate_items: dict[str, KrateItem] = {}
        self.window_items: dict[str, DetailWindowItem] = {}
        self.bindings: dict[str, Binding] = {}
        self.hovered_key: str | None = None
        self.maximizer = Maximizer(view)
        yard.subscribe(
            lambda event, kid, y=yard: self._on_yard_changed_in(y, event, kid)
        )
        source.subscribe(self._on_source_changes)
        view.lod_changed.connect(self._on_view_lod_changed)

    # opening ------------------------------------------------------------------

    def open_view(self, ref: ObjRef, tab: Tab) -> tuple[str, str]:
        """Open `tab` of `ref` in its krate and fly to it; return (krate id, window id)."""
        if tab not in available_tabs(ref.kind):
            tab = "describe"
        krate, window, _created = self.yard.open_view(ref, tab, self.view.view_center())
        self.view.fly_to(*krate.center())
        self.window_opened.emit(krate.id, window.wid)
        self.krate_activated.emit(krate.id)
        return krate.id, window.wid

    def close_krate(self, kid: str) -> None:
        """Remove a krate, object or collection, for everyone; the snapshot it emits
        lets the closing user undo it (the `Krate closed · Undo` toast)."""
        krate = self.yard.krates.get(kid) or collection_krates(self.yard).get(kid)
        snapshot = self.yard.take_krate(kid) if krate is not None else None
        if krate is not None and snapshot is not None:
            self.krate_closed.emit(krate.label, snapshot)

    def restore_krate(self, snapshot: object) -> None:
        """Put a closed krate back where it was, with the same windows and sizes."""
        if isinstance(snapshot, dict):
            self.yard.put_back_krate(snapshot)

    def set_cursor_blink(self, enabled: bool) -> None:
        """Apply the Cursor blink setting to every open shell and to shells opened later."""
        self.ctx.cursor_blink = enabled
        for binding in self.bindings.values():
            terminal = getattr(binding, "terminal", None)
            if terminal is not None:
                terminal.set_cursor_blink(enabled)

    def set_yard(self, yard: Yard) -> None:
        """Show another yard (the one saved for this cluster): rebuild every item."""
        self.maximizer.restore()
        for kid in list(self.krate_items):
            self._remove_krate_item(kid)
        self.yard = yard
        yard.subscribe(
            lambda event, kid, y=yard: self._on_yard_changed_in(y, event, kid)
        )
        for kid in list(yard.krates):
            self._sync_krate(kid)
        self.krate_count_changed.emit(len(yard.krates) + len(yard.collection_krates))

    def _on_yard_changed_in(self, yard: Yard, event: str, kid: str) -> None:
        if yard is self.yard:
            self._on_yard_changed(event, kid)

    # yard events -----------------------------------------------------------------

    def _on_yard_changed(self, event: str, kid: str) -> None:
        if kid.startswith("c-"):
            pass  # collection krates are drawn by ui/collections/
        elif event == "removed":
            self._remove_krate_item(kid)
        else:
            self._sync_krate(kid)
        self.krate_count_changed.emit(
            len(self.yard.krates) + len(self.yard.collection_krates)
        )

    def _sync_krate(self, kid: str) -> None:
        krate = self.yard.krates[kid]
        item = self.krate_items.get(kid)
        if item is None:
            item = KrateItem(krate, self.view.world)
            item.close_requested.connect(self.close_krate)
            item.minimize_requested.connect(self._on_krate_minimize_requested)
            item.expand_requested.connect(self._on_krate_expand_requested)
            item.set_lod_collapsed(self.view.collapsed)
            item.moved.connect(self._on_krate_moved)
            self.krate_items[kid] = item
        item.sync(krate)
        item.set_status(*self.source.status_of(krate.obj_ref))
        for wid in [w for w in self.window_items if w.startswith(f"{kid}/")]:
            if wid.split("/", 1)[1] not in krate.windows:
                self._remove_window(wid)
        for window in krate.windows.values():
            self._sync_window(kid, item, window)

    def _sync_window(self, kid: str, item: KrateItem, window: Any) -> None:
        key = f"{kid}/{window.wid}"
        ref = self.yard.krates[kid].obj_ref
        witem = self.window_items.get(key)
        if witem is None:
            witem = DetailWindowItem(
                window.wid,
                ref.kind,
                ref.name,
                window.tab,
                available_tabs(ref.kind),
                item,
            )
            witem.close_requested.connect(
                lambda wid, k=kid: self.yard.close_window(k, wid)
            )
            witem.tab_requested.connect(
                lambda wid, tab, k=kid: self.yard.set_tab(k, wid, tab)
            )
            witem.hovered.connect(
                lambda wid, k=kid: self._on_window_hovered(f"{k}/{wid}")
            )
            witem.unhovered.connect(
                lambda wid, k=kid: self._on_window_unhovered(f"{k}/{wid}")
            )
            witem.maximize_requested.connect(
                lambda _wid, w=witem: self.maximizer.toggle(w)
            )
            witem.resize_dragged.connect(
                lambda wid, w, h, k=kid: self._resize_window(k, wid, w, h)
            )
            witem.resize_released.connect(
                lambda wid, w, h, k=kid: self._resize_window(k, wid, w, h)
            )
            witem.move_released.connect(
                lambda wid, x, y, k=kid: self._on_window_move_released(k, wid, x, y)
            )
            self.window_items[key] = witem
        origin = item.window_origin(window.dx, window.dy)
        if self.maximizer.window is witem:
            self.maximizer.update_home_geometry(
                origin.x(), origin.y(), window.w, window.h
            )
        else:
            witem.set_geometry(origin.x(), origin.y(), window.w, window.h)
        witem.set_status(*self.source.status_of(ref))
        binding = self.bindings.get(key)
        if binding is None or witem.tab != window.tab:
            if binding is not None:
                binding.stop()
            witem.set_tab(window.tab)
            witem.set_message("")
            binding = BINDINGS[window.tab](witem, ref, self.ctx)
            self.bindings[key] = binding
            binding.start()

    def _remove_window(self, key: str) -> None:
        binding = self.bindings.pop(key, None)
        if binding is not None:
            binding.stop()
        witem = self.window_items.pop(key, None)
        if witem is not None:
            self.maximizer.forget(witem)
        if witem is not None and witem.scene() is not None:
            witem.scene().removeItem(witem)
        if self.hovered_key == key:
            self._on_window_unhovered(key)

    def _remove_krate_item(self, kid: str) -> None:
        for key in [k for k in self.window_items if k.startswith(f"{kid}/")]:
            self._remove_window(key)
        item = self.krate_items.pop(kid, None)
        if item is not None and item.scene() is not None:
            item.scene().removeItem(item)

    def _on_krate_minimize_requested(self, kid: str) -> None:
        krate = self.yard.krates.get(kid)
        if krate is not None:
            self.yard.set_minimized(kid, not krate.minimized)

    def _on_krate_expand_requested(self, kid: str) -> None:
        krate = self.yard.krates.get(kid)
        if krate is None:
            return
        if krate.minimized:
            self.yard.set_minimized(kid, False)
        self.view.fly_to(*krate.center())

    def _on_view_lod_changed(self, collapsed: bool) -> None:
        for item in self.krate_items.values():
            item.set_lod_collapsed(collapsed)

    def _on_krate_moved(self, kid: str, x: float, y: float) -> None:
        if kid in self.yard.krates:
            self.yard.drop_krate(kid, (x, y))
            self.krate_activated.emit(kid)

    def _resize_window(self, kid: str, wid: str, w: float, h: float) -> None:
        """The grip writes the size at most every 100 ms and on release (spec 7.2)."""
        krate = self.yard.krates.get(kid)
        if krate is not None and wid in krate.windows:
            self.yard.resize_window(kid, wid, (w, h))

    def _on_window_move_released(self, kid: str, wid: str, x: float, y: float) -> None:
        """Drop a dragged window into the nearest slot; it snaps back if that is its own."""
        krate = self.yard.krates.get(kid)
        if krate is None or wid not in krate.windows:
            return
        slot = slot_at(list(krate.windows.values()), x - FRAME_PAD, y - FRAME_PAD)
        self.yard.move_window(kid, wid, slot)
        self._sync_krate(kid)

    def _on_window_hovered(self, key: str) -> None:
        self.hovered_key = key
        self.krate_activated.emit(key.split("/", 1)[0])
        binding = self.bindings.get(key)
        terminal = getattr(binding, "terminal", None)
        focus = self.view.scene().focusItem()
        if terminal is not None and terminal.takes_keyboard:
            terminal.setFocus()
        elif focus is not None and focus is not terminal:
            # Entering another window takes the keyboard from a sticky shell.
            focus.clearFocus()
        self.hover_changed.emit("shell" if terminal is not None else "detail")

    def _copy_from_hovered(self) -> bool:
        key = self.hovered_key or ""
        if self.maximizer.window is not None:
            key = next(
                (k for k, w in self.window_items.items() if w is self.maximizer.window),
                key,
            )
        binding = self.bindings.get(key)
        view = getattr(binding, "view", None)
        copy = getattr(view, "copy_selection", None)
        return bool(copy and copy())

    def _on_window_unhovered(self, key: str) -> None:
        if self.hovered_key == key:
            self.hovered_key = None
            self.hover_changed.emit("")

    def _connect_hovered_shell(self) -> bool:
        """⏎ over a Shell that is not connected does what its message button offers
        (Reconnect, or Close oldest at the shell limit), spec 18.1 step 5."""
        key = self.hovered_key or ""
        binding = self.bindings.get(key)
        if getattr(binding, "terminal", None) is None:
            return False
        if getattr(binding, "state", "") in ("connected", "connecting"):
            return False
        witem = self.window_items[key]
        witem.action_requested.emit(witem.wid)
        return True

    def handle_key(self, event: QKeyEvent) -> bool:
        """Window keys (spec 18.1 step 4-5): `z` maximises or restores, esc restores,
        ⏎ connects a Shell that is not connected, Ctrl+C copies."""
        key = event.key()
        plain = not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and plain:
            return self._connect_hovered_shell()
        if (
            key == Qt.Key.Key_C
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            return self._copy_from_hovered()
        if key == Qt.Key.Key_Escape and self.maximizer.active:
            self.maximizer.restore()
            return True
        if key != Qt.Key.Key_Z or not plain:
            return False
        if self.maximizer.active:
            self.maximizer.restore()
            return True
        witem = self.window_items.get(self.hovered_key or "")
        if witem is None or witem.tab == "shell":
            return False
        self.maximizer.toggle(witem)
        return True

    # cluster events --------------------------------------------------------------

    def _on_source_changes(self, changes: list[Any]) -> None:
        touched = {
            (
                c.kind.kind,
                (c.obj.get("metadata") or {}).get("namespace"),
                (c.obj.get("metadata") or {}).get("name"),
            )
            for c in changes
        }
        events_changed = any(c.kind.kind == "Event" for c in changes)
        for kid, krate in self.yard.krates.items():
            ref = krate.obj_ref
            if (
                ref.kind,
                ref.namespace,
                ref.name,
            ) not in touched and not events_changed:
                continue
            status = self.source.status_of(ref)
            self.krate_items[kid].set_status(*status)
            obj = self.source.get_object(ref)
            for wid in krate.windows:
                key = f"{kid}/{wid}"
                self.window_items[key].set_status(*status)
                self.bindings[key].object_changed(obj)

    def stop(self) -> None:
        """Stop every stream (the window is closing)."""
        for binding in self.bindings.values():
            binding.stop()
        self.bindings.clear()

    def binding(self, kid: str, wid: str) -> Binding | None:
        """The binding behind a window (for tests and the smoke test)."""
        return self.bindings.get(f"{kid}/{wid}")
