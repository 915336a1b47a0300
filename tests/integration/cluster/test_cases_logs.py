"""Log cases: odd bytes (C13), characters split across chunks (C14), which container
(C17), ``previous`` (C18), and reconnects that neither repeat nor lose lines."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kubernetes.client import ApiClient

from krates_desktop.cluster import api
from krates_desktop.cluster.kubeconfig import Kubeconfig
from krates_desktop.cluster.log_stream import (
    Ended,
    Failed,
    LogStream,
    Streaming,
    StreamStatus,
    containers_of,
    previous_available,
    split_stamp,
)

from .byte_server import ByteServer
from .kube_support import write_kubeconfig
from .streams_support import Collector
from .tcp_proxy import TcpProxy

STAMP = b"2026-12-03T10:00:00.000000001Z "


def byte_client(tmp_path: Path, server: ByteServer) -> ApiClient:
    path = write_kubeconfig(tmp_path / "config", {"server": server.url}, {})
    return Kubeconfig.load([path]).api_client()


def follow(
    client: ApiClient, pod: str = "p", container: str | None = "c", **kwargs: Any
) -> tuple[LogStream, Collector[str], Collector[StreamStatus]]:
    lines: Collector[str] = Collector()
    statuses: Collector[StreamStatus] = Collector()
    stream = LogStream(
        client, "ns", pod, container, lines.extend, statuses.add, **kwargs
    )
    stream.start()
    return stream, lines, statuses


def test_latin1_bytes_and_split_characters_survive(tmp_path: Path) -> None:
    """A Latin-1 é costs one character, a █ cut across chunks stays whole, no line is lost."""
    bar = "█".encode() * 3
    server = ByteServer(
        [
            STAMP + b"caf\xe9\n",
            STAMP + b"progress " + bar[:4],
            bar[4:] + b"\n" + STAMP + b"tls \x16\x03\x01\x02\x00 hello\r\n",
            STAMP + b"last",
        ]
    ).start()
    stream, lines, _ = follow(byte_client(tmp_path, server))
    try:
        lines.wait_for(lambda got: len(got) >= 3)
    finally:
        stream.stop()
        server.stop()

    assert lines.items[:3] == [
        "caf\ufffd",
        "progress ███",
        "tls \x16\x03\x01\x02\x00 hello",
    ]
    assert (
        "container=c" in server.requests[0] and "timestamps=true" in server.requests[0]
    )


def test_a_chosen_charset_decodes_latin1_logs(tmp_path: Path) -> None:
    """With the window's charset set to latin-1 the same bytes read as café."""
    server = ByteServer([STAMP + b"caf\xe9\n"]).start()
    stream, lines, _ = follow(byte_client(tmp_path, server), encoding="latin-1")
    try:
        lines.wait_for(lambda got: len(got) >= 1)
    finally:
        stream.stop()
        server.stop()

    assert lines.items == ["café"]


def test_containers_are_grouped_and_the_annotation_chooses(
    sandbox_kubeconfig: Path,
) -> None:
    """ledger-db's pods default to their annotated container; rapid-io lists its init container (C17)."""
    client = Kubeconfig.load([sandbox_kubeconfig]).api_client()
    ledger = api.get_json(client, "/api/v1/namespaces/payments/pods/ledger-db-0")
    rapid = api.get_json(
        client, "/api/v1/namespaces/payments/pods/rapid-io-5b8f7-k3j9d"
    )

    ledger_containers = containers_of(ledger)
    rapid_containers = containers_of(rapid)

    assert (
        ledger_containers.regular == ("db", "metrics")
        and ledger_containers.default == "db"
    )
    assert (
        rapid_containers.init == ("migrate",) and rapid_containers.default == "rapid-io"
    )
    assert rapid_containers.all()[0] == "migrate"


def test_previous_only_for_a_container_that_restarted(sandbox_kubeconfig: Path) -> None:
    """The crash-looping pod offers previous and reads it; a healthy one does not, and the server says why (C18)."""
    client = Kubeconfig.load([sandbox_kubeconfig]).api_client()
    crashing = api.get_json(
        client, "/api/v1/namespaces/payments/pods/api-server-7c9d5-r5t7w"
    )
    healthy = api.get_json(
        client, "/api/v1/namespaces/payments/pods/api-server-7c9d5-x2k4p"
    )
    assert previous_available(crashing, "api") and not previous_available(
        healthy, "api"
    )

    old, old_lines, old_statuses = _sandbox_follow(
        client, "api-server-7c9d5-r5t7w", previous=True
    )
    new, _, new_statuses = _sandbox_follow(
        client, "api-server-7c9d5-x2k4p", previous=True
    )
    try:
        old_statuses.wait_for(lambda got: Ended() in got)
        new_statuses.wait_for(lambda got: any(isinstance(s, Failed) for s in got))
        time.sleep(1.5)
    finally:
        old.stop()
        new.stop()

    assert old_lines.items and old_statuses.items.count(Streaming()) == 1, (
        "no reconnect for a finished run"
    )
    failed = next(s for s in new_statuses.items if isinstance(s, Failed))
    assert 'previous terminated container "api"' in failed.message


def _sandbox_follow(
    client: ApiClient, pod: str, **kwargs: Any
) -> tuple[LogStream, Collector[str], Collector[StreamStatus]]:
    lines: Collector[str] = Collector()
    statuses: Collector[StreamStatus] = Collector()
    stream = LogStream(
        client, "payments", pod, "api", lines.extend, statuses.add, **kwargs
    )
    stream.start()
    return stream, lines, statuses


def test_a_reconnect_neither_repeats_nor_loses_lines(
    sandbox: Any, sandbox_kubeconfig: Path, tmp_path: Path
) -> None:
    """Cut mid-stream and restored, the follow resumes where it was: every line once, in order."""
    proxy = TcpProxy(urlsplit(sandbox.url).port).start()
    try:
        text = sandbox_kubeconfig.read_text().replace(
            sandbox.url, f"https://127.0.0.1:{proxy.port}"
        )
        (tmp_path / "config").write_text(text)
        client = Kubeconfig.load([tmp_path / "config"]).api_client()
        lines: Collector[str] = Collector()
        statuses: Collector[StreamStatus] = Collector()
        stream = LogStream(
            client,
            "payments",
            "api-server-7c9d5-x2k4p",
            None,
            lines.extend,
            statuses.add,
            tail_lines=3,
            timestamps=True,
        )
        stream.start()
        lines.wait_for(lambda got: len(got) >= 4)
        proxy.cut()
        statuses.wait_for(lambda got: Ended() in got)
        time.sleep(1.5)
        proxy.restore()
        count = len(lines.items)
        lines.wait_for(lambda got: len(got) >= count + 3, timeout=15)
        stream.stop()
    finally:
        proxy.close()

    direct = Kubeconfig.load([sandbox_kubeconfig]).api_client()
    first = split_stamp(lines.items[0])[0]
    assert first is not None
    raw = api.request(
        direct,
        "/api/v1/namespaces/payments/pods/api-server-7c9d5-x2k4p/log",
        [("timestamps", "true"), ("sinceTime", first[0])],
        accept="*/*",
    )
    server_lines = raw.data.decode("utf-8", "replace").splitlines()
    start = server_lines.index(lines.items[0])
    assert lines.items == server_lines[start : start + len(lines.items)]
    assert len(set(lines.items)) == len(lines.items)
