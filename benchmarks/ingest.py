"""Ingest rate of `presslens ingest` into a fresh store, with 1 and 2 worker processes.

    python benchmarks/ingest.py [--data DIR] [--limit N] [--workers 1 2] [--repeats R]
                                [--skip STAGES] [--model md|sm] [--json OUT]

The texts are every shared article (PolNeAR train and dev, PTC train, the seed article), or
``--limit`` of them spread over the sorted list. Each run is a fresh process writing a fresh
store in a temporary folder, so each pays its own start-up (imports, model loads in every
worker); the report gives both the whole run and the steady rate, from the first article
stored to the last. Runs alternate between worker counts (1, 2, 2, 1, ...) so that load from
other jobs falls on both; the best run of each count is reported, with the 1-minute load
average at start and end. ``--skip`` defaults to the attribution and technique stages (the
fast stages, as the tests ingest); ``--skip ''`` measures the full pipeline.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"


def shared_texts(data: Path) -> list[str]:
    folders = [data / "polnear" / "train" / "text", data / "polnear" / "dev" / "text", data / "ptc" / "train-articles"]
    files = sorted(str(p) for folder in folders for p in folder.glob("*.txt"))
    seed = data / "seed" / "mek-influence-article.txt"
    return files + ([str(seed)] if seed.exists() else [])


def spread(items: list[str], n: int) -> list[str]:
    if n <= 0 or n >= len(items):
        return items
    return [items[int(i * len(items) / n)] for i in range(n)]


def run(files: list[str], workers: int, skip: str, model: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "bench.duckdb"
        command = [sys.executable, "-m", "presslens", "ingest", *files, "--store", str(store), "-v"]
        command += ["--workers", str(workers), "--model", model] + (["--skip", skip] if skip else [])
        started = time.perf_counter()
        process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        assert process.stderr is not None
        stored: list[float] = []
        summary = ""
        for line in process.stderr:
            if line.startswith("stored "):
                stored.append(time.perf_counter() - started)
            elif line.startswith("presslens: ") and " stored, " in line:
                summary = line.strip()
        status = process.wait()
        total = time.perf_counter() - started
        size = store.stat().st_size if store.exists() else 0
    if status not in (0, 1) or not stored:
        raise SystemExit(f"ingest failed with status {status}: {summary}")
    steady = (len(stored) - 1) / (stored[-1] - stored[0]) if len(stored) > 1 and stored[-1] > stored[0] else 0.0
    return {
        "workers": workers,
        "articles": len(stored),
        "seconds": round(total, 1),
        "articles_per_s": round(len(stored) / total, 2),
        "first_stored_s": round(stored[0], 1),
        "steady_articles_per_s": round(steady, 2),
        "store_mb": round(size / 1e6, 1),
        "summary": summary,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=0, help="articles (0: all shared texts)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--skip", default="attribution,techniques", help="stages left out ('' for none)")
    parser.add_argument("--model", default="md", help="spaCy pipeline: md or sm")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    files = spread(shared_texts(args.data), args.limit)
    load_start = os.getloadavg()[0]
    runs: list[dict[str, Any]] = []
    for repeat in range(args.repeats):
        order = args.workers if repeat % 2 == 0 else list(reversed(args.workers))
        for workers in order:
            result = run(files, workers, args.skip, args.model)
            runs.append(result)
            print(json.dumps(result), file=sys.stderr)
    best = {w: max((r for r in runs if r["workers"] == w), key=lambda r: r["articles_per_s"]) for w in args.workers}
    report: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_1min": [round(load_start, 2), round(os.getloadavg()[0], 2)],
        },
        "articles": len(files),
        "skip": args.skip,
        "model": args.model,
        "best": best,
        "runs": runs,
    }
    if 1 in best and 2 in best:
        report["ratio_2_to_1"] = round(best[2]["articles_per_s"] / best[1]["articles_per_s"], 2)
        report["steady_ratio_2_to_1"] = round(
            best[2]["steady_articles_per_s"] / max(best[1]["steady_articles_per_s"], 1e-9), 2
        )
    print(f"{'workers':>7} {'articles':>8} {'seconds':>8} {'articles/s':>10} {'steady/s':>9} {'first at':>8}")
    for workers, r in best.items():
        print(
            f"{workers:>7} {r['articles']:>8} {r['seconds']:>8} {r['articles_per_s']:>10} "
            f"{r['steady_articles_per_s']:>9} {r['first_stored_s']:>7}s"
        )
    if "ratio_2_to_1" in report:
        print(f"2 workers / 1 worker: {report['ratio_2_to_1']} (steady: {report['steady_ratio_2_to_1']})")
    print(f"load average (1 min) at start and end: {report['machine']['load_1min']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
