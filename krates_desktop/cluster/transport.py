"""Connections to the API server: direct, through HTTP/HTTPS proxies, or SOCKS5.

Every API client of the cluster layer is made by :func:`new_api_client`, so a
kubeconfig's ``proxy-url`` applies to lists, watches and log streams alike, and
:func:`open_websocket` dials exec sessions the same way. HTTP and HTTPS proxies go
through urllib3's own ``ProxyManager`` (an HTTPS proxy's certificate is checked
against the cluster's CA bundle and the system's, as client-go does); SOCKS5 is
spoken here (``socks5://`` resolves names locally, ``socks5h://`` at the proxy),
so no optional dependency is needed. Automatic retries are limited to a couple of
connection attempts: status codes such as 429 are handled by the callers, which
honour ``Retry-After`` on their own threads.

Limitations: SOCKS4 is not supported; proxy credentials are taken only from the
proxy URL (``user:password@``).
"""

from __future__ import annotations

import base64
import copy
import ipaddress
import logging
import socket
import ssl
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import urllib3
import websocket
from kubernetes.client import ApiClient, Configuration
from urllib3 import HTTPHeaderDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.retry import Retry
from urllib3.util.ssltransport import SSLTransport

from krates_desktop.cluster import impersonation

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0

# Skipping verification is the user's explicit choice (insecure-skip-tls-verify);
# urllib3 would otherwise warn on every request of every watch.
urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)


class ProxyFailed(OSError):
    """The proxy refused or failed to open a tunnel to the API server."""


@dataclass(frozen=True)
class Proxy:
    """A parsed ``proxy-url``."""

    scheme: str
    host: str
    port: int
    username: str = ""
    password: str = ""

    @classmethod
    def parse(cls, url: str) -> Proxy:
        """Parse ``http://``, ``https://``, ``socks5://`` or ``socks5h://`` URLs."""
        parts = urlsplit(url)
        scheme = (parts.scheme or "http").lower()
        if scheme not in ("http", "https", "socks5", "socks5h"):
            raise ValueError(f"proxy scheme {scheme} is not supported")
        default = {"http": 80, "https": 443}.get(scheme, 1080)
        return cls(
            scheme,
            parts.hostname or "",
            parts.port or default,
            unquote(parts.username or ""),
            unquote(parts.password or ""),
        )

    @property
    def socks(self) -> bool:
        """Whether this is a SOCKS5 proxy."""
        return self.scheme.startswith("socks5")

    def __repr__(self) -> str:
        return f"Proxy({self.scheme}://{self.host}:{self.port})"


def retry_policy() -> Retry:
    """Two quick reconnect attempts, no retries on status codes or read errors."""
    return Retry(
        total=2,
        connect=2,
        read=0,
        status=0,
        other=0,
        redirect=0,
        backoff_factor=0.2,
        raise_on_status=False,
        respect_retry_after_header=False,
    )


def set_proxy(configuration: Configuration, url: str | None) -> None:
    """Route ``configuration``'s connections through ``url`` (None: direct)."""
    proxy = Proxy.parse(url) if url else None
    configuration.krates_proxy = proxy
    if proxy is None:
        return
    if proxy.socks:
        # The client would import PySocks for socks URLs: it must not see them.
        configuration.proxy = None
        return
    configuration.proxy = f"{proxy.scheme}://{proxy.host}:{proxy.port}"
    if proxy.username or proxy.password:
        pair = f"{proxy.username}:{proxy.password}".encode()
        configuration.proxy_headers = {
            "proxy-authorization": "Basic " + base64.b64encode(pair).decode()
        }
    if proxy.scheme == "https":
        configuration.proxy_ssl_context = proxy_context(configuration)


def proxy_of(configuration: Configuration) -> Proxy | None:
    """The proxy ``configuration`` uses, if any (the kubeconfig's or the environment's)."""
    proxy = getattr(configuration, "krates_proxy", None)
    if isinstance(proxy, Proxy):
        return proxy
    if configuration.proxy:
        try:
            return Proxy.parse(configuration.proxy)
        except ValueError:
            return None
    return None


def proxy_context(configuration: Configuration) -> ssl.SSLContext:
    """The TLS context for an HTTPS proxy: system roots plus the cluster's CA bundle."""
    context = ssl.create_default_context()
    if configuration.ssl_ca_cert:
        context.load_verify_locations(cafile=configuration.ssl_ca_cert)
    return context


def new_api_client(
    configuration: Configuration, pool_size: int | None = None
) -> ApiClient:
    """An API client on ``configuration`` (copied), with its proxy and retry policy."""
    config = _copy(configuration)
    if pool_size is not None:
        config.connection_pool_maxsize = max(
            pool_size, config.connection_pool_maxsize or 0
        )
    if config.retries is None:
        config.retries = retry_policy()
    client = ApiClient(configuration=config)
    proxy = proxy_of(config)
    if proxy is not None and proxy.socks:
        client.rest_client.pool_manager = _socks_manager(config, proxy)
    _wrap_requests(client)
    return client


def _wrap_requests(client: ApiClient) -> None:
    """Route every REST request of ``client`` (lists, watches, log streams) past here.

    The credentials get their say first (an exec plugin renews a client
    certificate before it runs out, see ``credentials.ExecPlugin``), then the
    impersonation headers are added: one line per group, which the client's own
    dict of headers cannot hold. A header without a value (no token from a
    certificate-only plugin) is left out.
    """
    config = client.configuration
    credentials = getattr(config, "krates_credentials", None)
    if credentials is not None:
        credentials.attach(client)
    found = impersonation.of(config)
    lines = found.headers() if found else []
    send = client.rest_client.request

    def request(method: str, url: str, headers: Any = None, **kwargs: Any) -> Any:
        if credentials is not None:
            credentials.before_request(config)
        merged = HTTPHeaderDict(
            {k: v for k, v in (headers or {}).items() if v is not None}
        )
        for name, value in lines:
            merged.add(name, value)
        return send(method, url, headers=merged, **kwargs)

    client.rest_client.request = request


def _copy(configuration: Configuration) -> Configuration:
    # A shallow copy shares api_key, so a refreshed token reaches every copy.
    return copy.copy(configuration)


# -- dialing ---------------------------------------------------------------------


def dial(
    host: str,
    port: int,
    proxy: Proxy | None,
    timeout: float = CONNECT_TIMEOUT,
    proxy_ssl: ssl.SSLContext | None = None,
) -> socket.socket:
    """A TCP connection to ``host:port``, tunnelled through ``proxy`` when given."""
    if proxy is None:
        return socket.create_connection((host, port), timeout=timeout)
    sock: Any = socket.create_connection((proxy.host, proxy.port), timeout=timeout)
    try:
        if proxy.socks:
            _socks5_connect(sock, host, port, proxy)
            return sock  # type: ignore[no-any-return]
        if proxy.scheme == "https":
            context = proxy_ssl or ssl.create_default_context()
            sock = context.wrap_socket(sock, server_hostname=proxy.host)
        _http_connect(sock, host, port, proxy)
        return sock  # type: ignore[no-any-return]
    except BaseException:
        sock.close()
        raise


_SOCKS_ERRORS = {
    1: "general failure",
    2: "connection not allowed by ruleset",
    3: "network unreachable",
    4: "host unreachable",
    5: "connection refused",
    6: "TTL expired",
    7: "command not supported",
    8: "address type not supported",
}


def _socks5_connect(sock: socket.socket, host: str, port: int, proxy: Proxy) -> None:
    """The SOCKS5 handshake (RFC 1928, with RFC 1929 user/password when given)."""
    methods = b"\x00\x02" if proxy.username else b"\x00"
    sock.sendall(b"\x05" + bytes([len(methods)]) + methods)
    version, method = _recv_exact(sock, 2)
    if version != 5 or method == 0xFF:
        raise ProxyFailed(f"the SOCKS proxy {proxy.host}:{proxy.port} refused to talk")
    if method == 2:
        user, password = proxy.username.encode(), proxy.password.encode()
        sock.sendall(
            b"\x01" + bytes([len(user)]) + user + bytes([len(password)]) + password
        )
        if _recv_exact(sock, 2)[1] != 0:
            raise ProxyFailed(
                f"the SOCKS proxy {proxy.host}:{proxy.port} rejected the login"
            )
    sock.sendall(
        b"\x05\x01\x00"
        + _socks_address(host, proxy.scheme == "socks5h")
        + struct.pack("!H", port)
    )
    reply = _recv_exact(sock, 4)
    if reply[1] != 0:
        reason = _SOCKS_ERRORS.get(reply[1], f"error {reply[1]}")
        raise ProxyFailed(
            f"the SOCKS proxy {proxy.host}:{proxy.port} could not reach {host}:{port}: {reason}"
        )
    address_type = reply[3]
    length = {1: 4, 4: 16}.get(address_type)
    if length is None:
        length = _recv_exact(sock, 1)[0]
    _recv_exact(sock, length + 2)


def _socks_address(host: str, remote_dns: bool) -> bytes:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if remote_dns:
            name = host.encode("idna")
            return b"\x03" + bytes([len(name)]) + name
        address = ipaddress.ip_address(socket.gethostbyname(host))
    return (b"\x01" if address.version == 4 else b"\x04") + address.packed


def _http_connect(sock: Any, host: str, port: int, proxy: Proxy) -> None:
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
    if proxy.username or proxy.password:
        pair = f"{proxy.username}:{proxy.password}".encode()
        lines.append("Proxy-Authorization: Basic " + base64.b64encode(pair).decode())
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise ProxyFailed(f"the proxy {proxy.host}:{proxy.port} closed the tunnel")
        head += chunk
        if len(head) > 65536:
            raise ProxyFailed(f"the proxy {proxy.host}:{proxy.port} sent a huge answer")
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or parts[1] != "200":
        raise ProxyFailed(
            f"the proxy {proxy.host}:{proxy.port} refused the tunnel to {target}: "
            f"{status_line.strip()}"
        )


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ProxyFailed("the proxy closed the connection during the handshake")
        data += chunk
    return data


# -- urllib3 through SOCKS5 ----------------------------------------------------------


class _SocksHTTPConnection(HTTPConnection):
    """An HTTP connection whose socket goes through a SOCKS5 proxy."""

    def __init__(
        self, *args: Any, _socks_options: dict[str, Proxy], **kwargs: Any
    ) -> None:
        # urllib3's pool keys know the name _socks_options (its own SOCKS support).
        self._krates_proxy = _socks_options["proxy"]
        super().__init__(*args, **kwargs)

    def _new_conn(self) -> socket.socket:
        timeout = (
            self.timeout if isinstance(self.timeout, int | float) else CONNECT_TIMEOUT
        )
        try:
            return dial(self.host, self.port or 443, self._krates_proxy, timeout)
        except TimeoutError as exc:
            raise ConnectTimeoutError(
                self, f"Connection to {self.host} through the SOCKS proxy timed out"
            ) from exc
        except OSError as exc:
            raise NewConnectionError(
                self, f"Failed to establish a new connection: {exc}"
            ) from exc


class _SocksHTTPSConnection(_SocksHTTPConnection, HTTPSConnection):
    """The HTTPS flavour: TLS on top of the SOCKS tunnel."""


class _SocksHTTPPool(HTTPConnectionPool):
    ConnectionCls = _SocksHTTPConnection


class _SocksHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _SocksHTTPSConnection


class _SocksPoolManager(urllib3.PoolManager):
    """A pool manager whose every connection is tunnelled through one SOCKS5 proxy."""

    def __init__(self, proxy: Proxy, **connection_pool_kw: Any) -> None:
        connection_pool_kw["_socks_options"] = {"proxy": proxy}
        super().__init__(num_pools=4, **connection_pool_kw)
        self.pool_classes_by_scheme = {"http": _SocksHTTPPool, "https": _SocksHTTPSPool}


def _socks_manager(config: Configuration, proxy: Proxy) -> urllib3.PoolManager:
    pool_args: dict[str, Any] = {
        "cert_reqs": ssl.CERT_REQUIRED if config.verify_ssl else ssl.CERT_NONE,
        "ca_certs": config.ssl_ca_cert,
        "cert_file": config.cert_file,
        "key_file": config.key_file,
        "retries": config.retries,
    }
    if config.tls_server_name:
        pool_args["server_hostname"] = config.tls_server_name
    if config.connection_pool_maxsize is not None:
        pool_args["maxsize"] = config.connection_pool_maxsize
    return _SocksPoolManager(proxy, **pool_args)


# -- WebSockets (exec) -------------------------------------------------------------


def tls_context(configuration: Configuration) -> ssl.SSLContext:
    """The TLS context for the API server, as the REST client would build it."""
    if configuration.verify_ssl:
        context = ssl.create_default_context(cafile=configuration.ssl_ca_cert or None)
    else:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if configuration.cert_file:
        context.load_cert_chain(configuration.cert_file, configuration.key_file or None)
    return context


def _bypassed(configuration: Configuration, host: str) -> bool:
    rules = [
        r.strip().lower()
        for r in (configuration.no_proxy or "").split(",")
        if r.strip()
    ]
    host = host.lower()
    return any(
        rule == "*" or host == rule.lstrip(".") or host.endswith("." + rule.lstrip("."))
        for rule in rules
    )


def open_websocket(
    configuration: Configuration,
    path: str,
    query: Sequence[tuple[str, str]],
    subprotocols: Sequence[str],
    timeout: float = CONNECT_TIMEOUT,
) -> websocket.WebSocket:
    """Open a WebSocket to ``path`` on the API server, through the configured proxy.

    Raises ``websocket.WebSocketBadStatusException`` when the server answers the
    upgrade with an HTTP error, and ``OSError`` when it cannot be reached.
    """
    parts = urlsplit(configuration.host)
    secure = parts.scheme == "https"
    host = parts.hostname or "localhost"
    port = parts.port or (443 if secure else 80)
    proxy = None if _bypassed(configuration, host) else proxy_of(configuration)
    proxy_ssl = None
    if proxy is not None and proxy.scheme == "https":
        proxy_ssl = configuration.proxy_ssl_context or proxy_context(configuration)
    # Credentials first: an exec plugin may hand out a fresh client certificate,
    # which the TLS context below must read.
    credentials = getattr(configuration, "krates_credentials", None)
    if credentials is not None:
        credentials.before_request(configuration)
    auth = configuration.get_api_key_with_prefix("BearerToken", alias="authorization")
    sock: Any = dial(host, port, proxy, timeout, proxy_ssl)
    try:
        if secure:
            server_name = configuration.tls_server_name or host
            context = tls_context(configuration)
            if isinstance(sock, ssl.SSLSocket):
                # TLS to the API server inside TLS to an HTTPS proxy.
                sock = SSLTransport(sock, context, server_hostname=server_name)
            else:
                sock = context.wrap_socket(sock, server_hostname=server_name)
        sock.settimeout(timeout)
        base = parts.path.rstrip("/")
        url = f"{'wss' if secure else 'ws'}://{parts.netloc}{base}{path}?{urlencode(list(query))}"
        headers = impersonation.header_lines(configuration)
        if auth:
            headers.append(f"Authorization: {auth}")
        ws = websocket.WebSocket(skip_utf8_validation=True, enable_multithread=True)
        ws.connect(url, socket=sock, header=headers, subprotocols=list(subprotocols))
    except BaseException:
        sock.close()
        raise
    return ws
