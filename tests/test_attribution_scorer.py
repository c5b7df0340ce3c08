"""PolNeAR reading, the attribution scores and the JSONL prediction format.

Every expected score is worked out by hand in the comment above it. Spans are [start, end)
in characters; |s| is a span's length (summed over its fragments), s∩t the characters two
spans share. A role span is the union of its fragments.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from presslens.attribution.polnear import (
    AnnError,
    PolnearAttribution,
    PolnearDocument,
    annotation_files,
    load_polnear,
    parse_ann,
)
from presslens.attribution.scorer import (
    AttributionScores,
    dumps_predictions,
    format_report,
    gold_predictions,
    loads_predictions,
    match_attributions,
    normalise,
    overlap_score,
    read_predictions,
    score,
    write_predictions,
)
from presslens.scoring import Score
from presslens.techniques.ptc import SpanRef
from presslens.techniques.scorer import score_si

POLNEAR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "polnear"

#        0         1         2         3         4         5         6         7         8         9         10
#        012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901
TEXT = 'Trump said "we will win." Aides told reporters that he was sure. "It is over," she said, "and we won."'
LETTERS = "abcdefghijklmnopqrstuvwxyz" * 3  # 78 characters, nothing trimmable


def A(content: list[tuple[int, int]], cue: list[tuple[int, int]], source: list[tuple[int, int]] | None = None):
    return PolnearAttribution(tuple(source) if source is not None else None, tuple(cue), tuple(content))


def doc(attributions: list[PolnearAttribution], text: str = TEXT, name: str = "d1") -> PolnearDocument:
    return PolnearDocument(name, text, tuple(attributions))


def prf(value: Score) -> tuple[float, float, float]:
    return value.precision, value.recall, value.f1


def approx(*values: float) -> object:
    return pytest.approx(values)


# Gold of TEXT: Trump said (we will win); Aides told (he was sure); she said (It is over + and we won).
TRUMP = A([(12, 23)], [(6, 10)], [(0, 5)])
AIDES = A([(52, 63)], [(32, 36)], [(26, 31)])
SHE = A([(66, 76), (90, 100)], [(83, 87)], [(79, 82)])


def test_text_offsets_in_comments() -> None:
    assert TEXT[12:23] == "we will win" and TEXT[52:63] == "he was sure" and TEXT[83:87] == "said"
    assert TEXT[66:76] == "It is over" and TEXT[90:100] == "and we won"


# --- exact match -------------------------------------------------------------------------------


def test_exact_match_ignores_quotes_and_edge_punctuation() -> None:
    # pred content [11,25) = '"we will win."' normalises to [12,23) = gold: exact content 1/1.
    # overlap: |s| = 14, |t| = 11, s∩t = 11: P = 11/14, R = 1, F1 = 2(11/14)/(25/14) = 22/25.
    pred = {"d1": [A([(11, 25)], [(6, 10)], [(0, 5)])]}
    scores = score(pred, [doc([TRUMP])])
    assert prf(scores.exact["content"]) == approx(1, 1, 1)
    assert prf(scores.overlap["content"]) == approx(11 / 14, 1, 22 / 25)
    # source and cue identical: 1/1 each; the attribution matches (content Jaccard 11/14 >= 0.5).
    assert prf(scores.exact["source"]) == prf(scores.exact["cue"]) == approx(1, 1, 1)
    assert prf(scores.attribution) == approx(1, 1, 1)


def test_exact_match_is_position_aware() -> None:
    # "win, win": gold [0,3), pred [5,8): the same text "win" elsewhere is no match: P = R = 0.
    text = "win, win said"
    gold = doc([A([(0, 3)], [(9, 13)])], text)
    scores = score({"d1": [A([(5, 8)], [(9, 13)])]}, [gold])
    assert prf(scores.exact["content"]) == approx(0, 0, 0)
    assert prf(scores.exact["cue"]) == approx(1, 1, 1)


def test_normalise_joins_fragments_across_trimmable_gaps() -> None:
    text = '"Yes." "No." he said'
    # [1,4) "Yes" and [8,10) "No": the gap [4,8) is '." "', all trimmable, so one range [1,10);
    # the whole '"Yes." "No."' [0,12) trims to the same [1,10).
    assert normalise([(1, 4), (8, 10)], text) == ((1, 10),)
    assert normalise([(0, 12)], text) == ((1, 10),)
    # a gap with letters keeps fragments apart: TEXT [65,78) + [89,102) around ' she said, '.
    assert normalise([(65, 78), (89, 102)], TEXT) == ((66, 76), (90, 100))
    # a span of nothing but punctuation keeps its raw range rather than vanish.
    assert normalise([(4, 6)], text) == ((4, 6),)


# --- overlap -----------------------------------------------------------------------------------


def test_partial_overlap() -> None:
    # gold content [0,10), pred [5,15): s∩t = 5, P = 5/10, R = 5/10; exact 0.
    # Content Jaccard 5/15 = 1/3 < 0.5: no attribution match.
    gold = doc([A([(0, 10)], [(40, 44)])], LETTERS)
    scores = score({"d1": [A([(5, 15)], [(40, 44)])]}, [gold])
    assert prf(scores.overlap["content"]) == approx(0.5, 0.5, 0.5)
    assert prf(scores.exact["content"]) == approx(0, 0, 0)
    assert scores.matches == 0
    # pred [0,8): P = 8/8, R = 8/10, F1 = 1.6/1.8 = 8/9; Jaccard 8/10 >= 0.5: a match.
    scores = score({"d1": [A([(0, 8)], [(40, 44)])]}, [gold])
    assert prf(scores.overlap["content"]) == approx(1, 0.8, 8 / 9)
    assert prf(scores.attribution) == approx(1, 1, 1)


def test_overlapping_predictions_are_merged() -> None:
    # pred contents [0,10) and [5,15) share characters: merged into [0,15), one span.
    # gold [0,15): P = 15/15 / 1, R = 15/15 / 1.
    gold = doc([A([(0, 15)], [(40, 44)])], LETTERS)
    pred = {"d1": [A([(0, 10)], [(40, 44)]), A([(5, 15)], [(40, 44)])]}
    scores = score(pred, [gold])
    assert prf(scores.overlap["content"]) == approx(1, 1, 1)
    assert (scores.overlap["content"].predicted, scores.overlap["content"].gold) == (1, 1)
    # the cue [40,44) is given twice but is one distinct span: exact cue 1/1.
    assert (scores.exact["cue"].predicted, scores.exact["cue"].gold) == (1, 1)
    # attributions: only one of the two predictions can take the gold one: P = 1/2, R = 1/1, F1 = 2/3.
    assert prf(scores.attribution) == approx(0.5, 1, 2 / 3)


def test_overlap_equals_semeval_si_on_contiguous_spans() -> None:
    pred = [(0, 10), (5, 15), (20, 30), (50, 52)]
    gold = [(0, 4), (8, 25), (60, 70)]
    # merged pred [0,15) [20,30) [50,52); gold [0,4) [8,25) [60,70).
    # [0,15)∩[0,4) = 4, [0,15)∩[8,25) = 7, [20,30)∩[8,25) = 5:
    # P = (4/15 + 7/15 + 5/10) / 3, R = (4/4 + 12/17) / 3.
    ours = overlap_score([(span,) for span in pred], [(span,) for span in gold])
    official = score_si([SpanRef("1", *s) for s in pred], [SpanRef("1", *s) for s in gold])
    assert prf(ours) == pytest.approx(prf(official))
    assert ours.precision == pytest.approx((4 / 15 + 7 / 15 + 5 / 10) / 3)
    assert ours.recall == pytest.approx((1 + 12 / 17) / 3)


# --- discontinuous content -----------------------------------------------------------------------


def test_discontinuous_content_is_one_span() -> None:
    gold = doc([SHE])
    # pred fragments with their quotes [65,78) + [89,102): normalised (66,76) (90,100) = gold: exact 1/1.
    # overlap: |s| = 13 + 13 = 26, |t| = 10 + 10 = 20, s∩t = 20: P = 20/26, R = 1 (one gold span, not two).
    scores = score({"d1": [A([(65, 78), (89, 102)], [(83, 87)], [(79, 82)])]}, [gold])
    assert prf(scores.exact["content"]) == approx(1, 1, 1)
    assert prf(scores.overlap["content"])[:2] == approx(20 / 26, 1)
    assert scores.overlap["content"].gold == 1
    # one span over all [65,102): |s| = 37, s∩t = 20: P = 20/37, R = 1; exact 0 (normalised [66,100)).
    # Content Jaccard 20/37 = 0.54 >= 0.5, cue and source equal: the attribution matches.
    scores = score({"d1": [A([(65, 102)], [(83, 87)], [(79, 82)])]}, [gold])
    assert prf(scores.overlap["content"])[:2] == approx(20 / 37, 1)
    assert prf(scores.exact["content"]) == approx(0, 0, 0)
    assert scores.matches == 1
    # only the first fragment [66,76): P = 10/10, R = 10/20, Jaccard 10/20 = 0.5 >= 0.5: still a match.
    scores = score({"d1": [A([(66, 76)], [(83, 87)], [(79, 82)])]}, [gold])
    assert prf(scores.overlap["content"])[:2] == approx(1, 0.5)
    assert scores.matches == 1


# --- sources -------------------------------------------------------------------------------------


def test_sourceless_attributions() -> None:
    gold = doc([A([(0, 10)], [(40, 44)])], LETTERS)
    # both without a source: sources "both absent" agree; no source spans on either side: F1 = 1 (0/0).
    scores = score({"d1": [A([(0, 10)], [(40, 44)])]}, [gold])
    assert scores.exact["source"] == Score(0, 0, 0, 0)
    assert prf(scores.exact["source"])[2] == 1.0
    assert scores.matches == 1
    # a predicted source where gold has none: source P = 0/1, R = 0 (no gold), F1 = 0; no attribution match.
    scores = score({"d1": [A([(0, 10)], [(40, 44)], [(50, 55)])]}, [gold])
    assert prf(scores.exact["source"]) == approx(0, 0, 0)
    assert scores.matches == 0
    # and the reverse: gold source, none predicted: source R = 0/1, no match.
    gold_with_source = doc([A([(0, 10)], [(40, 44)], [(50, 55)])], LETTERS)
    scores = score({"d1": [A([(0, 10)], [(40, 44)])]}, [gold_with_source])
    assert (scores.exact["source"].predicted, scores.exact["source"].gold) == (0, 1)
    assert scores.matches == 0


def test_shared_source_counts_once() -> None:
    # two gold attributions with the same source [0,5): one distinct source span on each side.
    gold = doc([A([(10, 20)], [(6, 9)], [(0, 5)]), A([(30, 40)], [(25, 28)], [(0, 5)])], LETTERS)
    scores = score(gold_predictions([gold]), [gold])
    assert (scores.exact["source"].predicted, scores.exact["source"].gold) == (1, 1)
    assert scores.attribution == Score(2, 2, 2, 2)


# --- one to one ----------------------------------------------------------------------------------


def test_two_predictions_compete_for_one_gold() -> None:
    gold = [A([(0, 20)], [(30, 34)])]
    exact, close = A([(0, 20)], [(30, 34)]), A([(0, 15)], [(30, 34)])  # content Jaccard 1 and 15/20
    # both are compatible; one match: P = 1/2, R = 1/1, F1 = 2/3. The better one (exact) is taken.
    assert match_attributions([close, exact], gold) == [(1, 0)]
    assert match_attributions([exact, close], gold) == [(0, 0)]
    scores = score({"d1": [close, exact]}, [doc(gold, LETTERS)])
    assert prf(scores.attribution) == approx(0.5, 1, 2 / 3)


def test_matching_maximises_the_number_of_matches() -> None:
    g1 = A([(0, 20)], [(30, 34)])
    g2 = A([(2, 20)], [(36, 40)])
    # pred a: cue [30,40) overlaps both gold cues; content J(a,g1) = 1, J(a,g2) = 18/20.
    # pred b: cue [28,31) overlaps only g1's; content [0,12), J(b,g1) = 12/20 = 0.6.
    # Quality (summed Jaccard): a-g1 = 1 + 4/10 + 1 = 2.4 beats b-g1 = 0.6 + 1/6 + 1 = 1.77, so a
    # greedy matcher takes a-g1 and leaves b alone (1 match); one to one with most matches takes
    # a-g2 and b-g1: 2 matches, P = R = F1 = 1.
    a = A([(0, 20)], [(30, 40)])
    b = A([(0, 12)], [(28, 31)])
    assert sorted(match_attributions([a, b], [g1, g2])) == [(0, 1), (1, 0)]
    assert prf(score({"d1": [a, b]}, [doc([g1, g2], LETTERS)]).attribution) == approx(1, 1, 1)


def test_attribution_needs_cue_overlap() -> None:
    # same content and source, cues [6,10) and [32,36) apart: no match.
    assert match_attributions([A([(12, 23)], [(32, 36)], [(0, 5)])], [TRUMP]) == []


# --- documents and report ------------------------------------------------------------------------


def test_whole_document_and_missing_predictions() -> None:
    gold = doc([TRUMP, AIDES, SHE])
    # predict TRUMP exactly and AIDES with content 'that he was sure' [47,63): 2 of 3 attributions.
    # content exact: TRUMP's only -> P = 1/2, R = 1/3, F1 = 2(1/6)/(5/6) = 0.4.
    # content overlap: pred [12,23) 11/11, [47,63) 11/16; gold 1 + 1 + 0.
    # P = (1 + 11/16) / 2 = 27/32, R = 2/3. Attributions: AIDES Jaccard 11/16 >= 0.5: P = 2/2, R = 2/3.
    aides = A([(47, 63)], [(32, 36)], [(26, 31)])
    scores = score({"d1": [TRUMP, aides]}, [gold, doc([], name="d2")])
    assert prf(scores.exact["content"]) == approx(0.5, 1 / 3, 0.4)
    assert prf(scores.overlap["content"])[:2] == approx(27 / 32, 2 / 3)
    assert prf(scores.attribution) == approx(1, 2 / 3, 0.8)
    assert scores.documents == 2
    report = format_report(scores, title="dev")
    assert "content" in report and "attributions" in report and report.startswith("dev\n")


def test_predictions_must_be_scored_documents() -> None:
    with pytest.raises(ValueError, match="not scored"):
        score({"other": []}, [doc([])])
    with pytest.raises(ValueError, match="past the end"):
        score({"d1": [A([(0, 200)], [(6, 10)])]}, [doc([])])


def test_gold_against_gold_is_perfect() -> None:
    gold = [doc([TRUMP, AIDES, SHE]), doc([A([(0, 10)], [(40, 44)])], LETTERS, "d2")]
    scores = score(gold_predictions(gold), gold)
    _assert_perfect(scores)


def _assert_perfect(scores: AttributionScores) -> None:
    for role in ("source", "cue", "content"):
        assert prf(scores.exact[role]) == approx(1, 1, 1), role
        assert prf(scores.overlap[role]) == approx(1, 1, 1), role
    assert prf(scores.attribution) == approx(1, 1, 1)


# --- JSONL ---------------------------------------------------------------------------------------


def test_jsonl_round_trip(tmp_path: Path) -> None:
    predictions = {
        "nyt_2016-01-01_x": [SHE, A([(0, 10)], [(40, 44)]), A([], [(3, 5)])],
        "empty-doc": [],
    }
    text = dumps_predictions(predictions)
    assert text.count("\n") == 2
    assert loads_predictions(text) == predictions
    path = tmp_path / "pred.jsonl"
    write_predictions(predictions, path)
    assert read_predictions(path) == predictions
    first = text.splitlines()[0]
    assert '"source": [[79, 82]]' in first and '"content": [[66, 76], [90, 100]]' in first
    assert '"source": null' in first


@pytest.mark.parametrize(
    "line",
    [
        '{"doc": "d", "attributions": [{"cue": [[0, 1]], "content": []}]}',  # no source key
        '{"doc": "d", "attributions": [{"source": null, "cue": [[5, 3]], "content": []}]}',  # end < start
        '{"doc": "d", "attributions": [{"source": null, "cue": [[0, 1.5]], "content": []}]}',  # not int
        '{"doc": "d", "attributions": {}}',
        '{"attributions": []}',
        "not json",
        '{"doc": "d", "attributions": []}\n{"doc": "d", "attributions": []}',  # twice
    ],
)
def test_jsonl_errors(line: str) -> None:
    with pytest.raises(ValueError):
        loads_predictions(line)


# --- brat reading --------------------------------------------------------------------------------


def test_parse_ann() -> None:
    text = 'Trump said "we will win."\n\nAides added that\nhe was sure. It is said to be over.'
    # Trump 0-5, said 6-10, we will win 12-23; Aides 27-32, added 33-38, 'that\nhe was sure' 39-55,
    # It 57-59, is said 60-67, be over 71-78.
    assert text[39:55] == "that\nhe was sure" and text[60:67] == "is said" and text[71:78] == "be over"
    ann = (
        "T1\tSource 0 5\tTrump\n"
        "T2\tCue 6 10\tsaid\n"
        "T3\tContent 12 23\twe will win\n"
        "T4\tAttribution 6 10\tsaid\n"
        "E1\tAttribution:T4 Source:T1 Cue:T2 Content:T3\n"
        "E2\tAttribution:T8 Source:T5 Cue:T6 Content:T7 Content2:T10\n"  # T lines after the event
        "T5\tSource 27 32\tAides\n"
        "T6\tCue 33 38\tadded\n"
        "T7\tContent 39 55\tthat\nhe was sure\n"  # the annotated text runs over a line break
        "T10\tContent 57 59;71 78\tIt be over\n"  # discontinuous: fragments joined by one space
        "T8\tAttribution 33 38\tadded\n"
        "T9\tAttribution-no-source 60 67\tis said\n"
        "E3\tAttribution-no-source:T9 \n"  # trigger only: the trigger is the cue, no content
        "#1\tAnnotatorNotes T3\ta note\n"
        "T11\tDiscard 57 59\tIt\n"
    )
    assert parse_ann(ann, text) == (
        A([(12, 23)], [(6, 10)], [(0, 5)]),
        A([(39, 55), (57, 59), (71, 78)], [(33, 38)], [(27, 32)]),
        A([], [(60, 67)]),
    )
    with pytest.raises(AnnError, match="differs"):
        parse_ann("T1\tSource 0 5\tTrumps\n", text)
    with pytest.raises(AnnError, match="no T line"):
        parse_ann("E1\tAttribution:T1\n", text)
    assert parse_ann("T1\tSource 0 5\tTrumps\n", text, strict=False) == ()


def test_attribution_normalises_fragments() -> None:
    assert PolnearAttribution((), ((5, 9), (0, 3), (5, 9)), ()) == PolnearAttribution(None, ((0, 3), (5, 9)), ())
    with pytest.raises(ValueError):
        PolnearAttribution(None, ((4, 4),), ())


# --- the corpus ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dev() -> list[PolnearDocument]:
    if not (POLNEAR / "dev").is_dir():
        pytest.skip(f"{POLNEAR} is not available")
    return load_polnear(POLNEAR / "dev")  # strict: every T line's text is checked against the article


def test_dev_loads_with_verified_offsets(dev: list[PolnearDocument]) -> None:
    assert len(dev) == 84
    assert [d.name for d in dev] == sorted(d.name for d in dev)
    files = annotation_files(POLNEAR / "dev")
    assert sum(len(f) > 1 for f in files.values()) == 2
    for document in dev:
        assert document.annotator == min(a for a, _ in files[document.name])
        for attribution in document.attributions:
            assert attribution.cue, document.name
            for start, end in (*attribution.role("source"), *attribution.cue, *attribution.content):
                assert 0 <= start < end <= len(document.text)
    assert sum(len(d.attributions) for d in dev) > 2000
    last = load_polnear(POLNEAR / "dev", "last")
    assert sum(a.annotator != b.annotator for a, b in zip(dev, last, strict=True)) == 2


def test_dev_gold_against_gold(dev: list[PolnearDocument], tmp_path: Path) -> None:
    path = tmp_path / "gold.jsonl"
    write_predictions(gold_predictions(dev), path)
    scores = score(read_predictions(path), dev)
    _assert_perfect(scores)
    assert scores.documents == 84
    assert scores.attribution.gold == sum(len(d.attributions) for d in dev)
