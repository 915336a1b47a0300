"""The cluster pill's menu: the kubeconfig's contexts, the current one checked.

Picking another context switches the whole window to that cluster's yard
(spec 12.3 and 15.8); on Windows and Linux this menu stands in for macOS's
File ▸ Switch Context. A user who may not list namespaces also finds here the
namespaces added by hand, to add another or remove one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget


def context_menu(
    parent: QWidget,
    contexts: Sequence[tuple[str, str]],
    current: str,
    on_pick: Callable[[str], None],
) -> QMenu:
    """A menu with one checkable entry per (context, cluster); the current is checked."""
    menu = QMenu(parent)
    menu.addSection("Switch context")
    for name, cluster in contexts:
        action = QAction(name, menu)
        action.setCheckable(True)
        action.setChecked(name == current)
        action.setToolTip(f"cluster {cluster}")
        action.triggered.connect(lambda _on, n=name: on_pick(n))
        menu.addAction(action)
    if not contexts:
        empty = menu.addAction("No contexts in the kubeconfig")
        empty.setEnabled(False)
    return menu


def namespace_section(
    menu: QMenu,
    added: Sequence[str],
    on_add: Callable[[], None],
    on_remove: Callable[[str], None],
) -> None:
    """Append `Add namespace…` and one `Remove ns/<name>` per namespace added by hand."""
    menu.addSection("Namespaces added by hand")
    menu.addAction("Add namespace…").triggered.connect(lambda _on: on_add())
    for name in added:
        action = menu.addAction(f"Remove ns/{name}")
        action.triggered.connect(lambda _on, n=name: on_remove(n))
