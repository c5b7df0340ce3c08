"""One pipeline: ingest → nlp → encoder → actors → attribution → techniques.

The spaCy parse and the encoder pass are made once per document and handed to every later
stage in the document's ``Analysis``; stages add layers to the Document and never change its
text. Both run over batches of documents (``pipe``, ``analyze_all``). Which stages there are,
in what order, and what each requires is the stage registry's (``presslens.stages``). The
CLI, the service and the engines only compose this.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from presslens.document import Document
from presslens.encoder.analysis import Analysis
from presslens.errors import InputError
from presslens.models.loader import spacy_model
from presslens.nlp import add_nlp_layers, parse_text, parse_texts
from presslens.stages import BatchStage, Stage, check_requirements, default_stages, stage_names

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

__all__ = ["Analysis", "BatchStage", "Pipeline", "Stage", "default_stages"]


class Pipeline:
    """Runs the NLP parse and the stages over documents."""

    def __init__(
        self,
        stages: list[Stage] | None = None,
        spacy_name: str | None = None,
        technique_threshold: float | None = None,
    ) -> None:
        if stages is not None:
            check_requirements(stage.name for stage in stages)  # attribution without actors, say
        self.stages = default_stages(technique_threshold) if stages is None else stages
        self.spacy_name = spacy_name

    @property
    def nlp(self) -> Language:
        return spacy_model(self.spacy_name)

    @property
    def stage_names(self) -> list[str]:
        return stage_names(stage.name for stage in self.stages)

    def _finish(self, parses: Iterable[tuple[Document, Doc]]) -> list[Document]:
        """Run the stages over parsed documents: each stage over all of them, in turn (a
        BatchStage given them together), then free what only the analysis needed."""
        analyses = [Analysis(document, parsed) for document, parsed in parses]
        try:
            for analysis in analyses:
                add_nlp_layers(analysis.document, analysis.parsed)
            for stage in self.stages:
                if isinstance(stage, BatchStage):
                    stage.pipe(analyses)
                else:
                    for analysis in analyses:
                        stage(analysis)
        finally:
            for analysis in analyses:
                analysis.release()  # the encoder's states: done with this document
        return [analysis.document for analysis in analyses]

    def __call__(self, document: Document) -> Document:
        return self._finish([(document, parse_text(self.nlp, document.text))])[0]

    def pipe(self, documents: Iterable[Document], batch_size: int = 8) -> Iterator[Document]:
        """Analyse many documents, parsing them in batches (faster than one at a time)."""
        batch: list[Document] = []
        for document in documents:
            batch.append(document)
            if len(batch) >= batch_size:
                yield from self._run_batch(batch)
                batch = []
        if batch:
            yield from self._run_batch(batch)

    def _run_batch(self, batch: list[Document]) -> Iterator[Document]:
        yield from self._finish(zip(batch, parse_texts(self.nlp, [d.text for d in batch]), strict=True))

    def analyze_all(
        self, items: Iterable[Document | InputError], batch_size: int = 8
    ) -> Iterator[Document | InputError]:
        """Analyse documents in input order, passing ingest failures through. A document
        whose analysis fails becomes an InputError, so a batch never stops for one."""
        pending: list[Document | InputError] = []

        def flush() -> Iterator[Document | InputError]:
            documents = [item for item in pending if isinstance(item, Document)]
            try:
                done: Iterator[Document | InputError] = iter(list(self._run_batch(documents)))
            except Exception:  # one bad document must not sink its batch: redo one by one
                done = iter([self._analyze_one(d) for d in documents])
            for item in pending:
                yield next(done) if isinstance(item, Document) else item
            pending.clear()

        for item in items:
            pending.append(item)
            if sum(isinstance(i, Document) for i in pending) >= batch_size:
                yield from flush()
        yield from flush()

    def _analyze_one(self, document: Document) -> Document | InputError:
        try:
            return self(document)
        except Exception as error:
            return InputError(document.source or document.id, f"analysis failed ({error.__class__.__name__}: {error})")
