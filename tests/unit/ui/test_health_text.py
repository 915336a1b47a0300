"""The health view's and the loading pill's wording, from plain values."""

from __future__ import annotations

from krates_desktop.cluster.cache import Loading
from krates_desktop.cluster.kinds import NAMESPACE, SECRET, Kind
from krates_desktop.cluster.streams import ContextStats, Latency, Limits
from krates_desktop.sync.session import PeerStatus
from krates_desktop.ui.hud.health import context_section, lag_text, peer_line
from krates_desktop.ui.hud.loading import denied_text, kind_label, loading_text, refused

ROLE = Kind("iam.example.com", "v1alpha1", "Role", "roles", False, "roles")


def test_a_kind_refused_everywhere_is_named_once_and_others_by_namespace() -> None:
    denied = {
        ("secrets", "default"): "x",
        ("pods", "team-b"): "y",
        ("roles.iam.example.com", None): "z",
    }
    shown = refused(denied, {SECRET: "x", ROLE: "z", NAMESPACE: "w"})
    assert denied_text(shown) == (
        "no access: namespaces, pods in ns/team-b, roles.iam.example.com, secrets"
    )
    assert denied_text({}) == ""
    assert (
        kind_label(ROLE) == "roles.iam.example.com" and kind_label(SECRET) == "secrets"
    )


def test_loading_counts_only_kinds_with_objects() -> None:
    assert loading_text(Loading(0, 12), {"pods": 0}) == "loading 0 of 12 kinds"
    assert loading_text(
        Loading(3, 12), {"pods": 20000, "services": 0, "configmaps": 7}
    ) == ("loading 3 of 12 kinds · 20,000 pods · 7 configmaps")


def test_context_lines_show_caps_latency_errors_and_reconnects() -> None:
    stats = ContextStats(
        "prod", 11, 2, 1, {"list": Latency(40, 3.5, 12.0, 30.25)}, {"429": 2}, {}
    )
    section = context_section(stats, Limits(logs=20, shells=10))
    assert section.title == "prod"
    assert section.lines == (
        "11 watches · 2 of 20 log streams · 1 of 10 shells",
        "list: p50 3.5 ms · p95 12 ms · p99 30.25 ms · 40 requests",
        "errors: 429 2",
        "reconnects: none",
    )


def test_a_peer_line_says_path_rtt_and_lag() -> None:
    peer = PeerStatus(
        "p1",
        "synced",
        "relay",
        name="Bob",
        last_update_at=100.0,
        unacked=3,
        rtt_ms=41.6,
    )
    assert peer_line(peer, now=102.5) == (
        "Bob · synced · relay · RTT 42 ms · last update 2.5 s ago · 3 unacked"
    )
    fresh = PeerStatus("p2abcdefgh", "syncing")
    assert lag_text(fresh) == "no update yet · 0 unacked"
    assert peer_line(fresh).startswith("p2abcdef · syncing · path unknown · RTT —")
