"""What the user may do on a cluster, asked with SelfSubjectAccessReviews.

The UI offers a view or an action only when the cluster would allow it: a Shell
tab when ``create pods/exec`` is allowed in the pod's namespace, Logs when ``get
pods/log`` is, Secret values when ``get secrets`` is. :class:`Access` asks the API
server (``POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews``), keeps
each answer for a few minutes, and answers from memory without blocking through
:meth:`Access.known` so the GUI thread can ask too.

A review that cannot be made (an old server, a network error) answers None
("unknown"): the convenience checks then return True, so the action is offered
and the server's own 403 is shown if it comes.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from kubernetes.client import ApiClient

from krates_desktop.cluster import api
from krates_desktop.cluster.errors import ClusterError
from krates_desktop.cluster.kinds import Kind
from krates_desktop.cluster.transport import new_api_client

log = logging.getLogger(__name__)

REVIEW_PATH = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
TTL = 300.0


@dataclass(frozen=True)
class Question:
    """One thing to ask: may I ``verb`` this resource (in this namespace)?"""

    verb: str
    resource: str
    group: str = ""
    namespace: str | None = None
    subresource: str = ""
    name: str = ""

    def __str__(self) -> str:
        what = self.resource + (f"/{self.subresource}" if self.subresource else "")
        where = f" in ns/{self.namespace}" if self.namespace else " cluster-wide"
        return f"{self.verb} {what}{where}"


@dataclass(frozen=True)
class Answer:
    """The cluster's answer: ``allowed`` is None when no review could be made."""

    allowed: bool | None
    reason: str = ""


class Access:
    """Access reviews for one context, cached for :data:`TTL` seconds."""

    def __init__(self, api_client: ApiClient, ttl: float = TTL) -> None:
        self._client = new_api_client(api_client.configuration, pool_size=4)
        self._ttl = ttl
        self._lock = threading.Lock()
        self._answers: dict[Question, tuple[float, Answer]] = {}

    def __repr__(self) -> str:
        return f"<Access {api.server_of(self._client)}>"

    def close(self) -> None:
        """Release the connections."""
        self._client.close()

    def check(self, question: Question) -> Answer:
        """Ask the cluster (blocking), or answer from the cache."""
        cached = self._cached(question)
        if cached is not None:
            return cached
        answer = self._review(question)
        if answer.allowed is not None:
            with self._lock:
                self._answers[question] = (time.monotonic(), answer)
        return answer

    def known(self, question: Question) -> bool | None:
        """The cached answer without asking (None: not asked yet, or unknown)."""
        cached = self._cached(question)
        return cached.allowed if cached is not None else None

    def prefetch(self, namespace: str) -> threading.Thread:
        """Ask the usual questions for ``namespace`` in the background."""
        questions = [
            Question("create", "pods", namespace=namespace, subresource="exec"),
            Question("get", "pods", namespace=namespace, subresource="log"),
            Question("get", "secrets", namespace=namespace),
            Question("list", "namespaces"),
        ]
        thread = threading.Thread(
            target=lambda: [self.check(q) for q in questions],
            name="access-prefetch",
            daemon=True,
        )
        thread.start()
        return thread

    def allows(self, question: Question) -> bool:
        """True when allowed or unknown (the action is offered; the server decides)."""
        return self.check(question).allowed is not False

    def can_exec(self, namespace: str) -> bool:
        """May the user open a shell in pods of ``namespace``?"""
        return self.allows(
            Question("create", "pods", namespace=namespace, subresource="exec")
        )

    def can_read_logs(self, namespace: str) -> bool:
        """May the user read container logs in ``namespace``?"""
        return self.allows(
            Question("get", "pods", namespace=namespace, subresource="log")
        )

    def can_read_secrets(self, namespace: str) -> bool:
        """May the user read Secret values in ``namespace``?"""
        return self.allows(Question("get", "secrets", namespace=namespace))

    def can_list(self, kind: Kind, namespace: str | None = None) -> bool:
        """May the user list ``kind`` (in ``namespace``, or everywhere when None)?"""
        scope = namespace if kind.namespaced else None
        return self.allows(Question("list", kind.plural, kind.group, scope))

    def can_list_namespaces(self) -> bool:
        """May the user list the cluster's namespaces?"""
        return self.allows(Question("list", "namespaces"))

    def can(self, verb: str, kind: Kind, namespace: str | None = None) -> bool:
        """May the user ``verb`` objects of ``kind``?"""
        scope = namespace if kind.namespaced else None
        return self.allows(Question(verb, kind.plural, kind.group, scope))

    def _cached(self, question: Question) -> Answer | None:
        with self._lock:
            found = self._answers.get(question)
            if found is None:
                return None
            stamp, answer = found
            if time.monotonic() - stamp > self._ttl:
                del self._answers[question]
                return None
            return answer

    def _review(self, question: Question) -> Answer:
        attributes = {
            "verb": question.verb,
            "resource": question.resource,
            "group": question.group,
            "subresource": question.subresource,
            "name": question.name,
        }
        if question.namespace:
            attributes["namespace"] = question.namespace
        body = {
            "kind": "SelfSubjectAccessReview",
            "apiVersion": "authorization.k8s.io/v1",
            "spec": {"resourceAttributes": attributes},
        }
        try:
            answer = api.post_json(self._client, REVIEW_PATH, body, kind="review")
        except ClusterError as exc:
            log.warning("access review for %s failed: %s", question, exc)
            return Answer(None, str(exc))
        status = answer.get("status") or {}
        allowed = bool(status.get("allowed")) and not status.get("denied")
        reason = str(status.get("reason") or status.get("evaluationError") or "")
        log.debug("access review for %s: allowed %s", question, allowed)
        return Answer(allowed, reason)
