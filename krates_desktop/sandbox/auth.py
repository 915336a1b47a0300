"""Who is calling: the sandbox's users, their bearer tokens and client certificates,
and the middleware that turns them into a `User` (or a 401).

The sandbox has three users, each with a random token of its own: an admin, a
viewer who may only read, and a developer bound to one namespace. A client
certificate signed by the sandbox's CA (`tls.py`) names any user, as on
kube-apiserver: the CN is the user and each O a group. It is checked first and
its validity period on every request, so a certificate that expires on an open
connection turns the next request into a 401. What each user may do is decided
by the RBAC objects in the store (`rbac.py`), not here; impersonation headers are
handled after this (`impersonation.py`).

Limitations: anonymous requests are served only on the health and version
endpoints.
"""

from __future__ import annotations

import datetime
import functools
import hmac
import logging
import secrets
import ssl
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Middleware
from cryptography import x509
from cryptography.x509.oid import NameOID

from krates_desktop.sandbox.status import ApiError, unauthorized

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


@dataclass(frozen=True)
class _Certificate:
    """What authentication needs from a client certificate."""

    user: User
    not_before: datetime.datetime
    not_after: datetime.datetime


@functools.lru_cache(maxsize=256)
def _read_certificate(der: bytes) -> _Certificate | None:
    cert = x509.load_der_x509_certificate(der)
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not names:
        return None
    groups = [
        str(a.value)
        for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    ]
    user = User(str(names[0].value), (*groups, AUTHENTICATED))
    return _Certificate(user, cert.not_valid_before_utc, cert.not_valid_after_utc)


def certificate_user(request: web.Request) -> User | None:
    """The user a verified client certificate names; None without one.

    The handshake already checked the CA; an expired (or not yet valid)
    certificate is a 401, as kube-apiserver's x509 authenticator answers.
    """
    tls = request.transport.get_extra_info("ssl_object") if request.transport else None
    if not isinstance(tls, ssl.SSLObject | ssl.SSLSocket):
        return None
    der = tls.getpeercert(binary_form=True)
    if not der:
        return None
    found = _read_certificate(der)
    if found is None:
        raise unauthorized()
    now = datetime.datetime.now(datetime.UTC)
    if not found.not_before <= now <= found.not_after:
        logger.info("rejected the expired client certificate of %s", found.user.name)
        raise unauthorized()
    return found.user


def auth_middleware(identities: Identities) -> Middleware:
    """Attach the calling user; reject anonymous requests outside the open paths."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        authorization = request.headers.get("Authorization")
        try:
            user = certificate_user(request)
        except ApiError:
            # An expired certificate next to a bearer token: the token decides.
            if _bearer(authorization) is None:
                raise
            user = None
        if user is None:
            user = identities.authenticate(authorization)
        if user is None:
            if request.path not in OPEN_PATHS:
                raise unauthorized()
            user = ANONYMOUS
        request[USER_KEY] = user
        return await handler(request)

    return middleware
