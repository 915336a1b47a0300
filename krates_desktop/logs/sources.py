"""Which log a pane shows: a container or all of them, this run or the one before, how far back.

A `LogSource` is the choice the pane's source controls make; the Logs binding turns it
into log requests (`container`, `previous`, `tailLines`, `sinceSeconds`). With all
containers of a pod chosen, one stream per container delivers lines that an
`Interleaver` puts back in time order before they reach the pane.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Range:
    """How much of the log to ask for first: the last `tail_lines`, or `since_seconds`.

    Neither set means the whole log the node keeps. `label` is short: it is a button
    in the pane's status bar, beside the line count.
    """

    label: str
    tail_lines: int | None = None
    since_seconds: int | None = None


RANGES = (
    Range("100", tail_lines=100),
    Range("500", tail_lines=500),
    Range("1000", tail_lines=1000),
    Range("all"),
    Range("5m", since_seconds=300),
    Range("1h", since_seconds=3600),
)
DEFAULT_RANGE = RANGES[1]  # the spec's `tailLines=500`
ALL_CONTAINERS = ""  # `LogSource.container` for every container, interleaved


@dataclass(frozen=True)
class LogSource:
    """One choice of log: `container` (ALL_CONTAINERS for all), `previous` run, range."""

    container: str = ALL_CONTAINERS
    previous: bool = False
    range: Range = DEFAULT_RANGE

    def containers(self, offered: Sequence[str]) -> list[str]:
        """The containers to stream, given the ones the pod has."""
        if self.container != ALL_CONTAINERS:
            return [self.container]
        return list(offered)


def next_of(options: Sequence[Any], current: Any, step: int = 1) -> Any:
    """The option after `current` (wrapping round); the first if `current` is not one."""
    if current not in options:
        return options[0]
    return options[(list(options).index(current) + step) % len(options)]


class Interleaver:
    """Lines of several containers, released in time order.

    Each container's stream delivers its own lines in order, but the streams arrive
    independently. Lines are held until `take()` (called a few times a second), then
    released sorted by their timestamp; lines of one container with the same stamp
    keep their order. A line that arrives after later lines were released is shown
    when it arrives.
    """

    def __init__(self) -> None:
        self._held: list[tuple[tuple[bool, Any], int, str, str]] = []
        self._arrived = 0

    def add(self, container: str, stamped: Sequence[tuple[Any, str]]) -> None:
        """Hold (timestamp, text) lines of one container; a None stamp sorts first."""
        base = self._arrived
        self._arrived += len(stamped)
        self._held.extend(
            ((stamp is not None, stamp or ()), base + i, container, text)
            for i, (stamp, text) in enumerate(stamped)
        )

    def pending(self) -> int:
        """How many lines wait for `take()`."""
        return len(self._held)

    def take(self) -> list[tuple[str, list[str]]]:
        """The held lines in time order, as runs of (container, lines)."""
        held, self._held = self._held, []
        held.sort(key=lambda item: item[:2])
        runs: list[tuple[str, list[str]]] = []
        for _, _, container, text in held:
            if runs and runs[-1][0] == container:
                runs[-1][1].append(text)
            else:
                runs.append((container, [text]))
        return runs
