"""The cluster layer at scale, beside the official client's own model path, in one run.

Run: `.venv/bin/python bench/cluster.py [--pods 20000] [--events 25000] [--churn 20000]`

A sandbox serving the pods and events runs in a process of its own (as `krates
sandbox --pods N --events N` would), and each client runs in a fresh process, so
their memory figures do not mix:

* krates: a `ClusterCache` of Pods (pages of 500, orjson, compact records);
* client: `CoreV1Api.list_pod_for_all_namespaces()` into models, then
  `watch.Watch().stream(...)` applying events to a dict of models.

For each it prints the time until spotlight could search every pod (the list is
in and every name is indexed), the peak memory of the process, the memory per
cached pod with and without spotlight's index (the client's stand-in for it is a
plain list of names), and the watch throughput: while the client's watch is down
(the sandbox ends it and refuses it meanwhile) the sandbox modifies ``--churn`` pods,
then the client resumes from its last version and applies the MODIFIED events as
fast as it can, the sandbox sending them from its history. A second run replays a
recording of the same list and events from a plain HTTP server. Meanwhile a thread
standing in for the GUI thread asks for 5 ms naps; its worst lateness is how long
the GUI would have been blocked.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# -- the sandbox process -----------------------------------------------------------


async def _modify(box: Any, churn: int, run: int) -> float:
    """Modify ``churn`` pods in the store (each a MODIFIED event) while the clients'
    watches are down; return the time taken.

    The clients then resume their watches from the version they had and apply the
    events as fast as they can: the client, not the sandbox's pace of writing
    (about 10,000 a second), sets the rate measured. Meanwhile every pods request
    fails with a 500, so they cannot come back early, and the sandbox's collector
    is paused (its full collections over the stored history would set the pace).
    """
    import asyncio

    state = box.state
    box.faults.fail(count=10**6, path="/api/v1/pods")
    state.store.end_watches()
    gc.disable()
    kind = state.registry.by_key(("", "pods"))
    assert kind is not None
    names = [
        (p["metadata"]["namespace"], p["metadata"]["name"])
        for p in state.store.list(kind)
    ]
    started = time.perf_counter()
    for index in range(churn):
        namespace, name = names[index % len(names)]
        tick = f"{run}-{index}"

        def touch(obj: dict[str, Any], tick: str = tick) -> None:
            obj["metadata"].setdefault("annotations", {})["bench/tick"] = tick

        state.store.mutate(kind, namespace, name, touch)
        if index % 200 == 199:
            await asyncio.sleep(0)
    took = time.perf_counter() - started
    gc.enable()
    box.faults.clear()
    return took


def serve(kubeconfig: Path, pods: int, events: int, churn: int) -> None:
    """Serve the sandbox; on 'churn' modify pods as fast as possible, then say so."""
    import asyncio
    import logging

    from krates_desktop.sandbox.server import Sandbox

    # (the 500s answered on purpose during the churn would each log an error)
    logging.getLogger("krates_desktop.sandbox.api").setLevel(logging.CRITICAL)
    box = Sandbox(port=0, pods=pods, events=events, history=max(churn * 2, 10000))
    box.start_in_thread()
    box.write_kubeconfig(kubeconfig)
    # Its controllers first give the bulk's Deployments and ReplicaSets their status
    # (a few seconds of writes): the first client would list while they work.
    settled(box)
    print("ready", flush=True)
    for run, line in enumerate(sys.stdin):
        if line.strip() != "churn":
            break
        future = asyncio.run_coroutine_threadsafe(_modify(box, churn, run), box._loop)  # type: ignore[arg-type]
        print(f"churned {future.result(600):.3f}", flush=True)
    box.stop()


def settled(box: Any, quiet: float = 1.0, longest: float = 60.0) -> None:
    """Wait until the sandbox has written nothing for `quiet` seconds."""
    deadline = time.monotonic() + longest
    version, since = box.state.store.resource_version, time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet:
        time.sleep(0.1)
        if box.state.store.resource_version != version:
            version, since = box.state.store.resource_version, time.monotonic()


# -- measuring helpers ----------------------------------------------------------------


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000


def traced_kb(build: Any) -> float:
    """The memory (KB) that what `build()` returns holds, as traced allocations.

    A second copy of the index is measured so: a drop in the process size after
    deleting the first one would miss memory the allocator keeps.
    """
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    built = build()
    gc.collect()
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del built
    return size / 1000


class GuiProbe:
    """A thread that naps 5 ms at a time and records how late it wakes up."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> GuiProbe:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.perf_counter()
            time.sleep(0.005)
            self.worst = max(self.worst, time.perf_counter() - started - 0.005)


def tell(message: str) -> None:
    print(message, flush=True)


def ask() -> str:
    return sys.stdin.readline().strip()


def release_events(host: str, live: bool) -> None:
    """Have the watch events sent now that the client is ready (and its index full).

    Live, the sandbox ends the watch, modifies the pods and lets the watch back
    (this returns then); replayed, the recording's watch stream starts at once.
    """
    if live:
        tell("listed")
        assert ask().startswith("churned")
    else:
        import urllib.request

        with urllib.request.urlopen(f"{host}/go", timeout=10) as response:
            response.read()


# -- the two clients ------------------------------------------------------------------


def run_krates(kubeconfig: Path, churn: int, live: bool) -> dict[str, Any]:
    import logging

    # (ERROR: the watch's warnings while the sandbox refuses it, by design, are noise)
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    from krates_desktop.cluster import informer as informer_module
    from krates_desktop.cluster.cache import ClusterCache, Synced
    from krates_desktop.cluster.kinds import POD
    from krates_desktop.cluster.kubeconfig import Kubeconfig
    from krates_desktop.ui.bridge import Dispatcher
    from krates_desktop.ui.cluster_source import ClusterSource
    from krates_desktop.ui.spotlight.index import SearchIndex

    client = Kubeconfig.load([kubeconfig]).api_client()
    gc.collect()
    before = rss_mb()
    synced = threading.Event()
    batches = [0]
    # spotlight's own index, filled from each batch as the window fills it
    source = ClusterSource(None, Dispatcher())
    search = SearchIndex()

    def on_changes(changes: list[Any]) -> None:
        batches[0] += 1
        search.update(source.candidate_changes(changes, known=search))

    def on_status(status: object) -> None:
        if isinstance(status, Synced):
            synced.set()

    cache = ClusterCache(
        client, kinds=[POD], on_changes=on_changes, on_status=on_status
    )
    # Coalescing folds several changes of one pod into one: count the events the
    # informer applies instead of the changes delivered.
    counter = _count_applied(informer_module)
    with GuiProbe() as list_probe:
        started = time.perf_counter()
        cache.start()
        synced.wait(600)
        search.search("")  # files the last names into the index's order
        ready = time.perf_counter() - started
    count = len(search.candidates())
    gc.collect()
    after = rss_mb()
    batches[0] = 0
    with GuiProbe() as watch_probe:
        counter.value = 0
        release_events(client.configuration.host, live)
        deadline = time.monotonic() + 120
        while counter.value < churn and time.monotonic() < deadline:
            time.sleep(0.01)
        watch_took = counter.last - counter.first if counter.value else float("nan")
    # Measured after the watch phase: tracing allocations while watch events arrive
    # (the replay sends them right after the list) would slow what is measured.
    index_kb = traced_kb(lambda: _index_of(source, [POD], cache))
    cache.stop()
    return {
        "ready_s": ready,
        "pods": count,
        "peak_mb": peak_mb(),
        "per_pod_kb": (after - before) * 1000 / max(count, 1),
        "cache_pod_kb": ((after - before) * 1000 - index_kb) / max(count, 1),
        "watch_events": counter.value,
        "watch_eps": counter.value / watch_took if watch_took else 0.0,
        "gui_worst_ms_list": list_probe.worst * 1000,
        "gui_worst_ms_watch": watch_probe.worst * 1000,
        "batches": batches[0],
    }


def _index_of(source: Any, kinds: list[Any], cache: Any) -> Any:
    """A spotlight index of everything `cache` holds, filled as the window fills it."""
    from krates_desktop.cluster.informer import Change
    from krates_desktop.ui.spotlight.index import SearchIndex

    index = SearchIndex()
    for kind in kinds:
        added = (Change("ADDED", kind, obj) for obj in cache.objects(kind))
        index.update(source.candidate_changes(added, known=index))
    index.search("")
    return index


class _Counter:
    def __init__(self) -> None:
        self.value = 0
        self.first = 0.0
        self.last = 0.0


def _count_applied(informer_module: Any) -> _Counter:
    """Count MODIFIED events as the informer applies them (wrapping its method)."""
    counter = _Counter()
    original = informer_module.Informer._apply

    def counting(self: Any, event_type: str, *args: Any) -> None:
        original(self, event_type, *args)
        if event_type == "MODIFIED":
            now = time.perf_counter()
            if counter.value == 0:
                counter.first = now
            counter.value += 1
            counter.last = now

    informer_module.Informer._apply = counting
    return counter


def run_client(kubeconfig: Path, churn: int, live: bool) -> dict[str, Any]:
    from kubernetes import client as k8s
    from kubernetes import config, watch
    from kubernetes.client.exceptions import ApiException

    api_client = config.new_client_from_config(str(kubeconfig))
    core = k8s.CoreV1Api(api_client)
    gc.collect()
    before = rss_mb()
    with GuiProbe() as list_probe:
        started = time.perf_counter()
        listing = core.list_pod_for_all_namespaces()
        pods = {(p.metadata.namespace, p.metadata.name): p for p in listing.items}
        index = [(name.lower(), ns) for ns, name in pods]
        ready = time.perf_counter() - started
    version = listing.metadata.resource_version
    del listing
    gc.collect()
    after = rss_mb()
    index_kb = traced_kb(lambda: [(name.lower(), ns) for ns, name in pods])
    applied = 0
    first = last = 0.0
    result: dict[str, Any] = {}
    deliveries = 0

    def follow() -> None:
        # The client's Watch does not come back after an error: like any program
        # using it, this one resumes from the last version it saw, a second later.
        nonlocal applied, first, last, deliveries
        resume = version
        deadline = time.monotonic() + 300
        while applied < churn and time.monotonic() < deadline:
            stream = watch.Watch().stream(
                core.list_pod_for_all_namespaces,
                resource_version=resume,
                timeout_seconds=120,
            )
            try:
                for event in stream:
                    if event["type"] not in ("ADDED", "MODIFIED", "DELETED"):
                        continue
                    obj = event["object"]
                    resume = obj.metadata.resource_version
                    if event["type"] != "MODIFIED":
                        continue
                    pods[(obj.metadata.namespace, obj.metadata.name)] = obj
                    deliveries += 1
                    now = time.perf_counter()
                    if applied == 0:
                        first = now
                    applied += 1
                    last = now
                    if applied >= churn:
                        return
            except ApiException:
                time.sleep(1)

    with GuiProbe() as watch_probe:
        thread = threading.Thread(target=follow, daemon=True)
        thread.start()
        time.sleep(0.5)
        release_events(api_client.configuration.host, live)
        thread.join(300)
    result.update(
        ready_s=ready,
        pods=len(index),
        peak_mb=peak_mb(),
        per_pod_kb=(after - before) * 1000 / max(len(index), 1),
        cache_pod_kb=((after - before) * 1000 - index_kb) / max(len(index), 1),
        watch_events=applied,
        watch_eps=applied / (last - first) if applied > 1 else 0.0,
        gui_worst_ms_list=list_probe.worst * 1000,
        gui_worst_ms_watch=watch_probe.worst * 1000,
        batches=deliveries,
    )
    return result


def kubectl_get(kubeconfig: Path) -> float:
    kubectl = ROOT / ".venv" / "bin" / "kubectl"
    started = time.perf_counter()
    subprocess.run(
        [
            str(kubectl),
            "--kubeconfig",
            str(kubeconfig),
            "get",
            "pods",
            "-A",
            "--no-headers",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
        env={**os.environ, "HOME": str(kubeconfig.parent)},
    )
    return time.perf_counter() - started


# -- orchestration --------------------------------------------------------------------


def measure(
    which: str, kubeconfig: Path, server: subprocess.Popen[str], churn: int
) -> dict[str, Any]:
    child = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--child",
            which,
            "--kubeconfig",
            str(kubeconfig),
            "--churn",
            str(churn),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin and child.stdout and server.stdin and server.stdout
    line = child.stdout.readline().strip()
    assert line == "listed", line
    server.stdin.write("churn\n")
    server.stdin.flush()
    churned = server.stdout.readline().strip()
    child.stdin.write(churned + "\n")
    child.stdin.flush()
    result = json.loads(child.stdout.readline())
    child.wait(60)
    result["server_churn_s"] = float(churned.split()[1])
    return result


def measure_replay(directory: Path, source: Path, churn: int) -> dict[str, Any]:
    """Run both clients against a replay of the sandbox's list and a watch burst."""
    kubeconfig = directory / "replay-kubeconfig"
    server = subprocess.Popen(
        [sys.executable, __file__, "--replay", "--kubeconfig", str(kubeconfig),
         "--source", str(source), "--churn", str(churn)],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert server.stdout is not None
    assert server.stdout.readline().strip() == "ready"
    results = {}
    for name in ("krates", "client"):
        child = subprocess.run(
            [sys.executable, __file__, "--child", f"{name}-replay",
             "--kubeconfig", str(kubeconfig), "--churn", str(churn)],
            capture_output=True,
            text=True,
            check=True,
        )  # fmt: skip
        results[name] = json.loads(child.stdout.strip().splitlines()[-1])
    server.terminate()
    server.wait(10)
    return results


def replay(kubeconfig: Path, source: Path, churn: int) -> None:
    """Serve a recording: the sandbox's pods as one list or pages, then a watch burst."""
    import http.server

    import orjson

    from krates_desktop.cluster import api
    from krates_desktop.cluster.kubeconfig import Kubeconfig

    client = Kubeconfig.load([source]).api_client()
    body = api.get_json(client, "/api/v1/pods", timeout=(10, 600))
    items = body["items"]
    version = int(body["metadata"]["resourceVersion"])
    full = orjson.dumps(body)
    pages = []
    for start in range(0, len(items), 500):
        more = start + 500 < len(items)
        metadata = {
            "resourceVersion": str(version),
            **({"continue": str(start + 500)} if more else {}),
        }
        pages.append(
            orjson.dumps(
                {
                    "kind": "PodList",
                    "apiVersion": "v1",
                    "metadata": metadata,
                    "items": items[start : start + 500],
                }
            )
        )
    lines = []
    for index in range(churn):
        pod = dict(items[index % len(items)])
        pod["metadata"] = {
            **pod["metadata"],
            "resourceVersion": str(version + index + 1),
        }
        lines.append(orjson.dumps({"type": "MODIFIED", "object": pod}) + b"\n")
    events = b"".join(lines)
    released = threading.Semaphore(0)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            from urllib.parse import parse_qs, urlsplit

            parts = urlsplit(self.path)
            if parts.path == "/go":
                released.release()
                self.send_response(204)
                self.end_headers()
                return
            query = parse_qs(parts.query)
            if query.get("watch") == ["true"]:
                self._stream()
                return
            if "limit" in query:
                start = int((query.get("continue") or ["0"])[0])
                data = pages[start // 500]
            else:
                data = full
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _stream(self) -> None:
            # The events wait for the client to be ready, as the sandbox's do (its
            # pods change only then): else they would be applied while spotlight's
            # index is still being filled, and measure the two at once.
            released.acquire(timeout=120)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(events), 65536):
                chunk = events[start : start + 65536]
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.flush()
            time.sleep(120)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    kubeconfig.write_text(
        f"clusters:\n- name: r\n  cluster: {{server: 'http://127.0.0.1:{port}'}}\n"
        "users:\n- name: r\n  user: {token: replay}\n"
        "contexts:\n- name: r\n  context: {cluster: r, user: r}\ncurrent-context: r\n"
    )
    print("ready", flush=True)
    server.serve_forever()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=20000)
    parser.add_argument("--events", type=int, default=25000)
    parser.add_argument("--churn", type=int, default=20000)
    parser.add_argument("--child")
    parser.add_argument("--serve", action="store_true")
    parser.add_argument("--kubeconfig", type=Path)
    parser.add_argument("--replay", action="store_true")
    parser.add_argument("--source", type=Path)
    args = parser.parse_args()
    if args.serve:
        serve(args.kubeconfig, args.pods, args.events, args.churn)
        return 0
    if args.child:
        which, _, mode = args.child.partition("-")
        runner = run_krates if which == "krates" else run_client
        result = runner(args.kubeconfig, args.churn, mode != "replay")
        print(json.dumps(result), flush=True)
        return 0
    if args.replay:
        replay(args.kubeconfig, args.source, args.churn)
        return 0

    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="krates-bench-"))
    kubeconfig = directory / "kubeconfig"
    started = time.perf_counter()
    server = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            "--kubeconfig",
            str(kubeconfig),
            "--pods",
            str(args.pods),
            "--events",
            str(args.events),
            "--churn",
            str(args.churn),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    assert server.stdout.readline().strip() == "ready"
    print(
        f"sandbox with {args.pods} pods and {args.events} events up and settled "
        f"in {time.perf_counter() - started:.1f} s"
    )
    results = {
        name: measure(name, kubeconfig, server, args.churn)
        for name in ("krates", "client")
    }
    kubectl = kubectl_get(kubeconfig)
    replayed = measure_replay(directory, kubeconfig, args.churn)
    assert server.stdin is not None
    server.stdin.write("quit\n")
    server.stdin.flush()
    server.wait(30)
    print(
        "\nagainst the sandbox (the watch resumed after the sandbox changed the pods):"
    )
    _print(results)
    print("\nagainst a recording of the same pods and the watch events, replayed at")
    print("wire speed by a plain HTTP server (the client alone sets the pace):")
    _print(replayed, live=False)
    print(f"\nkubectl get pods -A (server-side table): {kubectl:.2f} s")
    return 0


def _print(results: dict[str, dict[str, Any]], live: bool = True) -> None:
    rows = [
        ("time until spotlight can search all pods (s)", "ready_s", "{:.2f}"),
        ("pods cached", "pods", "{:.0f}"),
        ("peak memory of the process (MB)", "peak_mb", "{:.0f}"),
        ("memory per cached pod, cache alone (KB)", "cache_pod_kb", "{:.2f}"),
        ("memory per cached pod, with spotlight's index (KB)", "per_pod_kb", "{:.2f}"),
        ("watch events applied per second", "watch_eps", "{:.0f}"),
        ("watch events applied", "watch_events", "{:.0f}"),
        ("sandbox time to produce them (s)", "server_churn_s", "{:.2f}"),
        ("worst GUI-thread stall while listing (ms)", "gui_worst_ms_list", "{:.1f}"),
        ("worst GUI-thread stall while watching (ms)", "gui_worst_ms_watch", "{:.1f}"),
        ("UI callbacks while watching", "batches", "{:.0f}"),
    ]
    print(f"{'':52} {'krates':>12} {'official client':>16}")
    for label, key, form in rows:
        if key == "server_churn_s" and not live:
            continue
        cells = [form.format(results[name][key]) for name in ("krates", "client")]
        print(f"{label:52} {cells[0]:>12} {cells[1]:>16}")


if __name__ == "__main__":
    sys.exit(main())
