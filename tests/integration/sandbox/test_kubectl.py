"""Real kubectl 1.37 against the sandbox: get, watch, label, logs and exec."""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import struct
import subprocess
import termios
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from tests.integration.sandbox.conftest import LineReader

pytestmark = pytest.mark.kubectl

Kubectl = Callable[..., subprocess.CompletedProcess[str]]
STABLE_POD = "api-server-7c9d5-x2k4p"


def _rows(output: str) -> list[list[str]]:
    return [line.split() for line in output.strip().splitlines()[1:]]


def test_get_pods_all_namespaces_lists_seeded_pods(kubectl: Kubectl) -> None:
    """`kubectl get pods -A` shows every seeded pod with its namespace and status."""
    result = kubectl("get", "pods", "-A")
    assert result.returncode == 0, result.stderr
    rows = {(r[0], r[1]): r for r in _rows(result.stdout)}
    assert result.stdout.split()[:6] == [
        "NAMESPACE",
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
    ]
    assert rows[("payments", STABLE_POD)][2:4] == ["1/1", "Running"]
    assert rows[("payments", "ledger-db-0")][2] == "2/2"
    assert rows[("payments", "ledger-db-2")][3] == "ContainerCreating"
    assert rows[("checkout", "cart-6d4b9-q7wzn")][3] in (
        "ImagePullBackOff",
        "ErrImagePull",
    )
    assert rows[("payments", "api-server-7c9d5-r5t7w")][3] in (
        "CrashLoopBackOff",
        "Running",
        "Error",
    )
    assert ("kube-system", "kube-proxy-7xk2m") in rows
    assert ("platform", "metrics-gateway-84d7c-p9vbn") in rows


def test_get_several_kinds_all_namespaces(kubectl: Kubectl) -> None:
    """`kubectl get deploy,svc,cm,secret -A` prints one table per kind with kubectl's columns."""
    result = kubectl("get", "deploy,svc,cm,secret", "-A")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "deployment.apps/api-server" in out and "2/3" in out
    assert "deployment.apps/cart" in out and "0/2" in out
    assert "service/api-server" in out and "10.96.112.40" in out
    assert "configmap/api-config" in out
    assert "secret/api-tls" in out and "kubernetes.io/tls" in out
    assert (
        "UP-TO-DATE" in out and "CLUSTER-IP" in out and "DATA" in out and "TYPE" in out
    )


def test_api_resources_lists_builtin_and_custom_kinds(kubectl: Kubectl) -> None:
    """`kubectl api-resources` lists core, grouped and CRD kinds with short names, no warnings."""
    result = kubectl("api-resources")
    assert result.returncode == 0, result.stderr
    rows = {r[0]: r for r in _rows(result.stdout)}
    assert rows["pods"] == ["pods", "po", "v1", "true", "Pod"]
    assert rows["deployments"] == [
        "deployments",
        "deploy",
        "apps/v1",
        "true",
        "Deployment",
    ]
    assert rows["certificates"] == [
        "certificates",
        "cert,certs",
        "example.com/v1",
        "true",
        "Certificate",
    ]
    assert rows["ingresses"][2] == "networking.k8s.io/v1"
    assert "warning" not in result.stderr.lower()


def test_get_custom_resource_uses_printer_columns(kubectl: Kubectl) -> None:
    """`kubectl get cert -n payments` prints the CRD's additionalPrinterColumns."""
    result = kubectl("get", "cert", "-n", "payments")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:4] == ["NAME", "READY", "SECRET", "AGE"]
    assert _rows(result.stdout)[0][:3] == ["api-cert", "True", "api-tls"]


def test_get_unknown_object_reports_not_found(kubectl: Kubectl) -> None:
    """`kubectl get pod nope` fails with the server's NotFound message."""
    result = kubectl("get", "pod", "nope", "-n", "payments")
    assert result.returncode == 1
    assert 'Error from server (NotFound): pods "nope" not found' in result.stderr


def test_watch_sees_label_change(
    kubectl: Kubectl, kubectl_stream: Callable[..., LineReader]
) -> None:
    """`kubectl get pods -w` prints a new row when `kubectl label` changes a pod."""
    value = f"w{uuid.uuid4().hex[:8]}"
    watch = kubectl_stream("get", "pods", "-n", "payments", "-w", "--show-labels")
    watch.wait_for(lambda line: line.startswith(STABLE_POD))
    labelled = kubectl(
        "label",
        "pod",
        STABLE_POD,
        "-n",
        "payments",
        f"watch-test={value}",
        "--overwrite",
    )
    assert labelled.returncode == 0, labelled.stderr
    assert f"pod/{STABLE_POD} labeled" in labelled.stdout
    row = watch.wait_for(lambda line: f"watch-test={value}" in line)
    assert row.split()[:3] == [STABLE_POD, "1/1", "Running"]


def test_logs_follow_prints_lines_as_they_arrive(
    kubectl_stream: Callable[..., LineReader],
) -> None:
    """`kubectl logs -f` keeps printing new lines at the container's pace.

    The container writes some lines together (a stack trace's), so after the one
    line of history the new lines are read until the container's own timestamps
    span a second; their arrival must span half of one."""
    logs = kubectl_stream(
        "logs", "-f", "-n", "payments", STABLE_POD, "--tail=1", "--timestamps"
    )
    logs.next_line()
    arrivals = [logs.next_line()]
    while _written(arrivals[-1][1]) - _written(arrivals[0][1]) < 1.0:
        assert len(arrivals) < 200, "the container's timestamps never moved on"
        arrivals.append(logs.next_line())
    times = [t for t, _ in arrivals]
    assert times[-1] - times[0] > 0.5, "lines came in one burst instead of as produced"
    assert all(line[:4].isdigit() and "Z " in line[:32] for _, line in arrivals)
    assert logs.process.poll() is None, "the follow stream ended on its own"


def _written(line: str) -> float:
    """When the container wrote a `--timestamps` line, in seconds."""
    return datetime.fromisoformat(line.split(" ", 1)[0]).timestamp()


def test_logs_of_multi_container_pod_need_a_valid_container(kubectl: Kubectl) -> None:
    """kubectl defaults to the annotated container, and an unknown -c is refused."""
    default = kubectl("logs", "-n", "payments", "ledger-db-0", "--tail=3")
    assert default.returncode == 0, default.stderr
    assert len(default.stdout.splitlines()) >= 3
    assert "UTC [" in default.stdout
    wrong = kubectl("logs", "-n", "payments", "ledger-db-0", "-c", "nope")
    assert wrong.returncode == 1
    assert "container nope is not valid for pod ledger-db-0" in wrong.stderr


def test_logs_of_waiting_container_is_a_bad_request(kubectl: Kubectl) -> None:
    """Logs of a container that never started give the server's 'waiting to start' error."""
    result = kubectl("logs", "-n", "payments", "ledger-db-2", "-c", "db")
    assert result.returncode == 1
    assert (
        'Error from server (BadRequest): container "db" in pod "ledger-db-2" is waiting '
        "to start: ContainerCreating" in result.stderr
    )


def test_exec_returns_the_command_exit_code(kubectl: Kubectl) -> None:
    """`kubectl exec POD -- sh -c 'exit 3'` exits 3 like on a real cluster."""
    result = kubectl("exec", "-n", "payments", STABLE_POD, "--", "sh", "-c", "exit 3")
    assert result.returncode == 3
    assert "command terminated with exit code 3" in result.stderr


def test_exec_prints_command_output(kubectl: Kubectl) -> None:
    """`kubectl exec POD -- echo hi` prints hi and exits 0."""
    result = kubectl("exec", "-n", "payments", STABLE_POD, "--", "echo", "hi")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hi\n"


def test_exec_with_stdin_passes_input_and_eof(kubectl: Kubectl) -> None:
    """`echo … | kubectl exec -i POD -- cat` echoes the input and ends at EOF."""
    result = kubectl(
        "exec", "-i", "-n", "payments", STABLE_POD, "--", "cat", stdin="piped text\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "piped text\n"


def test_exec_of_missing_command_fails_like_a_runtime(kubectl: Kubectl) -> None:
    """A command that does not exist gives containerd's message and exit code 126."""
    result = kubectl("exec", "-n", "payments", STABLE_POD, "--", "no-such-binary")
    assert result.returncode == 126
    assert (
        'exec: "no-such-binary": executable file not found in $PATH'
        in result.stdout + result.stderr
    )


def _read_until(fd: int, token: bytes, seen: bytearray, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while token not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return token in seen


def _set_size(fd: int, rows: int, cols: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def _controlling_tty() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def test_exec_tty_follows_terminal_size(
    kube_env: dict[str, str], kubectl_args: list[str]
) -> None:
    """`kubectl exec -it` sends the terminal size, and `stty size` in the shell reports it."""
    master, slave = os.openpty()
    _set_size(slave, 33, 101)
    process = subprocess.Popen(
        [*kubectl_args, "exec", "-it", "-n", "payments", STABLE_POD, "--", "sh"],
        stdin=slave, stdout=slave, stderr=slave, env=kube_env,
        start_new_session=True, preexec_fn=_controlling_tty,
    )  # fmt: skip
    os.close(slave)
    seen = bytearray()
    try:
        os.write(master, b"stty size\r")
        assert _read_until(master, b"33 101", seen), bytes(seen)
        _set_size(master, 40, 120)
        process.send_signal(28)  # SIGWINCH, as the terminal emulator would deliver
        time.sleep(0.3)
        os.write(master, b"stty size\r")
        assert _read_until(master, b"40 120", seen), bytes(seen)
        os.write(master, b"exit 4\r")
        assert process.wait(timeout=15) == 4
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait(timeout=10)
        os.close(master)


def test_kubeconfig_is_private_and_names_the_context(
    sandbox_kubeconfig: Path, kubectl: Kubectl
) -> None:
    """The kubeconfig is mode 0600 and its current context is krates-sandbox on demo-cluster."""
    assert sandbox_kubeconfig.stat().st_mode & 0o777 == 0o600
    context = kubectl("config", "current-context")
    assert context.stdout.strip() == "krates-sandbox"
    cluster = kubectl("config", "view", "-o", "jsonpath={.clusters[0].name}")
    assert cluster.stdout == "demo-cluster"


def test_logs_of_crash_looping_pod_show_last_and_previous_run(kubectl: Kubectl) -> None:
    """A crash-looping container serves its last run's logs, and --previous the run before."""
    pod = "api-server-7c9d5-r5t7w"
    current = kubectl("logs", "-n", "payments", pod)
    assert current.returncode == 0, current.stderr
    assert "starting api" in current.stdout
    previous = kubectl("logs", "-n", "payments", pod, "--previous")
    assert previous.returncode == 0, previous.stderr
    assert "panic: runtime error: invalid memory address" in previous.stdout


def test_typed_client_commands_send_protobuf_that_is_understood(
    kubectl: Kubectl,
) -> None:
    """`auth can-i` and `create configmap|secret|namespace` (protobuf bodies) succeed."""
    assert (
        kubectl("auth", "can-i", "create", "pods/exec", "-n", "payments").stdout
        == "yes\n"
    )
    rules = kubectl("auth", "can-i", "--list", "-n", "payments")
    assert rules.returncode == 0 and "*.*" in rules.stdout
    suffix = uuid.uuid4().hex[:6]
    made = kubectl("create", "configmap", f"pb-{suffix}", "--from-literal=colour=teal")
    assert made.stdout == f"configmap/pb-{suffix} created\n", made.stderr
    data = kubectl("get", "configmap", f"pb-{suffix}", "-o", "jsonpath={.data.colour}")
    assert data.stdout == "teal"
    secret = kubectl(
        "create", "secret", "generic", f"pb-{suffix}", "--from-literal=pw=hunter2"
    )
    assert secret.returncode == 0, secret.stderr
    value = kubectl("get", "secret", f"pb-{suffix}", "-o", "jsonpath={.data.pw}")
    assert value.stdout == "aHVudGVyMg=="
    namespace = kubectl("create", "namespace", f"pb-{suffix}")
    assert namespace.stdout == f"namespace/pb-{suffix} created\n", namespace.stderr
    gone = kubectl("delete", "namespace", f"pb-{suffix}", "--timeout=20s")
    assert gone.returncode == 0, gone.stderr
    for kind in ("configmap", "secret"):
        kubectl("delete", kind, f"pb-{suffix}")


def test_deleted_replica_is_replaced(kubectl: Kubectl) -> None:
    """Deleting a Deployment's pod makes its ReplicaSet create a replacement."""
    before = kubectl(
        "get", "pods", "-n", "platform", "-l", "app=metrics-gateway", "-o", "name"
    )
    victim = before.stdout.split()[0]
    deleted = kubectl("delete", "-n", "platform", victim, "--timeout=20s")
    assert deleted.returncode == 0, deleted.stderr
    for _ in range(40):
        after = kubectl(
            "get", "pods", "-n", "platform", "-l", "app=metrics-gateway", "-o", "name"
        )
        if after.stdout.split() and victim not in after.stdout.split():
            break
        time.sleep(0.5)
    assert after.stdout.split() and victim not in after.stdout.split()
