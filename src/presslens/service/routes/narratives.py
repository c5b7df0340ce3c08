"""GET /api/narratives (claims several articles make), /api/narratives/{id} (one: who carries
it, since when), /api/documents/{doc_id}/elsewhere (where else a document's claims are made)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query

from presslens.corpus.narratives import Narrative as NarrativeDetail
from presslens.corpus.narratives import claims_elsewhere, get_narrative, list_narratives
from presslens.service.dependencies import CorpusFilters, CorpusStore
from presslens.service.errors import ApiError, error_responses
from presslens.service.models import ClaimsElsewhere, NarrativePage
from presslens.service.routes.documents import DOC_ID

router = APIRouter(prefix="/api", tags=["corpus"])

NARRATIVE_ID = re.compile(r"N[0-9a-f]{10}")


@router.get(
    "/narratives",
    summary="Narratives: claims several articles make, widest spread first",
    response_model=NarrativePage,
    responses=error_responses(400, 404, 422, 503),
)
def narratives(
    store: CorpusStore,
    filters: CorpusFilters,
    match: Annotated[str | None, Query(max_length=200, description="Words its claims hold")] = None,
    min_outlets: Annotated[int, Query(ge=1, le=1000)] = 1,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> NarrativePage:
    """Spread is the number of outlets that carry a narrative, then of articles; with
    filters only the claims of the articles they select count."""
    rows = list_narratives(store, filters, limit + 1, offset, match=match or None, min_outlets=min_outlets)
    return NarrativePage.of(rows, limit, offset)


@router.get(
    "/narratives/{narrative_id}",
    summary="One narrative: its claims in order, who carries it, a timeline per outlet",
    response_model=NarrativeDetail,
    responses=error_responses(400, 404, 422, 503),
)
def narrative(store: CorpusStore, narrative_id: str, filters: CorpusFilters) -> NarrativeDetail:
    if not NARRATIVE_ID.fullmatch(narrative_id):
        raise ApiError(404, "no such narrative (ids are N and 10 hex digits)")
    found = get_narrative(store, narrative_id, filters)
    return found


@router.get(
    "/documents/{doc_id}/elsewhere",
    summary="Where else a stored document's claims are made",
    response_model=ClaimsElsewhere,
    responses=error_responses(404, 422, 503),
)
def elsewhere(store: CorpusStore, doc_id: str) -> ClaimsElsewhere:
    """For each claim of the document that belongs to a narrative: the same claim in other
    articles, in order of appearance."""
    if not DOC_ID.fullmatch(doc_id):
        raise ApiError(404, "no such document (ids are 16 hex digits)")
    return ClaimsElsewhere(items=claims_elsewhere(store, doc_id))
