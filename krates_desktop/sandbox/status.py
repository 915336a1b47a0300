"""Kubernetes `Status` objects, and the error type that carries one back to the client.

Every failure the sandbox reports goes through `ApiError`, so clients see the same
`reason`, `code` and `details` as from a real API server.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]


def resource_label(plural: str, group: str) -> str:
    """The resource as an API server names it in messages: `pods`, `deployments.apps`."""
    return f"{plural}.{group}" if group else plural


class ApiError(Exception):
    """A failed request, rendered as a `Status` body with the matching HTTP code."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: Json | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def to_status(self) -> Json:
        """The `Status` object for this error."""
        status: Json = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details is not None:
            status["details"] = self.details
        status["code"] = self.code
        return status


def _details(plural: str, group: str, name: str) -> Json:
    details: Json = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = plural
    return details


def not_found(plural: str, group: str, name: str) -> ApiError:
    """404 for a named object that does not exist."""
    label = resource_label(plural, group)
    return ApiError(
        404, "NotFound", f'{label} "{name}" not found', _details(plural, group, name)
    )


def unknown_path() -> ApiError:
    """404 for a URL that names no resource the server knows."""
    return ApiError(
        404, "NotFound", "the server could not find the requested resource", {}
    )


def already_exists(plural: str, group: str, name: str) -> ApiError:
    """409 for a create whose name is taken."""
    label = resource_label(plural, group)
    return ApiError(
        409,
        "AlreadyExists",
        f'{label} "{name}" already exists',
        _details(plural, group, name),
    )


def conflict(plural: str, group: str, name: str) -> ApiError:
    """409 for a write based on a stale resourceVersion."""
    label = resource_label(plural, group)
    message = (
        f'Operation cannot be fulfilled on {label} "{name}": the object has been '
        "modified; please apply your changes to the latest version and try again"
    )
    return ApiError(409, "Conflict", message, _details(plural, group, name))


def bad_request(message: str) -> ApiError:
    """400 for a malformed request."""
    return ApiError(400, "BadRequest", message)


def invalid(kind: str, group: str, name: str, field: str, detail: str) -> ApiError:
    """422 for an object that fails validation on one field."""
    reason = "FieldValueRequired" if detail == "Required value" else "FieldValueInvalid"
    details: Json = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = kind
    details["causes"] = [{"reason": reason, "message": detail, "field": field}]
    message = f'{kind} "{name}" is invalid: {field}: {detail}'
    return ApiError(422, "Invalid", message, details)


def expired(message: str) -> ApiError:
    """410 for a resourceVersion or continue token older than the event log."""
    return ApiError(410, "Expired", message)


def method_not_allowed() -> ApiError:
    """405 for a verb the resource does not support."""
    return ApiError(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
    )


def unauthorized() -> ApiError:
    """401 for a request without the sandbox's bearer token."""
    return ApiError(401, "Unauthorized", "Unauthorized")


def forbidden(
    user: str,
    verb: str,
    plural: str,
    group: str,
    namespace: str | None,
    *,
    subresource: str = "",
    name: str = "",
    reason: str = "",
) -> ApiError:
    """403 in the words of the API server's authorization filter."""
    resource = f"{plural}/{subresource}" if subresource else plural
    where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
    why = (
        f'User "{user}" cannot {verb} resource "{resource}" in API group "{group}"'
        f"{where}"
    )
    if reason:
        why += f": {reason}"
    label = resource_label(plural, group)
    subject = f'{label} "{name}"' if name else label
    details: Json = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    details["kind"] = plural
    return ApiError(403, "Forbidden", f"{subject} is forbidden: {why}", details)


def forbidden_path(user: str, verb: str, path: str) -> ApiError:
    """403 for a non-resource URL such as /apis."""
    message = f'forbidden: User "{user}" cannot {verb} path "{path}"'
    return ApiError(403, "Forbidden", message, {})


def too_many_requests(retry_after: int) -> ApiError:
    """429 with Retry-After, as API priority and fairness sends it."""
    return ApiError(
        429,
        "TooManyRequests",
        "Too many requests, please try again later.",
        {"retryAfterSeconds": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


def internal_error(message: str) -> ApiError:
    """500 InternalError."""
    return ApiError(
        500,
        "InternalError",
        f"Internal error occurred: {message}",
        {"causes": [{"message": message}]},
    )


def unsupported_media_type(content_type: str) -> ApiError:
    """415 for a request body the sandbox cannot decode."""
    return ApiError(
        415,
        "UnsupportedMediaType",
        f"the body of the request was in an unknown format - accepted media types "
        f"include: application/json, application/merge-patch+json, "
        f"application/strategic-merge-patch+json, application/json-patch+json "
        f'(got "{content_type}")',
    )


def success(plural: str, group: str, name: str, uid: str) -> dict[str, Any]:
    """The `Status` a DELETE of an immediately removed object answers with."""
    details = _details(plural, group, name)
    details["uid"] = uid
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    }
