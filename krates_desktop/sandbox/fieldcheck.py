"""Server-side field validation (`fieldValidation=Strict|Warn`): the fields of a
request body that its kind's OpenAPI schema does not declare, named by their
path as the API server's strict decoder names them (`spec.containers[0].foo`).

`Strict` fails the request with the decoder's 400; `Warn` drops the fields and
answers with one `Warning` header per field. Without the parameter, or with
`Ignore`, nothing is checked (a real server then drops unknown fields; the
sandbox keeps them).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from aiohttp import web

from krates_desktop.sandbox.kinds import ResourceKind
from krates_desktop.sandbox.schemas import REF_PREFIX, resolve
from krates_desktop.sandbox.status import ApiError, bad_request

Json = dict[str, Any]
MODES = ("Ignore", "Warn", "Strict")
FIELD_WARNINGS_KEY = web.RequestKey("field-warnings", list)


def mode(query: Mapping[str, str]) -> str:
    """The request's `fieldValidation`, checked; `Ignore` when absent."""
    value = query.get("fieldValidation", "") or "Ignore"
    if value not in MODES:
        raise bad_request(
            f"fieldValidation: Unsupported value: {value!r}: supported values: "
            '"Ignore", "Strict", "Warn"'
        )
    return value


def unknown_fields(schemas: Mapping[str, Json], root: str, body: Any) -> list[str]:
    """The paths of the fields in `body` that the schema `root` does not declare;
    `$`-prefixed strategic-merge directives are not fields, and a null (a patch
    removing the field) is not checked."""
    return [where for where, _ in _walk(schemas, {"$ref": REF_PREFIX + root}, body, "")]


def _walk(
    schemas: Mapping[str, Json], node: Json, value: Any, path: str
) -> Iterator[tuple[str, Callable[[], None]]]:
    """(path, a function that drops the field) for each unknown field."""
    node = resolve(schemas, node)
    if node.get("x-kubernetes-preserve-unknown-fields"):
        return
    if isinstance(value, dict):
        properties = node.get("properties")
        extra = node.get("additionalProperties")
        for key, child in value.items():
            if child is None or (isinstance(key, str) and key.startswith("$")):
                continue
            where = f"{path}.{key}" if path else str(key)
            if properties is not None and key in properties:
                yield from _walk(schemas, properties[key], child, where)
            elif isinstance(extra, dict):
                yield from _walk(schemas, extra, child, where)
            elif properties is not None and extra is None:
                yield where, functools.partial(value.pop, key, None)
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for i, item in enumerate(value):
            yield from _walk(schemas, node["items"], item, f"{path}[{i}]")


def check(
    request: web.Request,
    kind: ResourceKind,
    component: tuple[str, Mapping[str, Json]] | None,
    body: Any,
) -> Any:
    """Apply the request's field validation to `body`: raise (Strict), or drop the
    unknown fields and note a warning for each (Warn); returns the body."""
    wanted = mode(request.query)
    if wanted == "Ignore" or component is None:
        return body
    root, schemas = component
    found = list(_walk(schemas, {"$ref": REF_PREFIX + root}, body, ""))
    unknown = [f'unknown field "{path}"' for path, _ in found]
    if not unknown:
        return body
    if wanted == "Strict":
        raise ApiError(
            400,
            "BadRequest",
            f'{kind.kind} in version "{kind.version}" cannot be handled as a '
            f"{kind.kind}: strict decoding error: {', '.join(unknown)}",
        )
    for _, drop in found:
        drop()
    request[FIELD_WARNINGS_KEY] = unknown
    return body
