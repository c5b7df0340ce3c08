"""Throughput and latency of `presslens serve` under concurrent clients on loopback.

    python benchmarks/service.py [--clients 8] [--seconds 20] [--documents 1000] [--json OUT]

1. Starts `presslens serve` (the default pipeline) in a subprocess on a free loopback port,
   with a store path in a temporary folder, and analyses examples/minister-warns.txt once
   through the API (this loads the models, and is not timed).
2. Builds that store: ``--documents`` copies of the analysed example, each with its own text
   (a numbered line appended), one of 12 outlets and a date over two years; then the corpus
   actors. The server opens the store read-only per request, so it sees it at once.
3. Times every dashboard query once and keeps the slowest: "the heaviest dashboard query".
4. For the analyse endpoint and that query: ``--clients`` threads, each with its own HTTP
   client, send requests back to back for ``--seconds``. Prints requests/s, p50/p95 latency
   and the errors (any answer other than 200, or a failed request).
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


def hammer(base: str, request: dict[str, object], clients: int, seconds: float) -> dict[str, float | int]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        with httpx.Client(base_url=base, timeout=120) as http:
            while time.monotonic() < stop:
                began = time.perf_counter()
                try:
                    response = http.request(**request)  # type: ignore[arg-type]
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                took = time.perf_counter() - began
                with lock:
                    latencies.append(took)
                    errors[0] += not ok

    began = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - began
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "requests_per_s": round(len(ordered) / wall, 2),
        "p50_ms": round(1000 * statistics.median(ordered), 1),
        "p95_ms": round(1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
        "errors": errors[0],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
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

        results = {
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
            "clients": args.clients,
            "seconds": args.seconds,
            "documents": args.documents,
            "analyze": hammer(
                base, {"method": "POST", "url": "/api/analyze", "json": {"text": text}}, args.clients, args.seconds
            ),
            "heaviest_dashboard_query": heaviest,
            "dashboard": hammer(base, {"method": "GET", "url": heaviest}, args.clients, args.seconds),
        }
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0 if results["analyze"]["errors"] == results["dashboard"]["errors"] == 0 else 1  # type: ignore[index]


if __name__ == "__main__":
    sys.exit(main())
