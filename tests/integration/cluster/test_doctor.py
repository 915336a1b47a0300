"""`krates doctor` on the sandbox's users and on kubeconfigs with problems."""

from __future__ import annotations

import io
import logging
import socket
from pathlib import Path
from typing import Any

from krates_desktop.cluster import doctor, streams

from .kube_support import sandbox_cluster


def run(kubeconfig: Path, context: str | None = None) -> tuple[int, str]:
    out = io.StringIO()
    code = doctor.run(kubeconfig, context, out)
    return code, out.getvalue()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_every_sandbox_user_is_listed_with_what_it_may_do(
    sandbox_kubeconfig: Path,
) -> None:
    """Three contexts with source, server, auth, version and permissions; exit 0."""
    code, text = run(sandbox_kubeconfig)

    assert code == 0
    assert f"kubeconfig: {sandbox_kubeconfig}" in text
    assert "* krates-sandbox\n" in text and "  krates-sandbox-viewer\n" in text
    assert "answers:   yes, Kubernetes v" in text
    assert (
        "may:       list namespaces: no · read secrets in payments: yes · exec in payments: yes"
        in text
    )
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
    assert (
        "try: remove insecure-skip-tls-verify, or the certificate authority"
        in problems[0]
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
