"""A planted Secret value and token never reach logs, reprs or crash output.

The session reads the Secret through a followed window, reveals and hides it,
runs a log stream and a shell, and has a UI callback crash on a change; then
every log record (all loggers, DEBUG), the repr of each object involved and the
crash's traceback are searched for the value, its base64 form and the token.
"""

from __future__ import annotations

import base64
import logging
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from kubernetes.client import CoreV1Api

from krates_desktop.cluster.cache import ClusterCache, Synced
from krates_desktop.cluster.exec_session import ExecSession, Exited
from krates_desktop.cluster.kinds import POD, SECRET
from krates_desktop.cluster.kubeconfig import Kubeconfig
from krates_desktop.cluster.log_stream import LogStream
from krates_desktop.cluster.secrets import SecretView, secret_values

from .kube_support import exec_user, install_plugin, sandbox_cluster, write_kubeconfig
from .streams_support import Collector


def test_planted_secret_and_token_appear_nowhere(
    sandbox: Any,
    sandbox_kubeconfig: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Neither the decoded value, its base64, nor the bearer token is in any output."""
    caplog.set_level(logging.DEBUG)
    planted = f"planted-value-{uuid.uuid4().hex}"
    encoded = base64.b64encode(planted.encode()).decode()
    name = f"planted-{uuid.uuid4().hex[:6]}"
    admin = Kubeconfig.load([sandbox_kubeconfig]).api_client()
    CoreV1Api(admin).create_namespaced_secret(
        "payments", {"metadata": {"name": name}, "data": {"password": encoded}}
    )
    program = install_plugin(
        tmp_path / "bin",
        "cloud-auth",
        tmp_path / "plugin",
        sandbox.token,
        expires_in="3600",
    )
    path = write_kubeconfig(
        tmp_path / "config", sandbox_cluster(sandbox), exec_user(str(program))
    )
    config = Kubeconfig.load([path])
    client = config.api_client()
    crashes: list[str] = []
    statuses: Collector[Any] = Collector()

    def crashing_ui(changes: list[Any]) -> None:
        crashes.append(repr(changes))
        raise RuntimeError(f"the UI choked on {changes!r}")

    cache = ClusterCache(
        client, kinds=[SECRET, POD], on_changes=crashing_ui, on_status=statuses.add
    )
    cache.start()
    try:
        statuses.wait_for(lambda got: Synced() in got)
        hold = cache.follow(SECRET, "payments", name)
        deadline = time.monotonic() + 5
        while (
            "data" not in (cache.get(SECRET, "payments", name) or {})
            and time.monotonic() < deadline
        ):
            time.sleep(0.05)
        full = cache.get(SECRET, "payments", name)
        assert full is not None and full["data"]["password"] == encoded
        view = SecretView(full)
        view.reveal()
        shown = [row.shown for row in view.rows()]
        view.hide()
        values = secret_values(full)
        hold.close()
        after_close = cache.get(SECRET, "payments", name)
        lines: Collector[str] = Collector()
        stream = LogStream(
            client,
            "payments",
            "api-server-7c9d5-x2k4p",
            None,
            lines.extend,
            lambda s: None,
        )
        stream.start()
        lines.wait_for(lambda got: bool(got))
        stream.stop()
        session_statuses: list[Any] = []
        session = ExecSession(
            client,
            "payments",
            "api-server-7c9d5-x2k4p",
            None,
            lambda b: None,
            session_statuses.append,
            ["sh", "-c", "exit 0"],
        )
        session.start()
        assert session.wait(10) and session_statuses[-1] == Exited(0)
        reprs = [
            repr(o)
            for o in (
                cache,
                hold,
                view,
                values,
                full and None,
                client.configuration.krates_credentials,
                stream,
                session,
                config,
            )
        ]
    finally:
        cache.stop()
        CoreV1Api(admin).delete_namespaced_secret(name, "payments")

    assert shown == [planted], "the user did see the value when revealed"
    assert after_close is not None and "data" not in after_close, (
        "closing the window drops the data"
    )
    assert crashes and "a cache callback failed" in caplog.text
    output = "\n".join(
        [caplog.text, *reprs, *crashes, *(r.exc_text or "" for r in caplog.records)]
    )
    for secret in (planted, encoded, sandbox.token):
        assert secret not in output
