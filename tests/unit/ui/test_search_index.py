"""Spotlight's index answers exactly as the full fuzzy scan, before and after changes."""

from __future__ import annotations

import random
import re
from pathlib import Path

from krates_desktop.ui.spotlight.fuzzy import Candidate, rank
from krates_desktop.ui.spotlight.index import SearchIndex

MANIFESTS = Path("/work/shared/data/manifests")
KINDS = ["Pod"] * 6 + [
    "Deployment",
    "Service",
    "ConfigMap",
    "Secret",
    "StatefulSet",
    "namespace",
    "krate",
    "Widget",
]


def _manifest_names() -> list[str]:
    """Every `name:` value in the shared manifests (objects, containers, ports, CRDs)."""
    found: set[str] = set()
    for path in sorted(MANIFESTS.rglob("*.yaml")):
        found.update(re.findall(r"\bname:\s*['\"]?([\w.:/-]+)", path.read_text()))
    assert len(found) > 40, f"too few names found under {MANIFESTS}"
    return sorted(found)


def _corpus(size: int, seed: int) -> list[Candidate]:
    """Manifest names, alone and joined with pod-like suffixes, of mixed kinds."""
    rng = random.Random(seed)
    words = _manifest_names()
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    out = []
    for _ in range(size):
        name = rng.choice(words)
        if rng.random() < 0.7:
            name += "-" + rng.choice(words)
        if rng.random() < 0.6:
            name += "-" + "".join(rng.choices(alphabet, k=5))
        if rng.random() < 0.1:
            name = name.upper()
        out.append(
            Candidate(
                rng.choice(KINDS), name, rng.choice(["a", "b"]), rng.random() < 0.05
            )
        )
    return out


def _queries(corpus: list[Candidate], rng: random.Random, count: int) -> list[str]:
    """Prefixes, subsequences and random letters, as people type them."""
    out = ["", "x", "zzzq", "-", "api", "Redis"]
    for _ in range(count):
        name = rng.choice(corpus).name
        picked = sorted(rng.sample(range(len(name)), min(len(name), rng.randint(1, 6))))
        out.append("".join(name[i] for i in picked))
        out.append(name[: rng.randint(1, 8)])
        out.append("".join(rng.choices("aeiorstln-.", k=rng.randint(1, 4))))
    return out


def _filled(corpus: list[Candidate]) -> SearchIndex:
    index = SearchIndex()
    for number, candidate in enumerate(corpus):
        index.put(number, candidate)
    return index


def _same(index: SearchIndex, query: str, **limits: object) -> None:
    kinds = limits.get("kinds")
    pool = [
        c
        for c in index.candidates()
        if kinds is None or c.kind in kinds or (limits.get("crd") and c.crd)  # type: ignore[operator]
    ]
    expected = rank(query, pool, 8)
    got = index.search(query, **limits)  # type: ignore[arg-type]
    assert [(r.score, r.candidate) for r in got] == [
        (r.score, r.candidate) for r in expected
    ], query


def test_random_queries_match_the_full_scan() -> None:
    """Hundreds of queries over 3,000 manifest-based names rank as the full scan does."""
    corpus = _corpus(3000, seed=1)
    index = _filled(corpus)
    rng = random.Random(2)
    for query in _queries(corpus, rng, 120):
        _same(index, query)


def test_typing_letter_by_letter_narrows_and_stays_exact() -> None:
    """Each keystroke of a typed query, and backspacing, answers as the full scan."""
    index = _filled(_corpus(2000, seed=3))
    for word in ("cassandra-data", "front", "gateway.networking", "tls-intra"):
        for end in list(range(1, len(word) + 1)) + list(range(len(word) - 1, 0, -1)):
            _same(index, word[:end])


def test_type_filters_match_a_filtered_scan() -> None:
    """A kinds filter (with or without CRDs) ranks as scanning only those kinds."""
    index = _filled(_corpus(2000, seed=4))
    for query in ("", "c", "ca", "cas", "red", "ma"):
        _same(index, query, kinds=frozenset({"Pod"}))
        _same(index, query, kinds=frozenset({"Deployment"}), crd=True)
        _same(index, query, kinds=frozenset({"namespace"}))


def test_adds_and_removes_between_keystrokes_are_seen() -> None:
    """Objects added, replaced and removed while typing show up (or vanish) at once."""
    corpus = _corpus(4000, seed=5)
    index = _filled(corpus[:2000])
    rng = random.Random(6)
    word = "cassandra-service"
    for end in range(1, len(word) + 1):
        _same(index, word[:end])
        for _ in range(150):
            if rng.random() < 0.5:
                number = rng.randrange(4000)
                index.put(number, corpus[rng.randrange(4000)])
            else:
                index.remove(rng.randrange(4000))
        _same(index, word[:end])
    index.put("late", Candidate("Deployment", "cassandra-service"))
    assert index.search(word)[0].candidate.name == "cassandra-service"
    index.remove("late")
    _same(index, word)


def test_many_removals_then_adds_keep_the_order_exact() -> None:
    """Removing most names and adding new ones (a context switch) still ranks exactly."""
    index = _filled(_corpus(3000, seed=7))
    _same(index, "ca")
    for number in range(2500):
        index.remove(number)
    _same(index, "ca")
    for number, candidate in enumerate(_corpus(1500, seed=8)):
        index.put(("new", number), candidate)
    for query in ("c", "ca", "cas", "", "fr"):
        _same(index, query)
