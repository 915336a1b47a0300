"""The fault switch: answer the next requests with 429 Too Many Requests (with
Retry-After), 500 Internal Error, or a connection dropped before any response,
so that a client's recovery can be tested against the real server.

Faults are armed in-process (`Sandbox.faults.inject(...)`, from any thread) or
over HTTP by the admin on loopback:

* `POST /sandbox/faults` with `{"fault": "429"|"500"|"drop", "count": N,
  "retryAfter": S, "path": "/api/v1/pods", "method": "GET"}` arms one rule;
* `GET /sandbox/faults` lists the armed rules, `DELETE /sandbox/faults` disarms all;
* `POST /sandbox/compact` forgets the watch history (as an etcd compaction does).

Each rule applies to requests whose path starts with `path` (every API request
when empty) and, if given, whose method is `method`; the `/sandbox/` paths
themselves are never faulted.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass

from aiohttp import web
from aiohttp.typedefs import Middleware

from krates_desktop.sandbox.status import (
    ApiError,
    bad_request,
    internal_error,
    too_many_requests,
)

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ADMIN_PREFIX = "/sandbox/"
KINDS = ("429", "500", "drop")


@dataclass
class Fault:
    """One armed rule: how to fail, how many more times, and for which requests."""

    fault: str
    count: int
    retry_after: int = 1
    path: str = ""
    method: str = ""

    def applies(self, request: web.Request) -> bool:
        """Whether this rule answers `request`."""
        if self.method and request.method != self.method.upper():
            return False
        return request.path.startswith(self.path)


class Faults:
    """The armed fault rules of one sandbox; safe to use from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []
        self._served = 0

    def inject(
        self,
        fault: str,
        count: int = 1,
        *,
        retry_after: int = 1,
        path: str = "",
        method: str = "",
    ) -> Fault:
        """Answer the next `count` matching requests with `fault` ("429", "500" or
        "drop"); rules are consulted in the order they were armed."""
        fault = str(fault)
        if fault not in KINDS:
            raise ValueError(
                f"unknown fault {fault!r}; choose one of {', '.join(KINDS)}"
            )
        if count < 1 or retry_after < 0:
            raise ValueError("count must be at least 1 and retryAfter not negative")
        rule = Fault(fault, count, retry_after, path, method)
        with self._lock:
            self._rules.append(rule)
        logger.info("fault armed: %s x%d on %r", fault, count, path or "*")
        return rule

    def throttle(self, count: int = 1, retry_after: int = 1, path: str = "") -> Fault:
        """Answer the next requests with 429 and `Retry-After: retry_after`."""
        return self.inject("429", count, retry_after=retry_after, path=path)

    def fail(self, count: int = 1, path: str = "") -> Fault:
        """Answer the next requests with 500 InternalError."""
        return self.inject("500", count, path=path)

    def drop(self, count: int = 1, path: str = "") -> Fault:
        """Close the connection of the next requests without answering."""
        return self.inject("drop", count, path=path)

    def clear(self) -> None:
        """Disarm every rule."""
        with self._lock:
            self._rules.clear()

    def pending(self) -> list[Fault]:
        """The armed rules (copies)."""
        with self._lock:
            return [Fault(**asdict(rule)) for rule in self._rules]

    @property
    def served(self) -> int:
        """How many requests have been answered with a fault so far."""
        with self._lock:
            return self._served

    def take(self, request: web.Request) -> Fault | None:
        """The rule answering `request`, counted down; None when none applies."""
        with self._lock:
            for rule in self._rules:
                if rule.applies(request):
                    rule.count -= 1
                    if rule.count <= 0:
                        self._rules.remove(rule)
                    self._served += 1
                    return Fault(**asdict(rule))
        return None


def fault_middleware(faults: Faults) -> Middleware:
    """Answer requests with the armed faults before anything else sees them."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(ADMIN_PREFIX):
            return await handler(request)
        rule = faults.take(request)
        if rule is None:
            return await handler(request)
        logger.info("fault %s answers %s %s", rule.fault, request.method, request.path)
        if rule.fault == "429":
            raise too_many_requests(rule.retry_after)
        if rule.fault == "500":
            raise internal_error("the sandbox's fault switch failed this request")
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=500)

    return middleware


def describe(faults: Faults) -> dict[str, object]:
    """The JSON body of `GET /sandbox/faults`."""
    return {
        "served": faults.served,
        "pending": [
            {
                "fault": rule.fault,
                "count": rule.count,
                "retryAfter": rule.retry_after,
                "path": rule.path,
                "method": rule.method,
            }
            for rule in faults.pending()
        ],
    }


def parse_rule(body: object) -> dict[str, object]:
    """The keyword arguments of `Faults.inject` from a POST body, or a 400."""
    if not isinstance(body, dict):
        raise bad_request('the body must be a JSON object such as {"fault": "429"}')
    try:
        return {
            "fault": str(body.get("fault", "")),
            "count": int(body.get("count", 1)),
            "retry_after": int(body.get("retryAfter", 1)),
            "path": str(body.get("path", "")),
            "method": str(body.get("method", "")),
        }
    except (TypeError, ValueError) as exc:
        raise bad_request(f"invalid fault rule: {exc}") from exc


def admin_only(is_admin: bool, remote: str | None) -> None:
    """The `/sandbox/` paths are for the admin, from this machine only."""
    if remote not in ("127.0.0.1", "::1"):
        raise ApiError(
            403, "Forbidden", "the sandbox admin API answers loopback only", {}
        )
    if not is_admin:
        raise ApiError(
            403,
            "Forbidden",
            "the sandbox admin API needs the admin's token (context krates-sandbox)",
            {},
        )
