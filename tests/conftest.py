"""Shared fixtures. Corpora are read from ../shared/data beside the clone, never copied in."""

from __future__ import annotations

from pathlib import Path

import pytest

from presslens.document import Document
from presslens.ingest import read_documents
from presslens.pipeline import Pipeline

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
SEED = DATA / "seed" / "mek-influence-article.txt"
# The base URL of the API tests' client: a loopback name, which the service answers by default
# (the TestClient's own "testserver" is a host it refuses, as it would any other).
LOCAL = "http://localhost"
EXAMPLES = REPO / "examples"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return path


@pytest.fixture(scope="session")
def pipeline() -> Pipeline:
    return Pipeline()


@pytest.fixture(scope="session")
def seed_document(pipeline: Pipeline) -> Document:
    document = next(read_documents([str(need(SEED))]))
    assert isinstance(document, Document), document
    return pipeline(document)


def assert_offsets(document: Document) -> int:
    """Every span of every layer covers exactly its text; returns how many were checked."""
    spans = document.iter_spans()
    for span in spans:
        assert 0 <= span.start <= span.end <= len(document.text), span
        assert document.text[span.start : span.end] == span.text, span
    for actor in document.actors:
        for index in actor.mentions:
            assert document.entities[index].actor == actor.id
    return len(spans)
