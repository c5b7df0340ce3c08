"""The pipeline: order kept, failures isolated, stages composed."""

from __future__ import annotations

from presslens.document import Document
from presslens.errors import InputError
from presslens.pipeline import ActorStage, Pipeline


class ExplodingStage:
    name = "explodes"

    def __call__(self, document: Document, parsed: object) -> None:
        if "boom" in document.text:
            raise RuntimeError("stage failed")


def test_failures_do_not_sink_the_batch() -> None:
    pipeline = Pipeline(stages=[ActorStage(), ExplodingStage()], spacy_name="sm")
    items: list[Document | InputError] = [
        Document.from_text("Anna Berg met the mayor of Calvetta.", source="a"),
        InputError("b", "unreadable"),
        Document.from_text("This one goes boom.", source="c"),
        Document.from_text("Tomas Brandt spoke in Valdoria.", source="d"),
    ]
    results = list(pipeline.analyze_all(items, batch_size=2))
    assert [type(r).__name__ for r in results] == ["Document", "InputError", "InputError", "Document"]
    assert isinstance(results[2], InputError) and results[2].source == "c" and "stage failed" in results[2].reason
    assert isinstance(results[3], Document) and any(a.name == "Tomas Brandt" for a in results[3].actors)


def test_stage_names() -> None:
    assert Pipeline(stages=[ActorStage()], spacy_name="sm").stage_names == ["nlp", "actors"]
