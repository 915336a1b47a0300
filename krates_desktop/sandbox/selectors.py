"""Label and field selectors, parsed and matched the way the API server does.

Limitations: label keys and values are not validated against the DNS-label rules,
so a few selectors a real server rejects are accepted here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from krates_desktop.sandbox.kinds import ResourceKind
from krates_desktop.sandbox.status import ApiError, bad_request

Json = dict[str, Any]
Matcher = Callable[[Json], bool]

_KEY = r"[A-Za-z0-9][-A-Za-z0-9_./]*"
_VALUE = r"[-A-Za-z0-9_.]*"
_EXISTS = re.compile(rf"^({_KEY})$")
_NOT_EXISTS = re.compile(rf"^!\s*({_KEY})$")
_EQUALITY = re.compile(rf"^({_KEY})\s*(==|=|!=)\s*({_VALUE})$")
_SET = re.compile(rf"^({_KEY})\s+(in|notin)\s*\(([^()]*)\)$")
_NUMERIC = re.compile(rf"^({_KEY})\s*(>|<)\s*(-?\d+)$")


@dataclass(frozen=True)
class Requirement:
    """One term of a label selector: `key op values`."""

    key: str
    op: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether a label set satisfies this term."""
        value = labels.get(self.key)
        if self.op == "exists":
            return self.key in labels
        if self.op == "!exists":
            return self.key not in labels
        if self.op in ("=", "==", "in"):
            return value is not None and value in self.values
        if self.op in ("!=", "notin"):
            return value is None or value not in self.values
        if value is None or not value.lstrip("-").isdigit():
            return False
        bound = int(self.values[0])
        return int(value) > bound if self.op == ">" else int(value) < bound


def _split_terms(selector: str) -> list[str]:
    """Split on commas that are not inside a parenthesised value set."""
    terms: list[str] = []
    current: list[str] = []
    depth = 0
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    terms.append("".join(current).strip())
    return terms


def _parse_term(term: str) -> Requirement:
    if match := _NOT_EXISTS.match(term):
        return Requirement(match[1], "!exists")
    if match := _EXISTS.match(term):
        return Requirement(match[1], "exists")
    if match := _EQUALITY.match(term):
        return Requirement(match[1], match[2], (match[3],))
    if match := _SET.match(term):
        values = tuple(v.strip() for v in match[3].split(",") if v.strip())
        return Requirement(match[1], match[2], values)
    if match := _NUMERIC.match(term):
        return Requirement(match[1], match[2], (match[3],))
    raise bad_request(f"unable to parse requirement: invalid label selector: {term!r}")


def parse_label_selector(selector: str | None) -> list[Requirement]:
    """Parse `a=b,c in (d,e),!f`; an empty selector matches everything."""
    if not selector or not selector.strip():
        return []
    terms = _split_terms(selector)
    if any(not term for term in terms):
        raise bad_request(f"unable to parse requirement: found ',', in {selector!r}")
    return [_parse_term(term) for term in terms]


def label_matcher(selector: str | None) -> Matcher:
    """A predicate over objects for a `labelSelector` query parameter."""
    requirements = parse_label_selector(selector)

    def matches(obj: Json) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return all(r.matches(labels) for r in requirements)

    return matches


def _field_value(obj: Json, path: tuple[str, ...]) -> str:
    value: Any = obj
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _field_paths(kind: ResourceKind) -> dict[str, tuple[str, ...]]:
    paths: dict[str, tuple[str, ...]] = {"metadata.name": ("metadata", "name")}
    if kind.namespaced:
        paths["metadata.namespace"] = ("metadata", "namespace")
    paths.update(kind.fields)
    return paths


def field_matcher(kind: ResourceKind, selector: str | None) -> Matcher:
    """A predicate for a `fieldSelector`; an unsupported field is a 400."""
    if not selector or not selector.strip():
        return lambda obj: True
    paths = _field_paths(kind)
    terms: list[tuple[tuple[str, ...], bool, str]] = []
    for term in _split_terms(selector):
        match = re.match(r"^([^=!]+?)\s*(==|=|!=)\s*(.*)$", term)
        if not match:
            raise bad_request(
                f"invalid selector: '{selector}'; can't understand '{term}'"
            )
        label, op, value = match[1].strip(), match[2], match[3].strip()
        if label not in paths:
            raise ApiError(400, "BadRequest", f"field label not supported: {label}")
        terms.append((paths[label], op != "!=", value))

    def matches(obj: Json) -> bool:
        return all((_field_value(obj, p) == v) == eq for p, eq, v in terms)

    return matches


def selection(kind: ResourceKind, query: Mapping[str, str]) -> Matcher:
    """The combined label and field selector of a list or watch request."""
    labels = label_matcher(query.get("labelSelector"))
    fields = field_matcher(kind, query.get("fieldSelector"))
    return lambda obj: labels(obj) and fields(obj)


def has_selector(query: Mapping[str, str]) -> bool:
    """Whether a request carries a (non-empty) label or field selector."""
    return any(
        (query.get(name) or "").strip() for name in ("labelSelector", "fieldSelector")
    )
