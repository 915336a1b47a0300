"""Strategic merge patch, guided by the kind's OpenAPI schema: lists whose field
declares `x-kubernetes-patch-strategy: merge` are merged element by element on
their `x-kubernetes-patch-merge-key` (containers by name, ports by
containerPort), as kubectl apply, edit and diff expect; other lists are replaced.

Directives understood: `$patch` (replace, delete; on maps and list elements),
`$setElementOrder/<list>`, `$retainKeys` and `$deleteFromPrimitiveList/<list>`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from krates_desktop.sandbox.schemas import resolve

Json = dict[str, Any]
_ORDER = "$setElementOrder/"
_DELETE_PRIMITIVES = "$deleteFromPrimitiveList/"


def without_directives(value: Any) -> Any:
    """A deep copy of a patch value with its `$` directives removed."""
    if isinstance(value, dict):
        return {
            k: without_directives(v)
            for k, v in value.items()
            if not (isinstance(k, str) and k.startswith("$"))
        }
    if isinstance(value, list):
        return [without_directives(v) for v in value]
    return copy.deepcopy(value)


def merge(target: Any, patch: Any, schemas: Mapping[str, Json], node: Json) -> Any:
    """Apply strategic merge patch `patch` to `target`, whose schema is `node`."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return without_directives(patch)
    schema = resolve(schemas, node)
    properties = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    fallback = extra if isinstance(extra, dict) else {}
    result = dict(target) if isinstance(target, dict) else {}
    orders: dict[str, Any] = {}
    for key, value in patch.items():
        if key.startswith(_ORDER):
            orders[key[len(_ORDER) :]] = value
            continue
        if key.startswith(_DELETE_PRIMITIVES):
            field = key[len(_DELETE_PRIMITIVES) :]
            if isinstance(result.get(field), list) and isinstance(value, list):
                result[field] = [v for v in result[field] if v not in value]
            continue
        if key.startswith("$"):
            continue
        if value is None or (
            isinstance(value, dict) and value.get("$patch") == "delete"
        ):
            result.pop(key, None)
            continue
        child = properties.get(key, fallback)
        strategy = str(child.get("x-kubernetes-patch-strategy", "")).split(",")
        if isinstance(value, list) and "merge" in strategy:
            result[key] = _merge_list(result.get(key), value, schemas, child)
        else:
            result[key] = merge(result.get(key), value, schemas, child)
    retain = patch.get("$retainKeys")
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    for field, order in orders.items():
        key = properties.get(field, {}).get("x-kubernetes-patch-merge-key")
        if isinstance(result.get(field), list) and isinstance(order, list):
            result[field] = _reorder(result[field], order, key)
    return result


def _is_directive(value: Any, name: str) -> bool:
    return isinstance(value, dict) and value.get("$patch") == name


def _merge_list(
    current: Any, patch: list[Any], schemas: Mapping[str, Json], prop: Json
) -> list[Any]:
    items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
    key = prop.get("x-kubernetes-patch-merge-key")
    if any(_is_directive(v, "replace") for v in patch):
        return [without_directives(v) for v in patch if not _is_directive(v, "replace")]
    merged = list(current) if isinstance(current, list) else []
    for value in patch:
        if key is None or not isinstance(value, dict) or key not in value:
            if not isinstance(value, dict) and value in merged:
                continue
            merged.append(without_directives(value))
            continue
        index = next(
            (
                i
                for i, old in enumerate(merged)
                if isinstance(old, dict) and old.get(key) == value[key]
            ),
            None,
        )
        if _is_directive(value, "delete"):
            if index is not None:
                del merged[index]
        elif index is None:
            merged.append(merge({}, value, schemas, items))
        else:
            merged[index] = merge(merged[index], value, schemas, items)
    return merged


def _reorder(items: list[Any], order: list[Any], key: str | None) -> list[Any]:
    """`items` in the order `$setElementOrder` gives; the others after, as they were."""

    def identity(item: Any) -> Any:
        return item.get(key) if key and isinstance(item, dict) else item

    rank: dict[str, int] = {}
    for i, entry in enumerate(order):
        rank.setdefault(repr(identity(entry)), i)
    return sorted(items, key=lambda item: rank.get(repr(identity(item)), len(order)))
