"""Fixtures for driving the session sandbox with real kubectl, the official Python
client and plain HTTPS requests."""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from kubernetes import client, config

from krates_desktop.sandbox.server import Sandbox

_VENV_KUBECTL = Path(sys.executable).with_name("kubectl")
# The pinned kubectl of the test extras, not whatever else is on PATH.
KUBECTL = (
    str(_VENV_KUBECTL)
    if _VENV_KUBECTL.exists()
    else shutil.which("kubectl") or "kubectl"
)


@pytest.fixture
def kube_env(sandbox_kubeconfig: Path, tmp_path: Path) -> dict[str, str]:
    """Environment for kubectl: its own HOME, so no discovery cache outlives the test."""
    home = tmp_path / "home"
    home.mkdir()
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "KUBECONFIG": str(sandbox_kubeconfig),
        "LANG": "C.UTF-8",
    }


@pytest.fixture
def kubectl_args(tmp_path: Path) -> list[str]:
    """The kubectl command line prefix, with a per-test discovery cache."""
    return [KUBECTL, f"--cache-dir={tmp_path / 'kube-cache'}"]


@pytest.fixture
def kubectl(
    kube_env: dict[str, str], kubectl_args: list[str]
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run kubectl to completion (bounded by a timeout) and return the result."""

    def run(
        *args: str, timeout: float = 30, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*kubectl_args, *args],
            env=kube_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=stdin,
        )

    return run


class LineReader:
    """Collects a long-running process's stdout lines on a thread."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: queue.Queue[tuple[float, str]] = queue.Queue()
        self.seen: list[str] = []
        assert process.stdout is not None
        self._thread = threading.Thread(
            target=self._pump, args=(process.stdout,), daemon=True
        )
        self._thread.start()

    def _pump(self, stream: Any) -> None:
        for line in stream:
            self.lines.put((time.monotonic(), line.rstrip("\n")))

    def next_line(self, timeout: float = 15) -> tuple[float, str]:
        """The next line and when it arrived; fails the test after `timeout`."""
        try:
            item = self.lines.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no output within {timeout}s; so far: {self.seen!r}")
        self.seen.append(item[1])
        return item

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 20) -> str:
        """The first line satisfying `predicate`."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            _, line = self.next_line(left)
            if predicate(line):
                return line
        pytest.fail(f"no matching line within {timeout}s; saw: {self.seen!r}")


@pytest.fixture
def kubectl_stream(
    kube_env: dict[str, str], kubectl_args: list[str]
) -> Iterator[Callable[..., LineReader]]:
    """Start kubectl in the background; every process is killed after the test."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> LineReader:
        process = subprocess.Popen(
            [*kubectl_args, *args],
            env=kube_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        return LineReader(process)

    yield start
    for process in started:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture
def api_client(sandbox_kubeconfig: Path) -> Iterator[client.ApiClient]:
    """An official-client ApiClient for the sandbox context."""
    api = config.new_client_from_config(
        config_file=str(sandbox_kubeconfig), context="krates-sandbox"
    )
    yield api
    api.close()


@pytest.fixture
def core_v1(api_client: client.ApiClient) -> client.CoreV1Api:
    """CoreV1Api of the official client."""
    return client.CoreV1Api(api_client)


@pytest.fixture
def http(sandbox: Any) -> Iterator[requests.Session]:
    """A requests session that trusts the sandbox CA and sends its token."""
    session = requests.Session()
    session.trust_env = False  # a CA bundle from the environment would override ours
    session.verify = str(sandbox.ca_file)
    session.headers["Authorization"] = f"Bearer {sandbox.token}"
    yield session
    session.close()


TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"


def kubectls() -> list[str]:
    """The pinned kubectl, and the machine's own when it is a different binary."""
    found = [KUBECTL]
    system = shutil.which("kubectl")
    if system and Path(system).resolve() != Path(KUBECTL).resolve():
        found.append(system)
    return found


@pytest.fixture(params=kubectls(), ids=lambda path: Path(path).parent.name)
def any_kubectl(
    request: pytest.FixtureRequest, kube_env: dict[str, str], tmp_path: Path
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """kubectl as a function, once per kubectl binary on this machine."""

    def run(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [request.param, f"--cache-dir={tmp_path / 'cache'}", *args],
            env=kube_env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip

    return run


def session_for(box: Any, token: str) -> requests.Session:
    """A requests session that trusts a sandbox's CA and sends `token`."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(box.ca_file)
    session.headers["Authorization"] = f"Bearer {token}"
    return session


@pytest.fixture
def as_user(sandbox: Any) -> Iterator[Callable[[str], requests.Session]]:
    """HTTP sessions of the session sandbox's users, by user name."""
    opened: list[requests.Session] = []

    def open_for(user: str) -> requests.Session:
        opened.append(session_for(sandbox, sandbox.token_for(user)))
        return opened[-1]

    yield open_for
    for session in opened:
        session.close()


@pytest.fixture
def make_sandbox(tmp_path: Path) -> Iterator[Callable[..., Sandbox]]:
    """Start a fresh sandbox of one's own (about 0.1 s); all are stopped after."""
    started: list[Sandbox] = []

    def start(**options: Any) -> Sandbox:
        box = Sandbox(port=0, state_dir=tmp_path / f"box{len(started)}", **options)
        box.start_in_thread()
        box.write_kubeconfig(box.state_dir / "kubeconfig")
        started.append(box)
        return box

    yield start
    for box in started:
        box.stop()
