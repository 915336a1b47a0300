"""``krates doctor``: every context of the merged kubeconfig, checked and explained.

For each context it prints the file it came from, the server, how the user
authenticates (what an exec plugin handed out, whom the user impersonates), whether the server answers (and its version), and what the user
may do there (list namespaces, read secrets, exec). Every problem gets one line
saying what is wrong and what to try. The exit status is 0 when the chosen
context (``--context``, else the current one) works: the server answers and
accepts the credentials.

``krates doctor --stats LOGFILE`` prints the health figures a running Krates last
wrote to its log (open watches, streams and shells per context, API latency,
errors and reconnects).

Contexts are checked in parallel with short timeouts, so a dead cluster costs a
few seconds, not a minute.
"""

from __future__ import annotations

import copy
import logging
import ssl
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import orjson

from krates_desktop.cluster import api
from krates_desktop.cluster.access import Access, Question
from krates_desktop.cluster.credentials import (
    CredentialError,
    ExecPlugin,
    PluginMissing,
)
from krates_desktop.cluster.errors import (
    AccessDenied,
    ClusterError,
    ConnectionFailed,
    KubeconfigError,
    Unauthorized,
)
from krates_desktop.cluster.kubeconfig import ContextInfo, Kubeconfig, TlsConflict
from krates_desktop.cluster.streams import STATS_MARKER
from krates_desktop.cluster.transport import new_api_client

log = logging.getLogger(__name__)

TIMEOUT = 5.0


@dataclass
class Report:
    """What was found about one context."""

    info: ContextInfo
    auth: str = ""
    checked: bool = False
    answers: bool = False
    version: str = ""
    latency_ms: float = 0.0
    authenticated: bool = False
    impersonation_refused: bool = False
    may: dict[str, bool | None] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def works(self) -> bool:
        """The server answers and accepts the credentials."""
        return self.answers and self.authenticated


def run(kubeconfig: Path | None, context: str | None, out: TextIO | None = None) -> int:
    """Check the kubeconfig (``KUBECONFIG`` or the default when None); print a report."""
    out = out or sys.stdout
    try:
        config = Kubeconfig.load([kubeconfig] if kubeconfig else None)
    except KubeconfigError as exc:
        print(f"problem: {exc}; try: {_kubeconfig_hint(str(exc))}", file=out)
        return 1
    chosen = context or config.current_context
    print(f"kubeconfig: {', '.join(str(p) for p in config.files)}", file=out)
    print(f"current context: {config.current_context or '(none)'}", file=out)
    for problem in config.problems:
        print(
            f"problem: {problem}; try: remove it from KUBECONFIG or create it", file=out
        )
    names = [c.name for c in config.contexts]
    if chosen is not None and chosen not in names:
        print(
            f"problem: there is no context named {chosen}; try: one of {', '.join(names)}",
            file=out,
        )
        return 1
    with ThreadPoolExecutor(max_workers=min(8, len(names) or 1)) as pool:
        reports = list(pool.map(lambda name: check(config, name), names))
    for report in reports:
        _print_report(report, report.info.name == chosen, out)
    problems = [(r.info.name, p) for r in reports for p in r.problems]
    if problems:
        print("", file=out)
        for name, problem in problems:
            print(f"problem in {name}: {problem}", file=out)
    chosen_report = next((r for r in reports if r.info.name == chosen), None)
    if chosen_report is None:
        print("problem: no context is chosen; try: --context NAME", file=out)
        return 1
    verdict = "works" if chosen_report.works else "does not work"
    print(f"\n{chosen} {verdict}", file=out)
    return 0 if chosen_report.works else 1


def check(config: Kubeconfig, name: str) -> Report:
    """Probe context ``name``: reachability, version, credentials and permissions."""
    info = config.context(name)
    report = Report(info, auth=config.auth_method(name))
    try:
        client = config.api_client(name)
    except TlsConflict as exc:
        report.problems.append(
            f"{exc}; try: remove insecure-skip-tls-verify, or the certificate authority, "
            f"from cluster {exc.cluster}"
        )
        return report
    except KubeconfigError as exc:
        report.problems.append(f"{exc}; try: {_kubeconfig_hint(str(exc))}")
        return report
    client.configuration.retries = 0
    report.checked = True
    try:
        _probe_version(client, report)
        if report.answers:
            _probe_access(client, report)
    finally:
        client.close()
    report.auth += _handed_out(client.configuration)
    return report


def _handed_out(configuration: Any) -> str:
    """What an exec plugin returned when it ran (a token, a client certificate)."""
    credentials = getattr(configuration, "krates_credentials", None)
    if not isinstance(credentials, ExecPlugin) or not credentials.hands_out():
        return ""
    left = credentials.expires_in()
    expiry = "" if left is None else f", valid for {max(0.0, left):.0f} s more"
    return f"; the plugin gave a {credentials.hands_out()}{expiry}"


def _probe_version(client: Any, report: Report) -> None:
    # /version needs no credentials: ask without them, so a broken plugin does
    # not hide whether the server answers.
    anonymous = copy.copy(client.configuration)
    anonymous.api_key = {}
    anonymous.refresh_api_key_hook = None
    anonymous.krates_credentials = None
    anonymous.krates_impersonation = None
    probe = new_api_client(anonymous)
    started = time.monotonic()
    try:
        body = api.get_json(
            probe, "/version", timeout=(TIMEOUT, TIMEOUT), kind="version"
        )
    except AccessDenied:
        body = {}
    except ClusterError as exc:
        report.problems.append(f"{exc}; try: {_connection_hint(exc)}")
        return
    finally:
        probe.close()
    report.answers = True
    report.latency_ms = (time.monotonic() - started) * 1000
    report.version = str(body.get("gitVersion") or "")


def _probe_access(client: Any, report: Report) -> None:
    namespace = report.info.namespace
    access = Access(client)
    questions = {
        "list namespaces": Question("list", "namespaces"),
        f"read secrets in {namespace}": Question("get", "secrets", namespace=namespace),
        f"exec in {namespace}": Question(
            "create", "pods", namespace=namespace, subresource="exec"
        ),
        f"read logs in {namespace}": Question(
            "get", "pods", namespace=namespace, subresource="log"
        ),
    }
    try:
        for label, question in questions.items():
            answer = access.check(question)
            if answer.allowed is None:
                raise _ReviewFailed(answer.reason)
            report.may[label] = answer.allowed
        report.authenticated = True
    except _ReviewFailed as exc:
        _review_problem(client, report, str(exc))
    except CredentialError as exc:
        report.problems.append(f"{exc}; try: {_credential_hint(exc)}")
    finally:
        access.close()


class _ReviewFailed(Exception):
    """An access review could not be made."""


def _review_problem(client: Any, report: Report, reason: str) -> None:
    """The review failed: tell a rejected login from a server without reviews."""
    try:
        api.get_json(
            client,
            f"/api/v1/namespaces/{report.info.namespace}/pods",
            [("limit", "1")],
            timeout=(TIMEOUT, TIMEOUT),
        )
    except Unauthorized as exc:
        report.problems.append(f"{exc}; try: log in again or renew the token")
        return
    except AccessDenied as exc:
        if "cannot impersonate" in str(exc):
            report.impersonation_refused = True
            report.problems.append(
                f"{exc}; try: ask for the impersonate permission, or remove as "
                "(kubectl --as) from the user"
            )
            return
        report.authenticated = True
        report.problems.append(
            f"access reviews are not answered ({reason}); try: kubectl auth can-i --list"
        )
        return
    except ClusterError as exc:
        report.problems.append(f"{exc}; try: {_connection_hint(exc)}")
        return
    report.authenticated = True


def _print_report(report: Report, chosen: bool, out: TextIO) -> None:
    info = report.info
    mark = "*" if chosen else " "
    print(f"\n{mark} {info.name}", file=out)
    rows = [
        ("source", str(info.source)),
        ("server", info.server or "(none)"),
        ("auth", report.auth),
        ("namespace", info.namespace + ("" if info.namespace_set else " (not set)")),
        ("answers", _answer_text(report)),
    ]
    if report.may:
        rows.append(
            ("may", " · ".join(f"{k}: {_yes(v)}" for k, v in report.may.items()))
        )
    for label, value in rows:
        print(f"    {label + ':':<11}{value}", file=out)


def _answer_text(report: Report) -> str:
    if not report.checked:
        return "not asked (the kubeconfig entry cannot be used as it is)"
    if not report.answers:
        return "no"
    version = f", Kubernetes {report.version}" if report.version else ""
    if report.impersonation_refused:
        login = ", but refused the impersonation"
    elif report.authenticated:
        login = ""
    else:
        login = ", but the credentials were not accepted"
    return f"yes{version} ({report.latency_ms:.0f} ms){login}"


def _yes(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "unknown"}[value]


def _kubeconfig_hint(message: str) -> str:
    if (
        "does not exist" in message
        and "kubeconfig at" in message
        and "names" not in message
    ):
        return "point KUBECONFIG or --kubeconfig at your kubeconfig"
    if "not valid YAML" in message:
        return "fix the file at the line named"
    if "names cluster" in message or "no server address" in message:
        return "fix the context's cluster, or add that cluster to a kubeconfig file"
    if "does not exist" in message:
        return (
            "fix the path, or put the file there (paths are relative to the kubeconfig)"
        )
    if "auth-provider" in message:
        return "kubectl config set-credentials with an exec plugin"
    if "base64" in message:
        return "copy the certificate data again from the cluster's kubeconfig"
    return "fix that entry of the kubeconfig"


def _credential_hint(exc: CredentialError) -> str:
    if isinstance(exc, PluginMissing):
        return f"install {exc.command}, or add its folder to KRATES_PLUGIN_PATH"
    return "run the plugin by hand (kubectl get ns) to see what it needs"


def _connection_hint(exc: ClusterError) -> str:
    if isinstance(exc, CredentialError):
        return _credential_hint(exc)
    text = str(exc)
    if isinstance(exc, ConnectionFailed):
        if "not trusted" in text or isinstance(exc.__cause__, ssl.SSLError):
            return "check certificate-authority for this cluster"
        if "refused" in text:
            return "check that the cluster is running and the server address is right"
        if "timed out" in text:
            return "check the network, a VPN or proxy-url"
        return "check the server address and the network"
    if isinstance(exc, Unauthorized):
        return "log in again or renew the token"
    return "try again; if it persists, check the API server"


# -- --stats ---------------------------------------------------------------------


def run_stats(log_file: Path, out: TextIO | None = None) -> int:
    """Print the last health figures a running Krates wrote to ``log_file``."""
    out = out or sys.stdout
    try:
        lines = log_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        print(
            f"problem: the log {log_file} cannot be read ({exc.strerror}); try: the path Krates logs to",
            file=out,
        )
        return 1
    found = [line for line in lines if STATS_MARKER in line]
    if not found:
        print(
            f"problem: {log_file} holds no figures yet; try: again in a minute",
            file=out,
        )
        return 1
    figures = orjson.loads(found[-1].split(STATS_MARKER, 1)[1])
    for context in figures:
        _print_stats(context, out)
    return 0


def _print_stats(figures: dict[str, Any], out: TextIO) -> None:
    print(f"{figures['context']}", file=out)
    print(
        f"    open:      {figures['watches']} watches · {figures['log_streams']} log "
        f"streams · {figures['shells']} shells",
        file=out,
    )
    for kind, values in sorted(figures.get("latency_ms", {}).items()):
        print(
            f"    {kind + ':':<11}{values['count']} requests, p50 {values['p50']} ms, "
            f"p95 {values['p95']} ms, p99 {values['p99']} ms",
            file=out,
        )
    errors = figures.get("errors") or {}
    if errors:
        print(
            "    errors:    "
            + ", ".join(f"{k} ×{v}" for k, v in sorted(errors.items())),
            file=out,
        )
    reconnects = figures.get("reconnects") or {}
    if reconnects:
        print(
            "    reconnects: "
            + ", ".join(f"{k} ×{v}" for k, v in sorted(reconnects.items())),
            file=out,
        )


def main(argv: list[str] | None = None) -> int:
    """``python -m krates_desktop.cluster.doctor [--kubeconfig P] [--context N] [--stats LOG]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="krates doctor")
    parser.add_argument("--kubeconfig", type=Path)
    parser.add_argument("--context")
    parser.add_argument("--stats", type=Path, metavar="LOGFILE")
    args = parser.parse_args(argv)
    if args.stats:
        return run_stats(args.stats)
    return run(args.kubeconfig, args.context)


if __name__ == "__main__":
    sys.exit(main())
