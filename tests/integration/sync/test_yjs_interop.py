"""Interop with JavaScript Yjs (npm yjs and y-protocols run by Node), both directions.

The packages are expected in ``.venv/js/node_modules`` (``npm install --prefix
.venv/js yjs@13.6.33 y-protocols@1.0.6``).
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from krates_desktop.sync import framing
from krates_desktop.sync.framing import AwarenessMessage, SyncStep1
from krates_desktop.yard.awareness import YardAwareness
from krates_desktop.yard.doc import YardDoc
from krates_desktop.yard.model import ObjRef, Yard

REPO = Path(__file__).resolve().parents[3]
SCRIPT = Path(__file__).with_name("yjs_peer.mjs")
MODULES = REPO / ".venv" / "js" / "node_modules"


def peer_command(*args: str) -> list[str]:
    """The command that runs the Yjs peer next to its node_modules (ES modules resolve
    packages from the script's own folder)."""
    binary = shutil.which("node")
    assert binary, "node is not installed"
    assert (MODULES / "yjs").is_dir(), f"yjs is not installed under {MODULES}"
    script = MODULES.parent / SCRIPT.name
    shutil.copyfile(SCRIPT, script)
    return [binary, str(script), *args]


def node(*args: str) -> list[str]:
    """Run the Yjs peer; return its output lines."""
    result = subprocess.run(
        peer_command(*args), capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.splitlines()


def krates_yard() -> Yard:
    """A yard with two krates, a second window, a move and a minimize."""
    yard = Yard("3f9c2a7e-aaaa", YardDoc.new(name="payments-prod", cluster="ab" * 32))
    pod = ObjRef("Pod", "", "v1", "payments", "api-server-7c9d5-x2k4p")
    krate, _, _ = yard.open_view(pod, "logs", (6000, 4000))
    yard.open_view(pod, "shell", (6000, 4000))
    yard.move_krate(krate.id, (1200.5, 900.25))
    other, _, _ = yard.open_view(
        ObjRef("Node", "", "v1", None, "node-1"), "yaml", (1000, 1000)
    )
    yard.set_minimized(other.id, True)
    return yard


def test_yjs_reads_an_update_krates_produced(tmp_path: Path) -> None:
    """Yjs applies Krates' whole document and reads back the same meta and krates."""
    yard = krates_yard()
    update = tmp_path / "doc.bin"
    update.write_bytes(yard.doc.update_since())
    seen: dict[str, Any] = json.loads(node("read", str(update))[0])
    assert seen["krates"] == yard.doc.krates_map.to_py()
    assert seen["meta"]["name"] == "payments-prod" and seen["meta"]["schema"] == 1
    krate = next(
        k for k in seen["krates"].values() if k["label"] == "api-server-7c9d5-x2k4p"
    )
    assert krate["pos"] == [1200.5, 900.25]
    assert sorted(w["tab"] for w in krate["windows"].values()) == ["logs", "shell"]


def test_krates_reads_an_update_yjs_produced() -> None:
    """An update made by Yjs appears in the Yard mirror as a krate with its window."""
    update = base64.b64decode(node("write")[0])
    yard = Yard("3f9c2a7e-aaaa", YardDoc.new(name="y", cluster="c"))
    events: list[tuple[str, str]] = []
    yard.subscribe(lambda event, kid: events.append((event, kid)))
    yard.doc.apply_update(update, "yjs")
    krate = yard.krates["o-0000000000000000js01"]
    assert events == [("added", krate.id)]
    assert krate.label == "from-yjs" and krate.pos == (1234.5, 678.0) and krate.seq == 1
    assert [(w.wid, w.tab, w.w) for w in krate.windows.values()] == [
        ("w1-9b1c0d", "logs", 380.0)
    ]


def test_the_sync_handshake_and_awareness_work_with_y_protocols() -> None:
    """Yjs's SyncStep1 is answered with our SyncStep2 frame; its awareness frame reads as presence."""
    yard = krates_yard()
    child = subprocess.Popen(
        peer_command("handshake"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        step1 = framing.decode(base64.b64decode(child.stdout.readline()))
        presence = framing.decode(base64.b64decode(child.stdout.readline()))
        assert isinstance(step1, SyncStep1) and isinstance(presence, AwarenessMessage)
        answer = framing.sync_step2(yard.doc.update_since(step1.state_vector))
        child.stdin.write(base64.b64encode(answer).decode() + "\n")
        child.stdin.flush()
        seen = json.loads(child.stdout.readline())
        assert child.wait(20) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(5)
    assert seen["krates"] == yard.doc.krates_map.to_py()
    awareness = YardAwareness(1, "me", "Me")
    applied = awareness.apply(presence.update, "yjs")
    (state,) = [awareness.peers()[cid] for cid in applied.accepted]
    assert state["name"] == "Yjs Peer" and state["cursor"] == {"x": 10.0, "y": 20.0}
