"""Client certificates from exec plugins, rotated under open streams, and impersonation
(the kubeconfig's ``as`` fields and kubectl's ``--as``), against the live sandbox."""

from __future__ import annotations

import io
import logging
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from krates_desktop.cluster import api, doctor
from krates_desktop.cluster.credentials import ExecPlugin
from krates_desktop.cluster.errors import AccessDenied
from krates_desktop.cluster.exec_session import ExecSession, Exited, Failed
from krates_desktop.cluster.kubeconfig import Kubeconfig
from krates_desktop.cluster.log_stream import LogStream

from .kube_support import (
    RUNNING_POD,
    exec_user,
    install_cert_plugin,
    plugin_runs,
    sandbox_cluster,
    wait_until,
    watch_and_logs,
    write_kubeconfig,
)
from .streams_support import Collector

KUBECTL = Path(__file__).resolve().parents[3] / ".venv" / "bin" / "kubectl"
REVIEW = "/apis/authentication.k8s.io/v1/selfsubjectreviews"


def whoami(client: Any) -> dict[str, Any]:
    """The user the sandbox sees, as ``kubectl auth whoami`` asks."""
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    return api.post_json(client, REVIEW, body)["status"]["userInfo"]


def run_shell(client: Any, script: str) -> tuple[bytes, Any]:
    """Run ``script`` in the running pod's shell; its output and last status."""
    output: Collector[bytes] = Collector()
    statuses: Collector[Any] = Collector()
    session = ExecSession(
        client,
        "payments",
        RUNNING_POD,
        None,
        output.add,
        statuses.add,
        command=["/bin/sh", "-c", script],
    )
    session.start()
    try:
        statuses.wait_for(
            lambda got: any(isinstance(s, Exited | Failed) for s in got), timeout=15
        )
    finally:
        session.close()
        session.wait(3)
    return b"".join(output.items), statuses.items[-1]


def cert_kubeconfig(
    sandbox: Any,
    tmp_path: Path,
    seconds: float,
    user: str = "sandbox-viewer",
    groups: str = "sandbox:viewers",
    **files: str,
) -> Any:
    state = tmp_path / "plugin"
    program = install_cert_plugin(
        tmp_path / "bin", state, sandbox, user, groups, seconds, **files
    )
    path = write_kubeconfig(
        tmp_path / "config", sandbox_cluster(sandbox), exec_user(str(program))
    )
    return path, state


def test_plugin_certificates_rotate_while_a_watch_and_a_log_stream_go_on(
    sandbox: Any,
    sandbox_kubeconfig: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """4-second certificates are renewed again and again; the watch and logs carry on."""
    caplog.set_level(logging.DEBUG, logger="krates_desktop.cluster")
    path, state = cert_kubeconfig(sandbox, tmp_path, 4)
    client = Kubeconfig.load([path]).api_client()
    assert whoami(client)["username"] == "sandbox-viewer"
    # Watches that end every 2 s re-open through the rotated certificates.
    with watch_and_logs(client, watch_timeout=2) as streams:
        first_runs = plugin_runs(state)
        wait_until(lambda: plugin_runs(state) >= first_runs + 3)
        streams.see_news(sandbox_kubeconfig)
        assert whoami(client)["username"] == "sandbox-viewer"

    streams.assert_carried_on(caplog.text)


def test_a_certificate_that_expires_early_is_renewed_after_the_401(
    sandbox: Any, tmp_path: Path
) -> None:
    """The plugin claims an hour; the certificate lasts 2 s: the 401 renews it."""
    path, state = cert_kubeconfig(sandbox, tmp_path, 2, claims="3600")
    client = Kubeconfig.load([path]).api_client()
    credentials = client.configuration.krates_credentials
    assert isinstance(credentials, ExecPlugin)
    assert whoami(client)["username"] == "sandbox-viewer"
    assert plugin_runs(state) == 1

    time.sleep(3)  # past the certificate's real notAfter; the pooled connection stays
    assert whoami(client)["username"] == "sandbox-viewer"

    assert plugin_runs(state) == 2, "one 401, one new certificate"


def test_a_shell_opens_with_a_plugin_certificate(sandbox: Any, tmp_path: Path) -> None:
    """The exec WebSocket presents the plugin's certificate: the namespace user's shell."""
    path, _ = cert_kubeconfig(sandbox, tmp_path, 60, "payments-dev", "payments-team")
    client = Kubeconfig.load([path]).api_client()
    output, status = run_shell(client, "echo hi")
    assert b"hi" in output
    assert status == Exited(0)


def impersonating_kubeconfig(
    sandbox: Any, tmp_path: Path, token: str, **fields: Any
) -> Path:
    return write_kubeconfig(
        tmp_path / "config",
        sandbox_cluster(sandbox),
        {"token": token, **fields},
        namespace="payments",
    )


def test_admin_impersonating_the_viewer_cannot_read_secrets(
    sandbox: Any, tmp_path: Path
) -> None:
    """Lists, log streams and shells all run as the impersonated viewer."""
    path = impersonating_kubeconfig(
        sandbox, tmp_path, sandbox.token, **{"as": "sandbox-viewer"}
    )
    client = Kubeconfig.load([path]).api_client()

    with pytest.raises(AccessDenied) as caught:
        api.get_json(client, "/api/v1/namespaces/payments/secrets")
    assert 'User "sandbox-viewer" cannot list resource "secrets"' in str(caught.value)
    assert api.get_json(client, "/api/v1/namespaces/payments/pods")["items"]
    lines: Collector[str] = Collector()
    stream = LogStream(
        client, "payments", RUNNING_POD, None, lines.extend, Collector().add
    )
    stream.start()
    try:
        lines.wait_for(lambda got: len(got) > 0)
    finally:
        stream.stop()
    _, status = run_shell(client, "true")
    assert status == Failed(
        f"no access: cannot exec into pod {RUNNING_POD} in ns/payments"
    )


def test_impersonated_groups_arrive_as_separate_groups_and_shells_work(
    sandbox: Any, tmp_path: Path
) -> None:
    """as-groups, as-uid and as-user-extra reach the server; a namespace user's shell runs."""
    path = impersonating_kubeconfig(
        sandbox,
        tmp_path,
        sandbox.token,
        **{
            "as": "payments-dev",
            "as-groups": ["payments-team", "on-call"],
            "as-uid": "1234",
            "as-user-extra": {"reason": ["debugging"]},
        },
    )
    client = Kubeconfig.load([path]).api_client()

    seen = whoami(client)
    assert seen["username"] == "payments-dev"
    assert seen["groups"] == ["payments-team", "on-call", "system:authenticated"]
    output, status = run_shell(client, "echo as-dev")
    assert b"as-dev" in output
    assert status == Exited(0)


def test_the_viewer_may_not_impersonate_and_doctor_says_so(
    sandbox: Any, tmp_path: Path
) -> None:
    """The server's 403 is shown by ``krates doctor`` as a problem line; exit status 1."""
    path = impersonating_kubeconfig(
        sandbox,
        tmp_path,
        sandbox.token_for("sandbox-viewer"),
        **{"as": "sandbox-admin"},
    )
    out = io.StringIO()

    status = doctor.run(path, None, out)

    text = out.getvalue()
    assert status == 1
    assert "auth:      token, impersonating sandbox-admin" in text
    assert "but refused the impersonation" in text
    assert (
        'problem in live: No access: users "sandbox-admin" is forbidden: User '
        '"sandbox-viewer" cannot impersonate resource "users" in API group "" at the '
        "cluster scope; try: ask for the impersonate permission" in text
    )


def test_doctor_names_a_client_certificate_from_a_plugin(
    sandbox: Any, tmp_path: Path
) -> None:
    path, _ = cert_kubeconfig(sandbox, tmp_path, 600)
    out = io.StringIO()

    status = doctor.run(path, None, out)

    text = out.getvalue()
    assert status == 0, text
    assert "auth:      exec plugin " in text
    assert "; the plugin gave a client certificate, valid for " in text


def kubectl(sandbox_kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KUBECTL), "--kubeconfig", str(sandbox_kubeconfig), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_kubectl_as_works_the_same(sandbox: Any, sandbox_kubeconfig: Path) -> None:
    """kubectl --as: the admin acting as the viewer is refused secrets; the viewer
    may not impersonate at all."""
    denied = kubectl(
        sandbox_kubeconfig, "get", "secrets", "-n", "payments", "--as", "sandbox-viewer"
    )
    assert denied.returncode == 1
    assert (
        'secrets is forbidden: User "sandbox-viewer" cannot list resource "secrets"'
        in denied.stderr
    )
    allowed = kubectl(
        sandbox_kubeconfig,
        "get",
        "pods",
        "-n",
        "payments",
        "-o",
        "name",
        "--as",
        "sandbox-viewer",
    )
    assert allowed.returncode == 0 and f"pod/{RUNNING_POD}" in allowed.stdout
    refused = kubectl(
        sandbox_kubeconfig,
        "get",
        "pods",
        "-n",
        "payments",
        "--as",
        "sandbox-admin",
        "--token",
        sandbox.token_for("sandbox-viewer"),
    )
    assert refused.returncode == 1
    assert (
        'users "sandbox-admin" is forbidden: User "sandbox-viewer" cannot impersonate '
        'resource "users" in API group "" at the cluster scope' in refused.stderr
    )
    whoami_out = kubectl(
        sandbox_kubeconfig,
        "auth",
        "whoami",
        "--as",
        "alice",
        "--as-group",
        "g1",
        "--as-group",
        "g2",
    )
    assert "alice" in whoami_out.stdout
    assert "[g1 g2 system:authenticated]" in whoami_out.stdout
