"""Impersonation headers, as kube-apiserver's impersonation filter handles them.

A request may carry `Impersonate-User`, `Impersonate-Group` (repeated),
`Impersonate-Uid` and `Impersonate-Extra-<key>` headers. Each one is an
authorization check of the real caller for the `impersonate` verb: on `users`
(or `serviceaccounts` in the account's namespace for a
`system:serviceaccount:NS:NAME` user), `groups`, `uids` and `userextras/<key>`,
named by the value. Any refusal is a 403 in the API server's words; otherwise
the request goes on as the impersonated user, who also belongs to
`system:authenticated`.

Limitations: user extras are authorized but not kept on the user (nothing in the
sandbox reads them), and a service account impersonated without groups does not
get its `system:serviceaccounts` groups.
"""

from __future__ import annotations

from urllib.parse import unquote

from aiohttp import web
from aiohttp.typedefs import Middleware

from krates_desktop.sandbox.auth import AUTHENTICATED, USER_KEY, Handler, User
from krates_desktop.sandbox.rbac import Attributes, Authorizer
from krates_desktop.sandbox.status import ApiError, forbidden

USER = "Impersonate-User"
GROUP = "Impersonate-Group"
UID = "Impersonate-Uid"
EXTRA_PREFIX = "Impersonate-Extra-"
_SERVICE_ACCOUNT = "system:serviceaccount:"


def _wanted(request: web.Request) -> list[Attributes]:
    """The impersonate checks a request's headers ask for, user first."""
    headers = request.headers
    checks: list[Attributes] = []
    user = headers.get(USER, "")
    if user.startswith(_SERVICE_ACCOUNT) and user.count(":") == 3:
        namespace, name = user[len(_SERVICE_ACCOUNT) :].split(":")
        checks.append(_check("serviceaccounts", name, namespace=namespace))
    elif user:
        checks.append(_check("users", user))
    checks += [_check("groups", group) for group in headers.getall(GROUP, [])]
    if headers.get(UID):
        checks.append(_check("uids", headers[UID]))
    for header in headers:
        if header.lower().startswith(EXTRA_PREFIX.lower()):
            key = unquote(header[len(EXTRA_PREFIX) :]).lower()
            checks += [
                _check("userextras", value, subresource=key)
                for value in headers.getall(header)
            ]
    if checks and not user:
        raise ApiError(
            400,
            "BadRequest",
            "requested impersonation of groups, a uid or extras without "
            f"impersonating a user ({USER} is missing)",
        )
    return checks


def _check(
    resource: str, name: str, *, namespace: str = "", subresource: str = ""
) -> Attributes:
    return Attributes(
        verb="impersonate",
        resource=resource,
        subresource=subresource,
        namespace=namespace,
        name=name,
    )


def impersonation_middleware(authorizer: Authorizer) -> Middleware:
    """Replace the caller by the user it impersonates, once RBAC allows each part."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        checks = _wanted(request)
        if not checks:
            return await handler(request)
        caller = request[USER_KEY]
        for attrs in checks:
            if not authorizer.decide(caller, attrs).allowed:
                raise forbidden(
                    caller.name,
                    attrs.verb,
                    attrs.resource,
                    "",
                    attrs.namespace or None,
                    subresource=attrs.subresource,
                    name=attrs.name,
                )
        groups = tuple(request.headers.getall(GROUP, []))
        if AUTHENTICATED not in groups:
            groups += (AUTHENTICATED,)
        request[USER_KEY] = User(
            request.headers[USER], groups, request.headers.get(UID, "")
        )
        return await handler(request)

    return middleware
