"""The notebook API: presslens.Corpus answers the CLI's questions as DataFrames with the CLI's columns."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

import presslens
from tests.store_corpus import DOC3, build_store
from tests.test_cli import presslens as run


@pytest.fixture(scope="module")
def corpus_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("frames") / "corpus.duckdb")


QUESTIONS = [
    # (CLI arguments, the Corpus call)
    (["query", "statements-by", "Rouhani"], lambda c: c.statements_by("Rouhani")),
    (["query", "statements-about", "Rouhani"], lambda c: c.statements_about("Rouhani")),
    (["query", "techniques", "--by", "outlet"], lambda c: c.technique_profile(by="outlet")),
    (["query", "speakers"], lambda c: c.speakers()),
    (["query", "network", "--min-documents", "1"], lambda c: c.network(min_documents=1)),
    (["query", "search", "Rouhani"], lambda c: c.search("Rouhani")),
    (["query", "outlets"], lambda c: c.outlets()),
    (["narratives"], lambda c: c.narratives()),
    (["labels", "Rouhani"], lambda c: c.labels("Rouhani")),
    (["labels", "Rouhani", "--voice", "all"], lambda c: c.labels("Rouhani", voice="all")),
    (["labels", "--outlet", "daily-a.com"], lambda c: c.outlet_labels("daily-a.com")),
]


@pytest.mark.parametrize(("arguments", "ask"), QUESTIONS, ids=[" ".join(q[0][:3]) for q in QUESTIONS])
def test_dataframes_have_the_cli_columns_and_rows(corpus_path: Path, arguments: list[str], ask: object) -> None:
    result = run(*arguments, "--store", str(corpus_path), "--format", "csv")
    assert result.returncode == 0, result.stderr
    table = list(csv.reader(io.StringIO(result.stdout)))
    with presslens.Corpus(corpus_path) as corpus:
        answer = ask(corpus)  # type: ignore[operator]
        frame = answer.df()
        arrow = answer.arrow()
    assert list(frame.columns) == table[0]
    assert len(frame) == len(table) - 1 == len(answer)
    assert arrow.column_names == table[0] and arrow.num_rows == len(frame)


def test_a_corpus_answers_in_python(corpus_path: Path) -> None:
    with presslens.Corpus(corpus_path) as corpus:
        said = corpus.statements_by("Rouhani")
        assert {row.content for row in said} >= {"the deal was fair"}
        labels = corpus.labels("Rouhani", voice="all").df()
        assert set(labels["term"]) == {"president", "weak and dangerous"}
        assert "<table" in corpus.outlets()._repr_html_()
        assert DOC3.id in set(corpus.search("IRGC").df()["doc_id"])


def test_claims_questions_have_the_cli_columns_and_rows(tmp_path: Path) -> None:
    from tests.narrative_corpus import build_narrative_store, ids

    path = build_narrative_store(tmp_path / "n.duckdb")
    for arguments, ask in (
        (["narratives"], lambda c: c.narratives()),
        (["claims", "elsewhere", ids(0)], lambda c: c.claims_elsewhere(ids(0))),
    ):
        result = run(*arguments, "--store", str(path), "--format", "csv")
        assert result.returncode == 0, result.stderr
        table = list(csv.reader(io.StringIO(result.stdout)))
        with presslens.Corpus(path) as corpus:
            frame = ask(corpus).df()
        assert list(frame.columns) == table[0] and len(frame) == len(table) - 1 > 0, arguments
