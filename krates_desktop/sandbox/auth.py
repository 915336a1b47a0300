"""Who is calling, and may they: bearer-token authentication and the single
`authorize` hook every request passes through.

Limitations: there is one identity, the admin holding the sandbox's token, and
`authorize` allows it everything; RBAC objects in the store are not evaluated.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Middleware

from krates_desktop.sandbox.status import unauthorized

logger = logging.getLogger(__name__)

OPEN_PATHS = frozenset({"/version", "/version/", "/healthz", "/readyz", "/livez"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class User:
    """An authenticated identity."""

    name: str
    groups: tuple[str, ...]


USER_KEY = web.RequestKey("user", User)
ADMIN = User("sandbox-admin", ("system:masters", "system:authenticated"))
ANONYMOUS = User("system:anonymous", ("system:unauthenticated",))


class BearerToken:
    """The sandbox's random token; its repr never shows the value."""

    def __init__(self, value: str | None = None) -> None:
        self._value = value or secrets.token_urlsafe(32)

    def reveal(self) -> str:
        """The token itself, for writing the kubeconfig."""
        return self._value

    def matches(self, header: str | None) -> bool:
        """Whether an Authorization header carries this token."""
        if not header or not header.startswith("Bearer "):
            return False
        return hmac.compare_digest(header[len("Bearer ") :].strip(), self._value)

    def __repr__(self) -> str:
        return "BearerToken(***)"


def authorize(user: User, verb: str, resource: str, namespace: str | None) -> bool:
    """Whether `user` may `verb` the `resource` (e.g. `pods/exec`) in `namespace`."""
    allowed = "system:masters" in user.groups
    if not allowed:
        logger.debug("denied %s %s %s in %s", user.name, verb, resource, namespace)
    return allowed


def auth_middleware(token: BearerToken) -> Middleware:
    """Reject requests without the token (except health and version)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if token.matches(request.headers.get("Authorization")):
            request[USER_KEY] = ADMIN
        elif request.path in OPEN_PATHS:
            request[USER_KEY] = ANONYMOUS
        else:
            raise unauthorized()
        return await handler(request)

    return middleware
