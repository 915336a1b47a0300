"""Loading progress while the cache fills, and the kinds the cluster refuses.

The cache reports `Loading(kinds_done, kinds_total)` until every kind is listed,
and `KindDenied` once per kind and namespace it may not read. The pill under the
cluster pill shows how far the first lists are (kinds done, objects per kind so
far); the refused kinds go to one toast and stay listed in the health view, while
the rest of the cluster works as usual.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from krates_desktop.cluster.cache import KindDenied, Loading
from krates_desktop.cluster.kinds import Kind
from krates_desktop.ui import theme
from krates_desktop.ui.hud.pills import Pill

REFRESH_MS = 250


def kind_label(kind: Kind) -> str:
    """`secrets` for a built-in kind, `roles.iam.example.com` for a custom one (as kubectl)."""
    builtin = "." not in kind.group or kind.group.endswith(".k8s.io")
    return kind.plural if builtin else f"{kind.plural}.{kind.group}"


def refused(
    denied: dict[tuple[str, str | None], str], whole: dict[Kind, str]
) -> dict[tuple[str, str | None], str]:
    """The refusals to show: kinds nothing of which may be read (``whole``) by name,
    and the single namespaces refused for kinds that are readable elsewhere."""
    names = {kind_label(kind): message for kind, message in whole.items()}
    parts = {key: message for key, message in denied.items() if key[0] not in names}
    return {**{(name, None): message for name, message in names.items()}, **parts}


def denied_text(denied: dict[tuple[str, str | None], str]) -> str:
    """`no access: secrets, pods in ns/payments` (kinds refused cluster-wide first)."""
    if not denied:
        return ""
    parts = sorted(
        plural if ns is None else f"{plural} in ns/{ns}" for plural, ns in denied
    )
    return "no access: " + ", ".join(parts)


def loading_text(status: Loading, counts: dict[str, int]) -> str:
    """`loading 4 of 10 kinds · 812 pods · 40 deployments` (kinds with objects so far)."""
    found = " · ".join(f"{n:,} {plural}" for plural, n in counts.items() if n)
    head = f"loading {status.kinds_done} of {status.kinds_total} kinds"
    return f"{head} · {found}" if found else head


class CacheProgress(Pill):
    """The loading pill, and the record of refused kinds, fed with cache statuses."""

    def __init__(
        self, parent: QWidget, counts: Callable[[], dict[str, int]] = dict
    ) -> None:
        super().__init__("", parent, size=12, weight=400, text_color=theme.MUTED)
        self.counts = counts
        self.loading: Loading | None = None
        self.denied: dict[tuple[str, str | None], str] = {}
        self._timer = QTimer(self, interval=REFRESH_MS)
        self._timer.timeout.connect(self._render)
        self.hide()

    def reset(self) -> None:
        """A new connection: nothing loaded, nothing refused yet."""
        self.loading = None
        self.denied = {}
        self._timer.stop()
        self.hide()

    def note(self, status: object) -> bool:
        """Take one cache status; True when it refuses a kind not refused before."""
        if isinstance(status, KindDenied):
            key = (kind_label(status.kind), status.namespace)
            new = key not in self.denied
            self.denied[key] = status.message
            return new
        self.loading = status if isinstance(status, Loading) else None
        if self.loading is None:
            self._timer.stop()
            self.hide()
        else:
            self._render()
            self.show()
            self.raise_()
            self._timer.start()
        return False

    def _render(self) -> None:
        if self.loading is not None:
            self.set_text(loading_text(self.loading, self.counts()))
            self.adjustSize()
