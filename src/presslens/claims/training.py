"""Training the claim matcher on CheckThat! 2020 Task 2: `presslens train claims`.

1. The train tweets are split by id: every ``TUNE_EVERY``-th (in id order) is the tuning part,
   which chooses the epoch and the re-ranker's regularisation; dev is scored once at the end.
2. The sentence encoder (all-MiniLM-L6-v2) is fine-tuned on (tweet, verified claim) and
   (tweet, fact-check title) pairs of the fitting part, contrastively: each tweet against
   every other pair's text in its batch (in-batch negatives) and against a hard negative (the
   best-ranked wrong fact-check of the base matcher), a softmax over scaled cosines.
3. A linear re-ranker (logistic regression over ``retrieval.FEATURES``) is fitted on the
   fitting part's candidates with the fine-tuned encoder.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from presslens.claims.evaluation import RetrievalScores, read_qrels, read_queries, score_rankings
from presslens.claims.factchecks import FactCheck, read_fact_checks
from presslens.claims.retrieval import FEATURES, FactCheckIndex, Reranker, SentenceEncoder
from presslens.errors import InputError

log = logging.getLogger("presslens.train")

TUNE_EVERY = 5
RERANKER_FILE = "reranker.json"


@dataclass
class ClaimTrainConfig:
    epochs: int = 3
    batch: int = 16
    learning_rate: float = 2e-5
    scale: float = 20.0  # cosines × scale are the softmax's logits
    hard_negatives: bool = True
    seed: int = 13
    threads: int = 2
    regularisation: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0)  # the re-ranker's C, chosen on tune
    limit_claims: int = 0  # > 0: a quick run on the claims the queries need plus this many (tests)


@dataclass
class CheckThat:
    fact_checks: list[FactCheck]
    train: dict[str, str]
    train_qrels: dict[str, set[str]]
    dev: dict[str, str]
    dev_qrels: dict[str, set[str]]


def load_checkthat(data: Path, limit_claims: int = 0) -> CheckThat:
    found = list(read_fact_checks([str(data / "verified_claims.docs.tsv")]))
    errors = [f for f in found if isinstance(f, InputError)]
    if errors:
        raise errors[0]
    fact_checks = [f for f in found if isinstance(f, FactCheck)]
    train, dev = read_queries(data / "train" / "tweets.queries.tsv"), read_queries(data / "dev" / "tweets.queries.tsv")
    train_qrels = read_qrels(data / "train" / "tweet-vclaim-pairs.qrels")
    dev_qrels = read_qrels(data / "dev" / "tweet-vclaim-pairs.qrels")
    if limit_claims:
        needed = set().union(*train_qrels.values(), *dev_qrels.values())
        fact_checks = [f for f in fact_checks if f.id in needed] + [f for f in fact_checks if f.id not in needed][
            :limit_claims
        ]
    return CheckThat(fact_checks, train, train_qrels, dev, dev_qrels)


def split_queries(queries: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """(fit, tune) query ids: every TUNE_EVERY-th in id order is tune."""
    ordered = sorted(queries, key=lambda q: (len(q), q))
    tune = [q for i, q in enumerate(ordered) if i % TUNE_EVERY == TUNE_EVERY - 1]
    return [q for q in ordered if q not in set(tune)], tune


def rankings(
    index: FactCheckIndex, queries: Mapping[str, str], ids: Sequence[str], k: int = 1000, fused: bool = True
) -> dict[str, list[tuple[str, float]]]:
    """(claim id, score) lists, best first, of the queries ``ids``."""
    embeddings = index.encoder.encode([queries[q] for q in ids])
    saved = index.reranker
    if not fused:
        index.reranker = None
    try:
        out = {}
        for query, embedding in zip(ids, embeddings, strict=True):
            matches = index.search_embedded(queries[query], embedding, k=k)
            out[query] = [(m.fact_check.id, m.score) for m in matches]
        return out
    finally:
        index.reranker = saved


def evaluate(
    index: FactCheckIndex, queries: Mapping[str, str], qrels: Mapping[str, set[str]], ids: Sequence[str]
) -> RetrievalScores:
    ranked = rankings(index, queries, ids, k=10)
    return score_rankings({q: [c for c, _ in r] for q, r in ranked.items()}, {q: qrels[q] for q in ids if q in qrels})


# --- the encoder, fine-tuned --------------------------------------------------------------


def training_pairs(
    data: CheckThat, fit: Sequence[str], index: FactCheckIndex | None
) -> list[tuple[str, str, str, str | None]]:
    """(query id, tweet, text of a fact-check that verifies it, a hard negative's text): one
    pair for the claim and one for the title of each relevant fact-check."""
    by_id = {f.id: f for f in data.fact_checks}
    negatives: dict[str, FactCheck] = {}
    if index is not None:
        for query, ranked in rankings(index, data.train, fit, k=5, fused=False).items():
            wrong = [c for c, _ in ranked if c not in data.train_qrels.get(query, set())]
            if wrong:
                negatives[query] = by_id[wrong[0]]
    pairs = []
    for query in fit:
        for claim_id in sorted(data.train_qrels.get(query, set())):
            if claim_id not in by_id:
                continue
            fact_check, negative = by_id[claim_id], negatives.get(query)
            pairs.append((query, data.train[query], fact_check.claim, negative.claim if negative else None))
            if fact_check.title:
                pairs.append((query, data.train[query], fact_check.title, negative.title if negative else None))
    return pairs


def fine_tune_epoch(
    encoder: SentenceEncoder,
    pairs: list[tuple[str, str, str, str | None]],
    optimiser: Any,
    config: ClaimTrainConfig,
    rng: random.Random,
) -> float:
    import torch

    encoder.model.train()
    order = list(range(len(pairs)))
    rng.shuffle(order)
    total, steps = 0.0, 0
    for start in range(0, len(order), config.batch):
        batch = [pairs[i] for i in order[start : start + config.batch]]
        if len(batch) < 2:
            continue
        queries = encoder.embed_batch([tweet for _, tweet, _, _ in batch])
        texts = [text for _, _, text, _ in batch]
        hard = [negative for _, _, _, negative in batch if negative] if config.hard_negatives else []
        candidates = encoder.embed_batch(texts + hard)
        logits = config.scale * queries @ candidates.T
        # A pair's text is a false negative for another pair of the same tweet: masked out.
        owners = [query for query, _, _, _ in batch]
        same = torch.tensor([[owners[i] == owners[j] and i != j for j in range(len(batch))] for i in range(len(batch))])
        logits[:, : len(batch)] = logits[:, : len(batch)].masked_fill(same, -1e4)
        loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(batch)))
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(encoder.model.parameters(), 1.0)
        optimiser.step()
        total += float(loss.detach())
        steps += 1
    encoder.model.eval()
    return total / max(steps, 1)


# --- the re-ranker ------------------------------------------------------------------------


def candidate_table(
    index: FactCheckIndex, queries: Mapping[str, str], qrels: Mapping[str, set[str]], ids: Sequence[str]
) -> list[tuple[str, np.ndarray, np.ndarray, list[str]]]:
    """Per query: (id, features of its candidates, relevant or not, the candidates' claim ids)."""
    embeddings = index.encoder.encode([queries[q] for q in ids])
    table = []
    for query, embedding in zip(ids, embeddings, strict=True):
        rows, features, _ = index.candidates_for(queries[query], embedding)
        claims = [index.fact_checks[int(r)].id for r in rows]
        labels = np.array([c in qrels.get(query, set()) for c in claims], dtype=np.float64)
        table.append((query, features, labels, claims))
    return table


def fit_reranker(
    table: list[tuple[str, np.ndarray, np.ndarray, list[str]]], regularisation: float, balanced: bool = False
) -> Reranker:
    """Logistic regression of 'this candidate verifies the query'. Unweighted, its
    probability is calibrated (a match at 0.5 means as likely right as wrong); ``balanced``
    weights the rare positives up, which can rank better but inflates the probabilities."""
    from sklearn.linear_model import LogisticRegression

    features = np.vstack([t[1] for t in table])
    labels = np.concatenate([t[2] for t in table])
    means, scales = features.mean(axis=0), features.std(axis=0) + 1e-9
    model = LogisticRegression(C=regularisation, max_iter=2000, class_weight="balanced" if balanced else None)
    model.fit((features - means) / scales, labels)
    return Reranker([float(w) for w in model.coef_[0]], float(model.intercept_[0]), means.tolist(), scales.tolist())


def reranked_scores(
    reranker: Reranker | None, table: list[tuple[str, np.ndarray, np.ndarray, list[str]]], qrels: Mapping[str, set[str]]
) -> RetrievalScores:
    ranked = {}
    for query, features, _, claims in table:
        if reranker is None:
            scores = features[:, FEATURES.index("dense_rr")] + features[:, FEATURES.index("bm25_rr")]
        else:
            scores = reranker.score(features)
        ranked[query] = [claims[i] for i in np.argsort(-scores, kind="stable")[:10]]
    return score_rankings(ranked, {q: qrels[q] for q, *_ in table if q in qrels})


# --- the whole run -------------------------------------------------------------------------


def run_claim_training(data_folder: Path, out: Path, config: ClaimTrainConfig) -> dict[str, Any]:
    import torch

    started = time.perf_counter()
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    rng = random.Random(config.seed)
    data = load_checkthat(data_folder, config.limit_claims)
    fit, tune = split_queries(data.train)
    dev = sorted(data.dev)
    log.info("%d fact-checks; %d fit, %d tune, %d dev tweets", len(data.fact_checks), len(fit), len(tune), len(dev))

    encoder = SentenceEncoder(threads=config.threads)
    base = FactCheckIndex.build(data.fact_checks, encoder)
    history: list[dict[str, Any]] = [
        {
            "epoch": 0,
            **{f"tune_{k}": v for k, v in evaluate(base, data.train, data.train_qrels, tune).to_json().items()},
        }
    ]
    log.info("base encoder: %s", history[0])
    pairs = training_pairs(data, fit, base)
    optimiser = torch.optim.AdamW(encoder.model.parameters(), lr=config.learning_rate, weight_decay=0.01)
    best = float(history[0]["tune_MAP@5"])
    best_state = {k: v.clone() for k, v in encoder.model.state_dict().items()}
    for epoch in range(1, config.epochs + 1):
        began = time.perf_counter()
        loss = fine_tune_epoch(encoder, pairs, optimiser, config, rng)
        index = FactCheckIndex.build(data.fact_checks, encoder)
        scores = evaluate(index, data.train, data.train_qrels, tune).to_json()
        row = {"epoch": epoch, "loss": round(loss, 4), "seconds": round(time.perf_counter() - began, 1)}
        row |= {f"tune_{k}": v for k, v in scores.items()}
        history.append(row)
        log.info("epoch %s", row)
        if float(row["tune_MAP@5"]) > best:
            best = float(row["tune_MAP@5"])
            best_state = {k: v.clone() for k, v in encoder.model.state_dict().items()}
    encoder.model.load_state_dict(best_state)
    chosen_epoch = max(history, key=lambda h: h["tune_MAP@5"])["epoch"]
    index = FactCheckIndex.build(data.fact_checks, encoder)

    fit_table = candidate_table(index, data.train, data.train_qrels, fit)
    tune_table = candidate_table(index, data.train, data.train_qrels, tune)
    choices: list[dict[str, Any]] = [{"C": None, **reranked_scores(None, tune_table, data.train_qrels).to_json()}]
    best_reranker: Reranker | None = None
    best_map = float(choices[0]["MAP@5"])
    # Calibrated (unweighted) first: a weighted one must do strictly better on tune to be chosen.
    for balanced in (False, True):
        for c in config.regularisation:
            reranker = fit_reranker(fit_table, c, balanced)
            result = reranked_scores(reranker, tune_table, data.train_qrels).to_json()
            choices.append({"C": c, "balanced": balanced, **result})
            if float(result["MAP@5"]) > best_map:
                best_map, best_reranker = float(result["MAP@5"]), reranker
    index.reranker = best_reranker
    dev_scores = evaluate(index, data.dev, data.dev_qrels, dev)
    base.reranker = None
    base_dev = evaluate(base, data.dev, data.dev_qrels, dev)

    out.mkdir(parents=True, exist_ok=True)
    save_encoder(encoder, out)
    if best_reranker is not None:
        (out / RERANKER_FILE).write_text(json.dumps(best_reranker.to_json(), indent=2) + "\n", encoding="utf-8")
    summary = {
        "config": asdict(config),
        "fact_checks": len(data.fact_checks),
        "fit_tweets": len(fit),
        "tune_tweets": len(tune),
        "dev_tweets": len(dev),
        "pairs": len(pairs),
        "history": history,
        "chosen_epoch": chosen_epoch,
        "reranker_choices": choices,
        "dev": dev_scores.to_json(),
        "dev_base_encoder_rrf": base_dev.to_json(),
        "minutes": round((time.perf_counter() - started) / 60, 1),
    }
    (out / "training.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    write_card(out, summary)
    return summary


def write_card(out: Path, summary: dict[str, Any]) -> None:
    config, dev, base = summary["config"], summary["dev"], summary["dev_base_encoder_rrf"]
    measures = ("MAP@1", "MAP@3", "MAP@5", "MAP@10", "MRR", "P@1")
    table = "\n".join(f"| {m} | {base[m]:.4f} | {dev[m]:.4f} |" for m in measures)
    epochs = "\n".join(
        f"| {h['epoch']} | {h.get('loss', '')} | {h['tune_MAP@5']:.4f} | {h['tune_MRR']:.4f} |"
        for h in summary["history"]
    )
    choices = "\n".join(
        f"| {c['C'] if c['C'] is not None else 'none (RRF)'} | {c.get('balanced', '')} | {c['MAP@5']:.4f} |"
        for c in summary["reranker_choices"]
    )
    size = sum(p.stat().st_size for p in (out / "encoder").iterdir()) / 1e6
    card = f"""# presslens claim matcher (`presslens claims …`, `--fact-checks`)

Finds the fact-checks that check a claim: BM25 and a sentence encoder's cosine, fused by a
linear re-ranker.

## Data
CLEF CheckThat! 2020 Task 2, English (Shaar et al., 2020; research use): {summary["fact_checks"]}
verified claims (Snopes). The {summary["fit_tweets"] + summary["tune_tweets"]} train tweets are
split by id: {summary["fit_tweets"]} fit the encoder and the re-ranker, {summary["tune_tweets"]}
(every {TUNE_EVERY}th) choose the epoch and the re-ranker; the {summary["dev_tweets"]} dev
tweets are scored once, at the end. The task's test split is not available here.

## Method
- Encoder: all-MiniLM-L6-v2 (mean pooling, L2-normalised), fine-tuned contrastively on
  {summary["pairs"]} (tweet, claim) and (tweet, fact-check title) pairs: a softmax over
  {config["scale"]} × cosine against the batch's other texts and one hard negative a tweet
  (the base matcher's best wrong fact-check); AdamW, learning rate {config["learning_rate"]},
  batch {config["batch"]}, {config["epochs"]} epochs, the best on tune kept (epoch
  {summary["chosen_epoch"]}). Saved float16 ({size:.0f} MB), read as float32.
- Candidates: the top 100 of a usearch HNSW index (inner product with claim + title
  embeddings) and the top 100 of BM25 (k1 1.2, b 0.75) over claim and title.
- Re-ranker: logistic regression over {", ".join(FEATURES)}; chosen on tune (unweighted
  first, so that its probability is calibrated: `--fact-checks` keeps matches at 0.5 or more).
- Repeats: a fact-check whose claim an earlier-indexed one states word for word (case and
  punctuation aside; the collection holds 184 such groups) ranks just below that original
  when both are candidates (`retrieval.below_originals`). Read off dev's misses, checked on
  train (185 of 190 relevant fact-checks in such a group are its first; neutral on tune),
  adopted on dev (MAP@5 +0.008), so dev is not an unbiased figure for this rule.
- The HNSW graph is built on one thread: a parallel build differs run to run, and with it
  the candidates (dev MAP@5 moved by ±0.003 between two builds).

## Scores on dev ({summary["dev_tweets"]} tweets; CheckThat! measures, `presslens eval claims`)
| measure | base MiniLM, BM25 + cosine by RRF | this matcher |
|---|---|---|
{table}

## Epochs (tune)
| epoch | loss | MAP@5 | MRR |
|---|---|---|---|
{epochs}

## Re-ranker choices (tune)
| C | balanced | MAP@5 |
|---|---|---|
{choices}

Training took {summary["minutes"]} minutes on this machine's CPUs.

## Known weaknesses
- Trained on tweets against Snopes claims (2016–2020, US politics and viral rumours); claims
  of other kinds and of other places match less well.
- English only (the encoder lowercases and was trained on English).

## Also used for narratives
The store links claims of different articles with this encoder's embeddings
(`presslens.store.narratives`: cosine at least 0.78 plus word, denial and number checks).
On PolNeAR train + dev, 47 of 50 links drawn at random and 25 of 30 links between two
outlets state the same claim, judged by reading (`benchmarks/narratives.py`;
`benchmarks/results/narratives-judged-2026-12-03*.tsv`).
"""
    (out / "MODEL_CARD.md").write_text(card, encoding="utf-8")


def save_encoder(encoder: SentenceEncoder, out: Path) -> None:
    """The fine-tuned encoder as a Hugging Face folder, float16 weights (half the size; read
    back as float32)."""
    folder = out / "encoder"
    folder.mkdir(parents=True, exist_ok=True)
    encoder.model.half().save_pretrained(folder, safe_serialization=True)
    encoder.model.float()
    encoder.tokenizer.save_pretrained(folder)
