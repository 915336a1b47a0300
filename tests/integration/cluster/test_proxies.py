"""proxy-url in the kubeconfig: HTTP, HTTPS and SOCKS5, for lists, watches, logs and exec."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from krates_desktop.cluster.cache import ClusterCache, Synced
from krates_desktop.cluster.exec_session import ExecSession, Exited
from krates_desktop.cluster.kinds import POD
from krates_desktop.cluster.kubeconfig import Kubeconfig
from krates_desktop.cluster.log_stream import LogStream

from .certs import make_certificates
from .kube_support import sandbox_cluster, write_kubeconfig
from .proxies import ConnectProxy, Socks5Proxy, _Proxy
from .streams_support import Collector

POD_NAME = "api-server-7c9d5-x2k4p"


def _tls_proxy(tmp_path: Path, sandbox: Any) -> tuple[_Proxy, dict[str, Any]]:
    ca, cert, key = make_certificates(tmp_path / "proxy-tls")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    bundle = tmp_path / "bundle.crt"
    bundle.write_bytes(Path(sandbox.ca_file).read_bytes() + ca.read_bytes())
    proxy = ConnectProxy(tls=context).start()
    cluster = {"server": sandbox.url, "certificate-authority": str(bundle)}
    return proxy, {**cluster, "proxy-url": f"https://127.0.0.1:{proxy.port}"}


PROXIES: dict[str, Callable[[Path, Any], tuple[_Proxy, dict[str, Any]]]] = {
    "http": lambda tmp, box: (
        (p := ConnectProxy().start()),
        sandbox_cluster(box, **{"proxy-url": f"http://127.0.0.1:{p.port}"}),
    ),
    "https": _tls_proxy,
    "socks5": lambda tmp, box: (
        (p := Socks5Proxy().start()),
        sandbox_cluster(box, **{"proxy-url": f"socks5://127.0.0.1:{p.port}"}),
    ),
    "socks5h-with-login": lambda tmp, box: (
        (p := Socks5Proxy("me", "pa:ss").start()),
        sandbox_cluster(
            box, **{"proxy-url": f"socks5h://me:pa%3Ass@127.0.0.1:{p.port}"}
        ),
    ),
}


@pytest.fixture(params=sorted(PROXIES))
def proxied(
    request: pytest.FixtureRequest, sandbox: Any, tmp_path: Path
) -> Iterator[tuple[_Proxy, Kubeconfig]]:
    proxy, cluster = PROXIES[request.param](tmp_path, sandbox)
    path = write_kubeconfig(
        tmp_path / "config", cluster, {"token": sandbox.token}, "payments"
    )
    try:
        yield proxy, Kubeconfig.load([path])
    finally:
        proxy.close()


def test_lists_logs_and_exec_go_through_the_proxy(
    proxied: tuple[_Proxy, Kubeconfig], sandbox: Any
) -> None:
    """The cache syncs, a log follows and a shell runs, all through the proxy's tunnels."""
    proxy, config = proxied
    client = config.api_client()
    statuses: Collector[Any] = Collector()
    cache = ClusterCache(client, kinds=[POD], on_status=statuses.add)
    lines: Collector[str] = Collector()
    stream = LogStream(client, "payments", POD_NAME, None, lines.extend, lambda s: None)
    output: Collector[bytes] = Collector()
    exec_statuses: Collector[Any] = Collector()
    session = ExecSession(
        client,
        "payments",
        POD_NAME,
        None,
        output.add,
        exec_statuses.add,
        ["sh", "-c", "echo via-proxy"],
    )
    cache.start()
    stream.start()
    session.start()
    try:
        statuses.wait_for(lambda got: Synced() in got)
        lines.wait_for(lambda got: len(got) > 0)
        assert session.wait(10)
    finally:
        stream.stop()
        cache.stop()

    assert cache.get(POD, "payments", POD_NAME) is not None
    assert b"via-proxy" in b"".join(output.items)
    assert exec_statuses.items[-1] == Exited(0)
    port = urlsplit(sandbox.url).port
    assert len([t for t in proxy.tunnels if t[1] == port]) >= 4, (
        "list, watch, log and exec"
    )
