"""Fact-check matching at scale: building an index, and matching claims against 100,000.

    .venv/bin/python benchmarks/claims.py [--size 100000] [--claims 200] [--json OUT]

1. Build: the CheckThat! 2020 verified claims (10,375, ../shared/data) indexed with the shipped
   matcher (`FactCheckIndex.build`: BM25, two embeddings a fact-check, the usearch HNSW
   index); fact-checks per second and the process's peak memory.
2. Scale: the index grown to ``--size`` fact-checks. Encoding 100,000 texts would take most of
   an hour on 2 cores, so the extra entries are made, not encoded: each is a real claim's
   words shuffled with another's (for BM25) and its embedding moved by noise and normalised
   (for the vector index): what search costs depends on the sizes, not on the meaning.
3. Match: ``--claims`` claims (CheckThat! dev tweets) searched one at a time, the encoder's
   pass included; milliseconds per claim (median, p95), against the 10,375 and the grown index.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "checkthat-2020-task2"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def grown(index: object, size: int, seed: int = 7) -> object:
    from presslens.claims.factchecks import FactCheck
    from presslens.claims.retrieval import BM25, FactCheckIndex

    assert isinstance(index, FactCheckIndex)
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    fact_checks, claims, titles = list(index.fact_checks), [index.claims], [index.titles]
    extra = size - len(fact_checks)
    for start in range(0, extra, 10_000):
        count = min(10_000, extra - start)
        rows = [rng.randrange(len(index)) for _ in range(count)]
        for n, row in enumerate(rows):
            other = index.fact_checks[rng.randrange(len(index))]
            mixed = (index.fact_checks[row].claim + " " + other.claim).split()
            rng.shuffle(mixed)
            fact_checks.append(FactCheck(f"x{start + n}", " ".join(mixed[: len(mixed) // 2 + 3]), other.title))
        for target, source in ((claims, index.claims), (titles, index.titles)):
            moved = source[rows] + noise.normal(0, 0.05, (count, source.shape[1])).astype(np.float32)
            target.append(moved / np.linalg.norm(moved, axis=1, keepdims=True))
    bm25 = BM25.build([f.text for f in fact_checks])
    return FactCheckIndex(fact_checks, bm25, np.vstack(claims), np.vstack(titles), index.encoder, index.reranker)


def timed_matches(index: object, queries: list[str]) -> dict[str, float]:
    from presslens.claims.retrieval import FactCheckIndex

    assert isinstance(index, FactCheckIndex)
    index.search(queries[0])  # warm
    times = []
    for query in queries:
        began = time.perf_counter()
        index.search(query, k=5)
        times.append(1000 * (time.perf_counter() - began))
    ordered = sorted(times)
    return {
        "claims": len(times),
        "median_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--claims", type=int, default=200)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    from presslens.claims.evaluation import read_queries
    from presslens.claims.factchecks import FactCheck, read_fact_checks
    from presslens.claims.retrieval import FactCheckIndex, load_matcher

    fact_checks = [f for f in read_fact_checks([str(DATA / "verified_claims.docs.tsv")]) if isinstance(f, FactCheck)]
    matcher = load_matcher()
    before = peak_mb()
    began = time.perf_counter()
    index = FactCheckIndex.build(fact_checks, matcher.encoder, matcher.reranker)
    build_seconds = time.perf_counter() - began
    queries = list(read_queries(DATA / "dev" / "tweets.queries.tsv").values())[: args.claims]
    results: dict[str, object] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
        "build": {
            "fact_checks": len(index),
            "seconds": round(build_seconds, 1),
            "per_second": round(len(index) / build_seconds, 1),
            "peak_memory_mb": round(peak_mb()),
            "peak_memory_before_mb": round(before),
        },
        "match_real": {"fact_checks": len(index), **timed_matches(index, queries)},
    }
    print(json.dumps(results, indent=2), flush=True)
    began = time.perf_counter()
    large = grown(index, args.size)
    results["grow_seconds"] = round(time.perf_counter() - began, 1)
    results["match_grown"] = {"fact_checks": args.size, **timed_matches(large, queries)}
    results["peak_memory_mb"] = round(peak_mb())
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
