"""GET /api/outlets and /api/outlets/techniques (the technique profile per outlet or per month)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from presslens.corpus.queries import outlets as outlet_rows
from presslens.corpus.queries import technique_profile
from presslens.service.dependencies import CorpusFilters, CorpusStore, DateFilters
from presslens.service.errors import error_responses
from presslens.service.models import Outlets, TechniqueProfile

router = APIRouter(prefix="/api/outlets", tags=["corpus"])


@router.get("", summary="Outlets with their counts", response_model=Outlets, responses=error_responses(400, 422, 503))
def outlets(store: CorpusStore, filters: DateFilters) -> Outlets:
    return Outlets(items=outlet_rows(store, filters))


@router.get(
    "/techniques",
    summary="Technique profile per outlet or per month",
    response_model=TechniqueProfile,
    responses=error_responses(400, 404, 422, 503),
)
def profile(
    store: CorpusStore,
    filters: CorpusFilters,
    by: Annotated[str, Query(pattern="^(outlet|month)$")] = "outlet",
) -> TechniqueProfile:
    return TechniqueProfile(by=by, items=technique_profile(store, filters, by=by))
