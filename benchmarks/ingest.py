"""Ingest rate of `presslens ingest` into a fresh store, with 1 and 2 worker processes,
on the local engine and on Ray.

    python benchmarks/ingest.py [--data DIR] [--limit N] [--workers 1 2] [--repeats R]
                                [--engines local ray] [--load] [--skip STAGES]
                                [--model md|sm] [--json OUT]

The texts are every shared article (PolNeAR train and dev, PTC train, the seed article), or
``--limit`` of them spread over the sorted list. Each run is a fresh process writing a fresh
store in a temporary folder, so each pays its own start-up (imports, model loads in every
worker); the report gives both the whole run and the steady rate, from the first article
stored to the last. Runs alternate between worker counts (1, 2, 2, 1, ...) so that load from
other jobs falls on both; the best run of each count is reported, with the 1-minute load
average at start and end. ``--skip`` defaults to the attribution and technique stages (the
fast stages, as the tests ingest); ``--skip ''`` measures the full pipeline.

``--engines local ray`` runs both engines with each worker count (Ray: a local Ray instance
started by each run, one analysis actor per worker) and reports each engine's scaling ratio
and Ray's rate as a share of the local engine's with as many processes. The peak resident
memory of one analysis process (a local worker, or a Ray actor) is sampled during each run.
The steady rate counts the articles stored after the first moment one was, over the time
from then to the last (the Ray engine stores a whole part at a time). ``--load`` also times
`presslens store load` of a Ray Parquet dataset: the one-writer ceiling of a store, in
articles per second.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
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


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def analysis_processes(root: int, engine: str) -> list[int]:
    """The processes that analyse: Ray's actors, or the local ingest and its workers."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if engine == "ray":
                if b"MapBatches(PartWriter)" in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            elif int(entry.name) == root or int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == root:
                found.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


class MemorySampler(threading.Thread):
    """Peak resident memory of any one analysis process, sampled twice a second."""

    def __init__(self, root: int, engine: str) -> None:
        super().__init__(daemon=True)
        self.root, self.engine, self.peak = root, engine, 0.0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.5):
            for pid in analysis_processes(self.root, self.engine):
                self.peak = max(self.peak, rss_mb(pid))


def run(
    files: list[str], workers: int, skip: str, model: str, engine: str = "local", out: Path | None = None
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "bench.duckdb"
        target = ["--out", str(out)] if out else ["--store", str(store)]
        command = [sys.executable, "-m", "presslens", "ingest", *files, *target, "-v", "--engine", engine]
        command += ["--workers", str(workers), "--model", model] + (["--skip", skip] if skip else [])
        started = time.perf_counter()
        process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        sampler = MemorySampler(process.pid, engine)
        sampler.start()
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
        sampler.done.set()
        size = store.stat().st_size if store.exists() else 0
    if status not in (0, 1) or not stored:
        raise SystemExit(f"ingest failed with status {status}: {summary}")
    # From the first article stored to the last, the articles stored with the first left out:
    # the Ray engine stores a part's articles at once, so the first "moment" may be many.
    after_first = [t for t in stored if t > stored[0] + 0.2]
    steady = len(after_first) / (stored[-1] - stored[0]) if after_first else 0.0
    return {
        "engine": engine,
        "workers": workers,
        "articles": len(stored),
        "seconds": round(total, 1),
        "articles_per_s": round(len(stored) / total, 2),
        "first_stored_s": round(stored[0], 1),
        "steady_articles_per_s": round(steady, 2),
        "store_mb": round(size / 1e6, 1),
        "peak_rss_mb_per_process": round(sampler.peak),
        "summary": summary,
    }


def time_load(files: list[str], skip: str, model: str) -> dict[str, Any]:
    """A Ray run into a Parquet dataset, then `presslens store load` of it, timed."""
    with tempfile.TemporaryDirectory() as folder:
        dataset = Path(folder) / "dataset"
        produced = run(files, 2, skip, model, engine="ray", out=dataset)
        store = Path(folder) / "loaded.duckdb"
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "presslens", "store", "load", str(dataset), "--store", str(store)],
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"store load failed: {result.stderr.strip()}")
    articles = produced["articles"]
    return {
        "articles": articles,
        "seconds": round(seconds, 1),
        "articles_per_s": round(articles / seconds, 1),
        "summary": result.stderr.strip(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=0, help="articles (0: all shared texts)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--skip", default="attribution,techniques", help="stages left out ('' for none)")
    parser.add_argument("--model", default="md", help="spaCy pipeline: md or sm")
    parser.add_argument("--engines", nargs="+", choices=["local", "ray"], default=["local"])
    parser.add_argument("--load", action="store_true", help="also time `store load` of a Ray dataset")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    files = spread(shared_texts(args.data), args.limit)
    load_start = os.getloadavg()[0]
    runs: list[dict[str, Any]] = []
    for repeat in range(args.repeats):
        order = args.workers if repeat % 2 == 0 else list(reversed(args.workers))
        for engine in args.engines if repeat % 2 == 0 else list(reversed(args.engines)):
            for workers in order:
                result = run(files, workers, args.skip, args.model, engine)
                runs.append(result)
                print(json.dumps(result), file=sys.stderr)
    best = {
        (engine, w): max(
            (r for r in runs if r["workers"] == w and r["engine"] == engine), key=lambda r: r["articles_per_s"]
        )
        for engine in args.engines
        for w in args.workers
    }
    report: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_1min": [round(load_start, 2), round(os.getloadavg()[0], 2)],
        },
        "articles": len(files),
        "skip": args.skip,
        "model": args.model,
        "best": {f"{engine}-{w}": r for (engine, w), r in best.items()},
        "runs": runs,
    }
    ratios: dict[str, float] = {}
    for engine in args.engines:
        if (engine, 1) in best and (engine, 2) in best:
            one, two = best[engine, 1], best[engine, 2]
            ratios[f"{engine}_2_to_1"] = round(two["articles_per_s"] / one["articles_per_s"], 2)
            ratios[f"{engine}_steady_2_to_1"] = round(
                two["steady_articles_per_s"] / max(one["steady_articles_per_s"], 1e-9), 2
            )
    if "local" in args.engines and "ray" in args.engines:
        for w in args.workers:
            local, ray = best["local", w], best["ray", w]
            ratios[f"ray_to_local_{w}"] = round(ray["articles_per_s"] / local["articles_per_s"], 2)
            ratios[f"ray_to_local_steady_{w}"] = round(
                ray["steady_articles_per_s"] / max(local["steady_articles_per_s"], 1e-9), 2
            )
    report["ratios"] = ratios
    if args.engines == ["local"] and "local_2_to_1" in ratios:  # the keys earlier results used
        report["ratio_2_to_1"] = ratios["local_2_to_1"]
        report["steady_ratio_2_to_1"] = ratios["local_steady_2_to_1"]
    if args.load:
        report["store_load"] = time_load(files, args.skip, args.model)
    print(
        f"{'engine':>6} {'workers':>7} {'articles':>8} {'seconds':>8} {'articles/s':>10} {'steady/s':>9} "
        f"{'first at':>8} {'MB/proc':>8}"
    )
    for (engine, workers), r in best.items():
        print(
            f"{engine:>6} {workers:>7} {r['articles']:>8} {r['seconds']:>8} {r['articles_per_s']:>10} "
            f"{r['steady_articles_per_s']:>9} {r['first_stored_s']:>7}s {r['peak_rss_mb_per_process']:>8}"
        )
    for name, value in ratios.items():
        print(f"{name}: {value}")
    if args.load:
        load = report["store_load"]
        print(f"store load: {load['articles']} articles in {load['seconds']} s ({load['articles_per_s']}/s)")
    print(f"load average (1 min) at start and end: {report['machine']['load_1min']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
