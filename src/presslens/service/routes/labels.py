"""GET /api/actors/{actor_id}/labels (how outlets label an actor), its side-by-side of two
outlets, and /api/outlets/labels (the actors an outlet labels most negatively)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from presslens.corpus.labels import actor_labels, compare_outlets, outlet_actors
from presslens.corpus.queries import Filters
from presslens.service.dependencies import CorpusFilters, CorpusStore, DateFilters
from presslens.service.errors import ApiError, error_responses
from presslens.service.models import ActorLabels, LabelComparison, OutletLabels

router = APIRouter(prefix="/api", tags=["corpus"])

Voice = Annotated[str, Query(pattern="^(reporter|source|all)$", description="Whose words count.")]


@router.get(
    "/actors/{actor_id}/labels",
    summary="How outlets label an actor: its labels per outlet",
    response_model=ActorLabels,
    responses=error_responses(400, 404, 422, 503),
)
def labels_of_actor(
    store: CorpusStore,
    actor_id: int,
    filters: CorpusFilters,
    voice: Voice = "reporter",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> ActorLabels:
    """Per outlet, the labels of the actor (most used first), each with its polarity, counts
    and one example; by default the articles' own words (`voice=reporter`)."""
    return ActorLabels(actor=actor_id, voice=voice, items=actor_labels(store, f"#{actor_id}", filters, voice, limit))


@router.get(
    "/actors/{actor_id}/labels/compare",
    summary="Two outlets side by side on one actor",
    response_model=LabelComparison,
    responses=error_responses(400, 404, 422, 503),
)
def labels_compared(
    store: CorpusStore,
    actor_id: int,
    filters: DateFilters,
    a: Annotated[str, Query(min_length=1, max_length=200, description="The first outlet.")],
    b: Annotated[str, Query(min_length=1, max_length=200, description="The second outlet.")],
    voice: Voice = "reporter",
) -> LabelComparison:
    if a.strip().lower() == b.strip().lower():
        raise ApiError(400, "compare two different outlets")
    rows = compare_outlets(store, f"#{actor_id}", a, b, filters, voice)
    return LabelComparison(actor=actor_id, a=a, b=b, voice=voice, items=rows)


@router.get(
    "/outlets/labels",
    summary="The actors an outlet labels, most negatively first",
    response_model=OutletLabels,
    responses=error_responses(400, 404, 422, 503),
)
def labels_by_outlet(
    store: CorpusStore,
    filters: CorpusFilters,
    voice: Voice = "reporter",
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
) -> OutletLabels:
    if not filters.outlet:
        raise ApiError(400, "an outlet is needed: ?outlet=NAME")
    rows = outlet_actors(store, filters.outlet, Filters(since=filters.since, until=filters.until), voice, limit)
    return OutletLabels(outlet=filters.outlet, voice=voice, items=rows)
