"""Throughput and latency of `presslens serve` under concurrent clients on loopback.

    python benchmarks/service.py [--clients 50,200] [--seconds 20] [--requests 40] [--documents 1000] [--json OUT]

1. Starts `presslens serve` (the default pipeline) in a subprocess on a free loopback port,
   with a store path in a temporary folder, and analyses examples/minister-warns.txt once
   through the API (this loads the models, and is not timed).
2. Builds that store: ``--documents`` copies of the analysed example, each with its own text
   (a numbered line appended), one of 12 outlets and a date over two years; then the corpus
   actors. The server opens the store read-only per request, so it sees it at once.
3. Times every dashboard query once and keeps the slowest: "the heaviest dashboard query".
4. For the analyse endpoint and that query, for each number of ``--clients``: that many
   threads, each with its own HTTP client, send requests back to back, each at most
   ``--requests`` times and for at most ``--seconds`` (bounded in count and time). A client
   answered 503 (the analysis queue is full) waits the Retry-After it was given, as a client
   should, within the time left. Prints requests/s, p50/p95 latency of the answered (200)
   requests, the 503s, the errors (any other answer, or a failed request), and the server's
   memory (RSS) before, at its peak during, and 10 s after each burst.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "minister-warns.txt"
DASHBOARD = [
    "/api/outlets/techniques?by=outlet",
    "/api/outlets/techniques?by=month",
    "/api/speakers?limit=12",
    "/api/speakers?per_outlet=true&limit=10",
    "/api/actors?limit=25",
    "/api/outlets",
    "/api/documents?limit=50",
    "/api/search?q=strike%20union",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_store(path: Path, analysed: dict[str, object], count: int) -> None:
    from presslens.document import Document
    from presslens.store import Store

    rng = random.Random(7)
    template = Document.model_validate(analysed)
    outlets = [f"outlet-{i:02d}.example" for i in range(12)]
    with Store(path) as store:
        for n in range(count):
            text = template.text + f"\n\nCopy {n}."
            document = template.model_copy(deep=True)
            document.text, document.id = text, Document.id_for(text)
            document.outlet = rng.choice(outlets)
            document.published = f"{2024 + n % 2}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            document.title = f"{template.title} #{n}"
            store.add(document)
        store.resolve_actors()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def hammer(
    base: str, request: dict[str, object], clients: int, seconds: float, requests: int, server: int
) -> dict[str, object]:
    latencies: list[float] = []
    counts = {"ok": 0, "busy": 0, "errors": 0}
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    peak = [rss_mb(server)]
    before = peak[0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            peak[0] = max(peak[0], rss_mb(server))

    def client() -> None:
        with httpx.Client(base_url=base, timeout=max(120.0, seconds * 2)) as http:
            for _ in range(requests):
                if time.monotonic() >= stop:
                    break
                began = time.perf_counter()
                wait = 0.0
                try:
                    response = http.request(**request)  # type: ignore[arg-type]
                    status = response.status_code
                    if status == 503:
                        wait = float(response.headers.get("retry-after", "1"))
                except httpx.HTTPError:
                    status = 0
                took = time.perf_counter() - began
                with lock:
                    if status == 200:
                        counts["ok"] += 1
                        latencies.append(took)
                    elif status == 503:
                        counts["busy"] += 1
                    else:
                        counts["errors"] += 1
                if wait:
                    time.sleep(max(0.0, min(wait, stop - time.monotonic())))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    began = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - began
    done.set()
    time.sleep(10)  # the server's memory after the burst, once it is idle again
    after = rss_mb(server)
    ordered = sorted(latencies)
    return {
        "clients": clients,
        "answered": counts["ok"],
        "answered_per_s": round(counts["ok"] / wall, 2),
        "p50_ms": round(1000 * statistics.median(ordered), 1) if ordered else None,
        "p95_ms": round(1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1) if ordered else None,
        "busy_503": counts["busy"],
        "errors": counts["errors"],
        "seconds": round(wall, 1),
        "server_rss_mb": {"before": round(before), "peak": round(peak[0]), "after_10s": round(after)},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="50,200", help="numbers of concurrent clients, comma-separated")
    parser.add_argument("--seconds", type=float, default=20, help="at most this long a burst")
    parser.add_argument("--requests", type=int, default=40, help="at most this many requests a client")
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="presslens-service-bench-"))
    store = work / "corpus.duckdb"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cli = [sys.executable, "-m", "presslens", "serve", "--port", str(port), "--store", str(store)]
    # The store must exist for --store: an empty one, filled below while the server runs.
    from presslens.store import Store

    Store(store).close()
    server = subprocess.Popen(cli, cwd=REPO, start_new_session=True)
    try:
        for _ in range(600):
            try:
                httpx.get(f"{base}/api/techniques", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        text = EXAMPLE.read_text()
        began = time.perf_counter()
        analysed = httpx.post(f"{base}/api/analyze", json={"text": text}, timeout=600).json()
        print(f"first analysis (loads the models): {time.perf_counter() - began:.1f} s", flush=True)
        began = time.perf_counter()
        build_store(store, analysed, args.documents)
        print(f"store of {args.documents} documents built in {time.perf_counter() - began:.1f} s", flush=True)

        timings = {}
        with httpx.Client(base_url=base, timeout=120) as http:
            for path in DASHBOARD:
                http.get(path)  # warm the file cache
                began = time.perf_counter()
                status = http.get(path).status_code
                timings[path] = time.perf_counter() - began
                print(f"  {path}: {1000 * timings[path]:.1f} ms ({status})", flush=True)
        heaviest = max(timings, key=lambda p: timings[p])

        clients = [int(n) for n in args.clients.split(",")]
        analyse = {"method": "POST", "url": "/api/analyze", "json": {"text": text}}
        query = {"method": "GET", "url": heaviest}
        results = {
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
            "seconds": args.seconds,
            "requests_per_client": args.requests,
            "documents": args.documents,
            "heaviest_dashboard_query": heaviest,
            "analyze": [],
            "dashboard": [],
        }
        for count in clients:
            for name, request in (("analyze", analyse), ("dashboard", query)):
                row = hammer(base, request, count, args.seconds, args.requests, server.pid)
                print(f"{name}, {count} clients: {json.dumps(row)}", flush=True)
                results[name].append(row)  # type: ignore[attr-defined]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    rows = [*results["analyze"], *results["dashboard"]]  # type: ignore[misc]
    return 0 if all(row["errors"] == 0 for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
