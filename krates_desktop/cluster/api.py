"""Raw GET requests to the Kubernetes API through the official client's transport.

The cache reads lists and watches as bytes and parses them with orjson, which is
several times faster than building the client's models. Requests still go through
``ApiClient.param_serialize`` and ``call_api``, so authentication (tokens, exec
plugins, client certificates) and TLS settings are exactly the client's. Every
failure leaves this module as a :class:`~krates_desktop.cluster.errors.ClusterError`.
"""

from __future__ import annotations

import errno
import logging
import ssl
from collections.abc import Iterator, Sequence
from typing import Any, cast

import orjson
import urllib3
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from krates_desktop.cluster.errors import (
    AccessDenied,
    ClusterError,
    ConnectionFailed,
    NotFound,
)

log = logging.getLogger(__name__)

Query = Sequence[tuple[str, str]]
Timeout = float | tuple[float, float]


class Expired(ClusterError):
    """The resource version or continue token is too old (HTTP 410): list again."""


def server_of(api_client: ApiClient) -> str:
    """The server URL the client talks to."""
    return str(api_client.configuration.host)


def request(
    api_client: ApiClient,
    path: str,
    query: Query = (),
    *,
    accept: str = "application/json",
    headers: dict[str, str] | None = None,
    timeout: Timeout = (10, 60),
) -> urllib3.BaseHTTPResponse:
    """GET ``path`` and return the unread response once its status is 2xx."""
    header_params = {"Accept": accept, **(headers or {})}
    method, url, header_params, body, post = api_client.param_serialize(
        method="GET",
        resource_path=path,
        query_params=list(query),
        header_params=header_params,
        auth_settings=["BearerToken"],
    )
    log.debug("GET %s", url.split("?", 1)[0])
    try:
        response = api_client.call_api(
            method, url, header_params, body, post, _request_timeout=timeout
        )
    except (ApiException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise connection_error(api_client, exc) from exc
    raw = cast(urllib3.BaseHTTPResponse, response.response)
    if not 200 <= raw.status < 300:
        data = raw.data
        raw.release_conn()
        raise status_error(raw.status, data, path)
    return raw


def get_json(
    api_client: ApiClient,
    path: str,
    query: Query = (),
    *,
    accept: str = "application/json",
    timeout: Timeout = (10, 60),
) -> dict[str, Any]:
    """GET ``path`` and parse the JSON body."""
    raw = request(
        api_client,
        path,
        query,
        accept=accept,
        headers={"Accept-Encoding": "gzip"},
        timeout=timeout,
    )
    return read_json(api_client, raw, path)


def read_json(
    api_client: ApiClient, raw: urllib3.BaseHTTPResponse, path: str
) -> dict[str, Any]:
    """Read and parse the JSON body of a response from :func:`request`."""
    try:
        data = raw.data
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise connection_error(api_client, exc) from exc
    finally:
        raw.release_conn()
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ClusterError(f"The cluster API sent invalid JSON for {path}") from exc
    if not isinstance(parsed, dict):
        raise ClusterError(f"The cluster API sent an unexpected answer for {path}")
    return parsed


def iter_chunks(raw: urllib3.BaseHTTPResponse) -> Iterator[bytes]:
    """The body of a streaming response as the bytes arrive."""
    if raw.chunked and getattr(raw, "supports_chunked_reads", lambda: False)():
        for chunk in raw.read_chunked(None, decode_content=False):
            if chunk:
                yield chunk
        return
    while True:
        chunk = raw.read1(65536)
        if not chunk:
            return
        yield chunk


def interrupt(raw: urllib3.BaseHTTPResponse | None) -> None:
    """Unblock a thread reading ``raw`` by shutting its socket down."""
    if raw is None:
        return
    try:
        raw.shutdown()
    except (ValueError, RuntimeError, OSError):
        pass


def status_message(data: bytes | str | None) -> tuple[str, str]:
    """The (reason, message) of a Kubernetes Status body, or empty strings."""
    if not data:
        return "", ""
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        return "", text.strip()[:300]
    if not isinstance(parsed, dict):
        return "", ""
    return str(parsed.get("reason") or ""), str(parsed.get("message") or "")


def status_error(status: int, data: bytes | str | None, what: str) -> ClusterError:
    """The error for a non-2xx answer, carrying the server's own message."""
    reason, message = status_message(data)
    if status == 401:
        text = message or "Unauthorized"
        return AccessDenied(f"The cluster API rejected the credentials ({text})")
    if status == 403:
        text = message or f"the cluster refused access to {what}"
        return AccessDenied(f"No access: {text}")
    if status == 404:
        return NotFound(message or f"{what} was not found")
    if status == 410:
        return Expired(message or f"{what} is too old")
    detail = message or reason or "no details"
    return ClusterError(f"The cluster API answered {status} for {what}: {detail}")


def connection_error(api_client: ApiClient, exc: BaseException) -> ClusterError:
    """The error for a request that never got an HTTP answer."""
    if isinstance(exc, ApiException) and exc.status:
        return status_error(int(exc.status), exc.body, "the request")
    return ConnectionFailed(
        f"Cannot reach the cluster API at {server_of(api_client)}: {failure_reason(exc)}"
    )


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions behind it (causes, contexts, urllib3 reasons)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        reason = getattr(current, "reason", None)
        if isinstance(current, urllib3.exceptions.MaxRetryError) and reason:
            current = reason
        else:
            current = current.__cause__ or current.__context__
    return chain


def failure_reason(exc: BaseException) -> str:
    """A short reason for a connection failure, from the exception chain."""
    chain = _chain(exc)
    text = " ".join(str(item) for item in chain)
    if any(isinstance(item, ConnectionRefusedError) for item in chain) or (
        "Connection refused" in text
        or any(getattr(item, "errno", None) == errno.ECONNREFUSED for item in chain)
    ):
        return "connection refused"
    for item in chain:
        if isinstance(item, ssl.SSLCertVerificationError):
            return f"the server certificate is not trusted ({item.verify_message})"
    if any(
        isinstance(i, TimeoutError | urllib3.exceptions.TimeoutError) for i in chain
    ):
        return "timed out"
    first = str(exc).strip() or type(exc).__name__
    return first.splitlines()[0][:200]
