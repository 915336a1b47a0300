"""PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902), and strategic
merge patch (`strategic`, by the kind's schema).

A kind without a schema gets its strategic merge patches as plain merge patches
(lists replaced; of the directives only `$patch: replace` and `$patch: delete`
on maps are honoured).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from krates_desktop.sandbox import strategic
from krates_desktop.sandbox.schemas import REF_PREFIX
from krates_desktop.sandbox.status import ApiError, bad_request, unsupported_media_type

MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY = "application/apply-patch+yaml"


def merge_patch(target: Any, patch: Any, strategic: bool = False) -> Any:
    """Apply an RFC 7386 merge patch; `null` removes a key. As a strategic merge
    patch, a map with `$patch: replace` replaces the target and `$patch: delete`
    removes it; other directives are dropped."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    directive = patch.get("$patch") if strategic else None
    if directive == "replace":
        return strategic.without_directives(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if isinstance(key, str) and key.startswith("$"):
            continue
        if value is None or (
            strategic and isinstance(value, dict) and value.get("$patch") == "delete"
        ):
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value, strategic)
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(f"the json patch path {path!r} must start with '/'")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc: Any, parts: list[str]) -> Any:
    node = doc
    for part in parts[:-1]:
        node = _child(node, part)
    return node


def _child(node: Any, part: str) -> Any:
    try:
        if isinstance(node, list):
            return node[int(part)]
        return node[part]
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        raise _missing(part) from exc


def _missing(part: str) -> ApiError:
    return ApiError(
        422,
        "Invalid",
        f"the server rejected our request due to an error in our request: "
        f"doc is missing path: {part}",
    )


def _add(doc: Any, parts: list[str], value: Any) -> Any:
    if not parts:
        return value
    parent, last = _parent(doc, parts), parts[-1]
    if isinstance(parent, list):
        index = len(parent) if last == "-" else int(last)
        if index > len(parent):
            raise _missing(last)
        parent.insert(index, value)
    elif isinstance(parent, dict):
        parent[last] = value
    else:
        raise _missing(last)
    return doc


def _remove(doc: Any, parts: list[str]) -> Any:
    parent, last = _parent(doc, parts), parts[-1]
    _child(parent, last)
    if isinstance(parent, list):
        del parent[int(last)]
    else:
        del parent[last]
    return doc


def json_patch(target: Any, operations: Any) -> Any:
    """Apply an RFC 6902 JSON patch to a copy of `target`."""
    if not isinstance(operations, list):
        raise bad_request("json patch body must be a list of operations")
    doc = copy.deepcopy(target)
    for op in operations:
        name, parts = op.get("op"), _pointer(op.get("path", ""))
        if name == "add":
            doc = _add(doc, parts, copy.deepcopy(op.get("value")))
        elif name == "remove":
            doc = _remove(doc, parts)
        elif name == "replace":
            doc = _add(_remove(doc, parts), parts, copy.deepcopy(op.get("value")))
        elif name in ("move", "copy"):
            source = _pointer(op.get("from", ""))
            value = copy.deepcopy(_resolve(doc, source))
            if name == "move":
                doc = _remove(doc, source)
            doc = _add(doc, parts, value)
        elif name == "test":
            if _resolve(doc, parts) != op.get("value"):
                raise ApiError(422, "Invalid", f"testing value {op.get('path')} failed")
        else:
            raise bad_request(f"Unexpected kind: {name}")
    return doc


def _resolve(doc: Any, parts: list[str]) -> Any:
    node = doc
    for part in parts:
        node = _child(node, part)
    return node


def apply(
    content_type: str,
    target: dict[str, Any],
    body: Any,
    schema: tuple[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Apply a PATCH body of the given media type to `target`; `schema` (the
    kind's root component and the components) guides a strategic merge."""
    media = content_type.split(";")[0].strip().lower()
    if media == STRATEGIC and schema is not None:
        root, schemas = schema
        result = strategic.merge(target, body, schemas, {"$ref": REF_PREFIX + root})
    elif media in (MERGE, STRATEGIC):
        result = merge_patch(target, body, strategic=media == STRATEGIC)
    elif media == JSON_PATCH:
        result = json_patch(target, body)
    else:
        raise unsupported_media_type(content_type)
    if not isinstance(result, dict):
        raise bad_request("the patch did not produce an object")
    return result
