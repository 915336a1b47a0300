"""Kubeconfig files merged the way kubectl merges them, and API clients built from them.

``KUBECONFIG`` may name several files. Clusters, users and contexts are merged by
name and the first file that defines a name wins; ``current-context`` comes from
the first file that sets it; a file may hold any subset of the keys. Certificate,
key, token-file and exec-command paths are resolved against the directory of the
file that names them, never against the process's working directory (desktop
launchers start apps from ``/``). An empty or missing user means anonymous, and a
context without a namespace means ``default``.

Each context's client configuration is built here: inline certificate data is
written to private files, ``insecure-skip-tls-verify`` next to a CA is reported
as a :class:`TlsConflict` until the user chooses, ``proxy-url`` (HTTP, HTTPS,
SOCKS5) applies to every connection, and the user's token, token file or exec
plugin becomes a :class:`~krates_desktop.cluster.credentials.Credentials` that
keeps the token fresh. A context that cannot be used fails alone, with a
sentence naming its file; the others still work. :class:`KubeconfigWatcher`
notices files that change on disk.

Limitations: a file in a list of several that does not exist is skipped, as
kubectl does, and reported in :attr:`Kubeconfig.problems`; only when no file
exists at all is that an error. A context naming a user that no file defines is
anonymous, as in kubectl, and :meth:`Kubeconfig.problems_in` says so. The
deprecated ``auth-provider`` users are not supported (they fail with a sentence
saying what to use instead). Impersonation (``as``, ``as-groups``, ``as-uid``,
``as-user-extra``) is read into the configuration;
:mod:`~krates_desktop.cluster.impersonation` sends it.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from kubernetes.client import ApiClient, Configuration

from krates_desktop.cluster import impersonation
from krates_desktop.cluster.credentials import (
    Credentials,
    StaticToken,
    TokenFile,
    exec_plugin,
)
from krates_desktop.cluster.errors import KubeconfigError
from krates_desktop.cluster.tempfiles import private_file
from krates_desktop.cluster.transport import new_api_client, set_proxy

log = logging.getLogger(__name__)

DEFAULT_PATH = Path("~/.kube/config")

# Keys holding file paths, per section: (section, key in the entry, path keys).
_PATH_KEYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "clusters": ("cluster", ("certificate-authority",)),
    "users": ("user", ("client-certificate", "client-key", "tokenFile")),
    "contexts": ("context", ()),
}

_FILE_LABELS = {
    "certificate-authority": "certificate authority",
    "client-certificate": "client certificate",
    "client-key": "client key",
    "tokenFile": "token file",
}

TlsChoice = Literal["skip-verify", "verify"]
"""What to do with a cluster that both skips TLS verification and names a CA."""


class TlsConflict(KubeconfigError):
    """A cluster sets insecure-skip-tls-verify and a certificate authority at once.

    ``fact`` says what is wrong; the message adds the choice the window offers.
    """

    choices: tuple[TlsChoice, ...] = ("skip-verify", "verify")

    def __init__(self, fact: str, context: str, cluster: str) -> None:
        super().__init__(
            f"{fact}; choose to skip verification (the CA is ignored for this "
            "cluster) or to keep verifying with the CA"
        )
        self.fact = fact
        self.context = context
        self.cluster = cluster


@dataclass(frozen=True)
class ContextInfo:
    """One context as the merged kubeconfig defines it, and the file it came from."""

    name: str
    cluster: str
    server: str
    user: str
    namespace: str = "default"
    source: Path = field(default_factory=Path)
    namespace_set: bool = False
    user_source: Path | None = None
    """The file that defines the user; None when the context names none, or one no file
    defines."""


@dataclass(frozen=True)
class _Entry:
    """A named cluster, user or context body and the file that defined it."""

    name: str
    body: dict[str, Any]
    source: Path


class Kubeconfig:
    """The merged view of one or more kubeconfig files."""

    def __init__(
        self,
        sections: dict[str, dict[str, _Entry]],
        current_context: str | None,
        files: list[Path],
        problems: list[str],
        candidates: list[Path] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._sections = sections
        self._current_context = current_context
        self.files = files
        self.problems = problems
        self._candidates = candidates if candidates is not None else list(files)
        self._env = env
        self._stamps = _stamps(self._candidates)

    @classmethod
    def load(
        cls, paths: list[Path] | None = None, env: Mapping[str, str] | None = None
    ) -> Kubeconfig:
        """Read and merge kubeconfig files; ``paths`` None means ``KUBECONFIG`` or the default.

        Raises :class:`KubeconfigError` when no file exists, a file is not valid YAML,
        or the files define no context at all.
        """
        candidates = _candidate_paths(paths, os.environ if env is None else env)
        documents, problems = _read_all(candidates)
        sections: dict[str, dict[str, _Entry]] = {name: {} for name in _PATH_KEYS}
        current: str | None = None
        for path, document in documents:
            _merge_document(sections, path, document, problems)
            if current is None and document.get("current-context"):
                current = str(document["current-context"])

        if not sections["contexts"]:
            where = ", ".join(str(path) for path, _ in documents)
            raise KubeconfigError(f"The kubeconfig at {where} defines no contexts")
        if current is not None and current not in sections["contexts"]:
            problems.append(f"The current context {current} is not defined in any file")
            current = None
        log.info("loaded kubeconfig from %d file(s)", len(documents))
        files = [path for path, _ in documents]
        return cls(sections, current, files, problems, candidates, env)

    def problems_in(self, name: str) -> list[str]:
        """What is wrong with context ``name`` that kubectl passes over in silence.

        A user that no file defines is sent as anonymous by kubectl, which then
        looks like a credentials problem; this says what really happened.
        """
        info = self.context(name)
        if not info.user or info.user in self._sections["users"]:
            return []
        files = ", ".join(str(path) for path in self.files)
        return [
            f'user "{info.user}" is not defined in any kubeconfig file ({files}); '
            "kubectl treats it as anonymous"
        ]

    def changed_on_disk(self) -> bool:
        """Whether any of the files (or a missing one that now exists) changed."""
        return _stamps(self._candidates) != self._stamps

    def reload(self) -> Kubeconfig:
        """The same files read again (raises like :meth:`load`)."""
        return Kubeconfig.load(list(self._candidates), env=self._env)

    @property
    def contexts(self) -> list[ContextInfo]:
        """Every context, in the order the files define them."""
        return [self._info(entry) for entry in self._sections["contexts"].values()]

    @property
    def current_context(self) -> str | None:
        """The name of the current context, or None when no file sets a valid one."""
        return self._current_context

    def context(self, name: str | None = None) -> ContextInfo:
        """The context called ``name`` (the current one when None).

        Raises :class:`KubeconfigError` if there is none.
        """
        name = self._resolve_name(name)
        entry = self._sections["contexts"].get(name)
        if entry is None:
            files = ", ".join(str(path) for path in self.files)
            raise KubeconfigError(
                f"The kubeconfig at {files} has no context named {name}"
            )
        return self._info(entry)

    def api_client(
        self, name: str | None = None, *, tls_choice: TlsChoice | None = None
    ) -> ApiClient:
        """A new API client for context ``name`` (the current context when None).

        Raises :class:`TlsConflict` when the cluster both skips TLS verification and
        names a CA, until the caller passes the user's ``tls_choice``.
        """
        return new_api_client(self.configuration(name, tls_choice=tls_choice))

    def configuration(
        self, name: str | None = None, *, tls_choice: TlsChoice | None = None
    ) -> Configuration:
        """The client configuration of context ``name``: server, TLS, proxy, credentials."""
        info = self.context(self._resolve_name(name))
        cluster = self._cluster_entry(info)
        _check_files(cluster)
        configuration = Configuration()
        configuration.host = info.server.rstrip("/")
        _apply_tls(configuration, cluster, info.name, tls_choice)
        try:
            set_proxy(configuration, cluster.body.get("proxy-url") or None)
        except ValueError as exc:
            raise KubeconfigError(
                f"The cluster {cluster.name} in the kubeconfig at {cluster.source} has "
                f"a proxy-url that cannot be used: {exc}"
            ) from exc
        user = self._user_entry(info)
        if user is not None:
            _check_files(user)
            _apply_client_certificate(configuration, user)
            configuration.krates_impersonation = impersonation.from_user(
                user.body, user.name, user.source
            )
        credentials = self._credentials(info, user, cluster)
        credentials.install(configuration)
        configuration.krates_context = info.name
        configuration.krates_namespace = info.namespace
        return configuration

    def tls_conflict(self, name: str | None = None) -> str | None:
        """The explanation of a CA plus insecure-skip-tls-verify conflict, or None."""
        info = self.context(self._resolve_name(name))
        cluster = self._sections["clusters"].get(info.cluster)
        if cluster is None or not _has_tls_conflict(cluster.body):
            return None
        return str(TlsConflict(_conflict_fact(cluster), info.name, cluster.name))

    def auth_method(self, name: str | None = None) -> str:
        """How context ``name`` authenticates, in a few words (nothing is run)."""
        info = self.context(self._resolve_name(name))
        user = self._user_entry(info)
        body = user.body if user is not None else {}
        return _auth_text(body)

    def is_anonymous(self, name: str | None = None) -> bool:
        """Whether context ``name`` sends no credentials at all (no token, certificate,
        token file, exec plugin or password)."""
        user = self._user_entry(self.context(self._resolve_name(name)))
        return not _auth_methods(user.body if user is not None else {})

    def _user_entry(self, info: ContextInfo) -> _Entry | None:
        user = self._sections["users"].get(info.user) if info.user else None
        return user if user is not None and user.body else None

    def _credentials(
        self, info: ContextInfo, user: _Entry | None, cluster: _Entry
    ) -> Credentials:
        if user is None:
            return Credentials()
        body = user.body
        if body.get("token"):
            return StaticToken(str(body["token"]))
        if body.get("tokenFile"):
            return TokenFile(Path(str(body["tokenFile"])))
        exec_config = body.get("exec")
        if isinstance(exec_config, dict):
            cluster_info = {**cluster.body, "server": info.server}
            return exec_plugin(exec_config, user.source, cluster_info, self._env)
        if body.get("auth-provider"):
            provider = (body.get("auth-provider") or {}).get("name") or "unknown"
            raise KubeconfigError(
                f"The user {user.name} in the kubeconfig at {user.source} uses the "
                f"{provider} auth-provider, which kubectl no longer supports; switch "
                "it to an exec credential plugin (kubelogin, gke-gcloud-auth-plugin)"
            )
        if body.get("username") or body.get("password"):
            pair = f"{body.get('username') or ''}:{body.get('password') or ''}"
            return StaticToken(base64.b64encode(pair.encode()).decode(), "Basic")
        return Credentials()

    def fingerprint(self, name: str | None = None) -> str:
        """The cluster fingerprint: SHA-256 of the CA bundle, else of the normalized server URL."""
        info = self.context(self._resolve_name(name))
        cluster = self._cluster_entry(info)
        ca = _ca_bytes(cluster.body, cluster.source)
        material = ca if ca is not None else _normalized_url(info.server).encode()
        return hashlib.sha256(material).hexdigest()

    def _resolve_name(self, name: str | None) -> str:
        if name is not None:
            return name
        if self._current_context is None:
            files = ", ".join(str(path) for path in self.files)
            raise KubeconfigError(
                f"The kubeconfig at {files} sets no current context: choose one"
            )
        return self._current_context

    def _info(self, entry: _Entry) -> ContextInfo:
        cluster_name = str(entry.body.get("cluster") or "")
        cluster = self._sections["clusters"].get(cluster_name)
        server = str(cluster.body.get("server") or "") if cluster else ""
        user_name = str(entry.body.get("user") or "")
        user = self._sections["users"].get(user_name) if user_name else None
        return ContextInfo(
            name=entry.name,
            cluster=cluster_name,
            server=server,
            user=user_name,
            namespace=str(entry.body.get("namespace") or "default"),
            source=entry.source,
            namespace_set=bool(entry.body.get("namespace")),
            user_source=user.source if user is not None else None,
        )

    def _cluster_entry(self, info: ContextInfo) -> _Entry:
        cluster = self._sections["clusters"].get(info.cluster)
        if cluster is None:
            raise KubeconfigError(
                f"The context {info.name} in the kubeconfig at {info.source} names "
                f"cluster {info.cluster or '(none)'}, which no kubeconfig file defines"
            )
        if not cluster.body.get("server"):
            raise KubeconfigError(
                f"The cluster {cluster.name} in the kubeconfig at {cluster.source} "
                "has no server address"
            )
        return cluster


def _candidate_paths(paths: list[Path] | None, env: Mapping[str, str]) -> list[Path]:
    if paths is None:
        value = env.get("KUBECONFIG", "")
        parts = [part for part in value.split(os.pathsep) if part.strip()]
        paths = [Path(part) for part in parts] or [DEFAULT_PATH]
    unique: list[Path] = []
    for path in paths:
        resolved = Path(os.path.abspath(Path(path).expanduser()))
        if resolved not in unique:
            unique.append(resolved)
    return unique


def _read_all(paths: list[Path]) -> tuple[list[tuple[Path, dict[str, Any]]], list[str]]:
    """Parse every file; skip missing ones unless none exists."""
    documents: list[tuple[Path, dict[str, Any]]] = []
    problems: list[str] = []
    first_missing: KubeconfigError | None = None
    for path in paths:
        try:
            documents.append((path, _read_file(path)))
        except _MissingFile as exc:
            first_missing = first_missing or exc
            problems.append(str(exc))
    if not documents:
        assert first_missing is not None
        raise KubeconfigError(str(first_missing))
    for problem in problems:
        log.warning("%s", problem)
    return documents, problems


class _MissingFile(KubeconfigError):
    """A kubeconfig path that names no file."""


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise _MissingFile(f"The kubeconfig at {path} does not exist") from exc
    except IsADirectoryError as exc:
        raise KubeconfigError(f"The kubeconfig at {path} is a directory") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise KubeconfigError(
            f"The kubeconfig at {path} cannot be read: {exc}"
        ) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        raise KubeconfigError(_yaml_message(path, exc)) from exc
    except yaml.YAMLError as exc:
        raise KubeconfigError(
            f"The kubeconfig at {path} is not valid YAML: {exc}"
        ) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise KubeconfigError(
            f"The kubeconfig at {path} is not a mapping of kubeconfig keys"
        )
    return data


def _yaml_message(path: Path, exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "syntax error"
    if mark is None:
        return f"The kubeconfig at {path} is not valid YAML: {problem}"
    return (
        f"The kubeconfig at {path} is not valid YAML at line {mark.line + 1}, "
        f"column {mark.column + 1}: {problem}"
    )


def _merge_document(
    sections: dict[str, dict[str, _Entry]],
    path: Path,
    document: dict[str, Any],
    problems: list[str],
) -> None:
    for section, (body_key, path_keys) in _PATH_KEYS.items():
        items = document.get(section) or []
        if not isinstance(items, list):
            problems.append(
                f"The kubeconfig at {path} has a {section} entry that is not a list"
            )
            continue
        for item in items:
            entry = _entry(item, body_key, path_keys, path)
            if entry is None:
                problems.append(
                    f"The kubeconfig at {path} has an unnamed {section} entry"
                )
            elif entry.name not in sections[section]:
                sections[section][entry.name] = entry


def _entry(
    item: Any, body_key: str, path_keys: tuple[str, ...], source: Path
) -> _Entry | None:
    if not isinstance(item, dict) or not item.get("name"):
        return None
    body = item.get(body_key)
    body = copy.deepcopy(body) if isinstance(body, dict) else {}
    base = source.parent
    for key in path_keys:
        if body.get(key):
            body[key] = str(_resolve(str(body[key]), base))
    exec_config = body.get("exec")
    if isinstance(exec_config, dict) and exec_config.get("command"):
        command = str(exec_config["command"])
        if ("/" in command or os.sep in command) and not Path(command).is_absolute():
            exec_config["command"] = str(_resolve(command, base))
    return _Entry(str(item["name"]), body, source)


def _resolve(value: str, base: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else Path(os.path.normpath(base / path))


def _check_files(entry: _Entry) -> None:
    for key, label in _FILE_LABELS.items():
        value = entry.body.get(key)
        data_key = f"{key}-data" if key != "tokenFile" else "token"
        if value and not entry.body.get(data_key) and not Path(value).is_file():
            raise KubeconfigError(
                f"The kubeconfig at {entry.source} names a {label} that does not "
                f"exist: {value}"
            )


def _stamps(paths: list[Path]) -> list[tuple[float, int] | None]:
    stamps: list[tuple[float, int] | None] = []
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            stamps.append(None)
            continue
        stamps.append((stat.st_mtime, stat.st_size))
    return stamps


def _has_tls_conflict(body: dict[str, Any]) -> bool:
    insecure = body.get("insecure-skip-tls-verify") is True
    has_ca = bool(
        body.get("certificate-authority-data") or body.get("certificate-authority")
    )
    return insecure and has_ca


def _conflict_fact(cluster: _Entry) -> str:
    return (
        f"The cluster {cluster.name} in the kubeconfig at {cluster.source} sets "
        "insecure-skip-tls-verify and also a certificate authority, which kubectl "
        "refuses"
    )


def _decode_data(entry: _Entry, key: str) -> bytes:
    try:
        return base64.b64decode(str(entry.body[key]), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KubeconfigError(
            f"The kubeconfig at {entry.source} has a {key} for {entry.name} that is "
            "not valid base64"
        ) from exc


def _apply_tls(
    configuration: Configuration,
    cluster: _Entry,
    context: str,
    choice: TlsChoice | None,
) -> None:
    body = cluster.body
    insecure = body.get("insecure-skip-tls-verify") is True
    if _has_tls_conflict(body):
        if choice is None:
            raise TlsConflict(_conflict_fact(cluster), context, cluster.name)
        insecure = choice == "skip-verify"
        log.info("cluster %s: TLS conflict resolved as %s", cluster.name, choice)
    configuration.verify_ssl = not insecure
    if body.get("tls-server-name"):
        configuration.tls_server_name = str(body["tls-server-name"])
    if insecure:
        return
    if body.get("certificate-authority-data"):
        data = _decode_data(cluster, "certificate-authority-data")
        configuration.ssl_ca_cert = str(private_file(data, ".crt"))
    elif body.get("certificate-authority"):
        configuration.ssl_ca_cert = str(body["certificate-authority"])


def _apply_client_certificate(configuration: Configuration, user: _Entry) -> None:
    for key, attribute, suffix in (
        ("client-certificate", "cert_file", ".crt"),
        ("client-key", "key_file", ".key"),
    ):
        if user.body.get(f"{key}-data"):
            data = _decode_data(user, f"{key}-data")
            setattr(configuration, attribute, str(private_file(data, suffix)))
        elif user.body.get(key):
            setattr(configuration, attribute, str(user.body[key]))
    if bool(configuration.cert_file) != bool(configuration.key_file):
        raise KubeconfigError(
            f"The user {user.name} in the kubeconfig at {user.source} has a client "
            "certificate without its key (or a key without its certificate)"
        )


def _auth_methods(body: dict[str, Any]) -> list[str]:
    """How a user body authenticates, one phrase per method ([] means anonymous)."""
    methods: list[str] = []
    if body.get("client-certificate-data"):
        methods.append("client certificate (inline data)")
    elif body.get("client-certificate"):
        methods.append(f"client certificate {body['client-certificate']}")
    if body.get("token"):
        methods.append("token")
    elif body.get("tokenFile"):
        methods.append(f"token file {body['tokenFile']}")
    elif isinstance(body.get("exec"), dict):
        command = body["exec"].get("command") or "?"
        methods.append(f"exec plugin {command}")
    elif body.get("auth-provider"):
        methods.append(f"auth-provider {(body['auth-provider'] or {}).get('name')}")
    elif body.get("username"):
        methods.append("basic auth")
    return methods


def _auth_text(body: dict[str, Any]) -> str:
    text = " + ".join(_auth_methods(body)) or "anonymous"
    try:
        found = impersonation.from_user(body, "", Path())
    except KubeconfigError:
        return text  # the same error is reported when the context is used
    return f"{text}, {found.describe()}" if found else text


def _ca_bytes(body: dict[str, Any], source: Path) -> bytes | None:
    data = body.get("certificate-authority-data")
    if data:
        try:
            return base64.b64decode(str(data), validate=False)
        except (binascii.Error, ValueError):
            return str(data).encode()
    path = body.get("certificate-authority")
    if path:
        try:
            return Path(path).read_bytes()
        except OSError:
            log.warning("cannot read the CA bundle named in %s", source)
    return None


def _normalized_url(server: str) -> str:
    parts = urlsplit(server.strip())
    scheme = (parts.scheme or "https").lower()
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return f"{scheme}://{host}:{port}{parts.path.rstrip('/')}"


class KubeconfigWatcher:
    """Polls the kubeconfig files and reports a fresh :class:`Kubeconfig` when they change.

    ``on_change`` receives the new config, or the :class:`KubeconfigError` that
    reading it raised (a file half-written by an editor, say); it runs on the
    watcher's thread.
    """

    def __init__(
        self,
        config: Kubeconfig,
        on_change: Callable[[Kubeconfig | KubeconfigError], None],
        interval: float = 2.0,
    ) -> None:
        self.config = config
        self._on_change = on_change
        self._interval = interval
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="kubeconfig-watch", daemon=True
        )

    def start(self) -> KubeconfigWatcher:
        """Start polling."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop polling."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(self._interval + 1)

    def _run(self) -> None:
        seen: list[tuple[float, int] | None] | None = None
        while not self._stopping.wait(self._interval):
            if not self.config.changed_on_disk():
                seen = None
                continue
            # Editors write in steps: reload once the files hold still for a tick.
            stamps = _stamps(self.config._candidates)
            if stamps != seen:
                seen = stamps
                continue
            seen = None
            fresh: Kubeconfig | KubeconfigError
            try:
                loaded = self.config.reload()
            except KubeconfigError as exc:
                fresh = exc
                # Keep the stamps of what failed so it is reported once per change.
                self.config._stamps = _stamps(self.config._candidates)
            else:
                fresh = self.config = loaded
            log.info("kubeconfig changed on disk")
            try:
                self._on_change(fresh)
            except Exception:
                log.exception("a kubeconfig change callback failed")
