"""`presslens claims …` (fact-check indexes, matching, CheckThat! runs), `presslens train
claims` and `presslens eval claims`."""

from __future__ import annotations

import json
import logging
import resource
import sys
import time
from pathlib import Path
from typing import Any

import click

from presslens.cli.errors import error_line
from presslens.cli.groups import eval_group, train_group
from presslens.errors import InputError, PresslensError

PathDir = click.Path(file_okay=False, path_type=Path)
PathFile = click.Path(dir_okay=False, path_type=Path)


@click.group("claims")
def claims_group() -> None:
    """Claims against fact-checks: build an index of fact-checks, match claims to it."""


def _matcher(folder: Path | None) -> object:
    # Here, not at the top: torch and transformers load only for the commands that match.
    from presslens.models.loader import CLAIMS, load_model

    return load_model(CLAIMS, "matcher", folder=str(folder) if folder else None)


def _build_index(files: list[str], matcher_dir: Path | None) -> tuple[object, int]:
    from presslens.claims.factchecks import FactCheck, read_fact_checks
    from presslens.claims.retrieval import FactCheckIndex, Matcher

    fact_checks, failed = [], 0
    for found in read_fact_checks(files):
        if isinstance(found, InputError):
            error_line(str(found))
            failed += 1
        elif isinstance(found, FactCheck):
            fact_checks.append(found)
    seen: set[str] = set()
    unique = [f for f in fact_checks if not (f.id in seen or seen.add(f.id))]  # type: ignore[func-returns-value]
    if not unique:
        raise PresslensError("no fact-checks to index (see the lines above)" if failed else "no fact-checks given")
    matcher = _matcher(matcher_dir)
    assert isinstance(matcher, Matcher)
    return FactCheckIndex.build(unique, matcher.encoder, matcher.reranker), failed


@claims_group.command("index")
@click.argument("files", nargs=-1, required=True)
@click.option("--out", "out_dir", type=PathDir, required=True, help="Folder for the index.")
@click.option("--matcher", "matcher_dir", type=PathDir, default=None, help="Matcher folder (default: the shipped one).")
def index_command(files: tuple[str, ...], out_dir: Path, matcher_dir: Path | None) -> None:
    """Index fact-checks: JSONL or CSV (claim, verdict, url, date, publisher, title), ClaimReview
    JSON-LD (.json, .jsonld, or HTML pages that carry it) or the CheckThat! TSV layout."""
    started = time.perf_counter()
    index, failed = _build_index(list(files), matcher_dir)
    index.save(out_dir)  # type: ignore[attr-defined]
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    count = len(index)  # type: ignore[arg-type]
    click.echo(
        f"presslens: {count} fact-checks indexed in {out_dir} in {seconds:.1f} s "
        f"({count / seconds:.0f}/s, peak memory {peak:.0f} MB); {failed} failed",
        err=True,
    )
    if failed:
        sys.exit(1)


def _load_index(index_dir: Path, matcher_dir: Path | None) -> object:
    from presslens.claims.retrieval import FactCheckIndex, Matcher

    matcher = _matcher(matcher_dir)
    assert isinstance(matcher, Matcher)
    index = FactCheckIndex.load(index_dir, matcher.encoder)
    return index


@claims_group.command("match")
@click.argument("claim")
@click.option("--index", "index_dir", type=PathDir, required=True, help="A folder of `presslens claims index`.")
@click.option("-k", "top", type=click.IntRange(1, 100), default=3, show_default=True, help="Matches per claim.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--matcher", "matcher_dir", type=PathDir, default=None, help="Matcher folder (default: the shipped one).")
def match_command(claim: str, index_dir: Path, top: int, fmt: str, matcher_dir: Path | None) -> None:
    """The fact-checks that best match CLAIM (a text, or a file with one claim a line)."""
    from presslens.claims.retrieval import FactCheckIndex

    path = Path(claim)
    if path.is_file():
        try:
            claims = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        except (OSError, UnicodeDecodeError) as error:
            raise PresslensError(f"{path}: cannot be read ({error.__class__.__name__})") from None
    else:
        claims = [claim]
    index = _load_index(index_dir, matcher_dir)
    assert isinstance(index, FactCheckIndex)
    results: list[dict[str, Any]] = []
    for text in claims:
        matches = index.search(text, k=top)
        results.append(
            {
                "claim": text,
                "matches": [
                    {"score": round(m.score, 4), "cosine": round(m.cosine, 4), **m.fact_check.to_json()}
                    for m in matches
                ],
            }
        )
    if fmt == "json":
        click.echo(json.dumps(results, indent=2, ensure_ascii=False))
        return
    for result in results:
        click.echo(result["claim"])
        for number, match in enumerate(result["matches"], start=1):
            verdict = f" [{match['verdict']}]" if match["verdict"] else ""
            where = f" {match['url']}" if match["url"] else ""
            click.echo(f"  {number}. {match['score']:+.3f}{verdict} {match['claim']}{where}")


def _predict(queries_file: Path, claims_file: Path, index_dir: Path | None, matcher_dir: Path | None) -> object:
    """(query id → [(claim id, score)]) for a queries TSV against the claims of a file."""
    from presslens.claims.evaluation import read_queries
    from presslens.claims.retrieval import FactCheckIndex

    queries = read_queries(queries_file)
    if index_dir is not None:
        index = _load_index(index_dir, matcher_dir)
    else:
        index, failed = _build_index([str(claims_file)], matcher_dir)
        if failed:
            raise PresslensError(f"{claims_file}: {failed} fact-checks could not be read")
    assert isinstance(index, FactCheckIndex)
    ids = list(queries)
    embeddings = index.encoder.encode([queries[q] for q in ids])
    return {
        query: [(m.fact_check.id, m.score) for m in index.search_embedded(queries[query], embedding, k=1000)]
        for query, embedding in zip(ids, embeddings, strict=True)
    }


@claims_group.command("predict")
@click.option("--queries", "queries_file", type=PathFile, required=True, help="Queries TSV (id, text; a header).")
@click.option("--claims", "claims_file", type=PathFile, required=True, help="The fact-checks (any indexable file).")
@click.option("--out", "run_file", type=PathFile, required=True, help="The run file to write.")
@click.option("--index", "index_dir", type=PathDir, default=None, help="A built index of those claims (faster).")
@click.option("--tag", default="presslens", show_default=True, help="The run's tag (last column).")
@click.option("--matcher", "matcher_dir", type=PathDir, default=None, help="Matcher folder (default: the shipped one).")
def predict_command(
    queries_file: Path, claims_file: Path, run_file: Path, index_dir: Path | None, tag: str, matcher_dir: Path | None
) -> None:
    """Write a CheckThat! run (`tweet_id Q0 vclaim_id rank score tag`, at most 1,000 rows a query)."""
    from presslens.claims.evaluation import write_run

    results = _predict(queries_file, claims_file, index_dir, matcher_dir)
    rows = write_run(run_file, results, tag)  # type: ignore[arg-type]
    click.echo(f"presslens: {rows} rows for {len(results)} queries written to {run_file}", err=True)  # type: ignore[arg-type]


@eval_group.command("claims")
@click.option("--queries", "queries_file", type=PathFile, required=True, help="Queries TSV (id, text; a header).")
@click.option("--qrels", "qrels_file", type=PathFile, required=True, help="TREC qrels: query 0 claim relevance.")
@click.option("--claims", "claims_file", type=PathFile, default=None, help="The fact-checks to rank.")
@click.option("--run", "run_file", type=PathFile, default=None, help="Score this run file instead of predicting.")
@click.option("--index", "index_dir", type=PathDir, default=None, help="A built index of the claims.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@click.option("--matcher", "matcher_dir", type=PathDir, default=None, help="Matcher folder (default: the shipped one).")
def eval_claims_command(
    queries_file: Path,
    qrels_file: Path,
    claims_file: Path | None,
    run_file: Path | None,
    index_dir: Path | None,
    as_json: bool,
    matcher_dir: Path | None,
) -> None:
    """MAP@1/3/5/10, MRR and P@k as CheckThat! 2020 Task 2 defines them (MAP@5: the official one)."""
    from presslens.claims.evaluation import format_scores, read_qrels, read_run, score_rankings

    qrels = read_qrels(qrels_file)
    if run_file is not None:
        ranked = read_run(run_file)
    elif claims_file is not None or index_dir is not None:
        predicted = _predict(queries_file, claims_file or Path(), index_dir, matcher_dir)
        ranked = {q: [c for c, _ in r] for q, r in predicted.items()}  # type: ignore[attr-defined]
    else:
        raise click.UsageError("give --claims (or --index) to rank, or --run to score a run file")
    scores = score_rankings(ranked, qrels)
    if as_json:
        click.echo(json.dumps(scores.to_json(), indent=2))
    else:
        click.echo(format_scores(scores, f"CheckThat! claim retrieval, {qrels_file}"))


@train_group.command("claims")
@click.option("--data", "data_dir", type=PathDir, required=True, help="The CheckThat! 2020 Task 2 folder.")
@click.option("--out", "out_dir", type=PathDir, required=True, help="Folder for the matcher.")
@click.option("--epochs", type=click.IntRange(0, 50), default=3, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=2, show_default=True)
def train_claims_command(data_dir: Path, out_dir: Path, epochs: int, threads: int) -> None:
    """Fine-tune the claim encoder on train (less a tuning part that chooses), fit the
    re-ranker, score dev once; writes OUT/encoder, OUT/reranker.json, OUT/training.json."""
    from presslens.claims.training import ClaimTrainConfig, run_claim_training

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    summary = run_claim_training(data_dir, out_dir, ClaimTrainConfig(epochs=epochs, threads=threads))
    click.echo(json.dumps(summary["dev"], indent=2))


COMMANDS = (claims_group,)
