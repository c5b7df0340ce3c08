"""POST /api/analyze and /api/analyze/batch: analyse what the client sends; nothing is stored."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from presslens.document import Document
from presslens.ingest import RawInput
from presslens.ingest.records import METADATA_ALIASES
from presslens.service.analysis import MAX_BATCH_LINES, Analyzer, media_type, parse_json, read_body, record_input, utf8
from presslens.service.dependencies import Settings, analyzer, require_token
from presslens.service.errors import ApiError, error_responses
from presslens.service.models import BatchResult

router = APIRouter(prefix="/api/analyze", tags=["analysis"], dependencies=[Depends(require_token)])

TheAnalyzer = Annotated[Analyzer, Depends(analyzer)]
BATCH_TYPES = ("application/x-ndjson", "application/jsonl", "application/json", "text/plain")


def _record_schema() -> dict[str, Any]:
    """A JSON record as the API (and JSONL) reads it: the article and its metadata, under
    every name ``presslens.ingest.records`` takes."""
    fields: dict[str, Any] = {
        "text": {"type": "string", "description": "The article as plain text (or give 'html')."},
        "html": {"type": "string", "description": "The article as an HTML page (or give 'text')."},
    }
    for key, names in METADATA_ALIASES.items():
        for name in names:
            also = "" if name == key else f" (another name for '{key}')"
            fields[name] = {"type": "string", "description": f"Metadata: {key}{also}; the first name given wins."}
    return {"type": "object", "properties": fields, "description": "Exactly one of 'text' and 'html'."}


def _body(content: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": content}}


@router.post(
    "",
    summary="Analyse one text or HTML page (nothing is stored)",
    response_model=Document,
    responses=error_responses(400, 401, 413, 415, 422, 503),
    openapi_extra=_body(
        {
            "application/json": {"schema": _record_schema()},
            "text/plain": {"schema": {"type": "string"}},
            "text/html": {"schema": {"type": "string"}},
        }
    ),
)
async def analyze_one(request: Request, settings: Settings, analyze: TheAnalyzer) -> Response:
    """Body: `application/json` `{"text": ...}` or `{"html": ...}` with optional metadata under
    the names JSONL takes (`url`, `title`, `author`, `published` or `date`, `outlet` or `site`,
    ...); or a `text/plain` or `text/html` body. Returns the Document JSON (see `presslens schema`)."""
    kind = media_type(request)
    data = await read_body(request, settings.max_bytes)
    if kind == "application/json":
        raw = record_input(parse_json(utf8(data)), "<api>")
    elif kind in ("text/plain", "text/html"):
        raw = RawInput(source="<api>", text=utf8(data), is_html=kind == "text/html")
    else:
        raise ApiError(415, "send application/json, text/plain or text/html")
    document = await analyze.analyse(raw)
    return Response(document.to_json(), media_type="application/json")


@router.post(
    "/batch",
    summary="Analyse a JSONL batch (nothing is stored)",
    response_model=BatchResult,
    responses=error_responses(400, 401, 413, 415, 503),
    openapi_extra=_body(
        {
            "application/x-ndjson": {
                "schema": {"type": "string", "description": "One JSON record per line, as for /api/analyze."}
            }
        }
    ),
)
async def analyze_batch(request: Request, settings: Settings, analyze: TheAnalyzer) -> Response:
    """Body: JSON Lines (`application/x-ndjson`, `application/jsonl` or `text/plain`), one
    object per line as for /api/analyze, at most 200 lines. Returns the documents, in line
    order, and an error per line that could not be analysed."""
    if media_type(request) not in BATCH_TYPES:
        raise ApiError(415, "send JSON Lines as application/x-ndjson")
    text = utf8(await read_body(request, settings.max_bytes))
    # JSON Lines end at "\n" only: str.splitlines would also cut at U+2028 or U+0085 inside a string.
    lines = [(number, line) for number, line in enumerate(text.split("\n"), 1) if line.strip()]
    if len(lines) > MAX_BATCH_LINES:
        raise ApiError(413, f"over {MAX_BATCH_LINES} lines in one batch")

    def analyse_lines() -> dict[str, list[Any]]:
        documents, errors = [], []
        for number, line in lines:
            try:
                document = analyze(record_input(parse_json(line), f"<batch>:{number}"))
            except ApiError as error:
                errors.append({"line": number, "error": error.message})
            else:
                # The Document's own JSON (as /api/analyze answers), not a second serialisation.
                documents.append(json.loads(document.to_json()))
        return {"documents": documents, "errors": errors}

    return JSONResponse(await analyze.run(analyse_lines))
