"""Namespaces added by hand, for a user who may not list them (issue 4, item 5).

Such a user's cache watches only the context's namespace. The namespaces the
user adds (from the cluster pill's menu, the refusal toast, or spotlight's
`Add namespace "…"` row) are watched too, kept per context in the settings and
added again on the next start, together with the namespaces the yard's krates
refer to. A namespace the user may not read either gets one toast naming it;
the rest of the cluster keeps working.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QInputDialog

from krates_desktop.cluster.cache import ClusterCache, KindDenied
from krates_desktop.cluster.kinds import NAMESPACE
from krates_desktop.settings import SettingsStore
from krates_desktop.ui.hud.loading import denied_text, kind_label
from krates_desktop.ui.spotlight.fuzzy import Candidate
from krates_desktop.ui.spotlight.spotlight import ADD_NAMESPACE

if TYPE_CHECKING:
    from krates_desktop.ui.runner import Session

_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def name_problem(name: str) -> str:
    """Why `name` cannot be a namespace (RFC 1123 label, as the API server says), or ""."""
    if not name:
        return "Type the name of a namespace to add"
    if len(name) > 63 or not _LABEL.fullmatch(name):
        return (
            f'"{name}" is not a namespace name: lowercase letters, digits and "-",'
            " starting and ending with a letter or digit, at most 63"
        )
    return ""


def _in_background(work: Callable[[], None], name: str) -> None:
    """Run `work` off the GUI thread: adding informers opens connections."""
    threading.Thread(target=work, name=name, daemon=True).start()


class AddedNamespaces(QObject):
    """The session's namespaces added by hand: saved per context, watched, reported."""

    def __init__(self, session: Session) -> None:
        super().__init__(session.window)
        self.session = session
        self.dialog: QInputDialog | None = None
        self._watching: set[str] = set()
        self._refused: dict[tuple[str, str | None], str] = {}
        self._report_timer = QTimer(self, singleShot=True, interval=500)
        self._report_timer.timeout.connect(self._report_refused)

    # what is added --------------------------------------------------------------

    def _context(self) -> str:
        connection = self.session.connection
        return connection.context.name if connection is not None else ""

    def saved(self) -> list[str]:
        """The namespaces added by hand for the current context."""
        settings = SettingsStore(self.session.dirs).load()
        return list(settings.added_namespaces.get(self._context(), []))

    def yard_namespaces(self) -> list[str]:
        """The namespaces the yard's krates refer to."""
        found = (k.obj_ref.namespace for k in self.session.yard.krates.values())
        return sorted({ns for ns in found if ns})

    def at_start(self) -> list[str]:
        """What a new cache watches besides the context's namespace; remembered, so
        that refusals in them are reported."""
        wanted = list(dict.fromkeys([*self.saved(), *self.yard_namespaces()]))
        connection = self.session.connection
        home = connection.context.namespace if connection is not None else ""
        self._watching = set(wanted) - {home}
        return wanted

    def listing_refused(self) -> bool:
        """True when this user may not list namespaces (the cache reported it)."""
        cache = self.session.cache
        return cache is not None and NAMESPACE in cache.denied

    # adding and removing ----------------------------------------------------------

    def ask(self) -> None:
        """Ask for a namespace in a small dialog (not modal to the event loop)."""
        dialog = QInputDialog(self.session.window)
        dialog.setWindowTitle("Add namespace")
        dialog.setLabelText("Namespace to watch (this user may not list them):")
        dialog.textValueSelected.connect(self.add)
        dialog.open()
        self.dialog = dialog

    def add(self, name: str) -> bool:
        """Watch `name` from now on and on every start; False (with a toast) when not."""
        name = name.strip()
        toasts = self.session.window.toasts
        problem = name_problem(name)
        if problem:
            toasts.show(problem)
            return False
        saved = self.saved()
        if name in saved:
            toasts.show(f"ns/{name} is already added")
            return False
        if not self._save([*saved, name]):
            return False
        self._watching.add(name)
        self._with_cache(lambda cache: cache.add_namespaces([name]), "namespace-add")
        toasts.show(f"Added ns/{name}: its objects load in the background")
        return True

    def remove(self, name: str) -> None:
        """Stop watching `name` (unless a krate of the yard is in it) and forget it."""
        if not self._save([ns for ns in self.saved() if ns != name]):
            return
        progress = self.session.window.progress
        for key in [key for key in progress.denied if key[1] == name]:
            del progress.denied[key]
        if name in self.yard_namespaces():
            self.session.window.toasts.show(
                f"Removed ns/{name}; it stays watched while krates of the yard are in it"
            )
            return
        self._watching.discard(name)
        self._with_cache(lambda cache: cache.remove_namespaces([name]), "namespace-rm")
        self.session.window.toasts.show(f"Removed ns/{name}")

    def follow_yard(self) -> None:
        """Watch the namespaces of krates the yard gained (from a peer, for example)."""
        cache = self.session.cache
        known = set(cache.namespaces()) if cache is not None else set()
        new = [ns for ns in self.yard_namespaces() if ns not in self._watching | known]
        if new:
            self._watching.update(new)
            self._with_cache(lambda cache: cache.add_namespaces(new), "namespace-add")

    def _with_cache(self, work: Callable[[ClusterCache], None], name: str) -> None:
        cache = self.session.cache
        if cache is not None:
            _in_background(lambda: work(cache), name)

    def _save(self, namespaces: Iterable[str]) -> bool:
        store = SettingsStore(self.session.dirs)
        settings = store.load()
        kept = list(namespaces)
        if kept:
            settings.added_namespaces[self._context()] = kept
        else:
            settings.added_namespaces.pop(self._context(), None)
        try:
            store.save(settings)
        except OSError as exc:
            self.session.window.toasts.show(
                f"Could not save the settings in {store.path}: {exc}"
            )
            return False
        return True

    # refusals -----------------------------------------------------------------------

    @property
    def reported(self) -> frozenset[str]:
        """The namespaces whose refusals this reports (those added, not the context's)."""
        return frozenset(self._watching)

    def note_denied(self, status: object) -> bool:
        """Take a new refusal; True when it concerns an added namespace, which this
        reports itself (one toast naming the namespace) instead of the session."""
        if not isinstance(status, KindDenied) or status.namespace not in self._watching:
            return False
        self._refused[(kind_label(status.kind), status.namespace)] = status.message
        self._report_timer.start()
        return True

    def _report_refused(self) -> None:
        text = denied_text(self._refused)
        self._refused = {}
        if text:
            self.session.window.toasts.show(f"{text} · the rest keeps working")

    # spotlight ----------------------------------------------------------------------

    def spotlight_rows(self, query: str) -> list[Candidate]:
        """`Add namespace "<query>"` when namespaces cannot be listed and the query
        could name one that is not watched yet."""
        cache = self.session.cache
        name = query.strip()
        if cache is None or name_problem(name) or not self.listing_refused():
            return []
        if name in cache.namespaces():
            return []
        return [Candidate(ADD_NAMESPACE, f'Add namespace "{name}"', payload=name)]

    def open_candidate(self, candidate: Candidate) -> bool:
        """Add the namespace of an `Add namespace` row; False for other rows."""
        if candidate.kind != ADD_NAMESPACE:
            return False
        self.add(str(candidate.payload))
        return True
