"""`krates doctor` on the sandbox's users and on kubeconfigs with problems."""

from __future__ import annotations

import base64
import io
import logging
import re
import socket
import subprocess
from pathlib import Path
from typing import Any

from krates_desktop.cluster import doctor, streams
from krates_desktop.cluster.kubeconfig import Kubeconfig
from krates_desktop.sandbox.tls import issue_client_certificate

from .certs import make_certificates
from .kube_support import sandbox_cluster

KRATES = Path(__file__).resolve().parents[3] / ".venv" / "bin" / "krates"


def run(kubeconfig: Path, context: str | None = None) -> tuple[int, str]:
    out = io.StringIO()
    code = doctor.run(kubeconfig, context, out)
    return code, out.getvalue()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def problem_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("problem")]


def test_every_sandbox_user_is_listed_with_what_it_may_do(
    sandbox_kubeconfig: Path,
) -> None:
    """Three contexts with source, cluster, user, auth, version, whom the server takes
    the user for, and permissions; exit 0."""
    code, text = run(sandbox_kubeconfig)

    assert code == 0
    assert f"kubeconfig: {sandbox_kubeconfig}" in text
    assert "* krates-sandbox\n" in text and "  krates-sandbox-viewer\n" in text
    assert "    cluster:   demo-cluster\n    server:    https://" in text
    assert "    user:      sandbox-viewer\n    auth:      token\n" in text
    assert "answers:   yes, Kubernetes v" in text
    assert (
        "you are:   sandbox-admin (groups system:masters, system:authenticated)" in text
    )
    assert (
        "you are:   payments-dev (groups payments-team, system:authenticated)" in text
    )
    assert (
        "may:       list namespaces: no · read secrets in payments: yes · exec in payments: yes"
        in text
    )
    assert (
        "\n               Krates shows the context's namespace (payments) plus "
        "namespaces you add by hand\n" in text
    )
    assert text.count("Krates shows the context's namespace") == 1
    assert "read secrets in default: no · exec in default: no" in text
    assert "problem" not in text and text.rstrip().endswith("krates-sandbox works")


def test_each_problem_gets_one_line_with_what_to_try(
    sandbox: Any, tmp_path: Path
) -> None:
    """A CA conflict, a missing plugin, a refused server and a missing cluster each get a line."""
    cluster = sandbox_cluster(sandbox)
    path = tmp_path / "config"
    path.write_text(
        f"clusters:\n- name: good\n  cluster: {{server: '{cluster['server']}', "
        f"certificate-authority: '{cluster['certificate-authority']}'}}\n"
        f"- name: conflict\n  cluster: {{server: '{sandbox.url}', insecure-skip-tls-verify: true, "
        f"certificate-authority: '{sandbox.ca_file}'}}\n"
        f"- name: dead\n  cluster: {{server: 'https://127.0.0.1:{closed_port()}', insecure-skip-tls-verify: true}}\n"
        f"users:\n- name: u\n  user: {{token: {sandbox.token}}}\n"
        "- name: plugin\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
        "      command: no-such-auth-plugin\n      installHint: 'Get it from the cloud CLI'\n"
        "contexts:\n- name: good\n  context: {cluster: good, user: u}\n"
        "- name: conflict\n  context: {cluster: conflict, user: u}\n"
        "- name: plugin\n  context: {cluster: good, user: plugin}\n"
        "- name: dead\n  context: {cluster: dead, user: u}\n"
        "- name: orphan\n  context: {cluster: nowhere, user: u}\n"
        "current-context: good\n"
    )

    code, text = run(path)
    broken_code, _ = run(path, "dead")

    assert code == 0 and broken_code == 1
    problems = [line for line in text.splitlines() if line.startswith("problem in ")]
    assert [p.split(":", 1)[0] for p in problems] == [
        "problem in conflict",
        "problem in plugin",
        "problem in dead",
        "problem in orphan",
    ]
    assert all("; try: " in p for p in problems)
    assert problems[0].endswith(
        "which kubectl refuses; try: remove insecure-skip-tls-verify from cluster "
        "conflict (verifying with the CA works)"
    )
    assert "choose to skip" not in text
    assert re.search(
        r"\n    answers:   yes, Kubernetes v[\d.]+ \(\d+ ms\), but no credentials could be "
        r"got \(exec plugin no-such-auth-plugin not found\)\n",
        text,
    )
    assert (
        "Get it from the cloud CLI; try: install no-such-auth-plugin, or add its folder"
        in problems[1]
    )
    assert "connection refused; try: check that the cluster is running" in problems[2]
    assert "names cluster nowhere" in problems[3]
    assert "auth:      exec plugin no-such-auth-plugin" in text


def test_stats_are_read_back_from_the_log(tmp_path: Path, caplog: Any) -> None:
    """The figures a running instance logs come back as a readable summary."""
    book = streams.StreamBook()
    book.open("watch", "prod", "pods", lambda: None)
    book.record("prod", "list", 0.020)
    book.record("prod", "list", 0.040, "list 429")
    book.reconnected("prod", "watch")
    caplog.set_level(logging.INFO, logger="krates_desktop.cluster.streams")
    streams.StatsReporter(book).report()
    log_file = tmp_path / "krates.log"
    log_file.write_text("\n".join(r.getMessage() for r in caplog.records) + "\n")

    out = io.StringIO()
    code = doctor.run_stats(log_file, out)

    assert code == 0
    assert out.getvalue().splitlines() == [
        "prod",
        "    open:      1 watches · 0 log streams · 0 shells",
        "    list:      2 requests, p50 20.0 ms, p95 40.0 ms, p99 40.0 ms",
        "    errors:    list 429 ×1",
        "    reconnects: watch ×1",
    ]


def test_anonymous_and_undefined_users_are_named_as_such(
    sandbox: Any, tmp_path: Path
) -> None:
    """`user: {}`, no user, and a user no file defines: what to add, and where (C07)."""
    path = tmp_path / "config"
    path.write_text(
        f"clusters:\n- name: dev\n  cluster: {{server: '{sandbox.url}', "
        "insecure-skip-tls-verify: true}\n"
        "users:\n- name: admin\n  user: {}\n"
        "contexts:\n- name: dev\n  context: {cluster: dev, user: admin}\n"
        "- name: no-user\n  context: {cluster: dev}\n"
        "- name: ghost-user\n  context: {cluster: dev, user: ghost}\n"
        "current-context: dev\n"
    )

    code, text = run(path)

    assert code == 1
    assert problem_lines(text) == [
        "problem in dev: the server does not allow anonymous access; try: add a token, "
        f"client certificate or exec plugin to user admin in {path}",
        "problem in no-user: the server does not allow anonymous access; try: name a "
        f"user with a token, client certificate or exec plugin in context no-user in {path}",
        f'problem in ghost-user: user "ghost" is not defined in any kubeconfig file ({path}); '
        "kubectl treats it as anonymous; try: add user ghost to one of those files, or "
        "name a defined user in context ghost-user",
    ]
    assert "log in again" not in text and "credentials were not accepted" not in text
    assert "    user:      ghost (not defined)\n    auth:      anonymous\n" in text
    assert text.count(", but the server does not allow anonymous access\n") == 3
    assert Kubeconfig.load([path]).problems_in("dev") == []


def test_library_log_lines_stay_out_of_stderr_unless_verbose(
    sandbox: Any, tmp_path: Path
) -> None:
    """A real `krates doctor`: the problem line on stdout, nothing on stderr; with -v
    the review failure is logged too, in words that do not say "I"."""
    path = tmp_path / "config"
    path.write_text(
        f"clusters:\n- name: dev\n  cluster: {{server: '{sandbox.url}', "
        "insecure-skip-tls-verify: true}\n"
        "contexts:\n- name: ghost-user\n  context: {cluster: dev, user: ghost}\n"
        "current-context: ghost-user\n"
    )

    def doctor_process(*flags: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(KRATES), "doctor", "--kubeconfig", str(path), *flags],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    quiet, verbose = doctor_process(), doctor_process("-v")

    assert quiet.returncode == verbose.returncode == 1
    assert 'problem in ghost-user: user "ghost" is not defined' in quiet.stdout
    assert quiet.stderr == ""
    assert verbose.stdout.count("problem in ghost-user:") == 1
    assert (
        "WARNING krates_desktop.cluster.access: access review for list namespaces "
        "cluster-wide failed: The cluster API rejected the credentials"
        in verbose.stderr
    )
    assert "whether I may" not in verbose.stderr


def test_a_ca_next_to_skip_verify_is_tried_both_ways(
    sandbox: Any, tmp_path: Path
) -> None:
    """A CA that does not sign the server plus insecure-skip-tls-verify: doctor says
    what is wrong once, tries both ways, and leaves the file as it was (C06)."""
    wrong_ca, _, _ = make_certificates(tmp_path / "other-ca")
    ca_data = base64.b64encode(wrong_ca.read_bytes()).decode()
    path = tmp_path / "config"
    path.write_text(
        f"clusters:\n- name: k3s\n  cluster:\n    server: {sandbox.url}\n"
        f"    certificate-authority-data: {ca_data}\n    insecure-skip-tls-verify: true\n"
        f"users:\n- name: u\n  user: {{token: {sandbox.token}}}\n"
        "contexts:\n- name: k3s\n  context: {cluster: k3s, user: u}\n"
        "current-context: k3s\n"
    )
    before = path.read_bytes()

    code, text = run(path)

    assert code == 1
    assert re.search(
        r"\n    answers:   with the CA: verification fails \(.*not trusted.*\)\n"
        r" {15}skipping verification: answers, Kubernetes v[\d.]+ \(\d+ ms\)\n",
        text,
    ), text
    assert problem_lines(text) == [
        f"problem in k3s: The cluster k3s in the kubeconfig at {path} sets "
        "insecure-skip-tls-verify and also a certificate authority, which kubectl "
        "refuses; try: get the right CA for cluster k3s and remove "
        "insecure-skip-tls-verify, or remove the certificate authority to keep "
        "skipping verification"
    ]
    assert path.read_bytes() == before


def test_a_client_certificate_user_is_shown_with_its_file_and_name(
    sandbox: Any, tmp_path: Path
) -> None:
    """`auth:` names the certificate file; `you are:` the name the server read from it."""
    cert, key = issue_client_certificate(
        sandbox.ca_file, sandbox.ca_key_file, "team-b-dev", ("team-b",), 600
    )
    (tmp_path / "me.crt").write_text(cert)
    (tmp_path / "me.key").write_text(key)
    cluster = sandbox_cluster(sandbox)
    path = tmp_path / "config"
    path.write_text(
        f"clusters:\n- name: c\n  cluster: {{server: '{cluster['server']}', "
        f"certificate-authority: '{cluster['certificate-authority']}'}}\n"
        "users:\n- name: dev\n  user: {client-certificate: me.crt, client-key: me.key}\n"
        "contexts:\n- name: team-b\n  context: {cluster: c, user: dev, namespace: team-b}\n"
        "current-context: team-b\n"
    )

    code, text = run(path)

    assert code == 0, text
    assert f"    auth:      client certificate {tmp_path / 'me.crt'}\n" in text
    assert "    you are:   team-b-dev (groups team-b, system:authenticated)\n" in text
