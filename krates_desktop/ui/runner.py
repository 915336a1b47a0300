"""Builds the Qt side: the application, the main window, and the wiring between them."""

from __future__ import annotations

import asyncio
import getpass
import logging
import sys
import time
import uuid
from collections.abc import Collection
from dataclasses import replace
from typing import Any

import qasync
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QInputDialog

from krates_desktop.app import Connection, Options, Problem, connect
from krates_desktop.cluster import streams
from krates_desktop.cluster.cache import ClusterCache
from krates_desktop.cluster.custom_kinds import CustomKinds
from krates_desktop.cluster.discovery import CRD
from krates_desktop.cluster.health import probe_health
from krates_desktop.cluster.kinds import BUILTIN_KINDS
from krates_desktop.resources import resource_path
from krates_desktop.settings import Camera, CameraStore, Dirs, SettingsStore
from krates_desktop.sync.invite import make_invite
from krates_desktop.sync.sealing import YardSecret
from krates_desktop.sync.secret_store import SecretStore
from krates_desktop.sync.transport import TransportConfig
from krates_desktop.ui import theme
from krates_desktop.ui.added_namespaces import AddedNamespaces
from krates_desktop.ui.admin.drawer import KrateRow, UserCard
from krates_desktop.ui.bridge import Dispatcher
from krates_desktop.ui.cluster_source import ClusterSource
from krates_desktop.ui.collections.controller import CollectionController
from krates_desktop.ui.collector import collector
from krates_desktop.ui.hud.health import (
    Section,
    context_section,
    link_text,
    peers_section,
)
from krates_desktop.ui.hud.loading import denied_text, refused
from krates_desktop.ui.hud.presence import USER_PALETTE
from krates_desktop.ui.krate.krate_item import VIEW_LETTERS
from krates_desktop.ui.main_window import MainWindow
from krates_desktop.ui.sharing import Sharing, ensure_task, read_invite
from krates_desktop.ui.single_instance import claim, present_link
from krates_desktop.ui.spotlight.fuzzy import Candidate
from krates_desktop.ui.sync_actions import SyncActions
from krates_desktop.ui.termination import quit_on_signals
from krates_desktop.ui.top_bar_actions import TopBarActions
from krates_desktop.ui.windows.bindings import BindingContext
from krates_desktop.ui.yard_controller import YardController
from krates_desktop.yard.collections import CollectionKrate, collection_krates
from krates_desktop.yard.doc import YardDoc
from krates_desktop.yard.errors import YardError
from krates_desktop.yard.model import (
    ObjRef,
    Yard,
    default_tab,
    user_tag,
    window_creator_tag,
)
from krates_desktop.yard.palette import fnv1a32
from krates_desktop.yard.store import AutoSaver, YardStore

log = logging.getLogger(__name__)

HEALTH_EVERY_MS = 10_000
TLS_LABELS = {
    "skip-verify": "Skip verification (ignore the CA)",
    "verify": "Verify with the CA",
}
"""The two answers to a TLS conflict (case C06), as the window's buttons say them."""


def ensure_application() -> QApplication:
    """Return the QApplication, creating it with the app's name and icon."""
    app = QApplication.instance()
    if app is None:
        QGuiApplication.setApplicationName("Krates")
        QGuiApplication.setOrganizationName("Krates")
        app = QApplication(sys.argv[:1])
    icon = resource_path("icons", "krates.svg")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    theme.ensure_fonts()
    return app  # type: ignore[return-value]


class Session:
    """One window showing one cluster: the services, the window, and their wiring."""

    def __init__(
        self, options: Options, transport: TransportConfig | None = None
    ) -> None:
        self.options = options
        collector().hold()
        self._holds_collector = True
        self.window = MainWindow()
        self.dispatcher = Dispatcher(self.window)
        self.connection: Connection | None = None
        self.cache: ClusterCache | None = None
        self.custom_kinds: CustomKinds | None = None
        self.source = ClusterSource(None, self.dispatcher)
        self._index_feeder = self.window.spotlight.feed_from(
            self.source.candidate_changes
        )
        self.dirs = Dirs.for_profile(options.profile)
        self.me = self._load_identity()
        self.yard = Yard(self.me["userId"])
        self.controller = YardController(
            self.yard,
            self.window.view,
            self.source,
            BindingContext(None, self.source, self.dispatcher),
        )
        self.collections = CollectionController(
            self.yard, self.window.view, self.source, self.controller.maximizer
        )
        self.cameras = CameraStore(self.dirs)
        self.yards = YardStore(self.dirs.data)
        self.sharing = Sharing(self.window, transport)
        self.sharing.on_presence = self._refresh_presence
        self.invite_link = ""
        self.sync_actions = SyncActions(self)
        self.saver: AutoSaver | None = None
        self._save_timer = QTimer(self.window, singleShot=True, interval=2000)
        self._save_timer.timeout.connect(self._flush_yard)
        self._camera_timer = QTimer(self.window, singleShot=True, interval=2000)
        self._camera_timer.timeout.connect(self._save_camera)
        self._typing_timer = QTimer(self.window, singleShot=True, interval=1500)
        self._typing_timer.timeout.connect(self._on_typing_timer_timeout)
        self._health_timer = QTimer(self.window, interval=HEALTH_EVERY_MS)
        self._health_timer.timeout.connect(self._check_health)
        self._drawer_timer = QTimer(self.window, interval=1000)
        self._drawer_timer.timeout.connect(self._on_drawer_timer_timeout)
        self._drawer_timer.start()
        self._denied_timer = QTimer(self.window, singleShot=True, interval=500)
        self._denied_timer.timeout.connect(self._on_denied_timer_timeout)
        self.namespaces = AddedNamespaces(self)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.window.spotlight.open_requested.connect(self._on_spotlight_open_requested)
        self.window.demo_requested.connect(self._on_window_demo_requested)
        self.window.closing.connect(self.shutdown)
        self.controller.krate_count_changed.connect(self.window.top_bar.set_krate_count)
        self.window.view.camera_changed.connect(self._on_view_camera_changed)
        self.window.top_bar.sync.clicked.connect(self._on_sync_pill_clicked)
        self.window.view.pointer_moved.connect(self._on_view_pointer_moved)
        self.window.view.pointer_left.connect(self._on_view_pointer_left)
        self.controller.hover_changed.connect(self.window.set_hover_hint)
        self.controller.krate_closed.connect(self._on_controller_krate_closed)
        self.controller.krate_activated.connect(self._on_controller_krate_activated)
        self.controller.maximizer.changed.connect(self.window.set_maximized)
        self.window.key_handlers.append(self.controller.handle_key)
        self.window.key_handlers.append(self.collections.handle_key)
        self.collections.view_requested.connect(self.controller.open_view)
        self.collections.close_requested.connect(self.controller.close_krate)
        self.collections.hover_changed.connect(self.window.set_hover_hint)
        self.controller.hover_changed.connect(self.collections.other_window_hovered)
        self.window.spotlight.query_changed.connect(self._on_spotlight_query_changed)
        self.window.spotlight.closed.connect(
            lambda: self._on_spotlight_query_changed(None)
        )
        self.window.drawer.spectate_requested.connect(self._fly_to_krate)
        self.window.top_bar.admin_toggled.connect(self._refresh_presence)
        self.yard.subscribe(lambda _event, _kid: self._refresh_presence())
        self._refresh_presence()
        self.window.set_candidates(self._candidates)
        self.window.spotlight.extra_rows = self.namespaces.spotlight_rows
        self.window.minimap.set_marks(self._minimap_marks)
        self.yard.subscribe(lambda _event, _kid: self.window.minimap.marks_changed())
        self.source.subscribe_status(self._on_cache_status)
        self.window.problem.choice_made.connect(self._on_tls_choice_chosen)
        self.window.health.set_source(self._health_sections)
        self.window.progress.counts = self._loaded_counts
        self.top_bar_actions = TopBarActions(self)

    # presence -------------------------------------------------------------------

    def _load_identity(self) -> dict[str, Any]:
        store = SettingsStore(self.dirs)
        settings = store.load()
        if not settings.user_id:
            settings.user_id = str(uuid.uuid4())
            settings.name = settings.name or getpass.getuser().replace(".", " ").title()
            try:
                store.save(settings)
            except OSError as exc:
                log.error("could not save settings in %s: %s", store.path, exc)
        palette_color = USER_PALETTE[
            fnv1a32(settings.user_id.encode()) % len(USER_PALETTE)
        ]
        now = int(time.time() * 1000)
        return {
            "userId": settings.user_id,
            "name": settings.name or "me",
            "color": settings.color or palette_color,
            "cursor": None,
            "activeKrateId": None,
            "spotlightQuery": None,
            "typing": False,
            "activeNamespace": None,
            "lastActive": now,
            "ts": now,
        }

    def _on_spotlight_query_changed(self, query: str | None) -> None:
        self.sharing.set_spotlight(query)
        self.me["spotlightQuery"] = query
        self.me["typing"] = query is not None
        self.me["lastActive"] = int(time.time() * 1000)
        if query is not None:
            self._typing_timer.start()
        self._refresh_presence()

    def _on_typing_timer_timeout(self) -> None:
        self.me["typing"] = False
        self._refresh_presence()

    def _krate_rows(self, user_id: str) -> tuple[KrateRow, ...]:
        """The drawer's rows for one user: object and collection krates they own or
        hold a window they created in (spec 14.3); collections have no view letters."""
        tag = user_tag(user_id)
        rows = []
        krates = [*self.yard.krates.values(), *collection_krates(self.yard).values()]
        for krate in krates:
            windows = krate.windows.values()
            if krate.owner != user_id and all(
                window_creator_tag(w.wid) != tag for w in windows
            ):
                continue
            tabs = {w.tab for w in windows}
            letters = tuple(letter for tab, letter in VIEW_LETTERS if tab in tabs)
            if isinstance(krate, CollectionKrate):
                item = self.collections.krate_items.get(krate.id)
                health = item.status[1] if item is not None else "unknown"
            else:
                health = self.source.status_of(krate.obj_ref)[1]
            rows.append(KrateRow(krate.id, krate.label, letters, health))
        return tuple(rows)

    def _my_card(self) -> UserCard:
        me = self.me
        return UserCard(
            me["userId"],
            me["name"],
            me["color"],
            True,
            me["lastActive"],
            me["activeNamespace"],
            me["spotlightQuery"],
            bool(me["typing"]),
            self._krate_rows(me["userId"]),
        )

    def _card_for(self, presence: dict[str, Any]) -> UserCard:
        return UserCard(
            str(presence.get("userId", "")),
            str(presence.get("name", "")),
            str(presence.get("color", theme.MUTED)),
            False,
            int(presence.get("lastActive", 0)),
            presence.get("activeNamespace"),
            presence.get("spotlightQuery"),
            bool(presence.get("typing")),
            self._krate_rows(str(presence.get("userId", ""))),
            self._link_for(str(presence.get("userId", ""))),
        )

    def _on_drawer_timer_timeout(self) -> None:
        """Sync lag moves on its own: keep the open drawer's figures current."""
        if self.window.drawer.is_open() and self.sharing.session is not None:
            self._refresh_presence()

    def _link_for(self, user_id: str) -> str:
        """The drawer's line for a peer's link: direct or relay, RTT and sync lag."""
        session = self.sharing.session
        peers = (
            [p for p in session.peer_figures() if p.user_id == user_id]
            if session
            else []
        )
        return link_text(peers[0]) if peers else ""

    def _refresh_presence(self) -> None:
        others = self.sharing.others()
        self.window.top_bar.roster.set_users(self.me, others)
        cluster = self.connection.context.cluster if self.connection else "yard"
        cards = [self._my_card()] + [self._card_for(p) for p in others]
        self.window.drawer.set_cards(cards, cluster)

    def _on_controller_krate_activated(self, kid: str) -> None:
        """Peers see which krate this user works in (`activeKrateId`, spec 12.3)."""
        krate = self.yard.krates.get(kid)
        namespace = (krate.obj_ref.namespace or None) if krate is not None else None
        if (self.me["activeKrateId"], self.me["activeNamespace"]) == (kid, namespace):
            return
        self.me["activeKrateId"], self.me["activeNamespace"] = kid, namespace
        self.sharing.set_active_krate(kid, namespace)
        self._refresh_presence()

    def _on_controller_krate_closed(self, _label: str, snapshot: object) -> None:
        self.window.toasts.show(
            "Krate closed", undo=lambda: self.controller.restore_krate(snapshot)
        )

    def _fly_to_krate(self, kid: str) -> None:
        krate = self.yard.krates.get(kid) or collection_krates(self.yard).get(kid)
        if krate is not None:
            self.window.view.fly_to(*krate.center())

    # connecting -----------------------------------------------------------------

    def start(self) -> None:
        """Connect to the chosen cluster, or explain in the window why not."""
        result = connect(self.options)
        if isinstance(result, Problem) and result.choices:
            self.window.top_bar.set_cluster("no cluster", "")
            labels = {choice: TLS_LABELS[choice] for choice in result.choices}
            self.window.ask_choice(result.title, result.body, labels)
            return
        if isinstance(result, Problem):
            self.window.top_bar.set_cluster("no cluster", "")
            self.window.show_problem(
                result.title,
                result.body,
                "Open the demo cluster" if result.offer_demo else "",
            )
            return
        self._use(result)

    def _use(self, connection: Connection) -> None:
        self.connection = connection
        info = connection.context
        self.window.clear_problem()
        self.window.setWindowTitle(f"Krates — {info.cluster} yard — {info.name}")
        self.window.top_bar.set_cluster(info.cluster, info.name)
        self.window.top_bar.set_health("warn")
        self.controller.ctx.api_client = connection.api_client
        self.window.progress.reset()
        self._open_saved_yard(info.cluster, connection.fingerprint)
        self._restore_camera()
        self.window.spotlight.reset_index()
        self.cache = ClusterCache(
            connection.api_client,
            kinds=(*BUILTIN_KINDS, CRD),
            on_changes=self.dispatcher.wrap(self._on_cache_changes),
            on_status=self.dispatcher.wrap(self.source.deliver_status),
            extra_namespaces=self.namespaces.at_start(),
        )
        self.custom_kinds = CustomKinds(self.cache, connection.api_client)
        self.source.cache = self.cache
        self.source.status = None
        self.cache.start()
        self.custom_kinds.start()
        self._health_timer.start()
        self._check_health()

    def _open_saved_yard(self, name: str, fingerprint: str) -> None:
        """Reopen this cluster's yard from disk, or start a new one for it."""
        if not fingerprint:
            return
        doc = None
        yard_id = self.yards.yard_for_cluster(fingerprint)
        try:
            doc = self.yards.load(yard_id) if yard_id else None
        except YardError as exc:
            self.window.toasts.show(f"The saved yard could not be opened: {exc}")
        if doc is None:
            doc = YardDoc.new(name=name, cluster=fingerprint)
            self.yards.set_cluster_yard(fingerprint, doc.meta.yard_id)  # type: ignore[union-attr]
        self._install_yard(doc)

    def _install_yard(self, doc: YardDoc) -> None:
        if self.saver is not None:
            self.saver.close()
        self.yard = Yard(self.me["userId"], doc)
        self.yard.subscribe(self._on_yard_changed)
        self.saver = AutoSaver(self.yards, doc)
        self.controller.set_yard(self.yard)
        self.collections.set_yard(self.yard)
        self.sharing.attach(self.yard, self.me)
        self.window.minimap.marks_changed()

    # sharing --------------------------------------------------------------------

    def share(self, signal: str, allow_secret_file: bool = False) -> str:
        """Share this yard through `signal`; return the invite link for the others."""
        meta = self.yard.doc.meta
        if meta is None or self.connection is None:
            raise RuntimeError("there is no yard to share yet")
        secrets = SecretStore(self.dirs.data, allow_file=allow_secret_file)
        secret = secrets.load(meta.yard_id)
        if secret is None:
            secret = YardSecret.generate()
            secrets.save(meta.yard_id, secret)
        invite = make_invite(
            signal, meta.yard_id, secret, meta.name, self.connection.fingerprint
        )
        self.invite_link = invite.to_link()
        self.sync_actions.allow_secret_file = allow_secret_file
        ensure_task(self.sharing.start(self.yard, invite, self.connection.fingerprint))
        return invite.to_link()

    def join(self, link: str) -> bool:
        """Join the yard an invite link names; False (with a toast) when it cannot."""
        invite = read_invite(link)
        if isinstance(invite, str):
            self.window.toasts.show(invite)
            return False
        if self.connection is None:
            self.window.toasts.show(
                "Connect to the yard's cluster first, then open the link."
            )
            return False
        fingerprint = self.connection.fingerprint
        doc = None
        try:
            doc = self.yards.load(invite.yard_id)
        except YardError as exc:
            self.window.toasts.show(str(exc))
            return False
        self._install_yard(doc if doc is not None else YardDoc())
        self.yards.set_cluster_yard(fingerprint, invite.yard_id)
        self.invite_link = invite.to_link()
        ensure_task(self.sharing.start(self.yard, invite, fingerprint))
        return True

    def _on_sync_pill_clicked(self) -> None:
        self.sync_actions.open_popover()

    def _ask_share(self) -> None:
        default = SettingsStore(self.dirs).load().signaling_server or "wss://"
        url, ok = QInputDialog.getText(
            self.window, "Share yard", "Signaling server:", text=default
        )
        if not ok or not url.strip():
            return
        try:
            self.invite_link = self.share(url.strip())
        except Exception as exc:  # noqa: BLE001 - shown to the user, never silent
            self.window.toasts.show(f"Could not share the yard: {exc}")
            return
        QGuiApplication.clipboard().setText(self.invite_link)
        self.window.toasts.show("Invite link copied to the clipboard")

    def _ask_join(self) -> None:
        link, ok = QInputDialog.getText(
            self.window, "Join yard", "Invite link (krates://join?…):"
        )
        if ok and link.strip():
            self.join(link.strip())

    def _copy_invite(self) -> None:
        if getattr(self, "invite_link", ""):
            QGuiApplication.clipboard().setText(self.invite_link)
            self.window.toasts.show("Invite link copied to the clipboard")

    def _on_view_pointer_moved(self, x: float, y: float) -> None:
        self.sharing.set_cursor((x, y))

    def _on_view_pointer_left(self) -> None:
        self.sharing.set_cursor(None)

    def _on_yard_changed(self, _event: str, _kid: str) -> None:
        self._save_timer.start()
        self.namespaces.follow_yard()
        self.window.minimap.marks_changed()
        self._refresh_presence()

    def _flush_yard(self) -> None:
        if self.saver is not None:
            self.saver.flush()

    def _restore_camera(self) -> None:
        if self.connection is None or not self.connection.fingerprint:
            return
        camera = self.cameras.load(self.connection.fingerprint)
        if camera is not None:
            view = self.window.view
            view.cam_x, view.cam_y, view.zoom = camera.cam_x, camera.cam_y, camera.zoom
            view.apply_camera()

    def _on_view_camera_changed(self) -> None:
        if self.connection is not None:
            self._camera_timer.start()

    def _save_camera(self) -> None:
        if self.connection is None or not self.connection.fingerprint:
            return
        view = self.window.view
        try:
            self.cameras.save(
                self.connection.fingerprint, Camera(view.cam_x, view.cam_y, view.zoom)
            )
        except OSError as exc:
            log.error("could not save the camera in %s: %s", self.cameras.root, exc)

    def _on_cache_changes(self, changes: list[Any]) -> None:
        if self.custom_kinds is not None:
            self.custom_kinds.changes(changes)
        self.source.deliver_changes(changes)
        self._index_feeder.add(changes)  # spotlight refreshes as they are indexed

    def _on_tls_choice_chosen(self, choice: str) -> None:
        """Connect again with the person's answer to the TLS conflict (this session only)."""
        self.options = replace(self.options, tls_choice=choice)  # type: ignore[arg-type]
        self.start()

    def _loaded_counts(self) -> dict[str, int]:
        """Objects cached so far per kind, for the loading pill."""
        if self.cache is None:
            return {}
        return {kind.plural: self.cache.count(kind) for kind in self.cache.kinds}

    def _refused_text(self, skipped: Collection[str] = ()) -> str:
        """`no access: …` for what this user may not read, or "" when nothing is refused;
        refusals in the `skipped` namespaces are left out."""
        whole = self.cache.denied if self.cache is not None else {}
        found = refused(self.window.progress.denied, whole)
        return denied_text({k: m for k, m in found.items() if k[1] not in skipped})

    def _on_denied_timer_timeout(self) -> None:
        # Namespaces added by hand have their own toast (AddedNamespaces.note_denied).
        text = self._refused_text(self.namespaces.reported)
        if text and self.namespaces.listing_refused():
            self.window.toasts.show(
                f"{text} · the rest of the cluster is shown",
                undo=self.namespaces.ask,
                action="Add namespace…",
            )
        elif text:
            self.window.toasts.show(f"{text} · the rest of the cluster is shown")

    def _health_sections(self) -> list[Section]:
        """What the health view shows: every context's figures, refusals, the yard's peers."""
        figures = streams.snapshot()
        mine = self.connection.context.name if self.connection else ""
        ordered = sorted(figures.values(), key=lambda s: (s.context != mine, s.context))
        sections = [context_section(s, streams.BOOK.limits) for s in ordered]
        denied = self._refused_text()
        if denied:
            sections.append(Section("Access", (denied,)))
        session = self.sharing.session
        sections.append(peers_section(session.peer_figures() if session else None))
        return sections

    def _on_cache_status(self, status: object) -> None:
        if self.window.progress.note(status) and not self.namespaces.note_denied(
            status
        ):
            self._denied_timer.start()
        name = type(status).__name__
        if name == "Unreachable":
            self.window.top_bar.set_health("error")
            server = self.connection.context.server if self.connection else "the server"
            self.window.show_problem(
                "The cluster cannot be reached",
                f"{status}. Krates keeps trying; check that {server} is up and reachable.",
            )
        elif name == "Synced":
            self.window.clear_problem()
            self.window.top_bar.set_health("ok")
        elif name == "Degraded":
            self.window.top_bar.set_health("warn")

    def _check_health(self) -> None:
        if self.connection is None:
            return
        client = self.connection.api_client
        report = self.dispatcher.wrap(self._on_health)
        import threading

        threading.Thread(
            target=lambda: report(probe_health(client)), daemon=True
        ).start()

    def _on_health(self, healthy: bool) -> None:
        if self.cache is not None and not healthy:
            self.window.top_bar.set_health("error")
        elif healthy and not self.window.problem.isVisible():
            self.window.top_bar.set_health("ok")

    def _on_window_demo_requested(self) -> None:
        self.shutdown_services()
        self.options = Options(demo=True)
        self.start()

    def _minimap_marks(self) -> list[tuple[float, float, str, str]]:
        marks = []
        every = [*self.yard.krates.values(), *collection_krates(self.yard).values()]
        for krate in every:
            count = len(krate.windows)
            tip = f"{krate.label} · {count} window" + ("" if count == 1 else "s")
            marks.append((*krate.center(), krate.color, tip))
        return marks

    # spotlight ------------------------------------------------------------------

    def _candidates(self) -> list[Candidate]:
        krates = [
            Candidate("krate", k.label, k.obj_ref.namespace, payload=k.id)
            for k in self.yard.krates.values()
        ]
        # cluster objects reach spotlight's index from the cache's changes
        return krates + self.collections.candidates()

    def _on_spotlight_open_requested(self, candidate: Candidate, tab: str) -> None:
        if self.collections.open_candidate(candidate, tab):
            return
        if self.namespaces.open_candidate(candidate):
            return
        if candidate.kind == "krate":
            krate = self.yard.krates.get(str(candidate.payload))
            if krate is not None:
                self.window.view.fly_to(*krate.center())
            return
        ref = candidate.payload
        if not isinstance(ref, ObjRef):
            return
        chosen = tab or default_tab(ref.kind)
        self.controller.open_view(ref, chosen)  # type: ignore[arg-type]

    # lifetime -------------------------------------------------------------------

    def shutdown_services(self) -> None:
        """Stop streams, the cache and the sandbox; the window stays."""
        if self._camera_timer.isActive():
            self._camera_timer.stop()
            self._save_camera()
        self._save_timer.stop()
        if self.saver is not None:
            self.saver.close()
            self.saver = None
        self.controller.stop()
        self.collections.stop()
        self._health_timer.stop()
        if self.custom_kinds is not None:
            self.custom_kinds.close()
            self.custom_kinds = None
        if self.cache is not None:
            self.cache.stop()
            self.cache = None
            self.source.cache = None
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def shutdown(self) -> None:
        """Everything stops: the window is closing."""
        self.shutdown_services()
        self.dispatcher.close()
        if self._holds_collector:
            self._holds_collector = False
            collector().release()


def run_gui(options: Options, link: str = "") -> int:
    """Show the window and run the event loop until it closes.

    Unless this is the smoke test, the window becomes the one running instance of
    its profile; if another instance got there first, `link` goes to it instead.
    SIGTERM and SIGINT close it as closing its window does.
    """
    app = ensure_application()
    with quit_on_signals(app):
        return _run_session(app, options, link)


def _run_session(app: QApplication, options: Options, link: str) -> int:
    instance = None if options.smoke_test else claim(options.profile, link)
    if instance is None and not options.smoke_test:
        return 0
    session = Session(options)
    if instance is not None:
        instance.link_received.connect(lambda text: present_link(session.window, text))
        instance.link_received.connect(lambda text: text and session.join(text))
        if link:
            QTimer.singleShot(0, lambda: present_link(session.window, link))
            QTimer.singleShot(0, lambda: session.join(link))
    session.window.resize(1440, 900)
    screen = app.primaryScreen()
    if screen is not None:
        area = screen.availableGeometry()
        session.window.resize(
            max(960, int(area.width() * 0.8)), max(600, int(area.height() * 0.8))
        )
    session.window.show()
    session.start()
    if options.smoke_test:
        from krates_desktop.ui.smoke import SmokeTest

        smoke = SmokeTest(session)
        smoke.start()
        run_event_loop(app)
        session.shutdown()
        return smoke.exit_code
    code = run_event_loop(app)
    session.shutdown()
    return code


def run_event_loop(app: QApplication) -> int:
    """Run Qt's event loop with one asyncio loop on it (qasync), until the app quits.

    The asyncio loop is what the yard's peer connections and signaling run on.
    """
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            loop.run_forever()
    finally:
        asyncio.set_event_loop(None)
    return 0
