"""Server-side field validation (`fieldValidation=Strict|Warn`): the fields of a
request body that its kind's OpenAPI schema does not declare, named by their
path as the API server's strict decoder names them (`spec.containers[0].foo`).

`Strict` fails the request with the decoder's 400; `Warn` (the default without
the parameter, as on a 1.27+ server) drops the fields and answers with one
`Warning` header per field; `Ignore` drops them silently.

Custom resources are pruned as their CRD's structural schema says: an object
node keeps only its declared `properties` (none when it declares none) unless it
says `x-kubernetes-preserve-unknown-fields`. Built-in schemas that name no
properties stand for free-form values (`RawExtension`) and keep everything.
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
    """The request's `fieldValidation`, checked; `Warn` when absent."""
    value = query.get("fieldValidation", "") or "Warn"
    if value not in MODES:
        raise bad_request(
            f"fieldValidation: Unsupported value: {value!r}: supported values: "
            '"Ignore", "Strict", "Warn"'
        )
    return value


def _walk(
    schemas: Mapping[str, Json], node: Json, value: Any, path: str, structural: bool
) -> Iterator[tuple[str, Callable[[], None]]]:
    """(path, a function that drops the field) for each unknown field; the built-in
    types a CRD's schema refers to (ObjectMeta) are not structural."""
    resolved = resolve(schemas, node)
    structural = structural and resolved is node
    node = resolved
    if node.get("x-kubernetes-preserve-unknown-fields"):
        return
    if isinstance(value, dict):
        properties = node.get("properties")
        extra = node.get("additionalProperties")
        if structural and properties is None and extra is None:
            properties = {}
        for key, child in value.items():
            if child is None or (isinstance(key, str) and key.startswith("$")):
                continue
            where = f"{path}.{key}" if path else str(key)
            if properties is not None and key in properties:
                yield from _walk(schemas, properties[key], child, where, structural)
            elif isinstance(extra, dict):
                yield from _walk(schemas, extra, child, where, structural)
            elif properties is not None and extra is None:
                yield where, functools.partial(value.pop, key, None)
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for i, item in enumerate(value):
            yield from _walk(schemas, node["items"], item, f"{path}[{i}]", structural)


def check(
    request: web.Request,
    kind: ResourceKind,
    component: tuple[str, Mapping[str, Json]] | None,
    body: Any,
) -> Any:
    """Apply the request's field validation to `body`: raise (Strict), or drop the
    unknown fields, noting a warning for each (Warn); returns the body."""
    wanted = mode(request.query)
    if component is None:
        return body
    root, schemas = component
    structural = kind.table == "custom"
    node = schemas[root] if structural else {"$ref": REF_PREFIX + root}
    # A list is iterated while fields are found: collect first, drop after.
    found = list(_walk(schemas, node, body, "", structural))
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
    if wanted == "Warn":
        request[FIELD_WARNINGS_KEY] = unknown
    return body
