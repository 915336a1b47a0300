"""What fills a window's content area for each tab: YAML, Describe, Logs, Shell.

A binding owns the content item of one window and the stream that feeds it. Worker
callbacks arrive through the dispatcher, so every method here runs on the GUI
thread.

YAML and Describe render their first text at once; later changes of the object
are rendered on a worker thread, always from the newest object, at most once per
window every `RENDER_GAP_MS` and only while the window is on screen (one panned
away or in a minimised krate catches up within `RENDER_GAP_MS` of coming back):
a busy pod's status changes would otherwise re-render every one of its windows on
the GUI thread many times a second. The text is still formatted in Python, so a
render competes with the GUI thread for the interpreter; it just never blocks a
frame whole.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from kubernetes.client import ApiClient
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog

from krates_desktop.cluster.describe import describe, to_yaml
from krates_desktop.cluster.exec_session import ExecSession
from krates_desktop.cluster.log_stream import containers_of, previous_available
from krates_desktop.cluster.streams import LimitReached
from krates_desktop.ui.bridge import Dispatcher
from krates_desktop.ui.windows.detail_window import DetailWindowItem
from krates_desktop.ui.windows.highlight import describe_spans, yaml_spans
from krates_desktop.ui.windows.log_feed import LogFeed
from krates_desktop.ui.windows.logs_view import LogsViewItem
from krates_desktop.ui.windows.terminal_view import TerminalItem
from krates_desktop.ui.windows.text_view import TextViewItem
from krates_desktop.yard.model import ObjRef

log = logging.getLogger(__name__)

CLOSE_OLDEST = "Close oldest"
RENDER_GAP_MS = 300
Lines = list[list[tuple[str, str]]]
# One thread renders for every window: renders are short, and one at a time keeps
# them from piling up on the interpreter lock.
_renderer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="krates-render")


class ObjectSource(Protocol):
    """What bindings need from the cluster cache."""

    def get_object(self, ref: ObjRef) -> dict[str, Any] | None: ...

    def events_for(self, obj: dict[str, Any]) -> list[dict[str, Any]]: ...

    def pod_for(self, ref: ObjRef) -> tuple[str, str | None] | None: ...

    def pods_in(self, namespace: str | None) -> list[dict[str, Any]]: ...

    def follow(self, ref: ObjRef) -> Any: ...

    def counts_in(self, namespace: str) -> dict[str, int]: ...


@dataclass
class BindingContext:
    """Everything a binding may use: the cluster access and the GUI dispatcher."""

    api_client: ApiClient | None
    source: ObjectSource
    dispatcher: Dispatcher
    cursor_blink: bool = False  # the user's Cursor blink setting, for new shells


class Binding:
    """Base: a content item for a window, kept up to date."""

    def __init__(
        self, window: DetailWindowItem, ref: ObjRef, ctx: BindingContext
    ) -> None:
        self.window = window
        self.ref = ref
        self.ctx = ctx

    def start(self) -> None:
        """Create the content and begin streaming or rendering."""

    def stop(self) -> None:
        """Stop any stream; the window is closing or switching tab."""

    def object_changed(self, obj: dict[str, Any] | None) -> None:
        """The watched object changed (or vanished, when None)."""


class RenderedBinding(Binding):
    """YAML or Describe: text rendered from the cached object, refreshed live.

    `gather(obj)` runs on the GUI thread and collects what the text needs from the
    cache; `render(gathered)` makes the lines and may run on the worker.
    """

    def __init__(
        self,
        window,
        ref,
        ctx,
        render: Callable[[Any], Lines],
        gather: Callable[[dict[str, Any]], Any] = lambda obj: obj,
    ):  # type: ignore[no-untyped-def]
        super().__init__(window, ref, ctx)
        self._render = render
        self._gather = gather
        self.view = TextViewItem()
        self._waiting: dict[str, Any] | None = None  # newest object not yet rendered
        self._rendering = False
        self._stopped = False
        self._gone = False  # the object was deleted after the render began
        self._shown: Lines | None = None
        self._gap = QTimer(singleShot=True, interval=RENDER_GAP_MS)
        self._gap.timeout.connect(self._render_waiting)

    def start(self) -> None:
        self.window.set_content(self.view)
        self._hold = self.ctx.source.follow(self.ref)
        obj = self.ctx.source.get_object(self.ref)
        if obj is None:
            self.object_changed(obj)
        else:
            self._show(self._render(self._gather(obj)))

    def stop(self) -> None:
        self._stopped = True
        self._waiting = None
        self._gap.stop()
        hold, self._hold = getattr(self, "_hold", None), None
        if hold is not None:
            hold.close()

    def object_changed(self, obj: dict[str, Any] | None) -> None:
        self._gone = obj is None
        if obj is None:
            self._waiting = None
            self.window.set_message(
                f"{self.ref.kind.lower()} {self.ref.name} not found"
            )
            return
        self._waiting = obj
        if not self._rendering and not self._gap.isActive():
            self._render_waiting()

    def _render_waiting(self) -> None:
        """Send the newest object to the worker, or wait while the window is hidden."""
        if self._stopped or self._waiting is None:
            return
        if not self._on_screen():
            self._gap.start()
            return
        gathered, self._waiting = self._gather(self._waiting), None
        self._rendering = True
        done = self.ctx.dispatcher.wrap(self._on_rendered)

        def work() -> None:
            try:
                lines: Lines | None = self._render(gathered)
            except Exception:  # noqa: BLE001 - one bad object must not stop the rest
                log.exception("could not render %s %s", self.ref.kind, self.ref.name)
                lines = None
            done(lines)

        _renderer.submit(work)

    def _on_screen(self) -> bool:
        window = self.window
        scene = window.scene()
        if scene is None or not window.isVisible():
            return False
        box = window.sceneBoundingRect()
        return any(
            view.mapToScene(view.viewport().rect()).boundingRect().intersects(box)
            for view in scene.views()
        )

    def _on_rendered(self, lines: Lines | None) -> None:
        self._rendering = False
        if self._stopped:
            return
        if lines is not None and not self._gone:
            self._show(lines)
        self._gap.start()

    def _show(self, lines: Lines) -> None:
        self.window.set_message("")
        if lines != self._shown:  # a change the text does not show costs no repaint
            self._shown = lines
            self.view.set_lines(lines)


def yaml_binding(window, ref, ctx) -> RenderedBinding:  # type: ignore[no-untyped-def]
    """The YAML view: the live object, highlighted."""
    return RenderedBinding(
        window,
        ref,
        ctx,
        lambda obj: [yaml_spans(line) for line in to_yaml(obj).splitlines()],
    )


def describe_binding(window, ref, ctx) -> RenderedBinding:  # type: ignore[no-untyped-def]
    """The Describe view: a kubectl-describe style summary with the object's events."""

    def gather(obj: dict[str, Any]) -> dict[str, Any]:
        return {
            "obj": obj,
            "events": ctx.source.events_for(obj),
            "pods": ctx.source.pods_in(ref.namespace)
            if ref.kind == "Service"
            else None,
            "counts": ctx.source.counts_in(ref.name)
            if ref.kind == "Namespace"
            else None,
        }

    def render(found: dict[str, Any]) -> Lines:
        text = describe(ref.kind, **found)
        return [describe_spans(line) for line in text.splitlines()]

    return RenderedBinding(window, ref, ctx, render, gather)


class LogsBinding(Binding):
    """Follows the pod's log into a log pane without a line limit.

    The pane (`view`) keeps every line (older ones in a spill file), follows the end
    while the user is there, searches, filters and saves. "save" asks for a file with
    a dialog that does not block the canvas, then writes on a worker thread. Its
    source controls pick the container (or all, interleaved), the previous run and
    how far back to start; each choice starts the pane over on new streams.
    """

    def __init__(self, window, ref, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(window, ref, ctx)
        self.view = LogsViewItem()
        self.view.save_requested.connect(self._on_view_save_requested)
        self.view.source_changed.connect(self._on_view_source_changed)
        self.stream: LogFeed | None = None
        self._containers: tuple[str, ...] = ()
        self.limit: LimitReached | None = None
        self.container: str | None = None
        self._wired = False
        self.pod: str | None = None
        self.save_dialog: QFileDialog | None = None

    def start(self) -> None:
        self.window.set_content(self.view)
        if not self._wired:
            self._wired = True
            self.window.action_requested.connect(self._on_window_action_requested)
        target = self.ctx.source.pod_for(self.ref)
        if target is None or self.ctx.api_client is None:
            self.window.set_message(f"pod not found for {self.ref.name}")
            return
        pod, container = target
        if pod != self.pod:
            self.pod = pod
            self._offer_sources(container)
        self._open_feed()

    def _offer_sources(self, container: str | None) -> None:
        """Tell the pane the pod's containers and whether one ran before."""
        ref = ObjRef("Pod", "", "v1", self.ref.namespace, self.pod or "")
        obj = self.ctx.source.get_object(ref) or {}
        self._containers = containers_of(obj).regular
        chosen = container or (self._containers[0] if self._containers else "")
        previous = any(previous_available(obj, c) for c in self._containers)
        self.view.offer_sources(self._containers, chosen, previous=previous)

    def _open_feed(self) -> None:
        source = self.view.source
        self.container = source.container or None
        suffix = "/".join(part for part in (self.pod, source.container) if part)
        self.window.set_suffix(suffix + (" · previous run" if source.previous else ""))
        assert self.ctx.api_client is not None and self.pod is not None
        self.stream = LogFeed(
            self.ctx.api_client,
            self.ctx.dispatcher,
            self.ref.namespace or "default",
            self.pod,
            source,
            self._containers,
            on_lines=self._on_lines,
            on_status=self._on_status,
        )
        self.stream.start()

    def _on_view_source_changed(self) -> None:
        """Another container, run or range: the pane starts over on new streams."""
        if self.stream is None or self.pod is None:
            return
        self.stream.stop()
        self.stream = None
        self.view.clear()
        self.window.set_message("")
        self._open_feed()

    def stop(self) -> None:
        if self.stream is not None:
            self.stream.stop()
            self.stream = None
        if self.save_dialog is not None:
            self.save_dialog.close()
            self.save_dialog = None
        self.view.close()

    def save_log(self, path: Path) -> None:
        """Write every line the pane holds to `path` (on a worker thread)."""
        self.view.save(path)

    def _on_lines(self, lines: list[str], container: str) -> None:
        if self.stream is None:
            return
        self.window.set_message("")
        self.view.append_lines(lines, source=container)

    def _on_status(self, status: object) -> None:
        if self.stream is None:
            return
        name = type(status).__name__
        message = getattr(status, "message", "") or getattr(status, "reason", "")
        if name == "Ended" and self.stream.source.previous:
            self.view.append_marker("— end of the previous run —")
        elif name == "Ended":
            self.view.append_marker("— stream ended, reconnecting —")
        elif name == "Failed":
            self.limit = getattr(status, "limit", None)
            self.window.set_message(str(message), CLOSE_OLDEST if self.limit else "")
        elif name == "Streaming":
            self.window.set_message("")

    def _on_window_action_requested(self, _wid: str) -> None:
        """The window's one action here is "Close oldest" after the log-stream cap."""
        if self.limit is None:
            return
        if self.stream is not None:
            self.stream.stop()
            self.stream = None
        free_place(self)
        self.start()

    def _on_view_save_requested(self) -> None:
        if self.save_dialog is not None:
            self.save_dialog.raise_()
            return
        name = "-".join(
            part for part in (self.pod or self.ref.name, self.container) if part
        )
        dialog = QFileDialog(None, "Save log", str(Path.home() / f"{name}.log"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        dialog.fileSelected.connect(lambda path: self.save_log(Path(path)))
        dialog.finished.connect(self._on_save_dialog_finished)
        self.save_dialog = dialog
        dialog.open()

    def _on_save_dialog_finished(self, _result: int) -> None:
        self.save_dialog = None


class ShellBinding(Binding):
    """An exec session into the pod, drawn by the pyte-backed terminal item."""

    def __init__(self, window, ref, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(window, ref, ctx)
        self.terminal = TerminalItem()
        self.terminal.set_cursor_blink(ctx.cursor_blink)
        self.terminal.input_ready.connect(self._on_terminal_input_ready)
        self.terminal.size_changed.connect(self._on_terminal_size_changed)
        self.session: ExecSession | None = None
        self.limit: LimitReached | None = None
        self.state = "idle"
        self._size: tuple[int, int] | None = None

    def start(self) -> None:
        self.window.set_content(self.terminal)
        self.window.action_requested.connect(self._on_window_action_requested)
        self.connect()

    def connect(self) -> None:
        """Open (or reopen) the exec session."""
        target = self.ctx.source.pod_for(self.ref)
        if target is None or self.ctx.api_client is None:
            self.window.set_message(
                f"pod {self.ref.name} not found in ns/{self.ref.namespace}"
            )
            return
        pod, container = target
        self.window.set_suffix(f"{pod}/{container}" if container else pod)
        self.window.set_message("")
        self.state = "connecting"
        self.session = ExecSession(
            self.ctx.api_client,
            self.ref.namespace or "default",
            pod,
            container,
            on_output=self.ctx.dispatcher.wrap(self._on_output),
            on_status=self.ctx.dispatcher.wrap(self._on_status),
        )
        self.session.start()

    def stop(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None
        self.state = "closed"

    def _on_output(self, data: bytes) -> None:
        self.terminal.feed(data)

    def _on_status(self, status: object) -> None:
        name = type(status).__name__
        log.debug("shell %s: %s", self.window.wid, name)
        if name == "Connected":
            self.state = "connected"
            self.terminal.takes_keyboard = True
            self.terminal.setFocus()
            self.terminal.fit_now()
            if self.session is not None:
                # The first fit may have run while connecting: tell the pod its size now.
                self.session.resize(*self.terminal.grid_size())
        elif name == "Exited":
            self.state = "exited"
            self.terminal.takes_keyboard = False
            code = getattr(status, "code", None)
            self.window.set_message(
                f"shell exited with status {code}", "Reconnect", keep_content=True
            )
        elif name in ("Disconnected", "Failed"):
            self.state = "disconnected" if name == "Disconnected" else "failed"
            self.terminal.takes_keyboard = False
            message = getattr(status, "message", "") or getattr(status, "reason", "")
            text = "Disconnected" if name == "Disconnected" else str(message)
            self.limit = getattr(status, "limit", None)
            # A dropped session keeps its screen; a shell that never started has none.
            self.window.set_message(
                text,
                CLOSE_OLDEST if self.limit else "Reconnect",
                keep_content=name == "Disconnected",
            )

    def _on_terminal_input_ready(self, data: bytes) -> None:
        if self.session is not None and self.state == "connected":
            self.session.write(data)

    def _on_terminal_size_changed(self, cols: int, rows: int) -> None:
        self._size = (cols, rows)
        if self.session is not None:
            self.session.resize(cols, rows)  # queued by the session until it is live

    def _on_window_action_requested(self, _wid: str) -> None:
        self.stop()
        free_place(self)
        self.connect()


def free_place(binding: LogsBinding | ShellBinding) -> None:
    """Close the oldest stream when the binding last hit its context's cap."""
    limit, binding.limit = binding.limit, None
    if limit is not None:
        limit.close_oldest()


BINDINGS: dict[str, Callable[..., Binding]] = {
    "yaml": yaml_binding,
    "describe": describe_binding,
    "logs": LogsBinding,
    "shell": ShellBinding,
}
