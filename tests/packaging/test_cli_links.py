"""The command line accepts invite links as a desktop's URL handler passes them."""

from __future__ import annotations

from krates_desktop.cli import _take_link, build_parser

LINK = (
    "krates://join?signal=ws%3A%2F%2F127.0.0.1%3A9&yard=Qm3v9cZb0kXn2s7RtY4wLg&secret=x"
)


def test_bare_link_is_split_off_and_the_rest_parses() -> None:
    """`krates --profile P krates://…` keeps --profile and takes the link aside."""
    rest, link = _take_link(["--profile", "/tmp/p", LINK])
    assert link == LINK and rest == ["--profile", "/tmp/p"]
    assert build_parser().parse_args(rest).profile.name == "p"


def test_join_keeps_its_argument() -> None:
    """`krates join LINK` leaves the link to the join subcommand."""
    rest, link = _take_link(["join", LINK])
    assert link == "" and build_parser().parse_args(rest).link == LINK


def test_scheme_is_matched_without_regard_to_case() -> None:
    """Desktops may pass the scheme as KRATES://; it is still a link."""
    assert _take_link(["KRATES://join?x"])[1] == "KRATES://join?x"
    assert _take_link(["--demo"]) == (["--demo"], "")
