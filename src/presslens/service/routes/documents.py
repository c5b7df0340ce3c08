"""GET /api/documents: stored documents, filtered and paged; GET /api/documents/{doc_id}: one, with its layers."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from presslens.document import Document
from presslens.service.dependencies import CorpusFilters, CorpusStore
from presslens.service.errors import ApiError, error_responses
from presslens.service.models import HitPage
from presslens.service.routes.search import ActorName, Limit, Offset, Technique, search_page
from presslens.service.stored import load_document

router = APIRouter(prefix="/api/documents", tags=["corpus"])

DOC_ID = re.compile(r"[0-9a-f]{16}")


@router.get(
    "",
    summary="Stored documents, newest first, filtered",
    response_model=HitPage,
    responses=error_responses(400, 404, 422, 503),
)
def list_documents(
    store: CorpusStore,
    filters: CorpusFilters,
    q: Annotated[str, Query(max_length=500, description='Words and "quoted phrases" the text holds')] = "",
    actor: ActorName = None,
    technique: Technique = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> HitPage:
    """Without `q`, the filtered documents, newest first; with it, those that hold its words, best first."""
    return search_page(store, q, filters, actor, technique, limit, offset)


@router.get(
    "/{doc_id}",
    summary="A stored document with its layers",
    response_model=Document,
    responses=error_responses(404, 422, 503),
)
def get_document(store: CorpusStore, doc_id: str) -> Response:
    """The Document JSON. Sentences and tokens are not stored and come back empty."""
    if not DOC_ID.fullmatch(doc_id):
        raise ApiError(404, "no such document (ids are 16 hex digits)")
    found = load_document(store, doc_id)
    if found is None:
        raise ApiError(404, f"no document {doc_id} in the store")
    return Response(found.to_json(), media_type="application/json")
