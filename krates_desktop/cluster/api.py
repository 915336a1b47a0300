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
import time
from collections.abc import Callable, Iterator, Sequence
from http.client import RemoteDisconnected
from typing import Any, cast

import orjson
import urllib3
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from krates_desktop.cluster import streams
from krates_desktop.cluster.errors import (
    AccessDenied,
    ClusterError,
    ConnectionFailed,
    NotFound,
    Unauthorized,
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
    kind: str = "get",
    wait: Callable[[float], object] = time.sleep,
    method: str = "GET",
    body: Any = None,
) -> urllib3.BaseHTTPResponse:
    """Send a request to ``path`` and return the unread response once it is 2xx.

    A 401 makes refreshable credentials (token files, exec plugins) fetch a new
    token and the request is sent once more. A 429 (or a 503 with ``Retry-After``)
    waits as the server asks, at most :data:`MAX_RETRY_AFTER` seconds each time,
    through ``wait`` (so a stopping informer can cut the wait short), up to
    :data:`THROTTLE_RETRIES` times. ``kind`` names the request in the statistics.
    """
    refreshed = False
    throttled = 0
    while True:
        raw = _send(
            api_client, method, path, query, accept, headers, timeout, kind, body
        )
        if 200 <= raw.status < 300:
            return raw
        data = raw.data
        raw.release_conn()
        if (
            raw.status == 401
            and not refreshed
            and refresh_credentials(api_client.configuration)
        ):
            refreshed = True
            continue
        delay = retry_after(raw)
        if delay is not None and throttled < THROTTLE_RETRIES:
            throttled += 1
            log.warning("%s answered %d; retrying in %.1f s", path, raw.status, delay)
            wait(delay)
            continue
        error = status_error(raw.status, data, path)
        if delay is not None:
            error = Throttled(str(error), delay)
        raise error


MAX_RETRY_AFTER = 30.0
THROTTLE_RETRIES = 3


class Throttled(ClusterError):
    """The API server keeps answering 429: wait ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def retry_after(raw: urllib3.BaseHTTPResponse) -> float | None:
    """The wait a 429 or 503 asks for (1 s for a 429 without the header), else None."""
    if raw.status not in (429, 503):
        return None
    value = raw.headers.get("Retry-After")
    if value is None:
        return 1.0 if raw.status == 429 else None
    try:
        seconds = float(value)
    except ValueError:
        return 1.0
    return max(0.0, min(seconds, MAX_RETRY_AFTER))


def refresh_credentials(configuration: Any) -> bool:
    """After a 401: ask refreshable credentials for a new token; True if it changed."""
    credentials = getattr(configuration, "krates_credentials", None)
    if credentials is None or not credentials.refreshable:
        return False
    log.info("the cluster rejected the token; refreshing credentials")
    return bool(credentials.refresh(configuration, force=True))


def _send(
    api_client: ApiClient,
    method: str,
    path: str,
    query: Query,
    accept: str,
    headers: dict[str, str] | None,
    timeout: Timeout,
    kind: str,
    body: Any,
) -> urllib3.BaseHTTPResponse:
    header_params = {"Accept": accept, **(headers or {})}
    if body is not None:
        header_params.setdefault("Content-Type", "application/json")
    method, url, header_params, body, post = api_client.param_serialize(
        method=method,
        resource_path=path,
        query_params=list(query),
        header_params=header_params,
        body=body,
        auth_settings=["BearerToken"],
    )
    log.debug("%s %s", method, url.split("?", 1)[0])
    context = streams.context_of(api_client.configuration)
    started = time.monotonic()
    try:
        response = api_client.call_api(
            method, url, header_params, body, post, _request_timeout=timeout
        )
    except (ApiException, urllib3.exceptions.HTTPError, OSError) as exc:
        streams.BOOK.record(context, kind, time.monotonic() - started, f"{kind} failed")
        raise connection_error(api_client, exc) from exc
    raw = cast(urllib3.BaseHTTPResponse, response.response)
    error = "" if raw.status < 400 else f"{kind} {raw.status}"
    streams.BOOK.record(context, kind, time.monotonic() - started, error)
    return raw


def get_json(
    api_client: ApiClient,
    path: str,
    query: Query = (),
    *,
    accept: str = "application/json",
    timeout: Timeout = (10, 60),
    kind: str = "get",
) -> dict[str, Any]:
    """GET ``path`` and parse the JSON body."""
    raw = request(
        api_client,
        path,
        query,
        accept=accept,
        headers={"Accept-Encoding": "gzip"},
        timeout=timeout,
        kind=kind,
    )
    return read_json(api_client, raw, path)


def post_json(
    api_client: ApiClient, path: str, body: dict[str, Any], *, kind: str = "post"
) -> dict[str, Any]:
    """POST ``body`` as JSON to ``path`` and parse the JSON answer."""
    raw = request(api_client, path, method="POST", body=body, kind=kind)
    return read_json(api_client, raw, path)


def read_body(api_client: ApiClient, raw: urllib3.BaseHTTPResponse) -> bytes:
    """The whole body of a response from :func:`request`."""
    try:
        # read() rather than .data: the response keeps no copy of a big body.
        return raw.read()
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise connection_error(api_client, exc) from exc
    finally:
        raw.release_conn()


def read_json(
    api_client: ApiClient, raw: urllib3.BaseHTTPResponse, path: str
) -> dict[str, Any]:
    """Read and parse the JSON body of a response from :func:`request`."""
    data = read_body(api_client, raw)
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ClusterError(f"The cluster API sent invalid JSON for {path}") from exc
    if not isinstance(parsed, dict):
        raise ClusterError(f"The cluster API sent an unexpected answer for {path}")
    return parsed


# The most of a streaming body read at once: a server may send a watch's whole
# history as one HTTP chunk, which would otherwise be held whole in memory.
READ_SIZE = 262144


def iter_chunks(raw: urllib3.BaseHTTPResponse) -> Iterator[bytes]:
    """The body of a streaming response as the bytes arrive, in pieces of at most
    `READ_SIZE` bytes."""
    if raw.chunked and getattr(raw, "supports_chunked_reads", lambda: False)():
        for chunk in raw.read_chunked(READ_SIZE, decode_content=False):
            if chunk:
                yield chunk
        return
    while True:
        chunk = raw.read1(READ_SIZE)
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
    """The error for a non-2xx answer, carrying the server's own message.

    The error's ``status`` attribute is the HTTP status and its ``server_text``
    the Status message as the server wrote it.
    """
    reason, message = status_message(data)
    error: ClusterError
    if status == 401:
        text = message or "Unauthorized"
        error = Unauthorized(f"The cluster API rejected the credentials ({text})")
    elif status == 403:
        text = message or f"the cluster refused access to {what}"
        error = AccessDenied(f"No access: {text}")
    elif status == 404:
        error = NotFound(message or f"{what} was not found")
    elif status == 410:
        error = Expired(message or f"{what} is too old")
    else:
        detail = message or reason or "no details"
        error = ClusterError(f"The cluster API answered {status} for {what}: {detail}")
    error.status = status  # type: ignore[attr-defined]
    error.server_text = message  # type: ignore[attr-defined]
    return error


def server_message(error: BaseException) -> str:
    """The server's own words in an error from :func:`status_error`, or ""."""
    return str(getattr(error, "server_text", "") or "")


class ConnectionDropped(ConnectionFailed):
    """The server accepted the connection but closed it before answering."""


def connection_error(api_client: ApiClient, exc: BaseException) -> ClusterError:
    """The error for a request that never got an HTTP answer."""
    if isinstance(exc, ApiException) and exc.status:
        return status_error(int(exc.status), exc.body, "the request")
    reason = failure_reason(exc)
    error = ConnectionDropped if reason == DROPPED else ConnectionFailed
    return error(f"Cannot reach the cluster API at {server_of(api_client)}: {reason}")


DROPPED = "the connection was dropped before an answer"


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
    if any(
        isinstance(item, RemoteDisconnected | ConnectionResetError) for item in chain
    ):
        return DROPPED
    for item in chain:
        if isinstance(item, ssl.SSLCertVerificationError):
            return f"the server certificate is not trusted ({item.verify_message})"
    if any(
        isinstance(i, TimeoutError | urllib3.exceptions.TimeoutError) for i in chain
    ):
        return "timed out"
    first = str(exc).strip() or type(exc).__name__
    return first.splitlines()[0][:200]
