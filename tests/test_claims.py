"""Claim retrieval: the CheckThat! measures on rankings scored by hand, the fact-check readers
(ClaimReview JSON-LD, JSONL, CSV, the CheckThat! TSV; bad files as one line), the run format,
and matching with the shipped matcher on written fact-checks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from presslens.claims.evaluation import (
    average_precision,
    precision_at,
    read_qrels,
    read_run,
    reciprocal_rank,
    score_rankings,
    write_run,
)
from presslens.claims.factchecks import FactCheck, read_fact_checks
from presslens.claims.retrieval import BM25, FactCheckIndex, load_matcher, words
from presslens.errors import InputError

from .conftest import DATA, need
from .test_cli import presslens

# --- measures, by hand -------------------------------------------------------------------


def test_average_precision_reciprocal_rank_and_precision_by_hand() -> None:
    ranked = ["a", "x", "b", "y", "c"]
    relevant = {"a", "b", "c", "d"}  # d never ranked
    # Hits at 1, 3, 5: precisions 1/1, 2/3, 3/5; divided by the 4 relevant.
    assert average_precision(ranked, relevant) == pytest.approx((1 + 2 / 3 + 3 / 5) / 4)
    assert average_precision(ranked, relevant, k=3) == pytest.approx((1 + 2 / 3) / 4)
    assert average_precision(ranked, relevant, k=1) == pytest.approx(1 / 4)
    assert reciprocal_rank(["x", "y", "b"], {"b"}) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x"], {"b"}) == 0.0
    assert precision_at(ranked, relevant, 5) == pytest.approx(3 / 5)


def test_map_and_mrr_over_queries_by_hand() -> None:
    rankings = {"q1": ["c1", "c2"], "q2": ["c9", "c3", "c4"], "q3": []}
    qrels = {"q1": {"c1"}, "q2": {"c4"}, "q3": {"c5"}, "q4": {"c6"}}  # q4 has no ranking: 0
    scores = score_rankings(rankings, qrels)
    assert scores.queries == 4
    assert scores.map_at[1] == pytest.approx((1 + 0 + 0 + 0) / 4)
    assert scores.map_at[3] == pytest.approx((1 + 1 / 3 + 0 + 0) / 4)
    assert scores.mrr == pytest.approx((1 + 1 / 3) / 4)
    assert scores.precision_at[1] == pytest.approx(1 / 4)


# --- the run format ----------------------------------------------------------------------


def test_run_file_round_trip_and_limits(tmp_path: Path) -> None:
    run = tmp_path / "run.tsv"
    rows = write_run(run, {"7": [("12", 0.9), ("3", 0.5)], "8": [("4", 1.5)]}, tag="t")
    assert rows == 3
    assert run.read_text().splitlines()[0] == "7\tQ0\t12\t1\t0.900000\tt"
    assert read_run(run) == {"7": ["12", "3"], "8": ["4"]}
    too_many = tmp_path / "many.tsv"
    too_many.write_text("".join(f"1 Q0 {i} {i + 1} 0.5 t\n" for i in range(1001)))
    with pytest.raises(InputError, match="over the 1000 allowed"):
        read_run(too_many)
    broken = tmp_path / "broken.tsv"
    broken.write_text("1 Q0 5\n")
    with pytest.raises(InputError, match=r"broken.tsv:1: expected 'query_id Q0 claim_id rank score tag'"):
        read_run(broken)
    qrels = tmp_path / "q.qrels"
    qrels.write_text("1 0 5 1\n1 0 6 0\n2 0 7 1\n")
    assert read_qrels(qrels) == {"1": {"5"}, "2": {"7"}}


# --- readers -----------------------------------------------------------------------------

CLAIM_REVIEW = {
    "@context": "https://schema.org",
    "@type": "ClaimReview",
    "url": "https://checker.example/fact-check/port",
    "claimReviewed": "The port of Calvetta was sold to a foreign company.",
    "datePublished": "2026-03-04T10:00:00Z",
    "author": {"@type": "Organization", "name": "Checker Example"},
    "reviewRating": {"@type": "Rating", "ratingValue": 1, "alternateName": "False"},
    "headline": "No, the port was not sold",
}


def read(path: Path) -> tuple[list[FactCheck], list[InputError]]:
    found = list(read_fact_checks([str(path)]))
    return [f for f in found if isinstance(f, FactCheck)], [f for f in found if isinstance(f, InputError)]


def test_claim_review_json_ld_alone_in_a_graph_and_in_html(tmp_path: Path) -> None:
    alone = tmp_path / "one.json"
    alone.write_text(json.dumps(CLAIM_REVIEW))
    graph = tmp_path / "graph.jsonld"
    second = {**CLAIM_REVIEW, "claimReviewed": "Taxes doubled in 2025.", "url": "https://c.example/2"}
    graph.write_text(json.dumps({"@graph": [{"@type": "WebPage"}, CLAIM_REVIEW, second]}))
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><script type='application/ld+json'>"
        + json.dumps([{"@type": "Organization"}, CLAIM_REVIEW])
        + "</script></head><body>text</body></html>"
    )
    for path, count in ((alone, 1), (graph, 2), (page, 1)):
        found, errors = read(path)
        assert not errors and len(found) == count, (path, errors)
        first = found[0]
        assert first.claim == CLAIM_REVIEW["claimReviewed"]
        assert (first.verdict, first.publisher, first.date) == ("False", "Checker Example", "2026-03-04")
        assert first.url == CLAIM_REVIEW["url"] and first.title == "No, the port was not sold"


def test_jsonl_csv_and_checkthat_tsv(tmp_path: Path) -> None:
    jsonl = tmp_path / "checks.jsonl"
    jsonl.write_text(
        json.dumps({"claim": "A", "verdict": "True", "url": "u"})
        + "\n{not json\n"
        + json.dumps({"verdict": "False"})
        + "\n"
        + json.dumps(CLAIM_REVIEW)
        + "\n"
    )
    found, errors = read(jsonl)
    assert [f.claim for f in found] == ["A", CLAIM_REVIEW["claimReviewed"]]
    assert [e.source for e in errors] == [f"{jsonl}:2", f"{jsonl}:3"]
    assert "no claim" in errors[1].reason
    table = tmp_path / "checks.csv"
    table.write_text('claim,rating,url,date,publisher\n"Wages fell, he said",Mostly false,https://x,2026-01-02,X\n')
    found, errors = read(table)
    assert not errors and found[0].claim == "Wages fell, he said" and found[0].verdict == "Mostly false"
    no_claim = tmp_path / "other.csv"
    no_claim.write_text("a,b\n1,2\n")
    assert "without a claim column" in read(no_claim)[1][0].reason
    tsv = tmp_path / "verified.tsv"
    tsv.write_text('\tvclaim\ttitle\n0\t"A ""quoted""\nclaim"\tIts title\n1\tSecond\tT2\n')
    found, errors = read(tsv)
    assert not errors and [(f.id, f.claim, f.title) for f in found] == [
        ("0", 'A "quoted" claim', "Its title"),
        ("1", "Second", "T2"),
    ]


def test_bad_fact_check_files_are_one_line_each(tmp_path: Path) -> None:
    binary = tmp_path / "x.jsonl"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    empty_html = tmp_path / "p.html"
    empty_html.write_text("<html><body>no markup</body></html>")
    unknown = tmp_path / "x.pdf"
    unknown.write_text("pdf")
    for path, reason in (
        (binary, "not UTF-8"),
        (empty_html, "no ClaimReview (schema.org) in it"),
        (unknown, "not a fact-check file"),
        (tmp_path / "missing.jsonl", "no such file"),
    ):
        found, errors = read(path)
        assert not found and len(errors) == 1 and reason in errors[0].reason, (path, errors)
    result = presslens("claims", "index", str(binary), str(unknown), "--out", str(tmp_path / "index"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[:2] == [f"presslens: error: {binary}: not UTF-8 (byte 0)", lines[1]] and len(lines) == 3
    assert lines[2] == "presslens: error: no fact-checks to index (see the lines above)"


def test_checkthat_verified_claims_read_whole() -> None:
    found, errors = read(need(DATA / "checkthat-2020-task2" / "verified_claims.docs.tsv"))
    assert not errors and len(found) == 10375 and len({f.id for f in found}) == 10375


# --- retrieval ---------------------------------------------------------------------------


def test_words_and_bm25_rank_the_overlapping_text_first() -> None:
    assert words("The Minister's #PortSale plans: https://t.co/x") == ["minister", "port", "sale", "plan"]
    bm25 = BM25.build(["the port was sold", "taxes doubled last year", "the port opened"])
    scores = bm25.scores("Was the port sold?")
    assert scores.argmax() == 0 and scores[1] == 0.0


WRITTEN = [
    FactCheck(
        "p1", "The port of Calvetta was sold to a foreign company in 2025.", "Was Calvetta's port sold?", "False"
    ),
    FactCheck("p2", "Income taxes doubled for every household last year.", "Did income taxes double?", "Mostly false"),
    FactCheck("p3", "The health minister resigned after the hospital fire.", "Did the minister resign?", "True"),
    FactCheck("p4", "A video shows soldiers crossing the northern border.", "Border video is from 2019", "Misleading"),
    FactCheck("p5", "Vaccines were withdrawn from pharmacies nationwide.", "No vaccine withdrawal", "False"),
    FactCheck("p6", "The central bank printed money to pay state salaries.", "Did the bank print money?", "Unproven"),
]


@pytest.fixture(scope="module")
def index() -> FactCheckIndex:
    matcher = load_matcher()
    return FactCheckIndex.build(WRITTEN, matcher.encoder, matcher.reranker)


def test_a_paraphrase_is_matched_and_an_unrelated_claim_is_not(index: FactCheckIndex, tmp_path: Path) -> None:
    for claim, expected in (
        ("BREAKING: foreign buyers now own Calvetta's harbour, sold off last year!", "p1"),
        ("Everyone's income tax went up twice as much in 2025", "p2"),
        ("Footage of troops at the north border crossing", "p4"),
    ):
        best = index.search(claim, k=1)[0]
        assert best.fact_check.id == expected, (claim, best)
        assert best.probability >= 0.5, (claim, best)
    unrelated = index.search("The football season starts in August with twenty teams.", k=1)[0]
    assert unrelated.probability < 0.5, unrelated
    index.save(tmp_path / "index")
    again = FactCheckIndex.load(tmp_path / "index", index.encoder)
    assert again.search("Calvetta port sold to foreigners", k=1)[0].fact_check.id == "p1"


def test_the_vector_index_builds_the_same_each_time() -> None:
    from presslens.claims.retrieval import _vector_index

    rng = np.random.default_rng(0)
    # Large enough that the graph matters: built in parallel, every query's top 100 differed.
    vectors = rng.standard_normal((6000, 128)).astype(np.float32)
    queries = vectors[:20] + rng.standard_normal((20, 128)).astype(np.float32)
    first, second = _vector_index(vectors), _vector_index(vectors)
    for query in queries:
        assert list(first.search(query, 100).keys) == list(second.search(query, 100).keys)


def test_a_word_for_word_repeat_ranks_just_below_its_original() -> None:
    from presslens.claims.retrieval import below_originals, claim_key, first_of_same_claim

    assert claim_key("The study found 'e-cigs' hold 10x more.") == claim_key('the study found ""E-cigs"" hold 10x more')
    checks = [
        FactCheck("a", "A photograph shows a giant fossil.", "Is this fossil real?", "True"),
        FactCheck("b", "Taxes doubled.", "", "False"),
        FactCheck("c", "A photograph shows a GIANT fossil!", "Is this fossil for real?", "True"),
    ]
    originals = first_of_same_claim(checks)
    assert list(originals) == [0, 1, 0]
    # The repeat scored highest; the original is a candidate: the repeat goes just below it.
    rows, scores = np.array([2, 1, 0]), np.array([3.0, 2.0, 1.0])
    moved = below_originals(rows, scores, originals)
    assert [int(rows[i]) for i in np.argsort(-moved, kind="stable")] == [1, 0, 2]
    assert moved[2] == 1.0 and moved[0] < 1.0 and list(scores) == [3.0, 2.0, 1.0]
    # Without its original among the candidates, a repeat keeps its score.
    assert list(below_originals(np.array([2, 1]), np.array([3.0, 2.0]), originals)) == [3.0, 2.0]
    # In an index: a query matching both returns the original first.
    matcher = load_matcher()
    index = FactCheckIndex.build([checks[2], *WRITTEN, checks[0]], matcher.encoder, matcher.reranker)
    found = [m.fact_check.id for m in index.search("Is this fossil real? A photograph of a giant fossil.", k=2)]
    assert found == ["c", "a"]


def test_claims_cli_index_match_predict_and_eval(tmp_path: Path) -> None:
    checks = tmp_path / "checks.jsonl"
    checks.write_text("".join(json.dumps({"id": f.id, "claim": f.claim, "title": f.title}) + "\n" for f in WRITTEN))
    out = tmp_path / "index"
    built = presslens("claims", "index", str(checks), "--out", str(out))
    assert built.returncode == 0, built.stderr
    assert built.stderr.startswith(f"presslens: 6 fact-checks indexed in {out} in ")
    matched = presslens("claims", "match", "Did taxes double for households?", "--index", str(out), "--format", "json")
    assert matched.returncode == 0, matched.stderr
    assert json.loads(matched.stdout)[0]["matches"][0]["id"] == "p2"
    queries = tmp_path / "queries.tsv"
    queries.write_text(
        "\ttweet_content\n1\tThe health minister quit after the fire at the hospital\n2\tBank prints cash\n"
    )
    qrels = tmp_path / "qrels"
    qrels.write_text("1 0 p3 1\n2 0 p6 1\n")
    run = tmp_path / "run.tsv"
    predicted = presslens("claims", "predict", "--queries", str(queries), "--claims", str(checks), "--out", str(run))
    assert predicted.returncode == 0, predicted.stderr
    assert read_run(run)["1"][0] == "p3"
    scored = presslens("eval", "claims", "--queries", str(queries), "--qrels", str(qrels), "--run", str(run), "--json")
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["MAP@5"] == 1.0


# --- the claims of an article -------------------------------------------------------------

ARTICLE = (
    "Calvetta, Monday. The port of Calvetta handled 3,000 containers in March, twice as many as a year ago. "
    "Is the port ready for more? "
    "Harbour minister Tomas Brandt said that the new cranes were bought from a foreign supplier. "
    "The city should invest in its schools instead. "
    "The strike was organised by the dockers' union after the wage talks failed. "
    "It was a sunny day."
)


@pytest.fixture(scope="module")
def analysed() -> object:
    from presslens.pipeline import Pipeline
    from presslens.stages import build_stages

    pipeline = Pipeline(stages=build_stages(["actors", "attribution", "claims"]), spacy_name="md")
    from presslens.document import Document

    return pipeline(Document.from_text(ARTICLE))


def test_claims_are_reported_contents_and_checkworthy_sentences(analysed: object) -> None:
    from presslens.document import Document

    assert isinstance(analysed, Document)
    claims = {c.text: c for c in analysed.claims}
    number = claims["The port of Calvetta handled 3,000 containers in March, twice as many as a year ago."]
    assert number.kind == "asserted" and "number" in number.signals and number.attribution is None
    cause = claims["The strike was organised by the dockers' union after the wage talks failed."]
    assert cause.kind == "asserted" and "cause" in cause.signals
    reported = claims["the new cranes were bought from a foreign supplier"]
    assert reported.kind == "reported" and reported.attribution is not None
    speaker = analysed.actor(reported.speaker or "")
    assert speaker is not None and speaker.name == "Tomas Brandt"
    texts = " ".join(claims)
    for left_out in ("Is the port ready", "should invest", "sunny day", "Tomas Brandt said"):
        assert left_out not in texts, left_out  # a question, an opinion, nothing to check, the reporting sentence
    assert [c.id for c in analysed.claims] == [f"C{n}" for n in range(1, len(analysed.claims) + 1)]
    for claim in analysed.claims:
        for span in claim.spans:
            assert analysed.text[span.start : span.end] == span.text


def test_analyze_attaches_fact_checks_to_claims(tmp_path: Path) -> None:
    checks = tmp_path / "checks.jsonl"
    checks.write_text(
        json.dumps({"id": "f1", "claim": "Calvetta's port handled 3,000 containers in March.", "verdict": "True",
                    "url": "https://checker.example/port"}) + "\n"
        + json.dumps({"id": "f2", "claim": "Vaccines were withdrawn from pharmacies.", "verdict": "False"}) + "\n"
    )  # fmt: skip
    index = tmp_path / "index"
    assert presslens("claims", "index", str(checks), "--out", str(index)).returncode == 0
    article = tmp_path / "port.txt"
    article.write_text(ARTICLE)
    result = presslens("analyze", str(article), "--format", "json", "--fact-checks", str(index), "--workers", "1")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    matched = [c for c in document["claims"] if c["fact_checks"]]
    assert [c["fact_checks"][0]["id"] for c in matched] == ["f1"]
    assert matched[0]["fact_checks"][0]["verdict"] == "True" and matched[0]["fact_checks"][0]["probability"] >= 0.5
    wrong = presslens("analyze", str(article), "--fact-checks", str(tmp_path))
    assert wrong.returncode == 2 and "not a fact-check index" in wrong.stderr


def test_the_service_passes_its_fact_check_index_to_the_claims_stage(tmp_path: Path) -> None:
    from presslens.service.app import create_app

    pipeline = create_app(None, None, 20_000, fact_checks=str(tmp_path)).state.analyzer._pipeline()
    (claims,) = [stage for stage in pipeline.stages if stage.name == "claims"]
    assert claims.fact_checks == str(tmp_path)
    serve = presslens("serve", "--fact-checks", str(tmp_path), "--port", "1")
    assert serve.returncode == 2 and "not a fact-check index" in serve.stderr
