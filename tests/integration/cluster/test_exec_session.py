"""Exec sessions against the real sandbox: raw output, input, resize and exit codes."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from kubernetes.client import ApiClient

from krates_desktop.cluster.exec_session import (
    DEFAULT_SHELL,
    Connected,
    ExecSession,
    Exited,
    Failed,
    SessionStatus,
)
from krates_desktop.cluster.kubeconfig import Kubeconfig

from .streams_support import Collector

POD = "api-server-7c9d5-x2k4p"

Opener = Callable[..., tuple[ExecSession, Collector[bytes], Collector[SessionStatus]]]


@pytest.fixture
def client(sandbox_kubeconfig: Path) -> ApiClient:
    return Kubeconfig.load([sandbox_kubeconfig]).api_client("krates-sandbox")


@pytest.fixture
def open_session(client: ApiClient) -> Iterator[Opener]:
    sessions: list[ExecSession] = []

    def start(
        command: Sequence[str] = DEFAULT_SHELL,
        pod: str = POD,
        container: str | None = None,
    ) -> tuple[ExecSession, Collector[bytes], Collector[SessionStatus]]:
        output: Collector[bytes] = Collector()
        statuses: Collector[SessionStatus] = Collector()
        session = ExecSession(
            client,
            "payments",
            pod,
            container,
            output.add,
            statuses.add,
            command=command,
        )
        sessions.append(session)
        session.start()
        return session, output, statuses

    yield start
    for session in sessions:
        session.close()
        session.wait(3)


def joined(chunks: list[bytes]) -> bytes:
    return b"".join(chunks)


def test_echo_output_arrives_as_bytes(open_session: Opener) -> None:
    """`echo hello` puts the raw bytes `hello` in the output and exits 0."""
    session, output, statuses = open_session(["/bin/sh", "-c", "echo hello"])

    assert session.wait(10)

    assert all(isinstance(chunk, bytes) for chunk in output.items)
    assert b"hello" in joined(output.items)
    assert statuses.items[-1] == Exited(0)


def test_interactive_shell_sees_resize_and_reports_exit_code(
    open_session: Opener,
) -> None:
    """Typed input runs in the shell, `stty size` shows the size sent, and exit 3 is reported."""
    session, output, statuses = open_session()
    statuses.wait_for(lambda got: Connected() in got, timeout=10)

    session.resize(101, 37)
    session.write(b"stty size\r")
    output.wait_for(lambda got: b"37 101" in joined(got), timeout=10)
    session.write(b"exit 3\r")

    assert session.wait(10)
    assert statuses.items[-1] == Exited(3)


def test_input_written_before_connect_is_not_lost(open_session: Opener) -> None:
    """Bytes written while the session is still connecting reach the shell once it is up."""
    session, output, statuses = open_session(
        ["/bin/sh", "-c", "read line; echo got:$line"]
    )
    session.write(b"ping\r")

    assert session.wait(10)
    assert b"got:ping" in joined(output.items)
    assert statuses.items[-1] == Exited(0)


def test_utf8_and_invalid_bytes_pass_through_untouched(open_session: Opener) -> None:
    """Multi-byte UTF-8 and an invalid byte reach the output exactly as the program wrote them."""
    session, output, _ = open_session(
        ["/bin/sh", "-c", r"printf 'caf\303\251 \324 end\n'"]
    )

    assert session.wait(10)

    assert b"caf\xc3\xa9 \xd4 end" in joined(output.items)


def test_exit_code_is_reported(open_session: Opener) -> None:
    """A command that exits 5 ends the session with Exited(5)."""
    session, _, statuses = open_session(["/bin/sh", "-c", "exit 5"])

    assert session.wait(10)

    assert statuses.items[-1] == Exited(5)


def test_missing_shell_is_named(open_session: Opener) -> None:
    """A command the container does not have is named in the failure."""
    session, _, statuses = open_session(["/no/such/shell"], container="api")

    assert session.wait(10)

    assert statuses.items[-1] == Failed("/no/such/shell was not found in container api")


def test_missing_pod_is_named(open_session: Opener) -> None:
    """Exec into a pod that does not exist fails with `pod … not found in ns/…`."""
    session, _, statuses = open_session(pod="no-such-pod")

    assert session.wait(10)

    assert statuses.items[-1] == Failed("pod no-such-pod not found in ns/payments")
