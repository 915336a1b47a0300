"""A yard peer in its own process, for the multi-process tests.

``python -m tests.integration.sync.peer_process --link LINK --store DIR --state FILE``
joins the yard (or, with ``--offline``, only opens it from disk), applies
``--ops`` random edits and ``--open`` named krates, saves the document, writes
its krates as JSON to FILE whenever they change, prints ``READY`` and runs until
it is killed or sent SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
from pathlib import Path

from krates_desktop.yard.doc import YardDoc
from krates_desktop.yard.model import ObjRef, Yard
from krates_desktop.yard.store import AutoSaver, YardStore
from tests.integration.sync.harness import (
    all_synced,
    peer_from_invite,
    random_ops,
    wait_for,
)


def _write_state(yard: Yard, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(yard.doc.krates_map.to_py(), sort_keys=True))
    tmp.replace(path)


def _open_named(yard: Yard, names: list[str]) -> None:
    for name in names:
        yard.open_view(
            ObjRef("Pod", "", "v1", "offline", name), "logs", (3000.0, 3000.0)
        )


async def run(args: argparse.Namespace) -> None:
    """Open the yard, edit it, keep it in sync, until stopped."""
    store = YardStore(Path(args.store))
    invite_yard = args.link.split("yard=")[1].split("&")[0]
    doc = store.load(invite_yard) or YardDoc()
    peer = peer_from_invite(args.link, args.name, args.index, doc)
    saver = AutoSaver(store, peer.yard.doc, delay=0.05)
    state = Path(args.state)
    peer.yard.doc.on_changed(lambda _origin: _write_state(peer.yard, state))
    _write_state(peer.yard, state)
    if args.offline:
        _open_named(peer.yard, args.open)
        saver.flush()
        _write_state(peer.yard, state)
        print("READY", flush=True)
        return
    await peer.start()
    await wait_for(all_synced([peer], 1), 20, "a first sync")
    random_ops(peer, random.Random(args.seed), args.ops)
    _open_named(peer.yard, args.open)
    saver.flush()
    print("READY", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await peer.stop()
    saver.close()


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--link", required=True)
    parser.add_argument("--store", required=True)
    parser.add_argument("--state", required=True)
    parser.add_argument("--name", default="Sam Okafor")
    parser.add_argument("--index", type=int, default=2)
    parser.add_argument("--ops", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--open", action="append", default=[])
    parser.add_argument("--offline", action="store_true")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
