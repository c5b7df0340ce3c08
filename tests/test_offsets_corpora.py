"""Offsets hold on real articles: 20 from PTC and 20 from PolNeAR."""

from __future__ import annotations

import pytest

from presslens.document import Document
from presslens.ingest import IngestOptions, read_documents
from presslens.pipeline import Pipeline

from .conftest import DATA, assert_offsets, need


@pytest.mark.parametrize(
    ("folder", "clean"),
    [("ptc/train-articles", True), ("polnear/train/text", True), ("ptc/train-articles", False)],
)
def test_offsets_on_corpus(pipeline: Pipeline, folder: str, clean: bool) -> None:
    files = sorted(need(DATA / folder).glob("*.txt"))[:20]
    assert len(files) == 20
    options = IngestOptions(clean=clean, english_only=False)
    documents = list(read_documents([str(f) for f in files], options))
    assert all(isinstance(d, Document) for d in documents), [d for d in documents if not isinstance(d, Document)]
    checked = 0
    for document in pipeline.pipe(documents):  # type: ignore[arg-type]
        checked += assert_offsets(document)
        assert document.sentences and document.tokens
        if not clean:
            # Uncleaned text is the file as read, so corpus offsets apply unchanged.
            with open(document.source or "", encoding="utf-8", newline="") as file:
                assert document.text == file.read()
    assert checked > 10_000
