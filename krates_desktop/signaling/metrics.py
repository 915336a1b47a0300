"""Counters and gauges of the signaling server, rendered as Prometheus text."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_memory_bytes() -> int:
    """The process's resident set size (0 where /proc is not available)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


class Metrics:
    """What ``/metrics`` shows; the server updates it as things happen."""

    def __init__(self) -> None:
        self.connections = 0
        self.messages: Counter[str] = Counter()
        self.relayed: Counter[str] = Counter()
        self.rejections: Counter[str] = Counter()
        self.gauges: dict[str, Callable[[], float]] = {}

    def render(self) -> str:
        """Prometheus text exposition format 0.0.4."""
        lines: list[str] = []
        self._gauge(
            lines, "connections", "Open WebSocket connections.", self.connections
        )
        for name, read in sorted(self.gauges.items()):
            self._gauge(lines, name, f"{name.replace('_', ' ').capitalize()}.", read())
        self._gauge(
            lines,
            "resident_memory_bytes",
            "Resident memory of the process.",
            resident_memory_bytes(),
        )
        self._counter(
            lines,
            "messages_total",
            "Messages received, by type.",
            "type",
            self.messages,
        )
        self._counter(
            lines, "relayed_total", "Signals delivered, by path.", "via", self.relayed
        )
        self._counter(
            lines,
            "rejections_total",
            "Errors sent to clients, by code.",
            "code",
            self.rejections,
        )
        return "\n".join(lines) + "\n"

    @staticmethod
    def _gauge(lines: list[str], name: str, help_text: str, value: float) -> None:
        full = f"krates_signal_{name}"
        lines += [
            f"# HELP {full} {help_text}",
            f"# TYPE {full} gauge",
            f"{full} {value:g}",
        ]

    @staticmethod
    def _counter(
        lines: list[str], name: str, help_text: str, label: str, values: Counter[str]
    ) -> None:
        full = f"krates_signal_{name}"
        lines += [f"# HELP {full} {help_text}", f"# TYPE {full} counter"]
        for key, count in sorted(values.items()):
            lines.append(f'{full}{{{label}="{key}"}} {count}')
