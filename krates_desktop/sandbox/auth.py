"""Who is calling: the sandbox's users, their bearer tokens, and the middleware that
turns an `Authorization` header into a `User` (or a 401).

The sandbox has three users, each with a random token of its own: an admin, a
viewer who may only read, and a developer bound to one namespace. What each may
do is decided by the RBAC objects in the store (`rbac.py`), not here.

Limitations: only bearer tokens are understood (no client certificates, no
impersonation headers), and anonymous requests are served only on the health
and version endpoints.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Middleware

from krates_desktop.sandbox.status import unauthorized

logger = logging.getLogger(__name__)

OPEN_PATHS = frozenset({"/version", "/version/", "/healthz", "/readyz", "/livez"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PRIVILEGED_GROUP = "system:masters"
AUTHENTICATED = "system:authenticated"


@dataclass(frozen=True)
class User:
    """An authenticated identity."""

    name: str
    groups: tuple[str, ...]
    uid: str = ""

    @property
    def privileged(self) -> bool:
        """Members of system:masters pass every authorization check."""
        return PRIVILEGED_GROUP in self.groups


USER_KEY = web.RequestKey("user", User)
ADMIN = User("sandbox-admin", (PRIVILEGED_GROUP, AUTHENTICATED))
VIEWER = User("sandbox-viewer", ("sandbox:viewers", AUTHENTICATED))
NAMESPACE_USER = User("payments-dev", ("payments-team", AUTHENTICATED))
ANONYMOUS = User("system:anonymous", ("system:unauthenticated",))
SANDBOX_USERS = (ADMIN, VIEWER, NAMESPACE_USER)
NAMESPACE_USER_NAMESPACE = "payments"


class BearerToken:
    """A random token; its repr never shows the value."""

    def __init__(self, value: str | None = None) -> None:
        self._value = value or secrets.token_urlsafe(32)

    def reveal(self) -> str:
        """The token itself, for writing the kubeconfig."""
        return self._value

    def matches(self, header: str | None) -> bool:
        """Whether an Authorization header carries this token."""
        presented = _bearer(header)
        return presented is not None and hmac.compare_digest(presented, self._value)

    def __repr__(self) -> str:
        return "BearerToken(***)"


def _bearer(header: str | None) -> str | None:
    if not header or not header.startswith("Bearer "):
        return None
    return header[len("Bearer ") :].strip()


class Identities:
    """The users the sandbox knows, each with its own token."""

    def __init__(self, users: Iterable[User] = SANDBOX_USERS) -> None:
        self._tokens = {user.name: (user, BearerToken()) for user in users}

    def __repr__(self) -> str:
        return f"Identities({', '.join(self._tokens)})"

    @property
    def users(self) -> list[User]:
        """Every user, admin first."""
        return [user for user, _ in self._tokens.values()]

    def token(self, name: str) -> str:
        """The bearer token of the user called `name`."""
        found = self._tokens.get(name)
        if found is None:
            raise KeyError(f"the sandbox has no user {name!r}")
        return found[1].reveal()

    def tokens(self) -> Mapping[str, str]:
        """User name -> bearer token."""
        return {name: token.reveal() for name, (_, token) in self._tokens.items()}

    def authenticate(self, header: str | None) -> User | None:
        """The user whose token the header carries; None without credentials.

        Credentials that match no user are a 401, as on a real API server.
        """
        if _bearer(header) is None:
            return None
        for user, token in self._tokens.values():
            if token.matches(header):
                return user
        raise unauthorized()


def auth_middleware(identities: Identities) -> Middleware:
    """Attach the calling user; reject anonymous requests outside the open paths."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        user = identities.authenticate(request.headers.get("Authorization"))
        if user is None:
            if request.path not in OPEN_PATHS:
                raise unauthorized()
            user = ANONYMOUS
        request[USER_KEY] = user
        return await handler(request)

    return middleware
