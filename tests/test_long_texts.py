"""Texts up to the input limit are analysed whole: spaCy parses a long text in parts that join
back into one parse of the whole text, offsets intact (spaCy alone refuses a text over a
million characters: its error E088)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from presslens import nlp
from presslens.ingest import DEFAULT_MAX_BYTES, IngestOptions, document_from_text
from presslens.models.loader import spacy_model
from presslens.nlp import parse_text, text_parts
from presslens.pipeline import Pipeline
from presslens.service.app import create_app

from .conftest import EXAMPLES, LOCAL
from .test_cli import presslens

# Over spaCy's own limit of 1,000,000 characters, under the input limit.
LONG = 1_050_000


def long_text(size: int = LONG) -> str:
    """Articles written for the examples, one after another, to ``size`` characters."""
    article = (EXAMPLES / "minister-warns.txt").read_text(encoding="utf-8").strip()
    repeats = size // (len(article) + 2) + 1
    return "\n\n".join([article] * repeats)[:size]


PIECES = st.sampled_from(["Word", " ", "\n", "\n\n", ".", "The port closed. ", "“Quoted,” he said.", "é"])


@settings(max_examples=60, deadline=None)
@given(st.lists(PIECES, max_size=300).map("".join), st.integers(10, 200))
def test_parts_join_back_into_the_text(text: str, size: int) -> None:
    parts = text_parts(text, size)
    assert "".join(parts) == text
    assert all(len(part) <= size for part in parts)
    assert all(parts[:-1])


def test_parts_end_at_paragraph_breaks_where_there_are_some() -> None:
    text = long_text(30_000)
    parts = text_parts(text, 10_000)
    assert len(parts) >= 3
    assert all(part.endswith("\n\n") for part in parts[:-1])


def test_a_text_parsed_in_parts_keeps_every_offset(monkeypatch: pytest.MonkeyPatch) -> None:
    text = long_text(12_000)
    whole = spacy_model("sm")(text)
    monkeypatch.setattr(nlp, "PART_CHARS", 3_000)
    parted = parse_text(spacy_model("sm"), text)
    assert parted.text == text
    for token in parted:
        assert text[token.idx : token.idx + len(token.text)] == token.text
    # Cut at paragraph breaks, the parts tokenise as the whole does.
    assert [(t.idx, t.text) for t in parted] == [(t.idx, t.text) for t in whole]
    assert len(list(parted.sents)) >= len(text_parts(text, 3_000))


def test_a_text_over_spacys_limit_is_analysed_whole() -> None:
    text = long_text()
    assert len(text) > 1_000_000 and len(text.encode("utf-8")) <= DEFAULT_MAX_BYTES
    document = document_from_text(text, "long", IngestOptions(clean=False))
    analysed = Pipeline([], spacy_name="sm")(document)
    assert analysed.tokens[-1].end == len(text.rstrip()) or analysed.tokens[-1].end == len(text)
    for token in analysed.tokens[:: len(analysed.tokens) // 500]:
        assert text[token.start : token.end] == token.text
    assert analysed.sentences[-1].end > 1_000_000


def test_ingest_stores_a_text_over_spacys_limit(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text(long_text(), encoding="utf-8")
    store = tmp_path / "s.duckdb"
    result = presslens(
        "ingest", str(path), "--store", str(store), "--model", "sm", "--skip", "actors,techniques,claims"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "E088" not in result.stderr and "1 stored" in result.stderr, result.stderr[-2000:]


def test_the_api_analyses_a_text_over_spacys_limit() -> None:
    client = TestClient(create_app(None, pipeline_factory=lambda: Pipeline([], spacy_name="sm")), base_url=LOCAL)
    text = long_text()
    response = client.post("/api/analyze", content=text.encode("utf-8"), headers={"content-type": "text/plain"})
    assert response.status_code == 200, response.text[:500]
    assert response.json()["tokens"][-1]["end"] > 1_000_000
