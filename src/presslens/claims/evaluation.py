"""CheckThat! 2020 Task 2 (verified claim retrieval): its files and its measures.

Measures as the task's scorer computes them (trec_eval's, through trectools), averaged over
the queries of the qrels (a query without a ranking scores 0):
- AP@k = (sum over the relevant claims ranked in the top k of the precision at their rank)
  / (the number of relevant claims of the query); MAP@k is its mean (MAP@5 is the official one);
- RR = 1 / the rank of the first relevant claim (0 if none is ranked); MRR is its mean;
- P@k = the relevant claims in the top k / k.

Files: queries ``id<TAB>tweet_content`` with a header; qrels ``tweet_id 0 vclaim_id 1``; a run
``tweet_id Q0 vclaim_id rank score tag``, at most 1,000 rows a query.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from presslens.errors import InputError

MAX_RUN_ROWS = 1000
CUTOFFS = (1, 3, 5, 10)

Ranking = Mapping[str, Sequence[str]]  # query id → claim ids, best first
Qrels = Mapping[str, set[str]]  # query id → relevant claim ids


def average_precision(ranked: Sequence[str], relevant: set[str], k: int | None = None) -> float:
    if not relevant:
        return 0.0
    hits, total = 0, 0.0
    for rank, claim in enumerate(ranked[:k] if k else ranked, start=1):
        if claim in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant)


def reciprocal_rank(ranked: Sequence[str], relevant: set[str]) -> float:
    for rank, claim in enumerate(ranked, start=1):
        if claim in relevant:
            return 1.0 / rank
    return 0.0


def precision_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return sum(claim in relevant for claim in ranked[:k]) / k


@dataclass
class RetrievalScores:
    queries: int
    map_at: dict[int, float]
    mrr: float
    precision_at: dict[int, float]

    def to_json(self) -> dict[str, float | int]:
        out: dict[str, float | int] = {"queries": self.queries}
        out |= {f"MAP@{k}": round(v, 4) for k, v in self.map_at.items()}
        out["MRR"] = round(self.mrr, 4)
        out |= {f"P@{k}": round(v, 4) for k, v in self.precision_at.items()}
        return out


def score_rankings(rankings: Ranking, qrels: Qrels, cutoffs: Sequence[int] = CUTOFFS) -> RetrievalScores:
    queries = sorted(qrels)
    if not queries:
        raise InputError("qrels", "no query has a relevant claim")

    def mean(values: list[float]) -> float:
        return sum(values) / len(values)

    return RetrievalScores(
        queries=len(queries),
        map_at={k: mean([average_precision(rankings.get(q, []), qrels[q], k) for q in queries]) for k in cutoffs},
        mrr=mean([reciprocal_rank(rankings.get(q, []), qrels[q]) for q in queries]),
        precision_at={k: mean([precision_at(rankings.get(q, []), qrels[q], k) for q in queries]) for k in cutoffs},
    )


def format_scores(scores: RetrievalScores, title: str) -> str:
    rows = [f"{title} ({scores.queries} queries)"]
    rows += [f"  MAP@{k:<3} {v:.4f}" for k, v in scores.map_at.items()]
    rows.append(f"  MRR    {scores.mrr:.4f}")
    rows += [f"  P@{k:<5} {v:.4f}" for k, v in scores.precision_at.items()]
    return "\n".join(rows)


# --- files --------------------------------------------------------------------------------


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(str(path), f"cannot be read ({error.__class__.__name__})") from None


def read_queries(path: Path) -> dict[str, str]:
    """id → text of a queries TSV (a header line, then ``id<TAB>text``; CSV quoting)."""
    rows = list(csv.reader(io.StringIO(_text(path)), delimiter="\t"))
    if not rows or len(rows[0]) < 2:
        raise InputError(str(path), "not a queries file (a header, then id<TAB>text lines)")
    queries = {}
    for number, row in enumerate(rows[1:], start=2):
        if len(row) < 2 or not row[0].strip():
            raise InputError(f"{path}:{number}", "expected id<TAB>text")
        queries[row[0].strip()] = row[1]
    return queries


def read_qrels(path: Path) -> dict[str, set[str]]:
    """query id → relevant claim ids of a TREC qrels file (``qid 0 docid relevance``)."""
    qrels: dict[str, set[str]] = {}
    for number, line in enumerate(_text(path).splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 4:
            raise InputError(f"{path}:{number}", "expected 'query_id 0 claim_id relevance'")
        query, _, claim, relevance = fields
        try:
            relevant = int(relevance) > 0
        except ValueError:
            raise InputError(f"{path}:{number}", f"relevance {relevance!r} is not a number") from None
        qrels.setdefault(query, set())
        if relevant:
            qrels[query].add(claim)
    return {q: r for q, r in qrels.items() if r}


def read_run(path: Path) -> dict[str, list[str]]:
    """query id → claim ids by rank of a run file (``qid Q0 docid rank score tag``)."""
    scored: dict[str, list[tuple[int, str]]] = {}
    for number, line in enumerate(_text(path).splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 6 or fields[1] != "Q0":
            raise InputError(f"{path}:{number}", "expected 'query_id Q0 claim_id rank score tag'")
        try:
            rank = int(fields[3])
            float(fields[4])
        except ValueError:
            raise InputError(f"{path}:{number}", "rank must be an integer and score a number") from None
        scored.setdefault(fields[0], []).append((rank, fields[2]))
    for query, rows in scored.items():
        if len(rows) > MAX_RUN_ROWS:
            raise InputError(str(path), f"query {query} has {len(rows)} rows, over the {MAX_RUN_ROWS} allowed")
    return {q: [claim for _, claim in sorted(rows)] for q, rows in scored.items()}


def write_run(path: Path, results: Mapping[str, Sequence[tuple[str, float]]], tag: str = "presslens") -> int:
    """Write (claim id, score) lists, best first, in the run format; the rows written."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for query, ranked in results.items():
            for rank, (claim, score) in enumerate(ranked[:MAX_RUN_ROWS], start=1):
                out.write(f"{query}\tQ0\t{claim}\t{rank}\t{score:.6f}\t{tag}\n")
                count += 1
    return count
