"""Log streams against the real sandbox: the tail, live lines, and errors as values."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kubernetes.client import ApiClient

from krates_desktop.cluster.kubeconfig import Kubeconfig
from krates_desktop.cluster.log_stream import (
    Connecting,
    Ended,
    Failed,
    LogStream,
    Streaming,
    StreamStatus,
)

from .streams_support import Collector


@pytest.fixture
def client(sandbox_kubeconfig: Path) -> ApiClient:
    return Kubeconfig.load([sandbox_kubeconfig]).api_client("krates-sandbox")


@pytest.fixture
def open_stream(
    client: ApiClient,
) -> Iterator[Callable[..., tuple[LogStream, Collector[str], Collector[StreamStatus]]]]:
    streams: list[LogStream] = []

    def start(
        pod: str, container: str | None = None, **kwargs: int
    ) -> tuple[LogStream, Collector[str], Collector[StreamStatus]]:
        lines: Collector[str] = Collector()
        statuses: Collector[StreamStatus] = Collector()
        stream = LogStream(
            client, "payments", pod, container, lines.extend, statuses.add, **kwargs
        )
        streams.append(stream)
        stream.start()
        return stream, lines, statuses

    yield start
    for stream in streams:
        stream.stop()


def test_running_container_is_followed(
    open_stream: Callable[
        ..., tuple[LogStream, Collector[str], Collector[StreamStatus]]
    ],
) -> None:
    """A running container's tail arrives at once, then new lines as it writes them."""
    _, lines, statuses = open_stream("api-server-7c9d5-x2k4p", tail_lines=2)

    lines.wait_for(lambda got: len(got) >= 2, timeout=5)
    assert Streaming() in statuses.items
    lines.wait_for(lambda got: len(got) >= 4, timeout=8)
    assert all(isinstance(line, str) and "\n" not in line for line in lines.items)
    assert not any(isinstance(s, Ended | Failed) for s in statuses.items)


def test_tail_then_reconnect_repeats_nothing(
    open_stream: Callable[
        ..., tuple[LogStream, Collector[str], Collector[StreamStatus]]
    ],
) -> None:
    """A finished container gives exactly its last N lines; the reconnect after the end adds none."""
    _, lines, statuses = open_stream("rapid-io-5b8f7-k3j9d", "migrate", tail_lines=5)

    statuses.wait_for(lambda got: got.count(Streaming()) >= 2, timeout=5)

    assert statuses.items[:3] == [Connecting(), Streaming(), Ended()]
    assert len(lines.items) == 5


def test_container_not_started_is_a_failed_status(
    open_stream: Callable[
        ..., tuple[LogStream, Collector[str], Collector[StreamStatus]]
    ],
) -> None:
    """A container still being created reports `container not started`, from the server's words."""
    _, lines, statuses = open_stream("ledger-db-2", "db")

    statuses.wait_for(lambda got: any(isinstance(s, Failed) for s in got), timeout=5)

    failed = next(s for s in statuses.items if isinstance(s, Failed))
    assert failed.message.startswith("container not started: ")
    assert "ContainerCreating" in failed.message
    assert lines.items == []


def test_stop_ends_the_stream_and_its_callbacks(
    open_stream: Callable[
        ..., tuple[LogStream, Collector[str], Collector[StreamStatus]]
    ],
) -> None:
    """After stop() returns, no more lines arrive."""
    stream, lines, _ = open_stream("api-server-7c9d5-x2k4p", tail_lines=1)
    lines.wait_for(lambda got: len(got) >= 1, timeout=5)

    started = time.monotonic()
    stream.stop()
    count = len(lines.items)
    time.sleep(2)

    assert time.monotonic() - started < 3
    assert len(lines.items) == count


def test_missing_pod_is_a_failed_status(
    open_stream: Callable[
        ..., tuple[LogStream, Collector[str], Collector[StreamStatus]]
    ],
) -> None:
    """Following a pod that does not exist ends with `pod … not found in ns/…`."""
    _, lines, statuses = open_stream("no-such-pod")

    statuses.wait_for(lambda got: any(isinstance(s, Failed) for s in got), timeout=5)

    assert statuses.items[-1] == Failed("pod no-such-pod not found in ns/payments")
    assert lines.items == []
