"""Kubeconfig files merged the way kubectl merges them, and API clients built from them.

``KUBECONFIG`` may name several files. Clusters, users and contexts are merged by
name and the first file that defines a name wins; ``current-context`` comes from
the first file that sets it; a file may hold any subset of the keys. Certificate,
key, token-file and exec-command paths are resolved against the directory of the
file that names them, never against the process's working directory (desktop
launchers start apps from ``/``). An empty or missing user means anonymous, and a
context without a namespace means ``default``.

Limitations: a file in a list of several that does not exist is skipped, as
kubectl does, and reported in :attr:`Kubeconfig.problems`; only when no file
exists at all is that an error. Exec credential plugins run through the client,
which logs their failures instead of raising them.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from kubernetes.client import ApiClient
from kubernetes.config import new_client_from_config_dict
from kubernetes.config.config_exception import ConfigException

from krates_desktop.cluster.errors import KubeconfigError

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


@dataclass(frozen=True)
class ContextInfo:
    """One context as the merged kubeconfig defines it, and the file it came from."""

    name: str
    cluster: str
    server: str
    user: str
    namespace: str = "default"
    source: Path = field(default_factory=Path)


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
    ) -> None:
        self._sections = sections
        self._current_context = current_context
        self.files = files
        self.problems = problems

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
        return cls(sections, current, [path for path, _ in documents], problems)

    @property
    def contexts(self) -> list[ContextInfo]:
        """Every context, in the order the files define them."""
        return [self._info(entry) for entry in self._sections["contexts"].values()]

    @property
    def current_context(self) -> str | None:
        """The name of the current context, or None when no file sets a valid one."""
        return self._current_context

    def context(self, name: str) -> ContextInfo:
        """The context called ``name``; raises :class:`KubeconfigError` if there is none."""
        entry = self._sections["contexts"].get(name)
        if entry is None:
            files = ", ".join(str(path) for path in self.files)
            raise KubeconfigError(
                f"The kubeconfig at {files} has no context named {name}"
            )
        return self._info(entry)

    def api_client(self, name: str | None = None) -> ApiClient:
        """A new API client for context ``name`` (the current context when None)."""
        info = self.context(self._resolve_name(name))
        config = self._client_dict(info)
        try:
            client: ApiClient = new_client_from_config_dict(
                config_dict=config, context=info.name, persist_config=False
            )
        except (ConfigException, ValueError, OSError) as exc:
            raise KubeconfigError(
                f"The context {info.name} in the kubeconfig at {info.source} "
                f"cannot be used: {exc}"
            ) from exc
        return client

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
        return ContextInfo(
            name=entry.name,
            cluster=cluster_name,
            server=server,
            user=str(entry.body.get("user") or ""),
            namespace=str(entry.body.get("namespace") or "default"),
            source=entry.source,
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

    def _client_dict(self, info: ContextInfo) -> dict[str, Any]:
        """A one-context kubeconfig dict, paths absolute and checked, for the client."""
        cluster = self._cluster_entry(info)
        _check_files(cluster)
        context_body = dict(self._sections["contexts"][info.name].body)
        users: list[dict[str, Any]] = []
        user = self._sections["users"].get(info.user) if info.user else None
        if user is not None and user.body:
            _check_files(user)
            users.append({"name": user.name, "user": user.body})
        else:
            if info.user and user is None:
                log.warning("context %s names unknown user %s", info.name, info.user)
            context_body.pop("user", None)
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": cluster.name, "cluster": cluster.body}],
            "users": users,
            "contexts": [{"name": info.name, "context": context_body}],
            "current-context": info.name,
        }


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
