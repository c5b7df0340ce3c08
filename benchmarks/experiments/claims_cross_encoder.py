"""Does a cross-encoder re-ranker lift the claim matcher past MAP@5 0.95?

The shipped matcher (fine-tuned MiniLM + BM25, fused by a linear re-ranker) orders its
candidates; a cross-encoder then reads (tweet, fact-check) together and re-scores the top
``--top`` of them. It starts from all-MiniLM-L6-v2 (or ``--init`` another Hugging Face
folder) with a one-logit head and is trained listwise on the *fit* part of CheckThat! 2020
Task 2 train: each relevant fact-check against the matcher's best wrong candidates (a softmax
over one positive and ``--negatives`` negatives). The epoch and the blend weight ``w`` of
``re-ranker logit + w × cross-encoder logit`` are chosen on the *tune* part (every 5th train
tweet, as `presslens train claims` splits); ``--dev`` scores the chosen setting on dev once.

    .venv/bin/python benchmarks/experiments/claims_cross_encoder.py --data ../shared/data/checkthat-2020-task2 \
        [--epochs 3] [--top 10] [--dev] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from presslens.claims.evaluation import score_rankings
from presslens.claims.factchecks import FactCheck
from presslens.claims.retrieval import FactCheckIndex, load_matcher
from presslens.claims.training import load_checkthat, split_queries
from presslens.encoder.bases import base_path

WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 1e6)  # 1e6: the cross-encoder alone, ties by the re-ranker


def text_of(fact_check: FactCheck) -> str:
    if fact_check.title and fact_check.title != fact_check.claim:
        return f"{fact_check.claim} | {fact_check.title}"
    return fact_check.claim


def candidate_lists(
    index: FactCheckIndex, queries: dict[str, str], ids: list[str], top: int
) -> dict[str, list[tuple[int, float]]]:
    """Per query: its top (row, re-ranker logit) pairs, best first."""
    embeddings = index.encoder.encode([queries[q] for q in ids])
    out = {}
    for query, embedding in zip(ids, embeddings, strict=True):
        rows, features, _ = index.candidates_for(queries[query], embedding)
        assert index.reranker is not None
        scores = index.reranker.score(features)
        order = np.argsort(-scores, kind="stable")[:top]
        out[query] = [(int(rows[i]), float(scores[i])) for i in order]
    return out


class CrossEncoder:
    def __init__(self, folder: Path, max_pieces: int) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.model = AutoModel.from_pretrained(folder).float()
        self.head = torch.nn.Linear(int(self.model.config.hidden_size), 1)
        self.max_pieces = max_pieces

    def parameters(self) -> list[Any]:
        return list(self.model.parameters()) + list(self.head.parameters())

    def logits(self, queries: list[str], texts: list[str]) -> Any:
        batch = self.tokenizer(
            queries, texts, padding=True, truncation="longest_first", max_length=self.max_pieces, return_tensors="pt"
        )
        hidden = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return self.head(pooled).squeeze(-1)

    def score(self, queries: list[str], texts: list[str], batch_size: int = 32) -> np.ndarray:
        import torch

        self.model.eval()
        out = []
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                out.append(self.logits(queries[start : start + batch_size], texts[start : start + batch_size]).numpy())
        return np.concatenate(out) if out else np.zeros(0)


def groups_for_training(
    data: Any, index: FactCheckIndex, lists: dict[str, list[tuple[int, float]]], negatives: int
) -> list[tuple[str, str, list[str]]]:
    """(tweet, positive text, negative texts) per relevant fact-check of each fit tweet."""
    by_id = {f.id: f for f in index.fact_checks}
    out = []
    for query, ranked in lists.items():
        relevant = data.train_qrels.get(query, set())
        wrong = [index.fact_checks[r] for r, _ in ranked if index.fact_checks[r].id not in relevant][:negatives]
        for claim_id in sorted(relevant):
            if claim_id in by_id and wrong:
                out.append((data.train[query], text_of(by_id[claim_id]), [text_of(f) for f in wrong]))
    return out


def epoch(
    model: CrossEncoder, groups: list[Any], optimiser: Any, scheduler: Any, rng: random.Random, per_step: int
) -> float:
    import torch

    model.model.train()
    rng.shuffle(groups)
    total, steps = 0.0, 0
    for start in range(0, len(groups), per_step):
        chunk = groups[start : start + per_step]
        queries, texts, sizes = [], [], []
        for tweet, positive, wrong in chunk:
            for text in [positive, *wrong]:
                queries.append(tweet)
                texts.append(text)
            sizes.append(1 + len(wrong))
        logits = model.logits(queries, texts)
        loss = torch.zeros(())
        offset = 0
        for size in sizes:
            loss = loss + torch.nn.functional.cross_entropy(
                logits[offset : offset + size].unsqueeze(0), torch.zeros(1, dtype=torch.long)
            )
            offset += size
        loss = loss / len(sizes)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        scheduler.step()
        total += float(loss.detach())
        steps += 1
    model.model.eval()
    return total / max(steps, 1)


def cross_scores(
    model: CrossEncoder, index: FactCheckIndex, queries: dict[str, str], lists: dict[str, list[tuple[int, float]]]
) -> dict[str, np.ndarray]:
    pairs_q, pairs_t, owners = [], [], []
    for query, ranked in lists.items():
        for row, _ in ranked:
            pairs_q.append(queries[query])
            pairs_t.append(text_of(index.fact_checks[row]))
            owners.append(query)
    scores = model.score(pairs_q, pairs_t)
    out: dict[str, list[float]] = {}
    for owner, score in zip(owners, scores, strict=True):
        out.setdefault(owner, []).append(float(score))
    return {q: np.array(s) for q, s in out.items()}


def blended(
    index: FactCheckIndex,
    lists: dict[str, list[tuple[int, float]]],
    ce: dict[str, np.ndarray],
    qrels: dict[str, set[str]],
    weight: float,
) -> dict[str, float]:
    ranked = {}
    for query, items in lists.items():
        base = np.array([s for _, s in items])
        score = base + weight * ce[query] if weight < 1e5 else ce[query] + 1e-6 * base
        ranked[query] = [index.fact_checks[items[i][0]].id for i in np.argsort(-score, kind="stable")]
    return score_rankings(ranked, {q: qrels[q] for q in lists if q in qrels}).to_json()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--init", type=Path, help="Hugging Face folder to start from (default: all-MiniLM-L6-v2)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--negatives", type=int, default=7)
    parser.add_argument("--per-step", type=int, default=2, help="groups per optimiser step")
    parser.add_argument("--learning-rate", type=float, default=3e-5)
    parser.add_argument("--max-pieces", type=int, default=192)
    parser.add_argument("--dev", action="store_true", help="score the setting chosen on tune on dev, once")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    import torch

    torch.manual_seed(13)
    torch.set_num_threads(2)
    rng = random.Random(13)
    data = load_checkthat(args.data)
    fit_ids, tune_ids = split_queries(data.train)
    matcher = load_matcher()
    began = time.perf_counter()
    index = FactCheckIndex.build(data.fact_checks, matcher.encoder, matcher.reranker)
    print(f"index: {time.perf_counter() - began:.0f} s", flush=True)
    fit_lists = candidate_lists(index, data.train, fit_ids, max(args.top, args.negatives + 3))
    tune_lists = candidate_lists(index, data.train, tune_ids, args.top)
    dev_lists = candidate_lists(index, data.dev, sorted(data.dev), args.top) if args.dev else {}
    groups = groups_for_training(data, index, fit_lists, args.negatives)
    print(f"{len(groups)} training groups", flush=True)

    model = CrossEncoder(args.init or base_path("minilm"), args.max_pieces)
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.learning_rate, weight_decay=0.01)
    steps = args.epochs * ((len(groups) + args.per_step - 1) // args.per_step)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / max(1, steps // 10)) * max(0.0, 1 - step / steps)
    )
    history: list[dict[str, Any]] = []
    zero = {q: np.zeros(len(v)) for q, v in tune_lists.items()}
    history.append({"epoch": 0, "tune": {"0.0": blended(index, tune_lists, zero, data.train_qrels, 0.0)}})
    print(json.dumps(history[-1]), flush=True)
    best: tuple[float, int, float] = (history[0]["tune"]["0.0"]["MAP@5"], 0, 0.0)
    best_state: dict[str, Any] | None = None
    for number in range(1, args.epochs + 1):
        started = time.perf_counter()
        loss = epoch(model, groups, optimiser, scheduler, rng, args.per_step)
        ce = cross_scores(model, index, data.train, tune_lists)
        row: dict[str, Any] = {"epoch": number, "loss": round(loss, 4), "seconds": round(time.perf_counter() - started)}
        row["tune"] = {str(w): blended(index, tune_lists, ce, data.train_qrels, w) for w in WEIGHTS}
        history.append(row)
        print(
            json.dumps(
                {
                    "epoch": number,
                    "loss": row["loss"],
                    "seconds": row["seconds"],
                    "MAP@5": {w: r["MAP@5"] for w, r in row["tune"].items()},
                }
            ),
            flush=True,
        )
        for w, r in row["tune"].items():
            if r["MAP@5"] > best[0] + 1e-9:
                best = (r["MAP@5"], number, float(w))
                best_state = {k: v.clone() for k, v in model.model.state_dict().items()} | {
                    f"head.{k}": v.clone() for k, v in model.head.state_dict().items()
                }
    result: dict[str, Any] = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "history": history,
        "chosen": {"tune_MAP@5": best[0], "epoch": best[1], "weight": best[2]},
    }
    if args.dev:
        if best_state is not None:
            model.model.load_state_dict({k: v for k, v in best_state.items() if not k.startswith("head.")})
            model.head.load_state_dict({k[5:]: v for k, v in best_state.items() if k.startswith("head.")})
        ce = (
            cross_scores(model, index, data.dev, dev_lists)
            if best[1]
            else {q: np.zeros(len(v)) for q, v in dev_lists.items()}
        )
        result["dev"] = blended(index, dev_lists, ce, data.dev_qrels, best[2])
        result["dev_matcher_alone"] = blended(index, dev_lists, ce, data.dev_qrels, 0.0)
        # Time to re-score one query's candidates (the cost at run time).
        texts = [text_of(index.fact_checks[r]) for r, _ in next(iter(dev_lists.values()))]
        timings = []
        for query in sorted(data.dev)[:50]:
            t = time.perf_counter()
            model.score([data.dev[query]] * len(texts), texts)
            timings.append(time.perf_counter() - t)
        result["ms_per_query_median"] = round(1000 * float(np.median(timings)), 1)
        print(
            json.dumps({k: result[k] for k in ("chosen", "dev", "dev_matcher_alone", "ms_per_query_median")}),
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
