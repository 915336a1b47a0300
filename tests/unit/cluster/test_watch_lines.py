"""Watch bodies cut into events: lines across chunks, blank lines, one huge chunk."""

from __future__ import annotations

import orjson

from krates_desktop.cluster.informer import _lines


def events(count: int) -> list[bytes]:
    return [
        orjson.dumps({"type": "MODIFIED", "object": {"n": i}}) for i in range(count)
    ]


def test_every_event_comes_out_once_however_the_body_is_cut() -> None:
    """The same body cut at every size from 1 byte to whole gives the same events,
    with the blank lines and CRLF a server or proxy may add left out."""
    sent = events(40)
    body = b"\n".join(sent[:20]) + b"\n\r\n  \n" + b"\r\n".join(sent[20:]) + b"\n"
    for size in (1, 2, 7, 64, 1000, len(body)):
        chunks = [body[i : i + size] for i in range(0, len(body), size)]
        got = [orjson.loads(line) for line in _lines(chunks)]
        assert got == [orjson.loads(e) for e in sent], size


def test_a_last_event_without_its_newline_still_counts() -> None:
    sent = events(3)
    got = [bytes(line) for line in _lines([b"\n".join(sent)])]
    assert got == sent
