"""Bindings opened straight against the sandbox in a bare scene (no main window)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kubernetes.client import CoreV1Api
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView
from pytestqt.qtbot import QtBot

from krates_desktop.cluster.kubeconfig import Kubeconfig
from krates_desktop.ui.bridge import Dispatcher
from krates_desktop.ui.cluster_source import default_container
from krates_desktop.ui.windows.bindings import BindingContext
from krates_desktop.ui.windows.detail_window import DetailWindowItem
from krates_desktop.yard.model import ObjRef


class SandboxPods:
    """The binding's object source, read straight from the sandbox's API."""

    def __init__(self, api: Any) -> None:
        self.core = CoreV1Api(api)
        self.api = api

    def get_object(self, ref: ObjRef) -> dict[str, Any] | None:
        pod = self.core.read_namespaced_pod(ref.name, ref.namespace)
        return self.api.sanitize_for_serialization(pod)  # type: ignore[no-any-return]

    def events_for(self, obj: dict[str, Any]) -> list[dict[str, Any]]:
        return []

    def pod_for(self, ref: ObjRef) -> tuple[str, str | None] | None:
        pod = self.get_object(ref)
        return (ref.name, default_container(pod)) if pod else None


def binding_opener(
    qtbot: QtBot, kubeconfig: Path, binding: type, view: str, tabs: tuple[str, ...]
) -> Iterator[Callable[..., Any]]:
    """Yield `open(pod, namespace)`, which starts a `binding` of a pod's `view` in a
    real window item; every binding opened is stopped afterwards."""
    api = Kubeconfig.load([kubeconfig]).api_client("krates-sandbox")
    dispatcher = Dispatcher()
    opened: list[Any] = []
    scene = QGraphicsScene()
    widget = QGraphicsView(scene)
    qtbot.addWidget(widget)
    widget.show()

    def opener(pod: str, namespace: str = "payments") -> Any:
        window = DetailWindowItem("w1", "Pod", pod, view, tabs)
        scene.addItem(window)
        ref = ObjRef("Pod", "", "v1", namespace, pod)
        started = binding(
            window, ref, BindingContext(api, SandboxPods(api), dispatcher)
        )
        started.start()
        opened.append(started)
        return started

    yield opener
    for started in opened:
        started.stop()
    dispatcher.close()


def wait_connected(qtbot: QtBot, shell: Any, timeout: int = 30000) -> None:
    """Wait until `shell` (a ShellBinding) is connected; if it is not, say how it
    stands (its state, the message its window shows, the shells open per context)."""
    from krates_desktop.cluster import streams

    try:
        qtbot.waitUntil(lambda: shell.state == "connected", timeout=timeout)
    except qtbot.TimeoutError:
        shells = {c: s.shells for c, s in streams.snapshot().items()}
        raise AssertionError(
            f"the shell did not connect in {timeout / 1000:.0f} s: state {shell.state!r}, "
            f"message {shell.window.message!r}, shells open {shells}"
        ) from None
