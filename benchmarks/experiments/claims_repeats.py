"""Repeated claims in the fact-check collection: does ranking a repeat (a fact-check whose
claim, word for word, an earlier-indexed one already states) just below its original help?

CheckThat! 2020 Task 2's 10,375 verified claims hold 184 groups of such repeats, and reading
dev's misses showed three tweets whose relevant fact-check came second, behind its own repeat.
The rule has no parameter; it is adopted if it helps on the tune part of train (every 5th
tweet, which the shipped matcher never trained on; on all 800 train tweets 185 of the 190
relevant fact-checks whose claim is repeated are the first of their group), and ``--dev``
then scores dev once.

    .venv/bin/python benchmarks/experiments/claims_repeats.py --data ../shared/data/checkthat-2020-task2 \
        [--dev] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from unittest import mock

import numpy as np

from presslens.claims import retrieval
from presslens.claims.evaluation import score_rankings
from presslens.claims.retrieval import FactCheckIndex, first_of_same_claim, load_matcher
from presslens.claims.training import load_checkthat, rankings, split_queries


def relevant_first_of_group(index: FactCheckIndex, qrels: dict[str, set[str]]) -> tuple[int, int]:
    rows = {f.id: row for row, f in enumerate(index.fact_checks)}
    originals = first_of_same_claim(index.fact_checks)
    counts = np.bincount(originals, minlength=len(originals))
    first = other = 0
    for relevant in qrels.values():
        for claim in relevant:
            row = rows[claim]
            if counts[originals[row]] > 1:
                first, other = (first + 1, other) if originals[row] == row else (first, other + 1)
    return first, other


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--dev", action="store_true", help="also score dev once")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--index", type=Path, help="keep the built index here and read it on the next run")
    args = parser.parse_args()
    data = load_checkthat(args.data)
    matcher = load_matcher()
    began = time.perf_counter()
    if args.index and args.index.is_dir():
        index = FactCheckIndex.load(args.index, matcher.encoder)
    else:
        index = FactCheckIndex.build(data.fact_checks, matcher.encoder, matcher.reranker)
        if args.index:
            index.save(args.index)
    print(f"index: {time.perf_counter() - began:.0f} s")
    _, tune = split_queries(data.train)
    tune_queries = {q: data.train[q] for q in tune}
    tune_qrels = {q: data.train_qrels[q] for q in tune if q in data.train_qrels}
    splits = [("train (in-sample)", data.train, data.train_qrels), ("tune", tune_queries, tune_qrels)]
    splits += [("dev", data.dev, data.dev_qrels)] if args.dev else []
    results: dict[str, object] = {}
    for split, queries, qrels in splits:
        first, other = relevant_first_of_group(index, qrels)
        results[f"{split}/relevant_in_a_repeat_group"] = {"first_of_group": first, "a_later_repeat": other}
        ids = sorted(queries)
        with mock.patch.object(retrieval, "below_originals", lambda rows, scores, originals: scores):
            without = score_rankings({q: [c for c, _ in r] for q, r in rankings(index, queries, ids).items()}, qrels)
        with_rule = score_rankings({q: [c for c, _ in r] for q, r in rankings(index, queries, ids).items()}, qrels)
        for name, scores in (("as scored", without), ("repeats below originals", with_rule)):
            row = scores.to_json()
            results[f"{split}/{name}"] = row
            print(split, f"{name:24}", f"first of group {first}, later {other}", json.dumps(row))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
