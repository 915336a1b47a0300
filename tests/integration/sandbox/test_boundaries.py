"""The sandbox's boundaries: what it imports, what it logs, what it starts."""

from __future__ import annotations

import ast
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

import krates_desktop.sandbox

PACKAGE = Path(krates_desktop.sandbox.__file__).parent
FORBIDDEN = (
    "krates_desktop.cluster",
    "krates_desktop.ui",
    "PySide6",
    "shiboken6",
    "qasync",
)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_sandbox_imports_neither_cluster_layer_nor_qt() -> None:
    """No sandbox module imports the cluster layer, the UI or Qt."""
    offenders = {
        f"{path.name}: {name}"
        for path in PACKAGE.glob("*.py")
        for name in _imports(path)
        if name.startswith(FORBIDDEN)
    }
    assert offenders == set()


def test_importing_the_server_loads_no_qt() -> None:
    """Importing the sandbox server in a fresh interpreter loads no Qt or cluster module."""
    code = (
        "import sys, krates_desktop.sandbox.server, krates_desktop.sandbox.cli\n"
        f"bad = [m for m in sys.modules if m.startswith({FORBIDDEN!r})]\n"
        "print(bad)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_token_never_reaches_the_logs(
    sandbox: Any, http: requests.Session, caplog: pytest.LogCaptureFixture
) -> None:
    """With DEBUG logging on, requests and a failed login leave no trace of the token."""
    caplog.set_level(logging.DEBUG, logger="krates_desktop.sandbox")
    http.get(f"{sandbox.url}/api/v1/pods")
    http.patch(
        f"{sandbox.url}/api/v1/namespaces/payments/configmaps/api-config",
        data='{"metadata":{"labels":{"logged":"no"}}}',
        headers={"Content-Type": "application/merge-patch+json"},
    )
    requests.get(f"{sandbox.url}/api/v1/pods", headers={"Authorization": "Bearer nope"},
                 verify=str(sandbox.ca_file))  # fmt: skip
    assert caplog.records, "nothing was logged at DEBUG, so the check proves nothing"
    assert sandbox.token not in caplog.text
    assert sandbox.token not in repr(sandbox)


def test_stop_ends_spawned_shells(tmp_path: Path) -> None:
    """stop() of a sandbox kills the shells it started and closes its thread."""
    from kubernetes import client, config
    from kubernetes.stream import stream

    from krates_desktop.sandbox.server import Sandbox

    box = Sandbox(port=0, state_dir=tmp_path)
    box.start_in_thread()
    try:
        api = config.new_client_from_config(
            config_file=str(box.write_kubeconfig(tmp_path / "kc"))
        )
        marker = tmp_path / "pid"
        session = stream(
            client.CoreV1Api(api).connect_get_namespaced_pod_exec,
            "rapid-io-5b8f7-k3j9d", "payments",
            command=["sh", "-c", f"echo $$ > {marker}; exec sleep 300"],
            stderr=True, stdin=False, stdout=True, tty=False, _preload_content=False,
        )  # fmt: skip
        for _ in range(100):
            if marker.exists() and marker.read_text().strip():
                break
            session.update(timeout=0.1)
        pid = int(marker.read_text())
        assert Path(f"/proc/{pid}").exists()
    finally:
        box.stop()
    assert (
        not Path(f"/proc/{pid}").exists()
        or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
    )
    assert (tmp_path / "tls" / "ca.crt").exists() and box.url.startswith(
        "https://127.0.0.1:"
    )


def _cli(port: int, kubeconfig: Path) -> subprocess.Popen[str]:
    code = (
        "import sys; from pathlib import Path; from krates_desktop.sandbox.cli import run; "
        f"sys.exit(run({port}, Path({str(kubeconfig)!r})))"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_cli_serves_until_sigterm(tmp_path: Path) -> None:
    """`run(0, path)` prints where it listens, writes the kubeconfig, and exits 0 on SIGTERM."""
    kubeconfig = tmp_path / "kc"
    process = _cli(0, kubeconfig)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("sandbox listening on https://127.0.0.1:")
        assert line.rstrip().endswith(f"(kubeconfig: {kubeconfig})")
        port = int(line.split("127.0.0.1:")[1].split()[0])
        assert kubeconfig.stat().st_mode & 0o777 == 0o600
        second = _cli(port, tmp_path / "other")
        _, error = second.communicate(timeout=60)
        assert second.returncode == 1
        assert (
            f"cannot listen on 127.0.0.1:{port}" in error and "Traceback" not in error
        )
        process.terminate()
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
        process.wait(timeout=10)
