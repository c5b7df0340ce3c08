"""GET /api/actors, /api/actors/{actor_id}, its statements, and /api/speakers (the actors quoted most)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from presslens.corpus.queries import Statement, get_actor, list_actors, statements_about, statements_by, top_speakers
from presslens.service.dependencies import CorpusFilters, CorpusStore
from presslens.service.errors import ApiError, error_responses
from presslens.service.models import ActorPage, ActorStatements, CorpusActor, Speakers

router = APIRouter(prefix="/api", tags=["corpus"])


@router.get(
    "/actors",
    summary="Corpus actors, most documented first",
    response_model=ActorPage,
    responses=error_responses(422, 503),
)
def actors(
    store: CorpusStore,
    kind: Annotated[str | None, Query(pattern="^(person|organisation|place|group)$")] = None,
    match: Annotated[str | None, Query(max_length=200)] = None,
    min_documents: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> ActorPage:
    rows = list_actors(
        store, kind=kind, match=match or None, min_documents=min_documents, limit=limit + 1, offset=offset
    )
    return ActorPage.of(rows, limit, offset)


@router.get(
    "/actors/{actor_id}",
    summary="One corpus actor",
    response_model=CorpusActor,
    responses=error_responses(404, 422, 503),
)
def actor(store: CorpusStore, actor_id: int) -> CorpusActor:
    found = get_actor(store, actor_id)
    if found is None:
        raise ApiError(404, f"no actor #{actor_id} in the store")
    return CorpusActor.model_validate(found, from_attributes=True)  # its counts; not its variants


@router.get(
    "/actors/{actor_id}/statements",
    summary="What an actor says, or what is said about it",
    response_model=ActorStatements,
    responses=error_responses(400, 404, 422, 503),
)
def statements(
    store: CorpusStore,
    actor_id: int,
    filters: CorpusFilters,
    direction: Annotated[str, Query(pattern="^(by|about)$")] = "by",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ActorStatements:
    """`by`: its statements, newest first. `about`: statements whose targets include it,
    grouped by speaker (most statements first, each with its latest statements)."""
    if direction == "by":
        said: list[Statement] = statements_by(store, f"#{actor_id}", filters, limit, latest=True)
        return ActorStatements(actor=actor_id, direction="by", items=said)
    return ActorStatements(
        actor=actor_id, direction="about", items=statements_about(store, f"#{actor_id}", filters, limit)
    )


@router.get(
    "/speakers",
    summary="The actors quoted most, per outlet or overall",
    response_model=Speakers,
    responses=error_responses(400, 404, 422, 503),
)
def speakers(
    store: CorpusStore,
    filters: CorpusFilters,
    per_outlet: bool = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> Speakers:
    return Speakers(items=top_speakers(store, filters, limit, per_outlet=per_outlet))
