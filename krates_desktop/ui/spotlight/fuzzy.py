"""Spotlight's fuzzy ranking: a subsequence match scored by dynamic programming.

Each matched letter scores 1, +3 when it directly follows the previous matched
letter, +5 at the start of a word (the first character, or after `- . _ / :` or a
space). The score is the best over every alignment of the query with the name.
The result score is that times ten plus the type boost.

No Qt here: the module is plain Python so that it can be tested and benchmarked
on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

WORD_BREAKS = frozenset("-._/: ")

TYPE_BOOSTS = {
    "crd": 60,
    "Deployment": 50,
    "StatefulSet": 48,
    "Service": 46,
    "DaemonSet": 44,
    "Ingress": 42,
    "Secret": 24,
    "ConfigMap": 22,
    "PersistentVolumeClaim": 18,
    "Pod": 16,
    "krate": 56,
    "namespace": 40,
    "category": 30,
}
OTHER_BOOST = 10


def match_score(query: str, name: str) -> int | None:
    """Return the best character-match score of `query` in `name`, or None."""
    q = query.lower()
    n = name.lower()
    if not q:
        return 0
    if len(q) > len(n):
        return None
    starts = [i == 0 or n[i - 1] in WORD_BREAKS for i in range(len(n))]
    neg = -1 << 30
    prev = [neg] * len(n)
    for qi, qc in enumerate(q):
        cur = [neg] * len(n)
        best_before = neg  # best prev[k] for k < j - 1
        for j, nc in enumerate(n):
            if j >= 2:
                best_before = max(best_before, prev[j - 2])
            if nc != qc:
                continue
            base = 1 + (5 if starts[j] else 0)
            if qi == 0:
                cur[j] = base
                continue
            chained = prev[j - 1] + 3 if j >= 1 and prev[j - 1] > neg else neg
            cur[j] = (
                base + max(best_before, chained)
                if max(best_before, chained) > neg
                else neg
            )
        prev = cur
    best = max(prev)
    return best if best > neg else None


def boost_for(kind: str, crd: bool = False) -> int:
    """Return the ranking boost for a result type."""
    if crd:
        return TYPE_BOOSTS["crd"]
    return TYPE_BOOSTS.get(kind, OTHER_BOOST)


@dataclass(frozen=True)
class Candidate:
    """Something spotlight can find: an object, a krate, a namespace or a category."""

    kind: str
    name: str
    namespace: str | None = None
    crd: bool = False
    payload: object = None


@dataclass(frozen=True)
class Ranked:
    """A candidate with its score."""

    score: int
    candidate: Candidate


def rank(query: str, candidates: Iterable[Candidate], limit: int = 8) -> list[Ranked]:
    """Return the best `limit` candidates: score, then shorter name, then name."""
    letters = set(query.lower())
    results: list[Ranked] = []
    for cand in candidates:
        if letters and not letters.issubset(cand.name.lower()):
            continue
        score = match_score(query, cand.name)
        if score is None:
            continue
        results.append(Ranked(score * 10 + boost_for(cand.kind, cand.crd), cand))
    results.sort(key=lambda r: (-r.score, len(r.candidate.name), r.candidate.name))
    return results[:limit]


def matched_positions(query: str, name: str) -> Sequence[int]:
    """Return name positions to highlight: a greedy match preferring word starts."""
    q = query.lower()
    n = name.lower()
    positions: list[int] = []
    j = 0
    for qc in q:
        while j < len(n) and n[j] != qc:
            j += 1
        if j >= len(n):
            return []
        positions.append(j)
        j += 1
    return positions
