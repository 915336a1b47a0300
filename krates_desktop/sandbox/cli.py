"""`krates sandbox`: serve the sandbox in the foreground until SIGINT or SIGTERM,
optionally filled with benchmark pods and events, or with real manifests."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from krates_desktop.sandbox.server import Sandbox, SandboxError


def run(
    port: int,
    kubeconfig: Path,
    *,
    pods: int = 0,
    events: int = 0,
    load: Sequence[Path] = (),
    pace: float = 1.0,
) -> int:
    """Serve on 127.0.0.1:`port` (0 = any free port), writing `kubeconfig`; 0 on a
    clean exit. `pods`/`events` add benchmark objects, `load` manifest files or
    folders, `pace` scales how fast the cluster moves (0 freezes it)."""
    with asyncio.Runner(loop_factory=asyncio.SelectorEventLoop) as runner:
        try:
            return runner.run(
                _serve(port, Path(kubeconfig), pods, events, list(load), pace)
            )
        except SandboxError as exc:
            print(f"krates sandbox: {exc}", file=sys.stderr, flush=True)
            return 1
        except KeyboardInterrupt:
            return 0


async def _serve(
    port: int,
    kubeconfig: Path,
    pods: int,
    events: int,
    load: list[Path],
    pace: float,
) -> int:
    with tempfile.TemporaryDirectory(prefix="krates-sandbox-") as directory:
        sandbox = Sandbox(
            port=port,
            state_dir=Path(directory),
            pods=pods,
            events=events,
            load=load,
            pace=pace,
        )
        await sandbox.start()
        try:
            for problem in sandbox.load_problems:
                print(f"krates sandbox: {problem}", file=sys.stderr, flush=True)
            written = sandbox.write_kubeconfig(kubeconfig)
            print(
                f"sandbox listening on {sandbox.url} (kubeconfig: {written})",
                flush=True,
            )
            await _until_signalled()
        finally:
            await sandbox.close()
    return 0


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
