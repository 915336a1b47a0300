"""Invite links, the room and key derived from the secret, and sealed payloads."""

from __future__ import annotations

import hashlib

import pytest

from krates_desktop.sync.errors import InviteError
from krates_desktop.sync.invite import make_invite, parse_invite
from krates_desktop.sync.sealing import (
    Sealer,
    SealError,
    YardSecret,
    bad_seal_notice,
    is_bad_seal_notice,
    room_id,
)

SECRET = YardSecret("n8Fh" + "A" * 39)
YARD = "Qm3v9cZb0kXn2s7RtY4wLg"


def test_a_link_round_trips_and_hides_its_secret() -> None:
    """A link built from an invite parses back to it; reprs never show the secret."""
    invite = make_invite(
        "wss://signal.example.test:8443/krates",
        YARD,
        SECRET,
        "payments-prod",
        "9a41c07be2d3f118" + "0" * 48,
    )
    link = invite.to_link()
    assert link.startswith(
        "krates://join?signal=wss%3A%2F%2Fsignal.example.test%3A8443%2Fkrates"
        f"&yard={YARD}&secret={SECRET.reveal()}"
    )
    assert link.endswith("&name=payments-prod&cluster=9a41c07be2d3f118")
    again = parse_invite(link)
    assert again == invite and not again.insecure
    assert SECRET.reveal() not in repr(again) and SECRET.reveal() not in str(
        again.secret
    )


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ("https://example.test/join?yard=x", "not a Krates invite link"),
        (f"krates://join?yard={YARD}&secret={SECRET.reveal()}", "no signal="),
        (f"krates://join?signal=wss%3A%2F%2Fh&secret={SECRET.reveal()}", "no yard="),
        (
            f"krates://join?signal=wss%3A%2F%2Fh&yard={YARD}&secret=short",
            "secret is damaged",
        ),
        (
            f"krates://join?signal=http%3A%2F%2Fh&yard={YARD}&secret={SECRET.reveal()}",
            "not a ws:// or wss:// URL",
        ),
        (
            f"krates://join?signal=wss%3A%2F%2Fh&yard=nope&secret={SECRET.reveal()}",
            "is not a yard id",
        ),
    ],
)
def test_bad_links_are_explained(link: str, message: str) -> None:
    """Each malformed link raises InviteError with a sentence naming the problem."""
    with pytest.raises(InviteError, match=message):
        parse_invite(link)


def test_a_ws_link_is_accepted_but_marked_insecure() -> None:
    """ws:// links parse; the join dialog can warn because `insecure` is true."""
    invite = parse_invite(make_invite("ws://127.0.0.1:8443/", YARD, SECRET).to_link())
    assert invite.insecure


def test_the_room_is_the_documented_hash() -> None:
    """room = hex(SHA-256("krates-room-v1" + yardId + secret))[:32]; another secret, another room."""
    expected = hashlib.sha256(
        b"krates-room-v1" + YARD.encode() + SECRET.raw
    ).hexdigest()[:32]
    assert room_id(YARD, SECRET) == expected
    assert room_id(YARD, YardSecret.generate()) != expected


def test_sealed_payloads_open_only_for_the_right_key_and_parties() -> None:
    """A seal opens with the same secret and parties; another key, swapped parties or a flipped bit fail."""
    sealer = Sealer(SECRET)
    data = sealer.seal(
        "peer-a", "peer-b", {"kind": "offer", "sdp": "v=0", "attempt": "1"}
    )
    assert "v=0" not in data
    assert Sealer(SECRET).open("peer-a", "peer-b", data)["sdp"] == "v=0"
    with pytest.raises(SealError):
        Sealer(YardSecret.generate()).open("peer-a", "peer-b", data)
    with pytest.raises(SealError):
        sealer.open("peer-b", "peer-a", data)
    flipped = data[:30] + ("A" if data[30] != "A" else "B") + data[31:]
    with pytest.raises(SealError):
        sealer.open("peer-a", "peer-b", flipped)
    with pytest.raises(SealError):
        sealer.open("peer-a", "peer-b", "not base64!")


def test_the_bad_seal_notice_is_recognised() -> None:
    """The unsealed notice is told apart from sealed data."""
    assert is_bad_seal_notice(bad_seal_notice())
    assert not is_bad_seal_notice(Sealer(SECRET).seal("a", "b", {}))
