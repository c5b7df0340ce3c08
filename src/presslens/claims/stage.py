"""The claims stage of the pipeline: ``Document.claims``, and with a fact-check index
(``presslens analyze --fact-checks INDEX``) the fact-checks that check each claim."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from presslens.claims.extract import extract_claims
from presslens.claims.retrieval import FactCheckIndex, Matcher
from presslens.document import FactCheckMatch
from presslens.encoder.analysis import Analysis
from presslens.models.loader import CLAIMS, load_model

MIN_PROBABILITY = 0.5  # a match is kept when it is more likely right than wrong
TOP_MATCHES = 3


@cache
def open_index(folder: str) -> FactCheckIndex:
    """The index in ``folder``, read once per process (with the shipped matcher)."""
    matcher = load_model(CLAIMS, "matcher")
    assert isinstance(matcher, Matcher)
    index = FactCheckIndex.load(Path(folder), matcher.encoder)
    if index.reranker is None:
        index.reranker = matcher.reranker
    return index


class ClaimStage:
    """Finds the claims of a document (after attribution, whose contents are reported claims);
    with ``fact_checks`` (an index folder) attaches the matches of probability at least
    ``min_probability``, at most ``top`` a claim."""

    name = "claims"

    def __init__(self, fact_checks: str | None = None, min_probability: float = MIN_PROBABILITY) -> None:
        self.fact_checks = fact_checks
        self.min_probability = min_probability

    def __call__(self, analysis: Analysis) -> None:
        document = analysis.document
        document.claims = extract_claims(document)
        if self.fact_checks is None or not document.claims:
            return
        index = open_index(self.fact_checks)
        embeddings = index.encoder.encode([claim.text for claim in document.claims])
        for claim, embedding in zip(document.claims, embeddings, strict=True):
            claim.fact_checks = [
                FactCheckMatch(
                    id=match.fact_check.id,
                    claim=match.fact_check.claim,
                    title=match.fact_check.title,
                    verdict=match.fact_check.verdict,
                    url=match.fact_check.url,
                    publisher=match.fact_check.publisher,
                    date=match.fact_check.date,
                    probability=round(match.probability, 4),
                )
                for match in index.search_embedded(claim.text, embedding, k=TOP_MATCHES)
                if match.probability is not None and match.probability >= self.min_probability
            ]
