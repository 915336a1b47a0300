"""Benchmarks of the sandbox: how fast it starts in-process (the goal is under a
second, so every test can have a fresh one), and how `kubectl get pods -A` fares
against 20,000 pods beside the sandbox's own JSON encoding of them.

Run: `.venv/bin/python bench/sandbox.py [--pods 20000] [--runs 3]`. It prints
figures; it is not a test. kubectl runs with `-v=6`, whose log says how long each
response took to arrive and how long kubectl's own client-side rate limiter (5
requests a second after a burst of 10, whatever the server says) held each page
back: the figures split kubectl's time into those parts.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import orjson

from krates_desktop.sandbox.bulk import fill
from krates_desktop.sandbox.seed import seed
from krates_desktop.sandbox.server import Sandbox
from krates_desktop.sandbox.state import SandboxState
from krates_desktop.sandbox.tables import to_table

KUBECTL = Path(sys.executable).with_name("kubectl")


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def start_times(runs: int) -> list[float]:
    """Seconds from `Sandbox(...)` to serving, for a fresh sandbox each time."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        box = Sandbox(port=0)
        box.start_in_thread()
        samples.append(time.perf_counter() - started)
        box.stop()
    return samples


_WAITED = re.compile(r'"Waited before sending request" delay="([0-9.]+)(ms|s)"')
_RESPONSE = re.compile(r'"Response" verb="GET" .* milliseconds=(\d+)')


class Run:
    """One kubectl run: wall time, and from its -v=6 log the seconds spent waiting
    for responses and in client-side throttling."""

    def __init__(self, seconds: float, log: str) -> None:
        self.seconds = seconds
        self.server = sum(int(m[1]) for m in _RESPONSE.finditer(log)) / 1000
        self.throttled = sum(
            float(m[1]) / (1000 if m[2] == "ms" else 1) for m in _WAITED.finditer(log)
        )
        self.requests = len(_RESPONSE.findall(log))


def _kubectl(box: Sandbox, home: Path, *args: str) -> Run:
    kubeconfig = box.write_kubeconfig(home / "kubeconfig")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "KUBECONFIG": str(kubeconfig),
    }
    command = [str(KUBECTL if KUBECTL.exists() else "kubectl"), "-v=6", *args]
    started = time.perf_counter()
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, check=True
    )
    return Run(time.perf_counter() - started, result.stderr)


def _on_loop(box: Sandbox, function: Callable[[], float]) -> float:
    return box.call(function)


def _encode_all(box: Sandbox) -> float:
    pods = box.state.store.list(box.state.kind("", "pods"))
    started = time.perf_counter()
    orjson.dumps({"kind": "PodList", "apiVersion": "v1", "items": pods})
    return time.perf_counter() - started


def _table_all(box: Sandbox) -> float:
    """Seconds to render and encode the Table kubectl asks for, of every pod."""
    kind = box.state.kind("", "pods")
    pods = box.state.store.list(kind)
    started = time.perf_counter()
    orjson.dumps(to_table(kind, pods, {"resourceVersion": "1"}))
    return time.perf_counter() - started


def memory_per_pod(count: int) -> float:
    """Bytes of Python heap per benchmark pod (tracemalloc, fill only)."""
    home = Path(tempfile.mkdtemp(prefix="krates-bench-"))
    state = SandboxState.create(home)
    seed(state.store, state.registry)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    fill(state, pods=count)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    shutil.rmtree(home, ignore_errors=True)
    return (after - before) / count


def list_benchmark(pods: int, runs: int) -> None:
    """kubectl list times against the sandbox's JSON encoding of the same pods."""
    home = Path(tempfile.mkdtemp(prefix="krates-bench-"))
    started = time.perf_counter()
    box = Sandbox(port=0, pods=pods, pace=0)
    box.start_in_thread()
    print(f"start with {pods:,} pods: {time.perf_counter() - started:.2f} s")
    try:
        _kubectl(box, home, "get", "namespaces")  # fills kubectl's discovery cache
        table = [_kubectl(box, home, "get", "pods", "-A") for _ in range(runs)]
        whole = [
            _kubectl(box, home, "get", "pods", "-A", "--chunk-size=0")
            for _ in range(runs)
        ]
        encode = [_on_loop(box, lambda: _encode_all(box)) for _ in range(runs)]
        tables = [_on_loop(box, lambda: _table_all(box)) for _ in range(runs)]
    finally:
        box.stop()
        shutil.rmtree(home, ignore_errors=True)
    base = _median(encode)
    print(f"sandbox JSON encoding of {pods:,} pods (orjson): {base:.2f} s")
    print(
        f"sandbox Table of {pods:,} pods, rendered and encoded: "
        f"{_median(tables):.2f} s ({_median(tables) / base:.1f}x the encoding)"
    )
    for label, samples in (
        ("kubectl get pods -A (pages of 500)", table),
        ("kubectl get pods -A --chunk-size=0", whole),
    ):
        run = sorted(samples, key=lambda r: r.seconds)[len(samples) // 2]
        print(
            f"{label}: {run.seconds:.2f} s ({run.seconds / base:.1f}x the encoding); "
            f"{run.requests} requests, {run.server:.2f} s waiting for responses, "
            f"{run.throttled:.2f} s in kubectl's client-side throttling"
        )


def main() -> int:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pods", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    samples = start_times(max(args.runs, 5))
    print(
        f"in-process start: median {_median(samples) * 1000:.0f} ms, "
        f"max {max(samples) * 1000:.0f} ms (goal: under 1000 ms)"
    )
    per_pod = memory_per_pod(min(args.pods, 5_000))
    print(f"memory per benchmark pod: {per_pod / 1024:.1f} KiB (Python heap)")
    list_benchmark(args.pods, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
