"""Authorization as the RBAC authorizer does it: every request's attributes (verb,
group, resource, subresource, namespace, name, or a non-resource path) are checked
against the ClusterRoles, Roles and bindings in the store, and the same rules
answer SelfSubjectAccessReview and SelfSubjectRulesReview.

Members of system:masters are allowed everything without consulting the rules,
as on a real API server. ClusterRoles with an `aggregationRule` get the union of
the rules of the ClusterRoles their selectors match, kept current as roles change.

Limitations: only RBAC is emulated (no Node or webhook authorizers), and the
`escalate` and `bind` verbs are matched but never enforced on role writes
(`impersonate` is, by `impersonation.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from krates_desktop.sandbox.auth import User
from krates_desktop.sandbox.kinds import KindRegistry, ResourceKind
from krates_desktop.sandbox.selectors import label_matcher
from krates_desktop.sandbox.store import Store, StoredEvent
from krates_desktop.sandbox.tables import format_selector

logger = logging.getLogger(__name__)

Json = dict[str, Any]
RBAC_GROUP = "rbac.authorization.k8s.io"


@dataclass(frozen=True)
class Attributes:
    """What a request asks to do; `path` is set for non-resource requests."""

    verb: str
    group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""

    @property
    def is_resource_request(self) -> bool:
        """Whether this is about a resource rather than a URL like /apis."""
        return not self.path


@dataclass(frozen=True)
class Decision:
    """An authorization outcome and, when allowed by a rule, which binding allowed it."""

    allowed: bool
    reason: str = ""


def _matches(values: Sequence[str], wanted: str) -> bool:
    return "*" in values or wanted in values


def _resource_matches(rule: Mapping[str, Any], attrs: Attributes) -> bool:
    combined = attrs.resource
    if attrs.subresource:
        combined += "/" + attrs.subresource
    for resource in rule.get("resources") or []:
        if resource in ("*", combined):
            return True
        if attrs.subresource and resource == "*/" + attrs.subresource:
            return True
    return False


def rule_allows(rule: Mapping[str, Any], attrs: Attributes) -> bool:
    """Whether one PolicyRule allows the request."""
    if not _matches(rule.get("verbs") or [], attrs.verb):
        return False
    if not attrs.is_resource_request:
        return any(
            url == "*"
            or url == attrs.path
            or (url.endswith("*") and attrs.path.startswith(url[:-1]))
            for url in rule.get("nonResourceURLs") or []
        )
    if not _matches(rule.get("apiGroups") or [], attrs.group):
        return False
    if not _resource_matches(rule, attrs):
        return False
    names = rule.get("resourceNames") or []
    return not names or attrs.name in names


def _subject_matches(subject: Mapping[str, Any], user: User, namespace: str) -> bool:
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "User":
        return name == user.name
    if kind == "Group":
        return name in user.groups
    if kind == "ServiceAccount":
        account_ns = subject.get("namespace") or namespace
        return user.name == f"system:serviceaccount:{account_ns}:{name}"
    return False


def _describe_subject(subject: Mapping[str, Any], namespace: str) -> str:
    if subject.get("kind") == "ServiceAccount":
        account_ns = subject.get("namespace") or namespace
        return f'ServiceAccount "{account_ns}/{subject.get("name")}"'
    return f'{subject.get("kind")} "{subject.get("name")}"'


@dataclass(frozen=True)
class _Grant:
    """The rules one binding gives a user, and how to name that binding."""

    source: str
    rules: tuple[Mapping[str, Any], ...]


class Authorizer:
    """Answers authorization questions from the RBAC objects in a store."""

    def __init__(self, store: Store, registry: KindRegistry) -> None:
        self._store = store
        self._registry = registry
        self._aggregating = False
        store.add_listener(self._on_event)

    def _kind(self, plural: str) -> ResourceKind:
        kind = self._registry.by_key((RBAC_GROUP, plural))
        assert kind is not None
        return kind

    # Decisions

    def decide(self, user: User, attrs: Attributes) -> Decision:
        """Whether `user` may do what `attrs` describe, with the RBAC reason."""
        if user.privileged:
            return Decision(True)
        for grant in self._grants(user, attrs.namespace):
            if any(rule_allows(rule, attrs) for rule in grant.rules):
                return Decision(True, f"RBAC: allowed by {grant.source}")
        logger.debug(
            "denied %s %s %s/%s in %r",
            user.name,
            attrs.verb,
            attrs.resource or attrs.path,
            attrs.subresource,
            attrs.namespace,
        )
        return Decision(False)

    def rules_for(self, user: User, namespace: str) -> tuple[list[Json], list[Json]]:
        """The resource and non-resource rules `user` holds in `namespace`, as a
        SelfSubjectRulesReview reports them."""
        resource_rules: list[Json] = []
        url_rules: list[Json] = []
        for grant in self._grants(user, namespace):
            for rule in grant.rules:
                verbs = list(rule.get("verbs") or [])
                if rule.get("resources"):
                    entry: Json = {
                        "verbs": verbs,
                        "apiGroups": list(rule.get("apiGroups") or []),
                        "resources": list(rule["resources"]),
                    }
                    if rule.get("resourceNames"):
                        entry["resourceNames"] = list(rule["resourceNames"])
                    resource_rules.append(entry)
                if rule.get("nonResourceURLs"):
                    url_rules.append(
                        {
                            "verbs": verbs,
                            "nonResourceURLs": list(rule["nonResourceURLs"]),
                        }
                    )
        return resource_rules, url_rules

    def _grants(self, user: User, namespace: str) -> Iterator[_Grant]:
        for binding in self._store.list(self._kind("clusterrolebindings")):
            yield from self._binding_grants(binding, user, "")
        if namespace:
            for binding in self._store.list(self._kind("rolebindings"), namespace):
                yield from self._binding_grants(binding, user, namespace)

    def _binding_grants(
        self, binding: Json, user: User, namespace: str
    ) -> Iterator[_Grant]:
        for subject in binding.get("subjects") or []:
            if not _subject_matches(subject, user, namespace):
                continue
            ref = binding.get("roleRef") or {}
            rules = self._role_rules(ref, namespace)
            name = binding["metadata"]["name"]
            if namespace:
                label = f'RoleBinding "{name}/{namespace}"'
            else:
                label = f'ClusterRoleBinding "{name}"'
            source = (
                f'{label} of {ref.get("kind")} "{ref.get("name")}" to '
                f"{_describe_subject(subject, namespace)}"
            )
            yield _Grant(source, rules)
            return

    def _role_rules(
        self, ref: Mapping[str, Any], namespace: str
    ) -> tuple[Mapping[str, Any], ...]:
        if ref.get("kind") == "ClusterRole":
            role = self._store.get(self._kind("clusterroles"), "", ref.get("name", ""))
        elif ref.get("kind") == "Role" and namespace:
            role = self._store.get(self._kind("roles"), namespace, ref.get("name", ""))
        else:
            role = None
        return tuple((role or {}).get("rules") or ())

    # Aggregated ClusterRoles

    def _on_event(self, event: StoredEvent) -> None:
        if event.key != (RBAC_GROUP, "clusterroles") or self._aggregating:
            return
        self._aggregating = True
        try:
            self.aggregate()
        finally:
            self._aggregating = False

    def aggregate(self) -> None:
        """Give every aggregated ClusterRole the rules of the roles it selects
        (repeated, since an aggregated role may itself be selected)."""
        for _ in range(5):
            if not self._aggregate_once():
                return

    def _aggregate_once(self) -> bool:
        kind = self._kind("clusterroles")
        roles = self._store.list(kind)
        changed = False
        for role in roles:
            selectors = (role.get("aggregationRule") or {}).get(
                "clusterRoleSelectors"
            ) or []
            if not selectors:
                continue
            matchers = [
                label_matcher(format_selector(s).replace("<none>", ""))
                for s in selectors
            ]
            rules: list[Json] = []
            for other in roles:
                if other is role or not any(m(other) for m in matchers):
                    continue
                for rule in other.get("rules") or []:
                    if rule not in rules:
                        rules.append(rule)
            if rules != (role.get("rules") or []):

                def update(obj: Json, rules: list[Json] = rules) -> None:
                    obj["rules"] = rules

                self._store.mutate(kind, "", role["metadata"]["name"], update)
                changed = True
        return changed
