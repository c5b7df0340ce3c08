"""GET /api/search: full-text search with the filters of `presslens query`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from presslens.corpus.queries import Filters, search
from presslens.service.dependencies import CorpusFilters, CorpusStore
from presslens.service.errors import ApiError, error_responses
from presslens.service.models import HitPage
from presslens.store.store import Store

router = APIRouter(prefix="/api", tags=["corpus"])

Outlet = Annotated[str | None, Query(max_length=200)]
ActorName = Annotated[str | None, Query(max_length=200, description="A name, a variant or #id")]
Technique = Annotated[str | None, Query(max_length=100)]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=10_000)]


def search_page(
    store: Store, text: str, filters: Filters, actor: str | None, technique: str | None, limit: int, offset: int
) -> HitPage:
    """A page of the documents ``search`` finds: one more is asked for, to tell whether another page follows."""
    hits = search(
        store, text, filters, actor=actor or None, technique=technique or None, limit=limit + 1, offset=offset
    )
    return HitPage.of(hits, limit, offset)


@router.get(
    "/search",
    summary="Full-text search with the filters of `presslens query`",
    response_model=HitPage,
    responses=error_responses(400, 404, 422, 503),
)
def search_documents(
    store: CorpusStore,
    filters: CorpusFilters,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    actor: ActorName = None,
    technique: Technique = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> HitPage:
    if not q.strip():
        raise ApiError(400, "nothing to search for")
    return search_page(store, q, filters, actor, technique, limit, offset)
