"""What the top bar's cluster pill and avatars do: switch context, edit the profile,
fly to another user.

Kept apart from the session so the session's wiring stays short; it reaches into
the session only through its public parts and the two steps of connecting
(`shutdown_services` and `_use`).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QPoint
from PySide6.QtWidgets import QApplication, QMenu, QToolTip

from krates_desktop.app import Problem, connect
from krates_desktop.cluster.errors import ClusterError
from krates_desktop.cluster.kubeconfig import Kubeconfig
from krates_desktop.settings import Settings, SettingsStore
from krates_desktop.ui.about import show_about
from krates_desktop.ui.hud.cluster_menu import context_menu, namespace_section
from krates_desktop.ui.hud.profile import ProfilePopover
from krates_desktop.ui.sharing import ensure_task

if TYPE_CHECKING:
    from krates_desktop.ui.runner import Session

log = logging.getLogger(__name__)


class TopBarActions(QObject):
    """Menus and popovers opened from the top bar (spec 12.3, 12.4 and 18.2)."""

    def __init__(self, session: Session) -> None:
        super().__init__(session.window)
        self.session = session
        self.menu: QMenu | None = None
        self.profile: ProfilePopover | None = None
        bar = session.window.top_bar
        bar.cluster.clicked.connect(self.open_cluster_menu)
        bar.roster.avatar_clicked.connect(self._on_roster_avatar_clicked)
        self._apply(SettingsStore(session.dirs).load())
        drawer = session.window.drawer
        drawer.copy_invite_requested.connect(self._on_drawer_copy_invite_requested)
        drawer.leave_requested.connect(self._on_drawer_leave_requested)

    # cluster pill ---------------------------------------------------------------

    def contexts(self) -> list[tuple[str, str]]:
        """(context, cluster) for every context of the kubeconfig in use."""
        session = self.session
        path = session.connection.kubeconfig_path if session.connection else None
        path = path or session.options.kubeconfig
        try:
            config = Kubeconfig.load([path] if path else None)
        except ClusterError as exc:
            session.window.toasts.show(f"The kubeconfig could not be read: {exc}")
            return []
        return [(c.name, c.cluster) for c in config.contexts]

    def open_cluster_menu(self) -> None:
        """Show the contexts under the cluster pill, and the namespaces added by hand
        when this user may not list namespaces (or added some before)."""
        connection = self.session.connection
        current = connection.context.name if connection else ""
        pill = self.session.window.top_bar.cluster
        self.menu = context_menu(
            self.session.window, self.contexts(), current, self.switch_context
        )
        added = self.session.namespaces
        saved = added.saved() if connection else []
        if added.listing_refused() or saved:
            namespace_section(self.menu, saved, added.ask, added.remove)
        self.menu.popup(pill.mapToGlobal(pill.rect().bottomLeft()) + QPoint(0, 6))

    def switch_context(self, name: str) -> None:
        """Close this cluster's connections and open the chosen context's yard with
        its camera (spec 15.8, step 6). A context that cannot be used is explained
        in a toast and the current one stays."""
        session = self.session
        old = session.connection
        if old is None or name == old.context.name:
            return
        options = replace(
            session.options, context=name, kubeconfig=old.kubeconfig_path, demo=False
        )
        result = connect(options)
        if isinstance(result, Problem):
            session.window.toasts.show(f"{result.title}: {result.body}")
            return
        # The embedded demo sandbox serves every sandbox context: keep it running.
        result.sandbox, old.sandbox = old.sandbox, None
        if session.sharing.session is not None:
            ensure_task(session.sharing.stop())
            session.window.top_bar.set_sync_state("local")
        session.shutdown_services()
        session.options = options
        log.info("switching to context %s", name)
        session._use(result)

    # avatars ----------------------------------------------------------------------

    def _on_roster_avatar_clicked(self, user_id: str) -> None:
        if user_id == self.session.me["userId"]:
            self.open_profile()
        else:
            self.fly_to_user(user_id)

    def fly_to_user(self, user_id: str) -> None:
        """Fly to the user's active krate, else their cursor, else their newest krate
        (spec 12.4); with none of those the tooltip says `no krates`."""
        session = self.session
        user = next(
            (u for u in session.sharing.others() if u.get("userId") == user_id), {}
        )
        target = self._target_of(user, user_id)
        if target is None:
            roster = session.window.top_bar.roster
            QToolTip.showText(
                roster.mapToGlobal(roster.rect().bottomLeft()), "no krates"
            )
            return
        session.window.view.fly_to(*target)

    def _target_of(
        self, user: dict[str, Any], user_id: str
    ) -> tuple[float, float] | None:
        krates = self.session.yard.krates
        active = krates.get(str(user.get("activeKrateId") or ""))
        if active is not None:
            return active.center()
        cursor = user.get("cursor")
        if isinstance(cursor, dict):
            return (float(cursor["x"]), float(cursor["y"]))
        owned = [k for k in krates.values() if k.owner == user_id]
        return owned[-1].center() if owned else None

    # admin drawer footer ------------------------------------------------------------

    def _on_drawer_copy_invite_requested(self) -> None:
        session = self.session
        if not session.invite_link:
            session.window.toasts.show(
                "This yard is not shared yet: Share yard… from the sync pill"
            )
            return
        session._copy_invite()

    def _on_drawer_leave_requested(self) -> None:
        session = self.session
        if session.sharing.session is None:
            session.window.toasts.show("This yard is local: there is no one to leave")
            return
        ensure_task(session.sharing.stop())
        session.window.drawer.close_drawer()

    # profile ------------------------------------------------------------------------

    def open_profile(self) -> None:
        """Show the profile popover under the `★` avatar."""
        session = self.session
        settings = SettingsStore(session.dirs).load()
        popover = ProfilePopover(session.window, settings, session.me["color"])
        popover.changed.connect(self._on_profile_changed)
        popover.about_requested.connect(self._on_profile_about_requested)
        popover.full_screen_requested.connect(session.window.toggle_full_screen)
        popover.quit_requested.connect(QApplication.quit)
        popover.adjustSize()
        roster = session.window.top_bar.roster
        below = roster.mapToGlobal(roster.rect().bottomRight()) + QPoint(0, 8)
        popover.move(below - QPoint(popover.width(), 0))
        popover.show()
        self.profile = popover

    def _on_profile_changed(self, settings: Settings) -> None:
        session = self.session
        store = SettingsStore(session.dirs)
        # Namespaces may have been added while the popover was open: keep them.
        settings = replace(settings, added_namespaces=store.load().added_namespaces)
        try:
            store.save(settings)
        except OSError as exc:
            session.window.toasts.show(
                f"Could not save the settings in {store.path}: {exc}"
            )
            return
        self._apply(settings)
        session.me["name"] = settings.name or session.me["name"]
        session.me["color"] = settings.color or session.me["color"]
        awareness = session.sharing.awareness
        if awareness is not None:
            awareness.update(name=session.me["name"], color=session.me["color"])
        session._refresh_presence()

    def _apply(self, settings: Settings) -> None:
        """Put the settings that change how things are drawn into effect, live."""
        session = self.session
        session.window.view.reduce_motion = settings.reduce_motion
        session.controller.set_cursor_blink(settings.cursor_blink)
        session.window.set_frosted(settings.frosted_overlays)
        session.controller.maximizer.frost.enabled = settings.frosted_overlays

    def _on_profile_about_requested(self) -> None:
        show_about(self.session.window)
