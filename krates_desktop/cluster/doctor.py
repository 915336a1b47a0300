"""``krates doctor``: every context of the merged kubeconfig, checked and explained.

For each context it prints the file it came from, its cluster, server and
user, how the user authenticates (which client certificate, what an exec plugin
handed out, whom the user impersonates), whether the server answers (and its
version), whom the server takes the user for (a SelfSubjectReview, as ``kubectl
auth whoami``), and what the user may do there (list namespaces, read secrets,
exec). Every problem gets one line saying what is wrong and what to try. A
cluster that both skips TLS verification and names a CA is tried both ways, and
the report says which works; the kubeconfig is never changed. The exit status is
0 when the chosen context (``--context``, else the current one) works: the server
answers and accepts the credentials.

Library log lines would repeat the problem lines on stderr, so while the doctor
runs only errors are logged, unless ``-v`` asks for more.

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
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
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
    NotFound,
    Unauthorized,
)
from krates_desktop.cluster.kubeconfig import (
    ContextInfo,
    Kubeconfig,
    TlsChoice,
    TlsConflict,
)
from krates_desktop.cluster.streams import STATS_MARKER
from krates_desktop.cluster.transport import new_api_client

log = logging.getLogger(__name__)

TIMEOUT = 5.0
WHOAMI_PATH = "/apis/authentication.k8s.io/v1/selfsubjectreviews"

# The two ways a cluster with a CA and insecure-skip-tls-verify can be used.
_TLS_WAYS: tuple[tuple[TlsChoice, str], ...] = (
    ("verify", "with the CA"),
    ("skip-verify", "skipping verification"),
)


@dataclass
class Report:
    """What was found about one context."""

    info: ContextInfo
    auth: str = ""
    anonymous: bool = False
    checked: bool = False
    answers: bool = False
    version: str = ""
    latency_ms: float = 0.0
    authenticated: bool = False
    impersonation_refused: bool = False
    no_credentials: str = ""
    """Why the credentials could not be got (a plugin missing or failing), if so."""
    whoami: str = ""
    tls_trials: list[str] = field(default_factory=list)
    may: dict[str, bool | None] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def works(self) -> bool:
        """The server answers and accepts the credentials."""
        return self.answers and self.authenticated


def run(
    kubeconfig: Path | None,
    context: str | None,
    out: TextIO | None = None,
    verbose: bool = False,
) -> int:
    """Check the kubeconfig (``KUBECONFIG`` or the default when None); print a report.

    Below ERROR, library log lines are held back unless ``verbose``.
    """
    with _quiet_logging(not verbose):
        return _run(kubeconfig, context, out or sys.stdout)


@contextmanager
def _quiet_logging(quiet: bool) -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    if quiet:
        root.setLevel(max(level, logging.ERROR))
    try:
        yield
    finally:
        root.setLevel(level)


def _run(kubeconfig: Path | None, context: str | None, out: TextIO) -> int:
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
    report = Report(
        info, auth=config.auth_method(name), anonymous=config.is_anonymous(name)
    )
    report.problems += [
        f"{problem}; try: add user {info.user} to one of those files, or name a "
        f"defined user in context {name}"
        for problem in config.problems_in(name)
    ]
    try:
        client = config.api_client(name)
    except TlsConflict as exc:
        _try_both_ways(config, exc, report)
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


def _try_both_ways(config: Kubeconfig, conflict: TlsConflict, report: Report) -> None:
    """Ask the server with the CA and without verification; say which way works."""
    works: dict[TlsChoice, bool] = {}
    for choice, label in _TLS_WAYS:
        try:
            client = config.api_client(conflict.context, tls_choice=choice)
        except KubeconfigError as exc:
            report.problems.append(f"{exc}; try: {_kubeconfig_hint(str(exc))}")
            return
        try:
            version, latency_ms = _ask_version(client)
        except ClusterError as exc:
            works[choice] = False
            failure = "verification fails" if _untrusted(exc) else "no answer"
            report.tls_trials.append(f"{label}: {failure} ({exc})")
        else:
            works[choice] = True
            report.tls_trials.append(
                f"{label}: answers{_version_text(version, latency_ms)}"
            )
        finally:
            client.close()
    report.problems.append(
        f"{conflict.fact}; try: {_tls_hint(works, conflict.cluster)}"
    )


def _tls_hint(works: dict[TlsChoice, bool], cluster: str) -> str:
    if works["verify"]:
        return (
            f"remove insecure-skip-tls-verify from cluster {cluster} "
            "(verifying with the CA works)"
        )
    if works["skip-verify"]:
        return (
            f"get the right CA for cluster {cluster} and remove insecure-skip-tls-verify, "
            "or remove the certificate authority to keep skipping verification"
        )
    return "check that the cluster is running and the server address is right"


def _probe_version(client: Any, report: Report) -> None:
    try:
        report.version, report.latency_ms = _ask_version(client)
    except ClusterError as exc:
        report.problems.append(f"{exc}; try: {_connection_hint(exc)}")
        return
    report.answers = True


def _ask_version(client: Any) -> tuple[str, float]:
    """The server's version and how long it took to answer (raises ClusterError)."""
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
    finally:
        probe.close()
    return str(body.get("gitVersion") or ""), (time.monotonic() - started) * 1000


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
        _probe_whoami(client, report)
    except _ReviewFailed as exc:
        _review_problem(client, report, str(exc))
    except CredentialError as exc:
        report.problems.append(f"{exc}; try: {_credential_hint(exc)}")
    finally:
        access.close()


class _ReviewFailed(Exception):
    """An access review could not be made."""


def _probe_whoami(client: Any, report: Report) -> None:
    """Whom the server takes the user for, as ``kubectl auth whoami`` asks."""
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    try:
        raw = api.request(
            client,
            WHOAMI_PATH,
            method="POST",
            body=body,
            timeout=(TIMEOUT, TIMEOUT),
            kind="review",
        )
        answer = api.read_json(client, raw, WHOAMI_PATH)
    except NotFound:
        report.whoami = (
            "unknown (the server answers no SelfSubjectReview, Kubernetes 1.28+)"
        )
        return
    except ClusterError as exc:
        report.whoami = f"unknown ({exc})"
        return
    user = (answer.get("status") or {}).get("userInfo") or {}
    groups = ", ".join(str(group) for group in user.get("groups") or [])
    report.whoami = str(user.get("username") or "(no name)") + (
        f" (groups {groups})" if groups else ""
    )


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
        if not report.anonymous:
            report.problems.append(f"{exc}; try: log in again or renew the token")
        elif not report.info.user or report.info.user_source is not None:
            report.problems.append(
                f"the server does not allow anonymous access; try: {_anonymous_hint(report.info)}"
            )
        return
    except CredentialError as exc:
        report.no_credentials = _why_no_credentials(exc, report.info)
        report.problems.append(f"{exc}; try: {_credential_hint(exc)}")
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


def _anonymous_hint(info: ContextInfo) -> str:
    ways = "a token, client certificate or exec plugin"
    if info.user:
        return f"add {ways} to user {info.user} in {info.user_source}"
    return f"name a user with {ways} in context {info.name} in {info.source}"


def _why_no_credentials(exc: CredentialError, info: ContextInfo) -> str:
    """A few words on why no credentials were sent, for the answers row."""
    if isinstance(exc, PluginMissing):
        return f"exec plugin {exc.command} not found"
    return f"the credentials of user {info.user} failed"


def _print_report(report: Report, chosen: bool, out: TextIO) -> None:
    info = report.info
    mark = "*" if chosen else " "
    print(f"\n{mark} {info.name}", file=out)
    rows = [
        ("source", str(info.source)),
        ("cluster", info.cluster or "(none)"),
        ("server", info.server or "(none)"),
        ("user", _user_text(info)),
        ("auth", report.auth),
        ("namespace", info.namespace + ("" if info.namespace_set else " (not set)")),
    ]
    answers = report.tls_trials or [_answer_text(report)]
    rows += [("answers" if i == 0 else "", line) for i, line in enumerate(answers)]
    if report.whoami:
        rows.append(("you are", report.whoami))
    if report.may:
        rows.append(
            ("may", " · ".join(f"{k}: {_yes(v)}" for k, v in report.may.items()))
        )
    if report.may.get("list namespaces") is False:
        rows.append(
            (
                "",
                f"Krates shows the context's namespace ({info.namespace}) plus "
                "namespaces you add by hand",
            )
        )
    for label, value in rows:
        print(f"    {label + ':' if label else '':<11}{value}", file=out)


def _user_text(info: ContextInfo) -> str:
    if not info.user:
        return "(none)"
    return info.user if info.user_source else f"{info.user} (not defined)"


def _answer_text(report: Report) -> str:
    if not report.checked:
        return "not asked (the kubeconfig entry cannot be used as it is)"
    if not report.answers:
        return "no"
    if report.impersonation_refused:
        login = ", but refused the impersonation"
    elif report.authenticated:
        login = ""
    elif report.no_credentials:
        login = f", but no credentials could be got ({report.no_credentials})"
    elif report.anonymous:
        login = ", but the server does not allow anonymous access"
    else:
        login = ", but the credentials were not accepted"
    return f"yes{_version_text(report.version, report.latency_ms)}{login}"


def _version_text(version: str, latency_ms: float) -> str:
    return (f", Kubernetes {version}" if version else "") + f" ({latency_ms:.0f} ms)"


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
        if _untrusted(exc):
            return "check certificate-authority for this cluster"
        if "refused" in text:
            return "check that the cluster is running and the server address is right"
        if "timed out" in text:
            return "check the network, a VPN or proxy-url"
        return "check the server address and the network"
    if isinstance(exc, Unauthorized):
        return "log in again or renew the token"
    return "try again; if it persists, check the API server"


def _untrusted(exc: ClusterError) -> bool:
    """Whether the server's certificate failed verification."""
    return isinstance(exc, ConnectionFailed) and (
        "not trusted" in str(exc) or isinstance(exc.__cause__, ssl.SSLError)
    )


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
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    if args.stats:
        return run_stats(args.stats)
    return run(args.kubeconfig, args.context, verbose=args.verbose)


if __name__ == "__main__":
    sys.exit(main())
