"""Does a second, larger sentence encoder help the claim matcher? all-mpnet-base-v2 (the
MPNet-base of issue 13, used as the sentence encoder it was trained to be, not fine-tuned)
beside the shipped fine-tuned MiniLM: its cosines as more re-ranker features, its top
candidates added to the candidate set.

Fitted on the fit part of CheckThat! 2020 Task 2 train, measured on the tune part (every 5th
tweet); ``--dev`` scores the chosen configuration on dev once.

    .venv/bin/python -m presslens.encoder.bases build mpnet-base
    .venv/bin/python benchmarks/experiments/claims_second_encoder.py --data ../shared/data/checkthat-2020-task2 \
        [--cache /tmp/mpnet-claims.npz] [--dev] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from presslens.claims.evaluation import score_rankings
from presslens.claims.retrieval import FEATURES, FactCheckIndex, SentenceEncoder, load_matcher
from presslens.claims.training import load_checkthat, split_queries
from presslens.encoder.bases import base_path

EXTRA = ("mpnet_cosine", "mpnet_cosine_claim", "mpnet_cosine_title", "mpnet_rr", "mpnet_gap")
CANDIDATES = 30


def tables(
    index: FactCheckIndex,
    queries: dict[str, str],
    qrels: dict[str, set[str]],
    ids: list[str],
    query_vectors: dict[str, np.ndarray],
    claims: np.ndarray,
    titles: np.ndarray,
    union: bool,
) -> list[tuple[str, np.ndarray, np.ndarray, list[str]]]:
    """Per query: (id, features + MPNet features, labels, claim ids)."""
    embeddings = index.encoder.encode([queries[q] for q in ids])
    both = claims + titles
    out = []
    for query, embedding in zip(ids, embeddings, strict=True):
        rows, features, _ = index.candidates_for(queries[query], embedding, CANDIDATES)
        vector = query_vectors[query]
        mpnet_all = both @ vector
        mpnet_top = np.argsort(-mpnet_all)[:CANDIDATES]
        if union:
            extra_rows = np.setdiff1d(mpnet_top, rows)
            if len(extra_rows):
                # Their MiniLM features: computed as for any candidate (ranks past the lists).
                cosine_claim = index.claims[extra_rows] @ embedding
                cosine_title = index.titles[extra_rows] @ embedding
                bm25 = index.bm25.scores(queries[query])[extra_rows]
                from presslens.claims.retrieval import pair_features

                more = pair_features(
                    cosine_claim,
                    cosine_title,
                    bm25,
                    np.full(len(extra_rows), CANDIDATES + 1.0),
                    np.full(len(extra_rows), CANDIDATES + 1.0),
                )
                rows, features = np.concatenate([rows, extra_rows]), np.vstack([features, more])
        rank = {int(r): i + 1 for i, r in enumerate(mpnet_top)}
        cosine = mpnet_all[rows]
        mpnet_features = np.column_stack(
            [
                cosine,
                claims[rows] @ vector,
                titles[rows] @ vector,
                [1.0 / (60 + rank.get(int(r), CANDIDATES + 1)) for r in rows],
                float(mpnet_all.max()) - cosine,
            ]
        )
        labels = np.array([index.fact_checks[int(r)].id in qrels.get(query, set()) for r in rows], dtype=np.float64)
        out.append((query, np.hstack([features, mpnet_features]), labels, [index.fact_checks[int(r)].id for r in rows]))
    return out


def fit(table: list[Any], columns: list[int], c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([t[1][:, columns] for t in table])
    y = np.concatenate([t[2] for t in table])
    means, scales = x.mean(axis=0), x.std(axis=0) + 1e-9
    model = LogisticRegression(C=c, max_iter=3000).fit((x - means) / scales, y)
    return model, means, scales


def scores_of(table: list[Any], columns: list[int], fitted: Any, qrels: dict[str, set[str]]) -> dict[str, float]:
    model, means, scales = fitted
    ranked = {}
    for query, features, _, claims in table:
        s = model.decision_function((features[:, columns] - means) / scales)
        ranked[query] = [claims[i] for i in np.argsort(-s, kind="stable")[:10]]
    return score_rankings(ranked, {q: qrels[q] for q, *_ in table if q in qrels}).to_json()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/mpnet-claims.npz"))
    parser.add_argument("--dev", action="store_true", help="score the configuration chosen on tune on dev, once")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    data = load_checkthat(args.data)
    fit_ids, tune_ids = split_queries(data.train)
    dev_ids = sorted(data.dev)
    matcher = load_matcher()
    began = time.perf_counter()
    index = FactCheckIndex.build(data.fact_checks, matcher.encoder, matcher.reranker)
    print(f"MiniLM index: {time.perf_counter() - began:.0f} s", flush=True)
    mpnet = SentenceEncoder(base_path("mpnet-base"))
    if args.cache.exists():
        cached = np.load(args.cache)
        claims, titles, tweets = cached["claims"], cached["titles"], cached["tweets"]
    else:
        began = time.perf_counter()
        claims = mpnet.encode([f.claim for f in data.fact_checks])
        titles = mpnet.encode([f.title or f.claim for f in data.fact_checks])
        print(f"MPNet claims and titles: {time.perf_counter() - began:.0f} s", flush=True)
        tweets = mpnet.encode([*(data.train[q] for q in sorted(data.train)), *(data.dev[q] for q in dev_ids)])
        np.savez(args.cache, claims=claims, titles=titles, tweets=tweets)
    order = [*sorted(data.train), *dev_ids]
    query_vectors = dict(zip(order, tweets, strict=True))
    base = list(range(len(FEATURES)))
    every = list(range(len(FEATURES) + len(EXTRA)))
    results: dict[str, Any] = {}
    # MPNet alone, plain cosine over claim + title, on tune.
    ranked = {
        q: [data.fact_checks[int(r)].id for r in np.argsort(-((claims + titles) @ query_vectors[q]))[:10]]
        for q in tune_ids
    }
    results["mpnet_cosine_alone"] = score_rankings(ranked, {q: data.train_qrels[q] for q in tune_ids}).to_json()
    print("mpnet alone", results["mpnet_cosine_alone"], flush=True)
    chosen: tuple[float, str, bool, float] | None = None
    for union in (False, True):
        fit_table = tables(index, data.train, data.train_qrels, fit_ids, query_vectors, claims, titles, union)
        tune_table = tables(index, data.train, data.train_qrels, tune_ids, query_vectors, claims, titles, union)
        for name, columns in (("minilm_features", base), ("with_mpnet", every)):
            for c in (0.01, 0.1, 1.0):
                row = scores_of(tune_table, columns, fit(fit_table, columns, c), data.train_qrels)
                key = f"{name}/union={union}/C={c}"
                results[key] = row
                print(key, row["MAP@5"], row["MAP@1"], flush=True)
                if chosen is None or row["MAP@5"] > chosen[0]:
                    chosen = (row["MAP@5"], name, union, c)
    assert chosen is not None
    results["chosen_on_tune"] = {"MAP@5": chosen[0], "features": chosen[1], "union": chosen[2], "C": chosen[3]}
    print("chosen on tune:", results["chosen_on_tune"], flush=True)
    if args.dev:
        _, name, union, c = chosen
        columns = every if name == "with_mpnet" else base
        fit_table = tables(
            index, data.train, data.train_qrels, [*fit_ids, *tune_ids], query_vectors, claims, titles, union
        )
        dev_table = tables(index, data.dev, data.dev_qrels, dev_ids, query_vectors, claims, titles, union)
        results["dev"] = scores_of(dev_table, columns, fit(fit_table, columns, c), data.dev_qrels)
        # The same protocol (fitted on fit + tune) with the MiniLM features only, for comparison.
        results["dev_minilm_features"] = scores_of(dev_table, base, fit(fit_table, base, c), data.dev_qrels)
        print("dev", results["dev"], "minilm features only:", results["dev_minilm_features"], flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
