"""Narratives on PolNeAR (train + dev, 924 articles from 7 outlets, 2015-2016): how many, the
largest with their spread, how fast the claims are linked, and the precision of the links
judged by reading a sample.

    .venv/bin/python benchmarks/narratives.py [--store STORE] [--sample 50] \\
        [--judgements benchmarks/results/narratives-judged-2026-12-03.tsv] [--json OUT]

1. Ingest (without ``--store``, or when it does not exist): `presslens ingest` of PolNeAR
   into the store with the fast attribution tagger and no technique stage (narratives need
   the claims, which need attribution and the parse, not techniques); its time, and then the
   time of linking alone (`Store.link_claims`, which the ingest ran as it ended, measured again
   from scratch: the embeddings dropped, every claim embedded and linked again).
2. Counts: claims, linkable claims, links, narratives by size; the 15 widest.
3. Precision: ``--sample`` links drawn (seeded) from all the links, leaving out those read to
   choose the threshold (``narratives-threshold-reading-*.tsv`` in benchmarks/results). The
   first run writes them to ``--judgements`` with an empty ``same`` column; a reader fills it
   (1: the two claims say the same thing, 0: they do not; ``why`` says what decided it) and a
   later run reports the precision from the filled file.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
POLNEAR = REPO.parent / "shared" / "data" / "polnear"
RESULTS = REPO / "benchmarks" / "results"
FIELDS = ["doc_a", "claim_a", "doc_b", "claim_b", "similarity", "outlet_a", "outlet_b", "text_a", "text_b"]


def ingest(store: Path) -> float:
    began = time.perf_counter()
    command = [
        str(REPO / ".venv" / "bin" / "presslens"),
        "ingest",
        str(POLNEAR),
        "--format",
        "polnear",
        "--store",
        str(store),
        "--skip",
        "techniques",
        "--attribution",
        "fast",
    ]
    subprocess.run(command, check=True)
    return time.perf_counter() - began


def relink_from_scratch(store_path: Path) -> dict[str, Any]:
    from presslens.store import Store

    with Store(store_path) as store:
        store.query("DELETE FROM claim_vectors")
        store.query("DELETE FROM claim_links")
        began = time.perf_counter()
        report = store.link_claims()
        seconds = time.perf_counter() - began
    return {
        "claims_embedded": report.embedded,
        "links": report.links,
        "narratives": report.narratives,
        "seconds": round(seconds, 1),
        "claims_per_second": round(report.embedded / seconds, 1) if seconds else None,
    }


def seen_keys() -> set[tuple[str, str, str, str]]:
    seen = set()
    for path in RESULTS.glob("narratives-threshold-reading-*.tsv"):
        with path.open(encoding="utf-8") as rows:
            for row in csv.DictReader(rows, delimiter="\t"):
                seen.add((row["doc_a"], row["claim_a"], row["doc_b"], row["claim_b"]))
    return seen


def links(store: Any) -> list[dict[str, Any]]:
    rows = store.query(
        """
        SELECT l.doc_a, l.claim_a, l.doc_b, l.claim_b, l.similarity, oa.name, ob.name, a.text, b.text
        FROM claim_links l
        JOIN claims a ON a.doc_id = l.doc_a AND a.claim_id = l.claim_a
        JOIN claims b ON b.doc_id = l.doc_b AND b.claim_id = l.claim_b
        JOIN documents da ON da.id = l.doc_a LEFT JOIN outlets oa ON oa.id = da.outlet_id
        JOIN documents db ON db.id = l.doc_b LEFT JOIN outlets ob ON ob.id = db.outlet_id
        -- Links that make narratives: neither end is boilerplate (every linked claim that is
        -- not boilerplate has a narrative).
        SEMI JOIN claim_narratives na ON na.doc_id = l.doc_a AND na.claim_id = l.claim_a
        SEMI JOIN claim_narratives nb ON nb.doc_id = l.doc_b AND nb.claim_id = l.claim_b
        ORDER BY 1, 2, 3, 4
        """
    )
    return [dict(zip(FIELDS, r, strict=True)) for r in rows]


def precision(path: Path) -> dict[str, Any] | None:
    with path.open(encoding="utf-8") as rows:
        judged = [r for r in csv.DictReader(rows, delimiter="\t") if r.get("same", "").strip() in ("0", "1")]
    if not judged:
        return None
    right = sum(r["same"].strip() == "1" for r in judged)
    cross = [r for r in judged if r["outlet_a"] != r["outlet_b"]]
    identical = [r for r in judged if r["text_a"].strip() == r["text_b"].strip()]
    return {
        "judged": len(judged),
        "same": right,
        "precision": round(right / len(judged), 3),
        "cross_outlet_links": len(cross),
        "cross_outlet_precision": round(sum(r["same"].strip() == "1" for r in cross) / len(cross), 3)
        if cross
        else None,
        "identical_texts": len(identical),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, default=Path("/tmp/presslens-narratives-bench.duckdb"))
    parser.add_argument("--sample", type=int, default=50)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--cross-sample", type=int, default=30, help="links between two outlets, judged apart")
    parser.add_argument("--judgements", type=Path, default=RESULTS / "narratives-judged-2026-12-03.tsv")
    parser.add_argument("--no-relink", action="store_true", help="skip the timing of linking from scratch")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    from presslens.corpus.narratives import list_narratives
    from presslens.store import Store

    result: dict[str, Any] = {"corpus": "PolNeAR train + dev"}
    if not args.store.exists():
        result["ingest_seconds"] = round(ingest(args.store), 1)
    if not args.no_relink:
        result["linking_from_scratch"] = relink_from_scratch(args.store)
    with Store(args.store, read_only=True) as store:
        (documents,) = store.query("SELECT count(*) FROM documents")[0]
        (claims,) = store.query("SELECT count(*) FROM claims")[0]
        (linkable,) = store.query("SELECT count(*) FROM claim_vectors")[0]
        sizes = store.query(
            "SELECT size, count(*) FROM (SELECT narrative, count(DISTINCT doc_id) AS size FROM claim_narratives "
            "GROUP BY 1) GROUP BY 1 ORDER BY 1"
        )
        widest = list_narratives(store, limit=15)
        every = links(store)
        result |= {
            "documents": documents,
            "claims": claims,
            "linkable_claims": linkable,
            "links": len(every),
            "narratives": sum(n for _, n in sizes),
            "narratives_by_documents": {str(size): n for size, n in sizes},
            "cross_outlet_narratives": len(list_narratives(store, limit=None, min_outlets=2)),
            "widest": [
                {
                    "id": n.id,
                    "outlets": n.outlets,
                    "documents": n.documents,
                    "claims": n.claims,
                    "first_seen": n.first_seen.isoformat() if n.first_seen else None,
                    "first_outlet": n.first_outlet,
                    "first_speaker": n.first_speaker,
                    "claim": n.claim,
                }
                for n in widest
            ],
        }
    seen = seen_keys()
    pool = [link for link in every if (link["doc_a"], link["claim_a"], link["doc_b"], link["claim_b"]) not in seen]
    cross_file = args.judgements.with_name(args.judgements.stem + "-cross-outlet.tsv")
    if not args.judgements.exists():
        rng = random.Random(args.seed)
        sample = rng.sample(pool, min(args.sample, len(pool)))
        taken = {id(link) for link in sample}
        cross = [link for link in pool if link["outlet_a"] != link["outlet_b"] and id(link) not in taken]
        for path, links_drawn in (
            (args.judgements, sample),
            (cross_file, rng.sample(cross, min(args.cross_sample, len(cross)))),
        ):
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8", newline="") as out:
                writer = csv.writer(out, delimiter="\t", lineterminator="\n")
                writer.writerow([*FIELDS, "same", "why"])
                for link in links_drawn:
                    writer.writerow([*(link[f] for f in FIELDS), "", ""])
            print(f"{len(links_drawn)} links to judge written to {path}: fill `same`, run again", file=sys.stderr)
    result["judged"] = precision(args.judgements)
    result["judged_cross_outlet"] = precision(cross_file) if cross_file.exists() else None
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
