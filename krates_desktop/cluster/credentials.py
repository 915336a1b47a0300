"""Who the app is to a cluster: tokens, token files and exec credential plugins.

A kubeconfig user becomes one :class:`Credentials` object that owns the bearer
token and keeps it current. It installs itself as the client configuration's
``refresh_api_key_hook``, so every request (REST, log stream or exec handshake)
asks it for the token first: a token file is re-read when it changes, and an exec
plugin's token is cached until shortly before its ``expirationTimestamp``. After a
401 the caller asks for a forced refresh and retries once. Streams already open
keep their connection: only new requests carry the new token.

A client certificate from an exec plugin (``clientCertificateData`` and
``clientKeyData``) follows the same path: it is renewed before it expires and
after a 401. Every API client made for the plugin's configuration is attached to
it (``transport.new_api_client``); a new certificate is written to a new private
file, handed to each attached client's connection pools and configuration (for
exec WebSockets), and their idle connections are closed, as client-go's
connection rotation does. Connections in use (an open watch, log stream or
shell) go on and are closed when they end, so the next request dials with the
new certificate.

Exec plugins run with the PATH of the user's login shell added to the app's own
(desktop launchers do not inherit what ``~/.zprofile`` or ``~/.profile`` adds),
plus ``KRATES_PLUGIN_PATH`` when set. A missing plugin is an error that names the
PATH searched and carries the plugin's ``installHint``.

Tokens are held in :class:`Masked` values whose ``repr`` never shows them.

Limitations: a request that picked a connection pool just as a rotation closed it
fails once and is retried by its caller. Interactive plugins
(``interactiveMode: Always``) cannot prompt from a desktop app and are reported
as such.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import shutil
import subprocess
import threading
import time
import weakref
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from kubernetes.client import ApiClient, Configuration

from krates_desktop.cluster.errors import KubeconfigError
from krates_desktop.cluster.tempfiles import private_file

log = logging.getLogger(__name__)

# Refresh this long before the plugin's token runs out (client-go uses 10 s too).
EXPIRY_MARGIN = 10.0
PLUGIN_TIMEOUT = 60.0
SHELL_TIMEOUT = 5.0
_PATH_MARKER = "__KRATES_LOGIN_PATH__="


class Masked:
    """A secret string whose ``repr`` and ``str`` never show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself, for the one place that must send it."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Masked) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Masked(***)"

    __str__ = __repr__


class CredentialError(KubeconfigError):
    """Credentials could not be obtained (a missing or failing plugin, a bad token file)."""


class PluginMissing(CredentialError):
    """The exec credential plugin's command is not installed where it was looked for."""

    def __init__(self, message: str, command: str, searched: str, hint: str) -> None:
        super().__init__(message)
        self.command = command
        self.searched = searched
        self.install_hint = hint


class Credentials:
    """No credentials at all: an anonymous user (or one with a client certificate only)."""

    method = "anonymous"
    refreshable = False

    def install(self, configuration: Configuration) -> None:
        """Make ``configuration`` use these credentials for every request."""
        configuration.krates_credentials = self

    def refresh(self, configuration: Configuration, force: bool = False) -> bool:
        """Bring the token up to date; True when it changed."""
        return False

    def attach(self, client: ApiClient) -> None:
        """Note an API client made for these credentials (certificates rotate in it)."""

    def before_request(self, configuration: Configuration) -> None:
        """Called before every request, also those that carry no token."""

    def describe(self) -> str:
        """The auth method in a few words, for ``krates doctor``."""
        return self.method

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"


class StaticToken(Credentials):
    """A bearer token written in the kubeconfig."""

    method = "token"

    def __init__(self, token: str, scheme: str = "Bearer") -> None:
        self._token = Masked(token)
        self._scheme = scheme

    def install(self, configuration: Configuration) -> None:
        super().install(configuration)
        _set_token(configuration, self._token, self._scheme)

    def describe(self) -> str:
        return "basic auth" if self._scheme == "Basic" else "token"


class TokenFile(Credentials):
    """A bearer token read from a file, re-read whenever the file changes."""

    method = "token file"
    refreshable = True

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._stamp: tuple[float, int] | None = None
        self._token = Masked("")
        self._checked = 0.0

    def install(self, configuration: Configuration) -> None:
        super().install(configuration)
        self.refresh(configuration, force=True)
        configuration.refresh_api_key_hook = self._hook  # type: ignore[assignment]

    def _hook(self, configuration: Configuration) -> None:
        # A stat per request is cheap, but once a second is enough.
        if time.monotonic() - self._checked >= 1.0:
            self.refresh(configuration)

    def refresh(self, configuration: Configuration, force: bool = False) -> bool:
        with self._lock:
            self._checked = time.monotonic()
            try:
                stat = self._path.stat()
            except OSError as exc:
                raise CredentialError(
                    f"The token file {self._path} cannot be read: {exc.strerror}"
                ) from exc
            stamp = (stat.st_mtime, stat.st_size)
            if stamp == self._stamp and not force:
                _set_token(configuration, self._token)
                return False
            token = Masked(_read_token(self._path))
            changed = token != self._token
            self._stamp, self._token = stamp, token
            _set_token(configuration, token)
        if changed:
            log.info("token file %s read", self._path)
        return changed

    def describe(self) -> str:
        return f"token file {self._path}"


class ExecPlugin(Credentials):
    """An exec credential plugin (``kubelogin``, ``aws``, ``gke-gcloud-auth-plugin``...)."""

    method = "exec plugin"
    refreshable = True

    def __init__(
        self,
        exec_config: Mapping[str, Any],
        source: Path,
        cluster: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._config = dict(exec_config)
        self._source = source
        self._cluster = dict(cluster or {})
        self._env = dict(os.environ if env is None else env)
        self.command = str(self._config.get("command") or "")
        self._lock = threading.Lock()
        self._token = Masked("")
        self._expires: float | None = None
        self._margin = EXPIRY_MARGIN
        self._ran = False
        self._certificate: tuple[str, str] | None = None
        self._issued: set[str] = set()
        self._clients: weakref.WeakSet[ApiClient] = weakref.WeakSet()
        self._clients_lock = threading.Lock()
        self.runs = 0

    def describe(self) -> str:
        args = " ".join(str(a) for a in self._config.get("args") or [])
        return f"exec plugin {self.command}" + (f" {args}" if args else "")

    def hands_out(self) -> str:
        """What the last run returned (``client certificate``, ``token``), "" before."""
        parts = ["client certificate"] if self._certificate else []
        if self._token:
            parts.append("token")
        return " + ".join(parts)

    def attach(self, client: ApiClient) -> None:
        # Its own lock: making a client must not wait for a plugin that is running.
        with self._clients_lock:
            self._clients.add(client)
            certificate = self._certificate
            if certificate is not None and self._ours(client.configuration):
                _use_certificate(client, certificate, rotate=False)

    def before_request(self, configuration: Configuration) -> None:
        # A token plugin is asked through the client's key hook; a certificate
        # plugin may hand out no token, so the hook would not run.
        if self._certificate is not None:
            self.refresh(configuration)

    def install(self, configuration: Configuration) -> None:
        super().install(configuration)
        configuration.refresh_api_key_hook = self._hook  # type: ignore[assignment]
        # The client calls the hook only for keys it holds: hold one until the
        # plugin has run (lazily, on the first request).
        configuration.api_key.setdefault("BearerToken", "Bearer ")

    def _hook(self, configuration: Configuration) -> None:
        self.refresh(configuration)

    def refresh(self, configuration: Configuration, force: bool = False) -> bool:
        with self._lock:
            if not force and self._ran and not self._expiring():
                _set_token(configuration, self._token)
                return False
            previous = (self._token, self._certificate)
            status = self._run()
            self._apply(configuration, status)
            return (self._token, self._certificate) != previous

    def expires_in(self) -> float | None:
        """Seconds until the cached token expires, None when the plugin gave no expiry."""
        return None if self._expires is None else self._expires - time.time()

    def _expiring(self) -> bool:
        return self._expires is not None and time.time() >= self._expires - self._margin

    def _apply(self, configuration: Configuration, status: Mapping[str, Any]) -> None:
        token = str(status.get("token") or "")
        cert, key = status.get("clientCertificateData"), status.get("clientKeyData")
        if not token and not (cert and key):
            raise CredentialError(
                f"The credential plugin {self.command} returned neither a token "
                "nor a client certificate"
            )
        self._token = Masked(token)
        self._expires = _expiry(status.get("expirationTimestamp"))
        # Short-lived credentials are renewed halfway through, long ones 10 s early.
        lifetime = None if self._expires is None else self._expires - time.time()
        self._margin = min(EXPIRY_MARGIN, max(0.0, (lifetime or 0.0) / 2))
        self._ran = True
        _set_token(configuration, self._token)
        if cert and key:
            self._rotate(configuration, str(cert), str(key))

    def _rotate(self, configuration: Configuration, cert: str, key: str) -> None:
        """Hand a new client certificate to every attached client (lock held)."""
        files = (
            str(private_file(cert.encode(), ".crt")),
            str(private_file(key.encode(), ".key")),
        )
        if files == self._certificate:
            return
        log.info("credential plugin %s handed out a client certificate", self.command)
        with self._clients_lock:
            clients = [c for c in self._clients if self._ours(c.configuration)]
            if self._ours(configuration):
                configuration.cert_file, configuration.key_file = files
            for client in clients:
                _use_certificate(client, files, rotate=True)
            self._certificate = files
            self._issued.add(files[0])

    def _ours(self, configuration: Configuration) -> bool:
        """Whether ``configuration``'s client certificate is the plugin's to replace
        (a certificate from the kubeconfig itself stays)."""
        return not configuration.cert_file or configuration.cert_file in self._issued

    def _run(self) -> dict[str, Any]:
        """Run the plugin once and return the ``status`` of its ExecCredential."""
        if self._config.get("interactiveMode") == "Always":
            raise CredentialError(
                f"The credential plugin {self.command} needs an interactive terminal; "
                "log in once with kubectl in a terminal, then try again"
            )
        path = search_path(self._env)
        executable = self._resolve(path)
        argv = [executable, *[str(a) for a in self._config.get("args") or []]]
        env = {**self._env, "PATH": path, "KUBERNETES_EXEC_INFO": self._exec_info()}
        for item in self._config.get("env") or []:
            if isinstance(item, Mapping) and item.get("name"):
                env[str(item["name"])] = str(item.get("value") or "")
        self.runs += 1
        log.info("running credential plugin %s", self.command)
        started = time.monotonic()
        try:
            done = subprocess.run(
                argv,
                env=env,
                cwd=str(self._source.parent),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=PLUGIN_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise CredentialError(
                f"The credential plugin {self.command} did not answer within "
                f"{PLUGIN_TIMEOUT:.0f} s"
            ) from exc
        except OSError as exc:
            raise CredentialError(
                f"The credential plugin {executable} cannot be run: {exc.strerror}"
            ) from exc
        log.debug(
            "credential plugin %s took %.2f s", self.command, time.monotonic() - started
        )
        return self._parse(done)

    def _resolve(self, path: str) -> str:
        command = self.command
        if not command:
            raise CredentialError(
                f"The kubeconfig at {self._source} has an exec plugin without a command"
            )
        if os.sep in command or "/" in command:
            if Path(command).is_file():
                return command
            searched = str(Path(command).parent)
        else:
            found = shutil.which(command, path=path)
            if found:
                return found
            searched = path
        hint = str(self._config.get("installHint") or "").strip()
        message = (
            f"The credential plugin {command} named in the kubeconfig at "
            f"{self._source} was not found (searched: {searched})"
        )
        if hint:
            message += f". {hint}"
        raise PluginMissing(message, command, searched, hint)

    def _exec_info(self) -> str:
        spec: dict[str, Any] = {"interactive": False}
        if self._config.get("provideClusterInfo"):
            spec["cluster"] = _cluster_info(self._cluster)
        info = {
            "apiVersion": self._api_version(),
            "kind": "ExecCredential",
            "spec": spec,
        }
        return orjson.dumps(info).decode()

    def _api_version(self) -> str:
        return str(
            self._config.get("apiVersion") or "client.authentication.k8s.io/v1beta1"
        )

    def _parse(self, done: subprocess.CompletedProcess[bytes]) -> dict[str, Any]:
        if done.returncode != 0:
            detail = _first_line(done.stderr) or _first_line(done.stdout)
            raise CredentialError(
                f"The credential plugin {self.command} failed with exit status "
                f"{done.returncode}" + (f": {detail}" if detail else "")
            )
        try:
            answer = orjson.loads(done.stdout)
        except orjson.JSONDecodeError as exc:
            raise CredentialError(
                f"The credential plugin {self.command} printed something that is "
                "not an ExecCredential"
            ) from exc
        status = answer.get("status") if isinstance(answer, dict) else None
        if not isinstance(status, dict):
            raise CredentialError(
                f"The credential plugin {self.command} printed an ExecCredential "
                "without a status"
            )
        return status


def _use_certificate(client: ApiClient, files: tuple[str, str], rotate: bool) -> None:
    """Make ``client`` dial with the certificate ``files``; on a rotation, close the
    connections that carry the old one (those in use close when they are done)."""
    client.configuration.cert_file, client.configuration.key_file = files
    pools = client.rest_client.pool_manager
    pools.connection_pool_kw["cert_file"], pools.connection_pool_kw["key_file"] = files
    if rotate:
        pools.clear()


def _set_token(
    configuration: Configuration, token: Masked, scheme: str = "Bearer"
) -> None:
    if token:
        configuration.api_key["BearerToken"] = f"{scheme} {token.reveal()}"
    else:
        configuration.api_key.pop("BearerToken", None)


def _read_token(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise CredentialError(f"The token file {path} cannot be read: {exc}") from exc


def _expiry(value: Any) -> float | None:
    if not value:
        return None
    text = str(value).replace("Z", "+00:00")
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        log.warning("ignoring an unreadable expirationTimestamp from a plugin")
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp()


def _first_line(data: bytes | None) -> str:
    text = (data or b"").decode("utf-8", "replace").strip()
    return text.splitlines()[0][:300] if text else ""


def _cluster_info(cluster: Mapping[str, Any]) -> dict[str, Any]:
    info: dict[str, Any] = {"server": cluster.get("server", "")}
    for key, name in (
        ("certificate-authority-data", "certificate-authority-data"),
        ("insecure-skip-tls-verify", "insecure-skip-tls-verify"),
        ("tls-server-name", "tls-server-name"),
        ("proxy-url", "proxy-url"),
    ):
        if cluster.get(key) is not None:
            info[name] = cluster[key]
    for extension in cluster.get("extensions") or []:
        if (
            isinstance(extension, Mapping)
            and extension.get("name") == "client.authentication.k8s.io/exec"
        ):
            info["config"] = extension.get("extension")
    return info


def search_path(env: Mapping[str, str] | None = None) -> str:
    """The PATH plugins are looked up in: extra dirs, the login shell's, then the app's."""
    env = os.environ if env is None else env
    parts: list[str] = []
    for chunk in (
        env.get("KRATES_PLUGIN_PATH", ""),
        login_shell_path(env.get("SHELL", ""), env.get("HOME", "")),
        env.get("PATH", os.defpath),
    ):
        for part in chunk.split(os.pathsep):
            if part and part not in parts:
                parts.append(part)
    return os.pathsep.join(parts)


@functools.lru_cache(maxsize=8)
def login_shell_path(shell: str, home: str) -> str:
    """The PATH a login shell sets up for this user, or "" when it cannot be learned."""
    if os.name == "nt" or not shell or not Path(shell).is_file():
        return ""
    script = f'printf "\\n{_PATH_MARKER}%s\\n" "$PATH"'
    env = {
        "HOME": home,
        "SHELL": shell,
        "USER": os.environ.get("USER", ""),
        "TERM": "dumb",
    }
    try:
        done = subprocess.run(
            [shell, "-l", "-c", script],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=SHELL_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("could not read the login shell's PATH from %s: %s", shell, exc)
        return ""
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith(_PATH_MARKER):
            return line[len(_PATH_MARKER) :].strip()
    return ""


_PLUGINS: dict[str, ExecPlugin] = {}
_PLUGINS_LOCK = threading.Lock()


def exec_plugin(
    exec_config: Mapping[str, Any],
    source: Path,
    cluster: Mapping[str, Any],
    env: Mapping[str, str] | None = None,
) -> ExecPlugin:
    """The plugin for this exec configuration, shared so its cached token is reused.

    A kubeconfig that is reloaded, or opened in a second window, reuses the token a
    plugin already handed out instead of running the plugin again.
    """
    identity = orjson.dumps(
        {"exec": exec_config, "source": str(source), "server": cluster.get("server")},
        option=orjson.OPT_SORT_KEYS,
        default=str,
    )
    key = hashlib.sha256(identity).hexdigest()
    with _PLUGINS_LOCK:
        plugin = _PLUGINS.get(key)
        if plugin is None or env is not None:
            plugin = ExecPlugin(exec_config, source, cluster, env)
            _PLUGINS[key] = plugin
        return plugin
