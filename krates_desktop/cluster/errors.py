"""Errors of the cluster layer, each one sentence for the person at the keyboard.

Third-party exceptions (the kubernetes client, urllib3, websocket-client, PyYAML)
are translated into these at the adapter boundary with ``raise ... from exc``, so
the rest of the app catches one root type and can show ``str(error)`` as is.
"""

from __future__ import annotations


class ClusterError(Exception):
    """Root of the cluster layer's errors; ``str()`` is one sentence naming what and where."""


class KubeconfigError(ClusterError):
    """A kubeconfig file is missing, unreadable, malformed or names something absent."""


class ConnectionFailed(ClusterError):
    """The cluster API could not be reached or the connection broke."""


class AccessDenied(ClusterError):
    """The cluster refused the request for lack of permission (HTTP 401 or 403)."""


class NotFound(ClusterError):
    """The object or resource asked for does not exist (HTTP 404)."""


class Unauthorized(AccessDenied):
    """The cluster rejected the credentials themselves (HTTP 401)."""
