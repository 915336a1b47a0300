"""Field ownership as the API server tracks it in `metadata.managedFields`, and
server-side apply (`PATCH` with `application/apply-patch+yaml`).

A field is named by a path of structured-merge-diff elements: `f:spec` (a field
or map key), `k:{"name":"web"}` (a list item by its merge key), `v:"a"` (a set
member) and `.` (the list item itself). Every write records who set what: an
update (`operation: Update`) takes the fields it changed from their other owners;
an apply (`operation: Apply`) owns exactly the fields of its configuration, fails
with 409 when it would change a field another manager owns (unless forced), and
removes the fields it applied before and no longer does, if nobody else owns them.

Limitations: list keys come from the strategic-merge keys of the built-in schemas
and from `x-kubernetes-list-map-keys` of a CRD; other lists are atomic. Writes to
subresources are not recorded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from krates_desktop.sandbox import clock, strategic
from krates_desktop.sandbox.kinds import ResourceKind
from krates_desktop.sandbox.schemas import REF_PREFIX, resolve
from krates_desktop.sandbox.status import ApiError, invalid

Json = dict[str, Any]
Path = tuple[str, ...]
Schema = tuple[str, Mapping[str, Json]] | None
APPLY, UPDATE = "Apply", "Update"
_ITEM = "."
_MISSING = object()
# What the field manager strips before tracking (its stripmeta step).
_SYSTEM_META = frozenset(
    {
        "name", "namespace", "uid", "resourceVersion", "creationTimestamp",
        "generation", "managedFields", "selfLink", "deletionTimestamp",
        "deletionGracePeriodSeconds",
    }
)  # fmt: skip


def manager_of(query: Mapping[str, str], user_agent: str) -> str:
    """The request's field manager: `fieldManager`, else the User-Agent's product."""
    return query.get("fieldManager") or user_agent.split("/")[0][:128] or "unknown"


def field_set(kind: ResourceKind, schema: Schema, obj: Json) -> set[Path]:
    """The paths of the fields `obj` sets (system metadata and, for a kind with a
    status subresource, the status left out)."""
    tracked = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
    if kind.subresource("status") is not None:
        tracked.pop("status", None)
    metadata = obj.get("metadata") or {}
    meta = {k: v for k, v in metadata.items() if k not in _SYSTEM_META}
    if meta:
        tracked["metadata"] = meta
    else:
        tracked.pop("metadata", None)
    root, schemas = schema if schema else ("", {})
    found: set[Path] = set()
    node = {"$ref": REF_PREFIX + root} if root else {}
    _collect(tracked, schemas, node, (), found)
    found.discard(())  # an object that sets nothing of its own
    return found


def _collect(
    value: Any, schemas: Mapping[str, Json], node: Json, prefix: Path, out: set[Path]
) -> None:
    node = resolve(schemas, node)
    if isinstance(value, dict) and value:
        properties = node.get("properties") or {}
        extra = node.get("additionalProperties")
        fallback = extra if isinstance(extra, dict) else {}
        for key, child in value.items():
            _collect(
                child,
                schemas,
                properties.get(key, fallback),
                (*prefix, f"f:{key}"),
                out,
            )
        return
    if isinstance(value, list) and value:
        items = node.get("items") if isinstance(node.get("items"), dict) else {}
        keys = _list_keys(node)
        if keys and all(
            isinstance(i, dict) and all(k in i for k in keys) for i in value
        ):
            for item in value:
                element = _key_element(item, keys)
                out.add((*prefix, element, _ITEM))
                _collect(item, schemas, items, (*prefix, element), out)
            return
        if node.get("x-kubernetes-list-type") == "set":
            out.update((*prefix, "v:" + _compact(item)) for item in value)
            return
    out.add(prefix)


def _list_keys(node: Json) -> list[str]:
    if node.get("x-kubernetes-list-type") == "map":
        return list(node.get("x-kubernetes-list-map-keys") or [])
    key = node.get("x-kubernetes-patch-merge-key")
    return [key] if key else []


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _key_element(item: Json, keys: list[str]) -> str:
    return "k:" + _compact({k: item[k] for k in keys})


def _get(obj: Any, path: Path) -> Any:
    """The value at `path`, or _MISSING."""
    node = obj
    for element in path:
        if element == _ITEM:
            return node
        prefix, _, rest = element.partition(":")
        if prefix == "f":
            node = node.get(rest, _MISSING) if isinstance(node, dict) else _MISSING
        elif prefix == "k" and isinstance(node, list):
            wanted = json.loads(rest)
            node = next((i for i in node if _has_key(i, wanted)), _MISSING)
        elif prefix == "v" and isinstance(node, list):
            node = json.loads(rest) if json.loads(rest) in node else _MISSING
        else:
            return _MISSING
        if node is _MISSING:
            return node
    return node


def _has_key(item: Any, wanted: Json) -> bool:
    return isinstance(item, dict) and all(item.get(k) == v for k, v in wanted.items())


def _remove(obj: Json, path: Path) -> None:
    """Remove the field (or list item) at `path`, if it is there."""
    if path and path[-1] == _ITEM:
        path = path[:-1]
    parent = _get(obj, path[:-1]) if path else _MISSING
    prefix, _, rest = path[-1].partition(":") if path else ("", "", "")
    if prefix == "f" and isinstance(parent, dict):
        parent.pop(rest, None)
    elif prefix == "k" and isinstance(parent, list):
        parent[:] = [i for i in parent if not _has_key(i, json.loads(rest))]
    elif prefix == "v" and isinstance(parent, list):
        parent[:] = [i for i in parent if i != json.loads(rest)]


def path_text(path: Path) -> str:
    """A path as the server prints it in a conflict: `.spec.containers[name="web"]`."""
    text = ""
    for element in path:
        prefix, _, rest = element.partition(":")
        if prefix == "f":
            text += f".{rest}"
        elif prefix == "k":
            pairs = json.loads(rest).items()
            text += "[" + ",".join(f"{k}={_compact(v)}" for k, v in pairs) + "]"
        elif prefix == "v":
            text += f"[={rest}]"
    return text


def to_fields_v1(paths: Iterable[Path]) -> Json:
    """The `fieldsV1` tree of a set of paths."""
    tree: Json = {}
    for path in sorted(paths):
        node = tree
        for element in path:
            node = node.setdefault(element, {})
    return tree


def from_fields_v1(tree: Any, prefix: Path = ()) -> set[Path]:
    """The paths of a `fieldsV1` tree."""
    found: set[Path] = set()
    for element, child in (tree or {}).items() if isinstance(tree, dict) else ():
        if isinstance(child, dict) and child:
            found |= from_fields_v1(child, (*prefix, element))
        else:
            found.add((*prefix, element))
    return found


class Entry:
    """One manager's fields: a `managedFields` entry, parsed."""

    def __init__(self, raw: Json) -> None:
        self.raw = dict(raw)
        self.fields = from_fields_v1(raw.get("fieldsV1"))

    @property
    def manager(self) -> str:
        return str(self.raw.get("manager", ""))

    @property
    def operation(self) -> str:
        return str(self.raw.get("operation", ""))

    def is_(self, manager: str, operation: str, subresource: str = "") -> bool:
        """Whether this entry is the one of `manager` doing `operation` (through
        `subresource`)."""
        found = (self.manager, self.operation, self.raw.get("subresource", ""))
        return found == (manager, operation, subresource)

    def described(self) -> str:
        """The manager as a conflict names it: `"kubectl" using apps/v1` for an update."""
        text = json.dumps(self.manager)
        if self.raw.get("subresource"):
            text += f" with subresource {json.dumps(self.raw['subresource'])}"
        if self.operation == UPDATE:
            text += f" using {self.raw.get('apiVersion', '')}"
        return text


def _entries(obj: Json | None) -> list[Entry]:
    raw = ((obj or {}).get("metadata") or {}).get("managedFields") or []
    return [Entry(e) for e in raw if isinstance(e, dict)]


def _store(obj: Json, entries: list[Entry], touched: Entry, api_version: str) -> None:
    """Write the entries back, `touched` stamped now; entries left empty go."""
    touched.raw.update(
        apiVersion=api_version,
        time=clock.rfc3339(clock.now()),
        fieldsType="FieldsV1",
    )
    result = []
    for entry in entries:
        if entry.fields:
            entry.raw["fieldsV1"] = to_fields_v1(entry.fields)
            result.append(entry.raw)
    if result:
        obj["metadata"]["managedFields"] = sorted(result, key=_entry_order)
    else:
        obj["metadata"].pop("managedFields", None)


def _entry_order(raw: Json) -> tuple[str, ...]:
    """The server's order of entries: Apply before Update, then oldest first."""
    fields = ("operation", "time", "manager", "apiVersion", "subresource")
    return tuple(str(raw.get(f, "")) for f in fields)


def record_update(
    kind: ResourceKind,
    schema: Schema,
    old: Json | None,
    new: Json,
    manager: str,
    subresource: str = "",
) -> None:
    """Record a create or update by `manager` in `new`: it owns what it changed
    (everything, for a create), taken from the other owners; a field it removed
    is owned by nobody. The entries come from `new` when it carries some."""
    basis = new if (new.get("metadata") or {}).get("managedFields") else old
    entries = _entries(basis)
    new_set = field_set(kind, schema, new)
    old_set = field_set(kind, schema, old) if old else set()
    changed = {p for p in new_set if _differs(old, new, p)}
    if old is not None and not changed and old_set <= new_set:
        kept = _copy_entries(basis)
        if kept:
            new["metadata"]["managedFields"] = kept
        else:
            new["metadata"].pop("managedFields", None)
        return
    own = next((e for e in entries if e.is_(manager, UPDATE, subresource)), None)
    if own is None:
        own = Entry({"manager": manager, "operation": UPDATE})
        if subresource:
            own.raw["subresource"] = subresource
        entries.append(own)
    for entry in entries:
        if entry is not own:
            entry.fields = (entry.fields - changed) & new_set
    own.fields = (own.fields | changed) & new_set
    _store(new, entries, own, kind.api_version)


def _copy_entries(obj: Json | None) -> list[Json]:
    """A copy of an object's managedFields."""
    return json.loads(
        json.dumps(((obj or {}).get("metadata") or {}).get("managedFields") or [])
    )


def _differs(old: Json | None, new: Json, path: Path) -> bool:
    if old is None:
        return True
    if path[-1] == _ITEM:
        return _get(old, path) is _MISSING
    return _get(old, path) != _get(new, path)


def apply(
    kind: ResourceKind,
    schema: Schema,
    current: Json | None,
    applied: Json,
    manager: str,
    force: bool,
) -> Json:
    """The object after `manager` applies `applied` to `current` (None: it does not
    exist yet), with its managedFields; raises the server's 409 on conflicts."""
    applied_set = field_set(kind, schema, applied)
    entries = _entries(current)
    own = next((e for e in entries if e.is_(manager, APPLY)), None)
    conflicts = [
        (entry, path)
        for entry in entries
        if entry is not own
        for path in sorted(applied_set & entry.fields)
        if path[-1] != _ITEM and _get(current, path) != _get(applied, path)
    ]
    if conflicts and not force:
        raise _conflict_error(conflicts)
    for entry, path in conflicts:
        entry.fields.discard(path)
    if current is None:
        result = strategic.without_directives(applied)
    elif schema is None:
        result = strategic.merge(current, applied, {}, {})
    else:
        root, schemas = schema
        result = strategic.merge(current, applied, schemas, {"$ref": REF_PREFIX + root})
    others = set().union(*(e.fields for e in entries if e is not own))
    if own is not None:
        dropped = own.fields - applied_set - others
        for path in sorted(dropped, key=len, reverse=True):
            if not _owned_within(path, others) and not _is_key_field(path):
                _remove(result, path)
    else:
        own = Entry({"manager": manager, "operation": APPLY})
        entries.append(own)
    own.fields = applied_set
    result.setdefault("metadata", {})
    _store(result, entries, own, kind.api_version)
    return result


def _owned_within(path: Path, others: set[Path]) -> bool:
    """Whether another manager owns a field inside `path` (a list item someone else
    added a field to stays)."""
    base = path[:-1] if path[-1] == _ITEM else path
    return any(len(p) > len(base) and p[: len(base)] == base for p in others)


def _is_key_field(path: Path) -> bool:
    """Whether `path` is a key field of a list item (which goes only with the item)."""
    if len(path) < 2 or not path[-2].startswith("k:"):
        return False
    return path[-1].removeprefix("f:") in json.loads(path[-2][2:])


def _conflict_error(conflicts: list[tuple[Entry, Path]]) -> ApiError:
    """The 409 of a conflicting apply, worded as the API server words it."""
    causes = [
        {
            "reason": "FieldManagerConflict",
            "message": f"conflict with {entry.described()}",
            "field": path_text(path),
        }
        for entry, path in conflicts
    ]
    if len(conflicts) == 1:
        entry, path = conflicts[0]
        message = (
            f"Apply failed with 1 conflict: conflict with {entry.described()}: "
            f"{path_text(path)}"
        )
    else:
        by_manager: dict[str, list[str]] = {}
        for entry, path in conflicts:
            by_manager.setdefault(entry.described(), []).append(path_text(path))
        lines = []
        for described in sorted(by_manager):
            lines.append(f"conflicts with {described}:")
            lines += [f"- {text}" for text in by_manager[described]]
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    return ApiError(409, "Conflict", message, {"causes": causes})


def require_manager(query: Mapping[str, str]) -> str:
    """An apply's `fieldManager`, which the server requires."""
    manager = query.get("fieldManager", "")
    if not manager:
        raise invalid(
            "PatchOptions.meta.k8s.io",
            "",
            "",
            "fieldManager",
            "Required value: is required for apply patch",
        )
    return manager
