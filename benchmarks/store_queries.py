"""Query latency of the corpus store on a synthetic store of 100,000 articles.

    python benchmarks/store_queries.py [--data DIR] [--base N] [--size 100000] [--work DIR] [--json OUT]

1. A base store of real articles: N PolNeAR articles (train and dev, with their outlets and
   dates) and N PTC articles, analysed here with the fast stages (spaCy sm, actors). The
   layers a trained model would add are taken from the corpora's gold annotations instead:
   PolNeAR's attributions (speaker: the actor named in the source; targets: the actors named
   in the content) and PTC's technique spans. So questions about statements and techniques
   have real data to scan, without waiting for the models.
2. A synthetic store of ``--size`` articles, resampled from the base in SQL: each synthetic
   article copies a base article's rows (text, actors, mentions, attributions, techniques,
   index) under a new id, a random outlet of 25 and a random date over five years.
3. Every question of `presslens query` is timed on a fresh read-only connection: the first
   (cold) run and the best of three more.

The analysed base articles are kept in --work (default: presslens-store-bench in the temporary
folder, outside the repository) and reused by later runs; the stores are rebuilt each time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_WORK = Path(tempfile.gettempdir()) / "presslens-store-bench"


def _spread(items: list[Any], n: int) -> list[Any]:
    if n <= 0 or n >= len(items):
        return items
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def _quote_kind(text: str) -> str:
    marks = '"“”'
    stripped = text.strip()
    if stripped[:1] in marks and stripped[-1:] in marks:
        return "direct"
    return "mixed" if any(m in stripped for m in marks) else "indirect"


def build_base(data: Path, per_corpus: int, path: Path) -> None:
    """Analyse real articles into a store, with gold attributions and technique spans."""
    from presslens.attribution.polnear import load_polnear
    from presslens.document import Document, TechniqueFinding, TechniqueSummary
    from presslens.ingest import IngestOptions, RawInput, to_document
    from presslens.ingest.readers import ReadContext, read_files
    from presslens.pipeline import Pipeline
    from presslens.stages import build_stages
    from presslens.store import Store
    from presslens.techniques.explanations import explain

    options = IngestOptions(clean=False, english_only=False)
    gold = {}
    for split in ("train", "dev"):
        for document in load_polnear(data / "polnear" / split):
            gold[document.name] = document.attributions
    polnear_files = _spread(
        sorted(str(p) for split in ("train", "dev") for p in (data / "polnear" / split / "text").glob("*.txt")),
        per_corpus,
    )
    ptc_files = _spread(sorted(str(p) for p in (data / "ptc" / "train-articles").glob("*.txt")), per_corpus)
    labels = data / "ptc" / "train-labels-task2-technique-classification"
    items: list[tuple[RawInput, str]] = []
    for fmt, files in (("polnear", polnear_files), ("ptc", ptc_files)):
        items += [(item, fmt) for item in read_files(files, ReadContext(), fmt) if isinstance(item, RawInput)]
    documents = [to_document(item, options) for item, _ in items]
    started = time.perf_counter()
    cache = path.with_suffix(".jsonl")  # analysed articles, so a new store schema needs no new analysis
    if cache.exists():
        analysed = [Document.from_json(line) for line in cache.read_text(encoding="utf-8").splitlines()]
    else:
        analysed = list(Pipeline(stages=build_stages(["actors"]), spacy_name="sm").pipe(documents))
        for document in analysed:
            document.tokens, document.sentences = [], []  # not stored; most of the size
        cache.write_text("".join(d.to_json() + "\n" for d in analysed), encoding="utf-8")
    with Store(path) as store:
        for (item, fmt), document in zip(items, analysed, strict=True):
            if fmt == "polnear":
                document.attributions = _attributions(document, gold.get(item.external_id or "", ()))
            else:
                found = []
                label_file = labels / f"article{item.external_id}.task2-TC.labels"
                for line in label_file.read_text(encoding="utf-8").splitlines() if label_file.exists() else []:
                    _, technique, start, end = line.split("\t")
                    try:
                        label = explain(technique).label
                    except KeyError:
                        label = technique
                    found.append(
                        TechniqueFinding(
                            **document.span(int(start), int(end)),
                            technique=technique,
                            label=label,
                            confidence=1.0,
                            span_probability=1.0,
                            technique_probability=1.0,
                        )
                    )
                document.techniques = found
            document.technique_summary = TechniqueSummary(share_of_text=0.0, threshold=0.5)
            assert isinstance(document, Document)
            store.add(
                document,
                collection=item.collection,
                external_id=item.external_id,
                stages=["nlp", "actors", "attribution", "techniques"],
            )
        store.resolve_actors()
    print(f"base store: {len(items)} articles analysed in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def _attributions(document: Any, gold: Any) -> list[Any]:
    """PolNeAR's gold attributions as the attribution stage would give them."""
    from presslens.document import Attribution, Span

    mentions = [(e.start, e.end, e.actor) for e in document.entities if e.actor]

    def actors_in(fragments: tuple[tuple[int, int], ...]) -> list[str]:
        found: list[str] = []
        for start, end, actor in mentions:
            if any(s < end and start < e for s, e in fragments) and actor not in found:
                found.append(actor)
        return found

    made = []
    for number, item in enumerate(gold, start=1):
        if not item.content:
            continue
        speakers = actors_in(item.source or ())
        content = " ".join(document.text[s:e] for s, e in item.content)
        made.append(
            Attribution(
                id=f"Q{number}",
                kind=_quote_kind(content),
                source=[Span(**document.span(s, e)) for s, e in item.source or ()],
                cue=[Span(**document.span(s, e)) for s, e in item.cue],
                content=[Span(**document.span(s, e)) for s, e in item.content],
                speaker=speakers[0] if speakers else None,
                speaker_via="name" if speakers else ("unresolved" if item.source else "none"),
                targets=[a for a in actors_in(item.content) if a not in speakers[:1]],
                confidence=1.0,
            )
        )
    return made


def build_synthetic(base: Path, path: Path, size: int) -> tuple[float, float]:
    """Resample the base store's articles to ``size`` articles, in SQL."""
    import duckdb

    from presslens.store import Store

    shutil.copyfile(base, path)
    started = time.perf_counter()
    with Store(path) as store:
        con: duckdb.DuckDBPyConnection = store.con
        have = store.query("SELECT count(*) FROM documents")[0][0]
        con.execute("INSERT INTO outlets SELECT 1000 + j, printf('outlet-%02d.example', j) FROM range(25) t(j)")
        con.execute(
            """
            CREATE TEMP TABLE pick AS
            WITH base AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM documents)
            SELECT r.i, substr(md5('synthetic-' || r.i), 1, 16) AS new_id, base.id AS src_id,
                   1000 + CAST(hash(r.i, 'outlet') % 25 AS INTEGER) AS outlet_id,
                   DATE '2015-01-01' + CAST(hash(r.i, 'date') % 1826 AS INTEGER) AS published
            FROM range(?) r(i) JOIN base ON base.k = hash(r.i) % ?
            """,
            [max(0, size - have), have],
        )
        con.execute(
            """
            INSERT INTO documents SELECT d.* REPLACE (
                p.new_id AS id, 'synthetic:' || p.i AS source, p.outlet_id AS outlet_id,
                p.published AS published, strftime(p.published, '%Y-%m-%d') AS published_text,
                'synthetic' AS collection, d.id AS external_id)
            FROM pick p JOIN documents d ON d.id = p.src_id
            """
        )
        for table in ("actors", "mentions", "attributions", "techniques", "postings"):
            con.execute(
                f"INSERT INTO {table} SELECT t.* REPLACE (p.new_id AS doc_id) FROM pick p "
                f"JOIN {table} t ON t.doc_id = p.src_id"
            )
        con.execute("DROP TABLE pick")
        copied = time.perf_counter() - started
        # The counts and lookups of corpus actors are rebuilt as an ingest ends.
        store.resolve_actors()
        resolve = time.perf_counter() - started - copied
        con.execute("CHECKPOINT")
        counts = store.counts()
    print(f"synthetic store: {json.dumps(counts)}", file=sys.stderr)
    print(f"rows copied in {copied:.0f} s; corpus actors rebuilt in {resolve:.1f} s", file=sys.stderr)
    return copied, resolve


def time_questions(path: Path, repeats: int = 3) -> list[dict[str, Any]]:
    from presslens.corpus import queries
    from presslens.store import Store

    with Store(path, read_only=True) as store:
        speaker = store.query(
            "SELECT c.name FROM attributions q JOIN actors a ON a.doc_id = q.doc_id AND a.actor_id = q.speaker "
            "JOIN actor_keys k ON k.key = a.key JOIN corpus_actors c ON c.id = k.corpus_actor "
            "WHERE q.doc_id NOT IN (SELECT id FROM documents WHERE collection = 'synthetic') "
            "GROUP BY ALL ORDER BY count(*) DESC LIMIT 1"
        )[0][0]
        outlet = "outlet-07.example"
        since, until = date(2016, 1, 1), date(2016, 12, 31)
    questions: list[tuple[str, Callable[[Any], Any]]] = [
        (f"find actor '{speaker.split()[-1]}'", lambda s: queries.find_actor(s, speaker.split()[-1])),
        (f"statements by {speaker} (100)", lambda s: queries.statements_by(s, speaker)),
        (
            f"statements by {speaker}, one outlet, 2016",
            lambda s: queries.statements_by(s, speaker, queries.Filters(outlet, since, until), limit=None),
        ),
        (f"statements about {speaker}, by speaker", lambda s: queries.statements_about(s, speaker)),
        ("technique profile per outlet", lambda s: queries.technique_profile(s)),
        ("technique profile per month", lambda s: queries.technique_profile(s, by="month")),
        (
            "technique profile per month, one outlet",
            lambda s: queries.technique_profile(s, queries.Filters(outlet), by="month"),
        ),
        ("top speakers per outlet", lambda s: queries.top_speakers(s)),
        ("co-mention network (200 actors)", lambda s: queries.co_mentions(s)),
        (f"co-mention network of {speaker}", lambda s: queries.co_mentions(s, actor=speaker)),
        ("search 'immigration policy'", lambda s: queries.search(s, "immigration policy")),
        (
            "search 'election', outlet, 2016, actor, technique",
            lambda s: queries.search(
                s, "election", queries.Filters(outlet, since, until), actor=speaker, technique="Loaded_Language"
            ),
        ),
        ('search "the white house" (phrase)', lambda s: queries.search(s, '"the white house"')),
        ("outlets", lambda s: queries.outlets(s)),
        ("actors (top 50)", lambda s: queries.list_actors(s)),
    ]
    results = []
    for name, question in questions:
        with Store(path, read_only=True) as store:
            started = time.perf_counter()
            answer = question(store)
            cold = time.perf_counter() - started
            warm = []
            for _ in range(repeats):
                started = time.perf_counter()
                question(store)
                warm.append(time.perf_counter() - started)
        size = len(answer.edges) if hasattr(answer, "edges") else len(answer) if hasattr(answer, "__len__") else 1
        results.append({"question": name, "cold_s": round(cold, 3), "warm_s": round(min(warm), 3), "rows": size})
        print(f"{name:<58} cold {cold:6.3f} s   warm {min(warm):6.3f} s   {size} rows", file=sys.stderr)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--base", type=int, default=200, help="articles per corpus in the base store (0: all)")
    parser.add_argument("--size", type=int, default=100_000, help="articles in the synthetic store")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="where the stores are kept")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    base = args.work / f"base-{args.base}.duckdb"
    base.unlink(missing_ok=True)
    build_base(args.data, args.base, base)
    synthetic = args.work / f"synthetic-{args.size}.duckdb"
    synthetic.unlink(missing_ok=True)
    build_seconds, resolve_seconds = build_synthetic(base, synthetic, args.size)
    print(f"synthetic store: {synthetic.stat().st_size / 1e9:.2f} GB", file=sys.stderr)
    load = os.getloadavg()[0]
    results = time_questions(synthetic)
    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_1min": [load, os.getloadavg()[0]],
        },
        "size": args.size,
        "base": args.base,
        "build_s": round(build_seconds, 1),
        "resolve_actors_s": round(resolve_seconds, 1),
        "file_gb": round(synthetic.stat().st_size / 1e9, 2),
        "questions": results,
        "slowest_warm_s": max(r["warm_s"] for r in results),
        "slowest_cold_s": max(r["cold_s"] for r in results),
    }
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
