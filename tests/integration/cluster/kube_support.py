"""Kubeconfigs for the live tests (the sandbox's cluster with any user and options),
test plugins, and a watch plus a log stream to check that credentials change under
them without a break."""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from kubernetes.client import CoreV1Api

from krates_desktop.cluster.cache import (
    ClusterCache,
    Degraded,
    KindDenied,
    Synced,
    Unreachable,
)
from krates_desktop.cluster.kinds import CONFIGMAP
from krates_desktop.cluster.kubeconfig import Kubeconfig
from krates_desktop.cluster.log_stream import Ended, LogStream, StreamStatus

from .streams_support import Collector

PLUGIN = Path(__file__).with_name("fake_plugin.py")
CERT_PLUGIN = Path(__file__).with_name("cert_plugin.py")


def sandbox_cluster(sandbox: Any, **extra: Any) -> dict[str, Any]:
    """The sandbox's cluster entry (server and CA file) plus ``extra`` keys."""
    return {
        "server": sandbox.url,
        "certificate-authority": str(sandbox.ca_file),
        **extra,
    }


def write_kubeconfig(
    path: Path,
    cluster: dict[str, Any],
    user: dict[str, Any] | None,
    namespace: str | None = None,
    name: str = "live",
) -> Path:
    """A one-context kubeconfig (context, cluster and user all called ``name``)."""
    context: dict[str, Any] = {"cluster": name, "user": name}
    if namespace:
        context["namespace"] = namespace
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster}],
        "users": [{"name": name, "user": user}],
        "contexts": [{"name": name, "context": context}],
        "current-context": name,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def install_plugin(
    bin_dir: Path, name: str, state: Path, token: str, **files: str
) -> Path:
    """An executable ``name`` in ``bin_dir`` running the test plugin on ``state``."""
    return _program(bin_dir, name, PLUGIN, state, token=token, **files)


def install_cert_plugin(
    bin_dir: Path,
    state: Path,
    sandbox: Any,
    user: str,
    groups: str,
    seconds: float,
    **files: str,
) -> Path:
    """A plugin ``mint-cert`` handing out ``seconds``-long certificates for ``user``."""
    return _program(
        bin_dir,
        "mint-cert",
        CERT_PLUGIN,
        state,
        **{"ca.crt": str(sandbox.ca_file), "ca.key": str(sandbox.ca_key_file)},
        user=user,
        groups=groups,
        seconds=str(seconds),
        **files,
    )


def _program(bin_dir: Path, name: str, script: Path, state: Path, **files: str) -> Path:
    state.mkdir(parents=True, exist_ok=True)
    for file, content in files.items():
        (state / file).write_text(content)
    bin_dir.mkdir(parents=True, exist_ok=True)
    program = bin_dir / name
    program.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{script}" "{state}"\n')
    program.chmod(0o755)
    return program


def plugin_runs(state: Path) -> int:
    """How many times the test plugin ran."""
    runs = state / "runs"
    return len(runs.read_text().splitlines()) if runs.exists() else 0


def exec_user(command: str, **extra: Any) -> dict[str, Any]:
    """A user entry whose credentials come from exec plugin ``command``."""
    return {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": command,
            "interactiveMode": "Never",
            **extra,
        }
    }


RUNNING_POD = "api-server-7c9d5-x2k4p"


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Poll ``condition`` (state no callback announces) until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


@dataclass
class OpenStreams:
    """A ConfigMap watch and a log stream of a running pod, with what they delivered."""

    cache: ClusterCache
    statuses: Collector[Any]
    lines: Collector[str]
    log_statuses: Collector[StreamStatus]

    def see_news(self, admin_kubeconfig: Path) -> None:
        """Create a ConfigMap as the admin and wait until the watch shows it and the
        log stream has new lines."""
        count = len(self.lines.items)
        name = f"news-{uuid.uuid4().hex[:6]}"
        admin = Kubeconfig.load([admin_kubeconfig]).api_client()
        CoreV1Api(admin).create_namespaced_config_map(
            "default", {"metadata": {"name": name}}
        )
        wait_until(lambda: self.cache.get(CONFIGMAP, "default", name) is not None)
        self.lines.wait_for(lambda got: len(got) > count, timeout=15)

    def assert_carried_on(self, log_text: str) -> None:
        """Neither stream broke: one list only, no trouble shown, the logs never ended."""
        assert log_text.count("listed ") == 1, "the watch resumed, never re-listed"
        troubles = (Degraded, Unreachable, KindDenied)
        assert not [s for s in self.statuses.items if isinstance(s, troubles)]
        assert not any(isinstance(s, Ended) for s in self.log_statuses.items)


@contextmanager
def watch_and_logs(client: Any, **cache_options: Any) -> Iterator[OpenStreams]:
    """Open both streams on ``client`` and wait until they deliver; stop them after."""
    statuses: Collector[Any] = Collector()
    cache = ClusterCache(
        client, kinds=[CONFIGMAP], on_status=statuses.add, **cache_options
    )
    lines: Collector[str] = Collector()
    log_statuses: Collector[StreamStatus] = Collector()
    stream = LogStream(
        client, "payments", RUNNING_POD, None, lines.extend, log_statuses.add
    )
    cache.start()
    stream.start()
    try:
        statuses.wait_for(lambda got: Synced() in got)
        lines.wait_for(lambda got: len(got) > 0)
        yield OpenStreams(cache, statuses, lines, log_statuses)
    finally:
        stream.stop()
        cache.stop()
