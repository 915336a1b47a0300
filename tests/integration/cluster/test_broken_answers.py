"""An API server that answers with broken bodies: the informer names what is wrong
and where, and a watch skips the lines it cannot use and applies the rest.

The sandbox is faithful and never sends such answers, so a plain HTTP server on
loopback plays the broken one here.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from kubernetes.client import Configuration

from krates_desktop.cluster.informer import Change, Informer
from krates_desktop.cluster.kinds import POD
from krates_desktop.cluster.status import object_status


def _pod(name: str, version: int, team: str = "a") -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "namespace": "shop",
            "uid": f"uid-{name}",
            "resourceVersion": str(version),
            "labels": {"team": team},
        },
        "spec": {"containers": [{"name": "app", "image": "nginx"}]},
        "status": {"phase": "Running"},
    }


class BrokenServer(http.server.ThreadingHTTPServer):
    """Serves the list body `list_body` and, for watches, the lines `watch_lines`."""

    daemon_threads = True
    list_body = b""
    watch_lines: list[bytes] = []


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: BrokenServer

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        if "watch=true" in self.path:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for line in self.server.watch_lines:
                self.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n")
            self.wfile.flush()
            time.sleep(5)
            return
        body = self.server.list_body
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[BrokenServer]:
    broken = BrokenServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=broken.serve_forever, daemon=True)
    thread.start()
    yield broken
    broken.shutdown()
    broken.server_close()


class Listener:
    def __init__(self) -> None:
        self.changes: list[Change] = []
        self.states: list[tuple[str, str]] = []
        self.cond = threading.Condition()

    def informer_changes(self, informer: Informer, changes: list[Change]) -> None:
        with self.cond:
            self.changes += changes
            self.cond.notify_all()

    def informer_state(self, informer: Informer, state: str, message: str) -> None:
        with self.cond:
            self.states.append((state, message))
            self.cond.notify_all()

    def wait(self, predicate: Any, timeout: float = 10) -> None:
        with self.cond:
            assert self.cond.wait_for(predicate, timeout), (self.states, self.changes)


def _informer(server: BrokenServer) -> tuple[Informer, Listener]:
    configuration = Configuration(host=f"http://127.0.0.1:{server.server_address[1]}")
    informer = Informer(configuration, POD, None, ("broken",), watch_timeout=5)
    listener = Listener()
    informer.add_listener(listener)
    informer.start()
    return informer, listener


def _page(*items: Any) -> bytes:
    return orjson.dumps(
        {"kind": "PodList", "metadata": {"resourceVersion": "5"}, "items": list(items)}
    )


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"<html>Bad gateway</html>", "unexpected answer for /api/v1/pods"),
        (b'{"items": {"web": 1}}', "unexpected answer for /api/v1/pods"),
        (b'{"metadata": {"continue": ["x"]}, "items": []}', "unexpected answer"),
        (
            orjson.dumps({"metadata": {"continue": "again"}, "items": [_pod("a", 1)]}),
            "sent the same continue token twice for /api/v1/pods",
        ),
    ],
)
def test_a_list_that_cannot_be_read_says_so(
    server: BrokenServer, body: bytes, said: str
) -> None:
    """The informer does not crash, go quiet or loop: its state says what was wrong."""
    server.list_body = body
    informer, listener = _informer(server)
    try:
        listener.wait(lambda: any(s == "degraded" for s, _ in listener.states))
    finally:
        informer.stop()
    message = next(m for s, m in listener.states if s == "degraded")
    assert said in message, message
    assert not listener.changes, "nothing half-read reaches the cache"


def test_objects_a_list_cannot_use_are_left_out_and_the_rest_kept(
    server: BrokenServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Items that are not objects, have no name or hold bytes that are not UTF-8 are
    left out, each said in the log; pods with fields of odd types (an object for the
    containers, a string for a count, an integer past 64 bits or deep nesting in the
    labels) keep their names; the good pods around them all arrive."""
    deep = b"[" * 300 + b'"x"' + b"]" * 300
    nested = b'{"metadata": {"name": "nested", "namespace": "shop", "labels": {"d": '
    odd = _pod("odd", 3)
    odd["spec"]["containers"] = {"app": "nginx"}
    odd["status"]["containerStatuses"] = [{"name": "app", "restartCount": "many"}]
    bad_utf8 = orjson.dumps(_pod("bytes", 3)).replace(b'"team"', b'"te\xffam"')
    items = [
        orjson.dumps(_pod("first", 1)),
        b"7",
        b"null",
        b'{"metadata": "x"}',
        orjson.dumps({"metadata": {"namespace": "shop"}, "spec": {}}),
        b'{"metadata": {"name": "big", "namespace": "shop", "labels": {"size": '
        b"18446744073709551616}}}",
        nested + deep + b"}}}",
        orjson.dumps(odd),
        bad_utf8,
        orjson.dumps(_pod("last", 2)),
    ]
    server.list_body = (
        b'{"kind": "PodList", "metadata": {"resourceVersion": "5"}, "items": ['
        + b", ".join(items)
        + b"]}"
    )
    informer, listener = _informer(server)
    try:
        listener.wait(lambda: informer.state[0] == "synced" and listener.changes)
        names = sorted(o["metadata"]["name"] for o in informer.objects())
        kept = informer.get("shop", "odd")
    finally:
        informer.stop()
    assert names == ["big", "first", "last", "nested", "odd"]
    assert kept == {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {
            "name": "odd",
            "namespace": "shop",
            "uid": "uid-odd",
            "resourceVersion": "3",
        },
    }
    assert object_status("Pod", kept)[1] == "unknown"
    left_out = [r.getMessage() for r in caplog.records if "left out" in r.getMessage()]
    assert len(left_out) == 10 - len(names), (names, left_out)
    assert any("expected an object, found a number" in m for m in left_out)
    assert any("has no name" in m or "no metadata" in m for m in left_out)


def test_a_watch_skips_lines_it_cannot_use_and_applies_the_rest(
    server: BrokenServer,
) -> None:
    """Not JSON, a number, an event without an object or with a string or null for
    one, a nameless pod, bytes that are not UTF-8, a pod with odd field types (kept
    by its names, then fixed by its next event), bookmarks: the good events around
    them all arrive, in order, and the watch is never restarted."""
    odd = _pod("odd", 7)
    odd["spec"]["containers"] = "not a list"
    fixed = _pod("odd", 9, team="c")
    event = lambda kind, obj: orjson.dumps({"type": kind, "object": obj}) + b"\n"  # noqa: E731
    server.list_body = _page(_pod("web", 4))
    server.watch_lines = [
        b"not json\n",
        b"42\n",
        b'{"type": "MODIFIED"}\n',
        b'{"type": "MODIFIED", "object": "web"}\n',
        b'{"type": "MODIFIED", "object": null}\n',
        event("ADDED", {"metadata": {"namespace": "shop"}}),
        event("ADDED", odd),
        event("BOOKMARK", {"kind": "Pod", "metadata": {"resourceVersion": "8"}}),
        event("MODIFIED", _pod("web", 8, team="b")).replace(b'"app"', b'"\xff"'),
        event("MODIFIED", fixed),
        event("DELETED", _pod("never-seen", 10)),
        event("MODIFIED", _pod("web", 11, team="d")),
        event("BOOKMARK", {"kind": "Pod", "metadata": {"resourceVersion": "12"}}),
    ]
    informer, listener = _informer(server)
    try:
        listener.wait(lambda: len(listener.changes) >= 4)
        assert [s for s, _ in listener.states] == ["loading", "synced"], listener.states
        web = informer.get("shop", "web")
        assert web is not None and web["metadata"]["labels"] == {"team": "d"}
        again = informer.get("shop", "odd")
        assert again is not None and again["metadata"]["labels"] == {"team": "c"}
        assert again["spec"]["containers"] == [{"name": "app", "image": "nginx"}]
    finally:
        informer.stop()
    assert [(c.type, c.obj["metadata"]["name"]) for c in listener.changes] == [
        ("ADDED", "web"),
        ("ADDED", "odd"),
        ("MODIFIED", "odd"),
        ("MODIFIED", "web"),
    ]
