"""The extraction scorer on hand-made strings, HTML extraction on broken pages, and the benchmark run."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from presslens.errors import InputError
from presslens.evaluation.extraction import (
    Counts,
    aggregate,
    evaluate_extraction,
    precision_recall,
    presslens_extractor,
    score_document,
    shingle_counts,
    shingles,
    tokenize,
)
from presslens.ingest.html import extract_article

BENCHMARK = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "article-extraction"


# --- scorer: every expected number below is counted by hand in the comment beside it ---


def test_tokens_are_word_runs_with_case_kept() -> None:
    assert tokenize("Hello, World! It's 2019.") == ["Hello", "World", "It", "s", "2019"]
    assert tokenize("") == []


def test_shingles_are_4grams_and_short_texts_one_shingle() -> None:
    assert shingles("a b c d e") == {("a", "b", "c", "d"): 1, ("b", "c", "d", "e"): 1}
    assert shingles("a b") == {("a", "b"): 1}  # fewer than 4 tokens: one shorter shingle
    assert shingles("  ... ") == {}


def test_identical_texts() -> None:
    # abcd, bcde on both sides
    assert shingle_counts("a b c d e", "a b c d e") == Counts(tp=2, fp=0, fn=0)
    assert precision_recall(Counts(2, 0, 0)) == (1.0, 1.0)


def test_disjoint_texts() -> None:
    assert shingle_counts("a b c d", "e f g h") == Counts(tp=0, fp=1, fn=1)
    assert precision_recall(Counts(0, 1, 1)) == (0.0, 0.0)


def test_case_matters() -> None:
    assert shingle_counts("A b c d", "a b c d") == Counts(tp=0, fp=1, fn=1)


def test_partial_overlap() -> None:
    # true: abcd bcde cdef; predicted: abcd bcde -> tp 2, fp 0, fn 1
    score = score_document("x", "a b c d e f", "a b c d e")
    assert score.counts == Counts(tp=2, fp=0, fn=1)
    assert score.precision == 1.0
    assert score.recall == pytest.approx(2 / 3)
    assert score.f1 == pytest.approx(0.8)  # 2 * 1 * 2/3 / (1 + 2/3)
    # true: abcd bcde cdef; predicted: abcd bcde cdex -> tp 2, fp 1, fn 1
    assert shingle_counts("a b c d e f", "a b c d e x") == Counts(tp=2, fp=1, fn=1)


def test_repeated_shingles_count_as_a_multiset() -> None:
    # true "a b c d a b c d": abcd x2, bcda, cdab, dabc (5); predicted "a b c d": abcd x1
    assert shingle_counts("a b c d a b c d", "a b c d") == Counts(tp=1, fp=0, fn=4)
    # predicting the paragraph twice: abcd x2, bcdx, cdxa, dxab, xabc against one abcd
    score = score_document("x", "a b c d", "a b c d x a b c d")
    assert score.counts == Counts(tp=1, fp=5, fn=0)
    assert (score.precision, score.recall) == (pytest.approx(1 / 6), 1.0)


def test_empty_cases() -> None:
    both = score_document("x", "", "")
    assert both.counts == Counts(0, 0, 0)
    assert (both.precision, both.recall) == (1.0, 1.0)  # nothing to find, nothing found
    missed = score_document("x", "a b c d", "")
    assert missed.counts == Counts(tp=0, fp=0, fn=1)
    assert (missed.precision, missed.recall) == (0.0, 0.0)  # an empty extraction is not precise
    invented = score_document("x", "", "a b c d")
    assert (invented.precision, invented.recall) == (0.0, 0.0)


def test_corpus_scores_are_averages_and_f1_of_the_averages() -> None:
    rows = [
        score_document("one", "a b c d e f", "a b c d e"),  # P 1, R 2/3
        score_document("two", "a b c d", "a b c d x a b c d"),  # P 1/6, R 1
        score_document("three", "a b c d", ""),  # P 0, R 0
    ]
    report = aggregate(rows)
    assert report.n == 3
    assert report.empty == 1
    assert report.precision == pytest.approx((1 + 1 / 6 + 0) / 3)  # 7/18
    assert report.recall == pytest.approx((2 / 3 + 1 + 0) / 3)  # 5/9
    p, r = 7 / 18, 5 / 9
    assert report.f1 == pytest.approx(2 * p * r / (p + r))  # 14/31, not the mean of per-page F1
    assert aggregate([]).n == 0


def test_evaluate_extraction_reads_a_benchmark_folder(tmp_path: Path) -> None:
    (tmp_path / "html").mkdir()
    truth = {
        "p1": {"articleBody": "a b c d e f", "url": "https://example.org/1"},
        "p2": {"articleBody": "g h i j", "url": "https://example.org/2"},
    }
    (tmp_path / "ground-truth.json").write_text(json.dumps(truth), encoding="utf-8")
    for key, text in (("p1", "a b c d e"), ("p2", "g h i j")):
        (tmp_path / "html" / f"{key}.html.gz").write_bytes(gzip.compress(f"<p>{text}</p>".encode()))
    seen: list[str] = []

    def extractor(html: str, url: str) -> str:
        seen.append(url)
        return html.removeprefix("<p>").removesuffix("</p>")

    report = evaluate_extraction(tmp_path, extractor)
    assert [row.doc_id for row in report.rows] == ["p1", "p2"]
    assert report.precision == 1.0
    assert report.recall == pytest.approx((2 / 3 + 1) / 2)
    assert seen[-2:] == ["https://example.org/1", "https://example.org/2"]


# --- HTML extraction on broken pages ---

_PARAGRAPH = (
    "The minister said on Tuesday that the new budget would raise spending on schools and hospitals, "
    "while critics in parliament warned that the plan relied on growth forecasts that were too optimistic."
)
_PAGE = (
    "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Budget row deepens | Example News</title>"
    "<meta property='og:site_name' content='Example News'></head><body>"
    "<nav><ul><li><a href='/'>Home</a></li><li><a href='/world'>World</a></li></ul></nav>"
    "<article><h1>Budget row deepens</h1><p class='byline'>By Jane Doe</p>"
    + "".join(f"<p>{_PARAGRAPH} Paragraph {i}.</p>" for i in range(8))
    + "</article><footer>© 2019 Example News. All rights reserved.</footer></body></html>"
)


def _text_or_input_error(html: str) -> str | None:
    try:
        return extract_article(html, "page.html").text
    except InputError:
        return None


def test_a_plain_article_page_is_extracted_with_metadata() -> None:
    article = extract_article(_PAGE, "page.html", url="https://example.org/budget")
    assert "optimistic" in article.text
    assert "All rights reserved" not in article.text
    assert article.title and "Budget row deepens" in article.title
    assert article.url == "https://example.org/budget"


@pytest.mark.parametrize(
    "html",
    [
        "",
        "<html",
        "<html><body></body></html>",
        "<<<>>>",
        "</p></div></body></html>",
        "\x00\x01<html>\x00<p>nul bytes in the page</p>",
        "<?xml version='1.0' encoding='utf-8'?><html><body><p>declared encoding in a str</p></body></html>",
        "<div>" * 3000 + "deeply nested text",
        "<html><body><script>" + "x" * 5000,
        "\ufeff<html><p>byte order mark</p>",
    ],
)
def test_broken_html_yields_text_or_input_error(html: str) -> None:
    result = _text_or_input_error(html)
    assert result is None or isinstance(result, str)


def test_truncated_pages_yield_text_or_input_error() -> None:
    for cut in range(0, len(_PAGE), max(1, len(_PAGE) // 60)):
        _text_or_input_error(_PAGE[:cut])  # any exception but InputError fails the test
        _text_or_input_error(_PAGE[cut:])
    assert _text_or_input_error(_PAGE[: len(_PAGE) * 3 // 4])  # most of an article is still an article


def test_presslens_extractor_returns_empty_text_for_pages_without_article() -> None:
    assert presslens_extractor("<html><body></body></html>", "") == ""
    assert "optimistic" in presslens_extractor(_PAGE, "https://example.org/budget")


# --- the whole benchmark ---


@pytest.mark.slow
@pytest.mark.skipif(not (BENCHMARK / "ground-truth.json").is_file(), reason=f"benchmark not found at {BENCHMARK}")
def test_presslens_extraction_reaches_f1_095_on_the_benchmark() -> None:
    report = evaluate_extraction(BENCHMARK, presslens_extractor)
    assert report.n == 181
    assert report.f1 >= 0.95, report.summary()
