"""Impersonation: a kubeconfig user's ``as``, ``as-groups``, ``as-uid`` and
``as-user-extra``, sent as ``Impersonate-*`` headers on every request.

kubectl's ``--as`` flags write the same fields. The headers go on REST calls, on
watches and log streams (all of which pass through the client's REST layer, see
``transport.new_api_client``) and on exec WebSocket upgrades
(:func:`header_lines`). A group
is one header line each, as client-go sends them: a comma-joined value would be
a single group to the API server. Extra keys are percent-encoded where a header
name cannot hold the character, as client-go does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from kubernetes.client import Configuration

from krates_desktop.cluster.errors import KubeconfigError

# Characters a header name may hold besides letters and digits (RFC 7230 tchar).
_TOKEN_CHARS = "!#$&'*+-.^_`|~"


@dataclass(frozen=True)
class Impersonation:
    """Whom the requests act as, on top of the real credentials."""

    user: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def headers(self) -> list[tuple[str, str]]:
        """The header lines, one per group and per extra value."""
        lines = [("Impersonate-User", self.user)]
        lines += [("Impersonate-Group", group) for group in self.groups]
        if self.uid:
            lines.append(("Impersonate-Uid", self.uid))
        for key, values in self.extra:
            name = "Impersonate-Extra-" + quote(key, safe=_TOKEN_CHARS)
            lines += [(name, value) for value in values]
        return lines

    def describe(self) -> str:
        """``impersonating alice (groups a, b; uid 42)``, for ``krates doctor``."""
        details = []
        if self.groups:
            details.append("groups " + ", ".join(self.groups))
        if self.uid:
            details.append(f"uid {self.uid}")
        if self.extra:
            details.append("extra " + ", ".join(key for key, _ in self.extra))
        return f"impersonating {self.user}" + (
            f" ({'; '.join(details)})" if details else ""
        )


def from_user(body: Mapping[str, Any], name: str, source: Path) -> Impersonation | None:
    """The impersonation a kubeconfig user entry asks for, None when it asks none."""
    where = f"The user {name} in the kubeconfig at {source}"
    user = body.get("as")
    groups = body.get("as-groups") or []
    uid = body.get("as-uid")
    extra = body.get("as-user-extra") or {}
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise KubeconfigError(f"{where} has as-groups that are not a list of names")
    if not isinstance(extra, Mapping) or not all(
        isinstance(v, list) and all(isinstance(x, str) for x in v)
        for v in extra.values()
    ):
        raise KubeconfigError(
            f"{where} has an as-user-extra that does not map keys to lists of values"
        )
    if not user:
        if groups or uid or extra:
            raise KubeconfigError(
                f"{where} sets as-groups, as-uid or as-user-extra without as: "
                "name the user to impersonate"
            )
        return None
    return Impersonation(
        str(user),
        tuple(groups),
        str(uid or ""),
        tuple((str(k), tuple(v)) for k, v in extra.items()),
    )


def of(configuration: Configuration) -> Impersonation | None:
    """The impersonation ``configuration`` carries, if any."""
    found = getattr(configuration, "krates_impersonation", None)
    return found if isinstance(found, Impersonation) else None


def header_lines(configuration: Configuration) -> list[str]:
    """``Name: value`` lines for a hand-made request (the exec WebSocket upgrade)."""
    impersonation = of(configuration)
    return [f"{k}: {v}" for k, v in impersonation.headers()] if impersonation else []
