"""`krates sandbox`: serve the sandbox in the foreground until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import tempfile
from pathlib import Path

from krates_desktop.sandbox.server import Sandbox, SandboxError


def run(port: int, kubeconfig: Path) -> int:
    """Serve on 127.0.0.1:`port` (0 = any free port), writing `kubeconfig`; 0 on a clean exit."""
    with asyncio.Runner(loop_factory=asyncio.SelectorEventLoop) as runner:
        try:
            return runner.run(_serve(port, Path(kubeconfig)))
        except SandboxError as exc:
            print(f"krates sandbox: {exc}", file=sys.stderr, flush=True)
            return 1
        except KeyboardInterrupt:
            return 0


async def _serve(port: int, kubeconfig: Path) -> int:
    with tempfile.TemporaryDirectory(prefix="krates-sandbox-") as directory:
        sandbox = Sandbox(port=port, state_dir=Path(directory))
        await sandbox.start()
        try:
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
