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
from itertools import accumulate

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


NO_MATCH = -1 << 30


def word_starts(name: str) -> list[bool]:
    """Which positions of a (lowered) name start a word."""
    return [i == 0 or name[i - 1] in WORD_BREAKS for i in range(len(name))]


def match_row(
    prev: list[int] | None, letter: str, name: str, starts: list[bool]
) -> list[int]:
    """One step of the dynamic programme: the best score of the query so far ending
    at each position of `name` with `letter` (NO_MATCH where impossible).

    `prev` is the row of the previous query letter, None for the first letter. Only
    the positions holding `letter` are visited; the running maximum of `prev` is
    taken in one pass (`accumulate` runs in C).
    """
    cur = [NO_MATCH] * len(name)
    if prev is None:
        at = name.find(letter)
        while at >= 0:
            cur[at] = 6 if starts[at] else 1
            at = name.find(letter, at + 1)
        return cur
    best_upto = list(accumulate(prev, max))
    at = name.find(letter, 1)
    while at >= 0:
        before = best_upto[at - 2] if at >= 2 else NO_MATCH
        chained = prev[at - 1] + 3 if prev[at - 1] > NO_MATCH else NO_MATCH
        best = max(before, chained)
        if best > NO_MATCH:
            cur[at] = (6 if starts[at] else 1) + best
        at = name.find(letter, at + 1)
    return cur


def match_score(query: str, name: str) -> int | None:
    """Return the best character-match score of `query` in `name`, or None."""
    q = query.lower()
    n = name.lower()
    if not q:
        return 0
    if len(q) > len(n):
        return None
    starts = word_starts(n)
    row: list[int] | None = None
    for letter in q:
        row = match_row(row, letter, n, starts)
    return row_score(row)


def row_score(row: list[int] | None) -> int | None:
    """The best score in a finished row, None when nothing matched."""
    best = max(row) if row else NO_MATCH
    return best if best > NO_MATCH else None


def boost_for(kind: str, crd: bool = False) -> int:
    """Return the ranking boost for a result type."""
    if crd:
        return TYPE_BOOSTS["crd"]
    return TYPE_BOOSTS.get(kind, OTHER_BOOST)


@dataclass(frozen=True, slots=True)
class Candidate:
    """Something spotlight can find: an object, a krate, a namespace or a category.

    Slotted: spotlight keeps one for every cached object, tens of thousands.
    """

    kind: str
    name: str
    namespace: str | None = None
    crd: bool = False
    payload: object = None


@dataclass(frozen=True, slots=True)
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
