"""Key capture for canvas items that hold the keyboard (the Shell and Logs panes).

Both panes need the same thing from Qt: while they hold the keyboard, Tab, Backtab
and application shortcuts must reach them instead of moving focus or firing a
canvas action. Qt offers the key first as a ShortcutOverride and then as a
KeyPress; accepting the first keeps shortcuts from firing, and handing the second
straight to `keyPressEvent` keeps Tab out of the scene's focus chain.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QGraphicsItem

_KEY_EVENTS = (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress)


def capture_key(item: QGraphicsItem, holds_keyboard: bool, event: QEvent) -> bool:
    """Route a key event to `item` while it holds the keyboard; True when taken.

    Called first thing in the item's `sceneEvent`; when it returns False the item
    passes the event on to Qt as usual.
    """
    kind = event.type()
    if not holds_keyboard or kind not in _KEY_EVENTS:
        return False
    if kind == QEvent.Type.ShortcutOverride:
        event.accept()
    else:
        item.keyPressEvent(event)  # type: ignore[arg-type]
    return True
