"""Spotlight's ranking: subsequence scoring with bonuses, type boosts and ties."""

from __future__ import annotations

from krates_desktop.ui.spotlight.fuzzy import Candidate, match_score, rank


def test_word_start_and_consecutive_bonuses() -> None:
    """`api` in `api-server` scores (1+5)+(1+3)+(1+3) = 14."""
    assert match_score("api", "api-server") == 14


def test_best_alignment_wins() -> None:
    """The score is the best over all alignments (here `i` at the word start of `io`)."""
    assert match_score("api", "rapid-io") == 1 + 4 + 6


def test_non_subsequence_is_not_listed() -> None:
    """A name that lacks the query letters in order scores nothing."""
    assert match_score("xyz", "api-server") is None
    assert rank("xyz", [Candidate("Pod", "api-server")]) == []


def test_same_kind_ranks_api_server_above_rapid_io() -> None:
    """For two pods, `api` ranks api-server first."""
    ranked = rank("api", [Candidate("Pod", "rapid-io"), Candidate("Pod", "api-server")])
    assert [r.candidate.name for r in ranked] == ["api-server", "rapid-io"]
    assert ranked[0].score == 140 + 16


def test_type_boost_breaks_equal_matches() -> None:
    """With equal name matches a Deployment (+50) ranks above a Pod (+16)."""
    ranked = rank("cart", [Candidate("Pod", "cart"), Candidate("Deployment", "cart")])
    assert [r.candidate.kind for r in ranked] == ["Deployment", "Pod"]


def test_ties_go_to_shorter_then_alphabetical_and_at_most_eight() -> None:
    """Equal scores sort by length then name; only eight results come back."""
    names = [f"web-{i}" for i in range(12)] + ["web"]
    ranked = rank("web", [Candidate("Pod", n) for n in names])
    assert len(ranked) == 8
    assert ranked[0].candidate.name == "web"
    assert [r.candidate.name for r in ranked[1:3]] == ["web-0", "web-1"]
