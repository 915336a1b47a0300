"""Spotlight's search index: each keystroke is answered without scoring every name.

The index finds, for every character, the names that contain it, start a word
with it, and contain it right after each other character (bigrams, also those
starting a word). A query is answered by a best-first search over *tiers*: sets
of names that share an upper bound on their match score. Splitting a tier by the
next query character costs a few set operations in C, and a tier is split only
when its bound could still reach the top results, so most names are never
looked at one by one. The exact
dynamic-programming score (`fuzzy.match_score`) runs only for the few names
whose bound reaches the best eight; results and their order are exactly those of
`fuzzy.rank` over the same candidates in insertion order.

When a query extends the previous one (the usual case while typing), the tiers
of the previous query are kept and only split further. Adds and removals update
the index and the kept tiers in place, so a busy cluster's watch events never
force a rebuild.

No Qt here: the module is plain Python so that it can be tested and benchmarked
on its own.

Memory: every letter, word start, pair and kind keeps its names as a list of ids
in ascending order (ids only grow, so a put appends; every list holds the same int
objects, 8 bytes an entry), and a removal only notes the id as removed. (Letters
were found by scanning the names instead, a fifth less memory; but the first
keystroke needing a few letters then took up to 20 ms over 50,000 names.) A search turns
the lists it needs into sets and keeps the most recently used of those
(`SET_CACHE_ENTRIES` ids in all) for the next keystrokes; puts and removals update
the kept sets in place. Sort keys are made when needed, not kept.

Limitations: the index costs about 0.8 KB per pod-like name (32 MB for 50,000
names in bench/ui.py), plus up to some 15 MB of kept sets after searches. The
first keystroke that needs a letter's, a word start's or a pair's set builds it
(a millisecond or two for 50,000 names). A put costs some ten microseconds: the
first sync of a very large cluster fills the index in slices (feeder.py).
"""

from __future__ import annotations

import heapq
import itertools
import re
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator, Set
from dataclasses import dataclass, field
from operator import add

from krates_desktop.ui.spotlight.fuzzy import (
    NO_MATCH,
    TYPE_BOOSTS,
    WORD_BREAKS,
    Candidate,
    Ranked,
    boost_for,
    match_row,
    row_score,
    word_starts,
)

MAX_BOOST = max(TYPE_BOOSTS.values())
# A tier this small is sorted; a larger one is walked in the index order (in C), which
# stops as soon as the search has what it needs.
SORTED_TIER_MAX = 256
KEPT_ROWS = 20_000  # dynamic-programme rows kept for the next keystroke
SET_CACHE_ENTRIES = 400_000  # ids kept as sets for the features recent searches used
# the feature tables kept as lists: word-start letters, letter pairs, word-start pairs;
# and letters, found by a scan of the names when a search needs them
STARTS, PAIRS, START_PAIRS, LETTERS = range(4)
BREAK = re.compile("[" + re.escape("".join(sorted(WORD_BREAKS))) + "]")
NOTHING: frozenset[int] = frozenset()
SortKey = tuple[int, int, str, int]  # (-boost, len(name), name, insertion order)
Filter = tuple[frozenset[str] | None, bool]  # (kinds or None for all, CRDs too)


@dataclass(eq=False)
class _Tier:
    """Names whose score over the first `done` query letters is at most `bound`.

    Two bounds are kept: for alignments whose last matched letter starts a word
    (`at_start`) and for the others (`inside`), because a letter chained to one at
    a word start needs that pair at a word start, which is rarer. `ids` None
    stands for every name the search's filter lets through.
    """

    at_start: int
    inside: int
    ids: set[int] | None
    done: int

    @property
    def bound(self) -> int:
        return max(self.at_start, self.inside)


@dataclass(eq=False)
class _Search:
    """The tiers kept between keystrokes for one query and filter."""

    query: str
    filter: Filter
    mask: set[int] | None
    tiers: dict[_Tier, None] = field(default_factory=dict)
    inbox: _Tier | None = None
    root_split: bool = False


def _step(
    tier: _Tier, after_break: bool, start: bool, pair: bool, start_pair: bool
) -> tuple[int, int]:
    """The (at_start, inside) bounds after one more letter, knowing whether the name
    has that letter at a word start (`start`), right after the previous query letter
    (`pair`) and right after it where the previous letter starts a word
    (`start_pair`). A chained letter starts a word only after a word break.
    """
    best = tier.bound
    chained = max(
        tier.inside + 3 if pair else NO_MATCH,
        tier.at_start + 3 if start_pair else NO_MATCH,
    )
    if after_break:
        return max(best + 6 if start else NO_MATCH, chained + 6), best + 1
    return best + 6 if start else NO_MATCH, max(best + 1, chained + 1)


def _remaining_gain(query: str, done: int) -> int:
    """The most that query letters `done..` can still add to any name."""
    return sum(
        9 if at > 0 and query[at - 1] in WORD_BREAKS else 6
        for at in range(done, len(query))
    )


class SearchIndex:
    """Candidates by key, with the character sets that narrow each query."""

    def __init__(self) -> None:
        self._ids: dict[Hashable, int] = {}
        self._cands: dict[int, Candidate] = {}
        # the sort keys of removed ids still in the order (live ones are made on demand)
        self._gone: dict[int, SortKey] = {}
        self._lowered: dict[int, str] = {}
        # per table, feature -> ids in ascending order; removed ids stay until swept
        self._postings: tuple[dict[str, list[int]], ...] = ({}, {}, {}, {})
        self._removed: set[int] = set()
        self._sets: OrderedDict[tuple[int, str], set[int]] = OrderedDict()
        self._kinds: dict[str, list[int]] = {}  # ids by kind, as the postings
        self._crd: set[int] = set()
        # ids by sort key; removed ids (and their keys) stay until the next sweep
        self._order: list[int] = []
        self._unsorted: list[int] = []
        self._stale = 0
        self._next = itertools.count()
        self._search: _Search | None = None
        self._rows: dict[int, tuple[str, list[int], list[bool]]] = {}

    def __contains__(self, key: object) -> bool:
        return key in self._ids

    def candidates(self) -> list[Candidate]:
        """Every candidate, in insertion order (the order `rank` would see)."""
        return list(self._cands.values())

    # updates --------------------------------------------------------------

    def put(self, key: Hashable, candidate: Candidate) -> None:
        """Add or replace the candidate under `key` (unchanged ones cost nothing)."""
        old = self._ids.get(key)
        if old is not None:
            if self._cands[old] == candidate:
                return
            self.remove(key)
        ident = next(self._next)
        self._ids[key] = ident
        self._cands[ident] = candidate
        name = candidate.name.lower()
        if name == candidate.name:
            name = candidate.name  # one string, not two equal ones
        self._lowered[ident] = name
        features = (*_features(name), set(name))
        for table, found in zip(self._postings, features, strict=True):
            for feature in found:
                try:
                    table[feature].append(ident)
                except KeyError:
                    table[feature] = [ident]
        if self._sets:
            for (number, feature), kept in self._sets.items():
                if feature in features[number]:
                    kept.add(ident)
        kind = self._kinds.get(candidate.kind)
        if kind is None:
            self._kinds[candidate.kind] = [ident]
        else:
            kind.append(ident)
        if candidate.crd:
            self._crd.add(ident)
        self._unsorted.append(ident)
        self._note_added(ident, candidate)

    def remove(self, key: Hashable) -> None:
        """Drop the candidate under `key`, if there is one."""
        ident = self._ids.pop(key, None)
        if ident is None:
            return
        self._gone[ident] = self._key(ident)
        del self._cands[ident]
        del self._lowered[ident]
        self._rows.pop(ident, None)
        self._removed.add(ident)
        for kept in self._sets.values():
            kept.discard(ident)
        self._crd.discard(ident)
        self._stale += 1
        if self._search is not None:
            self._note_removed(ident)

    def _key(self, ident: int) -> SortKey:
        """Where `ident` goes in the order (made when needed: a kept tuple would cost
        a hundred bytes a name)."""
        candidate = self._cands.get(ident)
        if candidate is None:
            return self._gone[ident]
        name = candidate.name
        return (-boost_for(candidate.kind, candidate.crd), len(name), name, ident)

    def update(self, changes: Iterable[tuple[Hashable, Candidate | None]]) -> None:
        """Apply (key, candidate) pairs; a None candidate removes the key."""
        for key, candidate in changes:
            if candidate is None:
                self.remove(key)
            else:
                self.put(key, candidate)

    def _having(self, table: int, feature: str) -> Set[int]:
        """The ids with `feature`, as a set kept for the next searches (don't change
        it)."""
        key = (table, feature)
        kept = self._sets.get(key)
        if kept is not None:
            self._sets.move_to_end(key)
            return kept
        ids = self._postings[table].get(feature)
        if ids is None:
            return NOTHING
        kept = set(ids).difference(self._removed) if self._removed else set(ids)
        if len(kept) * 4 < len(ids) * 3:  # many removed ones: shrink the list
            self._postings[table][feature] = sorted(kept)
        self._sets[key] = kept
        total = sum(map(len, self._sets.values()))
        while total > SET_CACHE_ENTRIES and len(self._sets) > 1:
            total -= len(self._sets.popitem(last=False)[1])
        return kept

    def _sweep_postings(self) -> None:
        """Drop removed ids from every list, once they are as many as the live ones
        (so the cost, a pass over the lists, is spread over as many removals)."""
        removed = self._removed
        for table in (*self._postings, self._kinds):
            for feature, ids in list(table.items()):
                kept = sorted(set(ids).difference(removed))
                if kept:
                    table[feature] = kept
                else:
                    del table[feature]
        self._removed = set()

    def _note_added(self, ident: int, candidate: Candidate) -> None:
        search = self._search
        if search is None or not _passes(search.filter, candidate):
            return
        if not search.root_split:
            if search.mask is not None:
                search.mask.add(ident)
            return
        if search.inbox is None or search.inbox not in search.tiers:
            search.inbox = _Tier(NO_MATCH, 0, set(), 0)
            search.tiers[search.inbox] = None
        assert search.inbox.ids is not None
        search.inbox.ids.add(ident)

    def _note_removed(self, ident: int) -> None:
        assert self._search is not None
        if self._search.mask is not None:
            self._search.mask.discard(ident)
        for tier in self._search.tiers:
            if tier.ids is not None:
                tier.ids.discard(ident)

    # search ---------------------------------------------------------------

    def search(
        self,
        query: str,
        kinds: frozenset[str] | None = None,
        crd: bool = False,
        limit: int = 8,
    ) -> list[Ranked]:
        """The best `limit` candidates for `query`, as `fuzzy.rank` would rank them.

        `kinds` limits results to those kinds (with `crd`, custom resources too).
        """
        self._settle_order()
        wanted: Filter = (kinds, crd)
        lowered = query.lower()
        search = self._search
        if (
            search is None
            or search.filter != wanted
            or not lowered.startswith(search.query)
        ):
            search = self._fresh_search(wanted)
        search.query = lowered
        self._search = search
        return self._best(query, search, limit)

    def _fresh_search(self, wanted: Filter) -> _Search:
        kinds, crd = wanted
        mask: set[int] | None = None
        if kinds is not None:
            mask = set(self._crd) if crd else set()
            for kind in kinds:
                mask.update(self._kinds.get(kind, ()))
            mask.difference_update(self._removed)
        search = _Search("", wanted, mask)
        search.tiers[_Tier(NO_MATCH, 0, None, 0)] = None
        return search

    def _best(self, query: str, search: _Search, limit: int) -> list[Ranked]:
        """Best-first: pop the lowest key; an exact result popped is final."""
        length = len(search.query)
        gains = [_remaining_gain(search.query, done) for done in range(length + 1)]
        heap: list[tuple[SortKey, int, int, object]] = []
        tick = itertools.count()

        def push_tier(tier: _Tier) -> None:
            top = tier.bound + gains[tier.done]
            heap.append(((-(top * 10 + MAX_BOOST), -1, "", -1), 2, next(tick), tier))

        for tier in search.tiers:
            push_tier(tier)
        heapq.heapify(heap)
        results: list[Ranked] = []
        while heap and len(results) < limit:
            _key, marker, _tick, item = heapq.heappop(heap)
            if marker == 0:
                results.append(item)  # type: ignore[arg-type]
            elif marker == 1:
                self._score_head(search.query, heap, tick, item)  # type: ignore[arg-type]
            elif item.done < length:  # type: ignore[attr-defined]
                for child in self._split(search, item):  # type: ignore[arg-type]
                    top = child.bound + gains[child.done]
                    key = (-(top * 10 + MAX_BOOST), -1, "", -1)
                    heapq.heappush(heap, (key, 2, next(tick), child))
            else:
                stream = self._stream(search, item)  # type: ignore[arg-type]
                self._push_head(heap, tick, stream, item.bound)  # type: ignore[attr-defined]
        return results

    def _push_head(
        self, heap: list, tick: Iterator[int], stream: Iterator[int], bound: int
    ) -> None:  # type: ignore[type-arg]
        ident = next(stream, None)
        if ident is None:
            return
        neg_boost, size, name, order = self._key(ident)
        key = (neg_boost - bound * 10, size, name, order)
        heapq.heappush(heap, (key, 1, next(tick), (ident, bound, stream)))

    def _score_head(
        self,
        query: str,
        heap: list,  # type: ignore[type-arg]
        tick: Iterator[int],
        head: tuple[int, int, Iterator[int]],
    ) -> None:
        ident, bound, stream = head
        self._push_head(heap, tick, stream, bound)
        score = self._score(ident, query)
        if score is None:
            return
        neg_boost, size, name, order = self._key(ident)
        total = score * 10 - neg_boost
        ranked = Ranked(total, self._cands[ident])
        heapq.heappush(heap, ((-total, size, name, order), 0, next(tick), ranked))

    def _score(self, ident: int, query: str) -> int | None:
        """`fuzzy.match_score`, resuming from the row kept for a shorter query."""
        name = self._lowered[ident]
        if not query:
            return 0
        if len(query) > len(name):
            return None
        kept = self._rows.get(ident)
        if kept is not None and kept[0] and query.startswith(kept[0]):
            done, row, starts = kept
        else:
            done, row, starts = "", None, word_starts(name)
        for letter in query[len(done) :]:
            row = match_row(row, letter, name, starts)
        if len(self._rows) >= KEPT_ROWS:
            self._rows.clear()
        assert row is not None
        self._rows[ident] = (query, row, starts)
        return row_score(row)

    def _stream(self, search: _Search, tier: _Tier) -> Iterator[int]:
        """A finished tier's ids in sort-key order, walked lazily where it is large."""
        ids = tier.ids
        if ids is None:
            ids = search.mask if search.mask is not None else self._cands  # type: ignore[assignment]
        assert ids is not None
        if len(ids) <= SORTED_TIER_MAX:
            return iter(sorted(ids, key=self._key))
        return filter(ids.__contains__, self._order)

    def _split(self, search: _Search, tier: _Tier) -> list[_Tier]:
        """Split `tier` by its next query letter into tighter tiers."""
        del search.tiers[tier]
        letter = search.query[tier.done]
        having = self._having(LETTERS, letter)
        if tier.ids is not None:
            ids = tier.ids & having
        else:
            search.root_split = True
            ids = search.mask & having if search.mask is not None else set(having)
        at = tier.done
        previous = search.query[at - 1] + letter if at > 0 else ""
        pair = self._having(PAIRS, previous) if previous else NOTHING
        start_pair = self._having(START_PAIRS, previous) if previous else NOTHING
        after_break = at > 0 and search.query[at - 1] in WORD_BREAKS
        merged: dict[tuple[int, int], set[int]] = {}
        for start, chunk in _halves(ids, self._having(STARTS, letter)):
            for paired, part in _halves(chunk, pair):
                for start_paired, piece in _halves(
                    part, start_pair if paired else NOTHING
                ):
                    key = _step(tier, after_break, start, paired, start_paired)
                    if key in merged:
                        merged[key] |= piece
                    else:
                        merged[key] = piece
        children = [_Tier(a, i, ids, at + 1) for (a, i), ids in merged.items()]
        for child in children:
            search.tiers[child] = None
        return children

    def _settle_order(self) -> None:
        """File new ids into the sort order and drop removed ones now and then."""
        key = self._key
        new = self._unsorted
        self._unsorted = []
        if len(new) * 4 > len(self._order):
            self._order.extend(new)
            self._order.sort(key=key)
        elif new:  # copy the long list once, not once per new id
            new.sort(key=key)
            spots = [bisect_left(self._order, key(ident), key=key) for ident in new]
            pieces: list[list[int]] = []
            last = 0
            for spot, ident in zip(spots, new, strict=True):
                pieces += [self._order[last:spot], [ident]]
                last = spot
            pieces.append(self._order[last:])
            self._order = list(itertools.chain.from_iterable(pieces))
        if self._stale > 1000 and self._stale * 8 > len(self._order):
            self._sweep()
        if len(self._removed) > max(1000, len(self._cands)):
            self._sweep_postings()

    def _sweep(self) -> None:
        self._order = [i for i in self._order if i in self._cands]
        self._gone = {}
        self._stale = 0


def _features(name: str) -> tuple[set[str], ...]:
    """A lowered name's features, by table: word-start letters (the first and each
    after a break), pairs, and pairs at word starts."""
    heads = [0, *[found.end() for found in BREAK.finditer(name)]]
    last = len(name) - 1
    return (
        {name[i] for i in heads if i <= last},
        set(map(add, name, name[1:])),
        {name[i : i + 2] for i in heads if i < last},
    )


def _halves(ids: set[int], having: Set[int]) -> list[tuple[bool, set[int]]]:
    """`ids` split into those in `having` and the rest, leaving out empty halves.

    `ids` itself becomes the rest: removing the (usually few) ids in `having` costs
    far less than copying the (usually many) others.
    """
    if not having:
        return [(False, ids)] if ids else []
    inside = ids & having
    ids -= inside
    return [(flag, part) for flag, part in ((True, inside), (False, ids)) if part]


def _passes(wanted: Filter, candidate: Candidate) -> bool:
    kinds, crd = wanted
    return kinds is None or candidate.kind in kinds or (crd and candidate.crd)
