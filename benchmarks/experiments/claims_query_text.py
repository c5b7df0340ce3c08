"""Which text of a tweet should the claim matcher read? Measured on the tune part of
CheckThat! 2020 Task 2 train (every 5th tweet, never trained on), never on dev.

A tweet as the task gives it carries a URL or two, ``pic.twitter.com/...`` and the embed's
signature ("— Name (@handle) Month D, YYYY"). BM25 already drops URLs (``words``); the
sentence encoder read them all. Each variant below rewrites the query before both scorers.

    .venv/bin/python benchmarks/experiments/claims_query_text.py --data ../shared/data/checkthat-2020-task2 \
        [--matcher src/presslens/models/claims] [--json benchmarks/results/claims-query-text.json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

from presslens.claims.retrieval import FactCheckIndex, SentenceEncoder, load_matcher
from presslens.claims.training import evaluate, load_checkthat, split_queries

URL = re.compile(r"https?://\S+|pic\.twitter\.com/\S+|www\.\S+")
SIGNATURE = re.compile(r"\s*[—–]\s*([^—–()]{1,80}?)\s*\(@\w+\)\s*(?:[A-Z][a-z]+ \d{1,2}, \d{4})?\s*$")
HASHTAG = re.compile(r"#(\w+)")
CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def no_urls(text: str) -> str:
    return re.sub(r"\s+", " ", URL.sub(" ", text)).strip()


def name_kept(text: str) -> str:
    """URLs out; the signature becomes its name alone ("Name: text")."""
    text = no_urls(text)
    found = SIGNATURE.search(text)
    if not found:
        return text
    return f"{found.group(1).strip()}: {text[: found.start()].strip()}"


def no_signature(text: str) -> str:
    text = no_urls(text)
    return SIGNATURE.sub("", text).strip()


def hashtags_split(text: str) -> str:
    return HASHTAG.sub(lambda m: CAMEL.sub(" ", m.group(1)), name_kept(text))


VARIANTS: dict[str, Callable[[str], str]] = {
    "raw": lambda text: text,
    "no_urls": no_urls,
    "no_urls_name_kept": name_kept,
    "no_urls_no_signature": no_signature,
    "no_urls_name_kept_hashtags_split": hashtags_split,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--matcher", default=None, help="matcher folder (default: the shipped one)")
    parser.add_argument("--base", action="store_true", help="also the base MiniLM, fused by RRF")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    data = load_checkthat(args.data)
    _, tune = split_queries(data.train)
    results: dict[str, dict[str, object]] = {}
    matcher = load_matcher(args.matcher)
    encoders: list[tuple[str, SentenceEncoder, object]] = [("shipped", matcher.encoder, matcher.reranker)]
    if args.base:
        encoders.append(("base_rrf", SentenceEncoder(), None))
    for name, encoder, reranker in encoders:
        began = time.perf_counter()
        index = FactCheckIndex.build(data.fact_checks, encoder, reranker)  # type: ignore[arg-type]
        for variant, rewrite in VARIANTS.items():
            queries = {q: rewrite(t) for q, t in data.train.items()}
            scores = evaluate(index, queries, data.train_qrels, tune).to_json()
            results[f"{name}/{variant}"] = scores
            print(f"{name:9} {variant:34} " + " ".join(f"{k} {v}" for k, v in scores.items()), flush=True)
        print(f"  ({time.perf_counter() - began:.0f} s)", file=sys.stderr)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"tune_tweets": len(tune), "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
