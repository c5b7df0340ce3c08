"""The FastAPI application: the JSON API under /api and the web interface under /.

Security, in short: analysed text is hostile input. The API returns it as JSON only; the web
interface puts it into the page with ``textContent`` and never as markup; every response
carries a strict Content-Security-Policy (no inline script, no other hosts). Request bodies
are limited to ``max_bytes``. Nothing here writes to the store (it is opened read-only per
request) and the server never fetches a URL. With a ``token``, the POST endpoints need
``Authorization: Bearer <token>`` (``presslens serve`` sets one when it listens beyond
loopback).
"""

from __future__ import annotations

import hmac
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from presslens.document import Document
from presslens.errors import InputError, ModelError, PresslensError
from presslens.service import DEFAULT_MAX_BYTES

MAX_BATCH_LINES = 200
STATIC = Path(__file__).parent / "static"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
_DOC_ID = re.compile(r"[0-9a-f]{16}")
_METADATA = ("url", "title", "author", "published", "outlet")


class ApiError(Exception):
    """An answer other than 200, with a one-line message for the user."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _plain(value: Any) -> Any:
    """Typed rows (dataclasses, dates) as JSON values."""
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


class Analyzer:
    """The pipeline, built on first use (models load once per process) and run one
    document at a time (spaCy and the models are not made for concurrent calls)."""

    def __init__(self, factory: Callable[[], Any] | None) -> None:
        self._factory = factory
        self._pipeline: Any = None
        self._lock = threading.Lock()

    def __call__(self, document: Document) -> Document:
        with self._lock:
            if self._pipeline is None:
                if self._factory is None:
                    from presslens.pipeline import Pipeline

                    self._pipeline = Pipeline()
                else:
                    self._pipeline = self._factory()
            return self._pipeline(document)


def secured(response: Response) -> Response:
    """The headers every response carries: no inline script, no other hosts, no framing."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def create_app(
    store_path: Path | None = None,
    token: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    pipeline_factory: Callable[[], Any] | None = None,
) -> FastAPI:
    """The application. ``pipeline_factory`` builds the pipeline on the first analysis
    (default: ``Pipeline()``, every stage); tests pass a lighter one."""
    from presslens.ingest import IngestOptions
    from presslens.ingest.sources import RawInput

    app = FastAPI(
        title="presslens",
        description="Who says what about whom in news articles, and how they persuade. Read-only: "
        "analysing never stores; the corpus store is read, never written.",
        version="1",
        docs_url=None,  # Swagger and ReDoc load their assets from a CDN: the schema is enough
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    analyze = Analyzer(pipeline_factory)
    options = IngestOptions(max_bytes=max_bytes)

    # --- errors: a clear 4xx with a message for anything a client sends -------------------

    @app.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> JSONResponse:
        return JSONResponse({"error": error.message}, status_code=error.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = []
        for item in error.errors():
            where = ".".join(str(p) for p in item.get("loc", ()) if p != "body") or "request"
            problems.append(f"{where}: {item.get('msg', 'invalid')}")
        return JSONResponse({"error": "; ".join(problems) or "invalid request"}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        message = error.detail if isinstance(error.detail, str) else "request refused"
        return JSONResponse({"error": message}, status_code=error.status_code)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, error: Exception) -> Response:
        # Raised past the middleware, so the security headers are set here too.
        return secured(JSONResponse({"error": f"internal error ({error.__class__.__name__})"}, status_code=500))

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Any]) -> Response:
        length = request.headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                response: Response = JSONResponse({"error": "bad Content-Length"}, status_code=400)
            elif int(length) > max_bytes:
                response = JSONResponse({"error": f"request body over the {max_bytes} byte limit"}, status_code=413)
            else:
                response = await call_next(request)
        else:
            response = await call_next(request)
        return secured(response)

    # --- helpers ------------------------------------------------------------------------

    def check_token(request: Request) -> None:
        if token is None:
            return
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise ApiError(401, "this server needs 'Authorization: Bearer <token>' for POST requests")

    async def body_of(request: Request) -> bytes:
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                raise ApiError(413, f"request body over the {max_bytes} byte limit")
            chunks.append(chunk)
        data = b"".join(chunks)
        if not data.strip():
            raise ApiError(400, "empty body: send a text, an HTML page or a JSON object")
        return data

    def media_type(request: Request) -> str:
        return request.headers.get("content-type", "").split(";")[0].strip().lower()

    def utf8(data: bytes) -> str:
        if b"\x00" in data:
            raise ApiError(400, "binary body: send UTF-8 text")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError(400, "body is not UTF-8 text") from None

    def raw_from_record(record: Any, source: str) -> RawInput:
        if not isinstance(record, dict):
            raise ApiError(422, "expected a JSON object with 'text' or 'html'")
        text, html = record.get("text"), record.get("html")
        if (text is None) == (html is None):
            raise ApiError(422, "give exactly one of 'text' and 'html'")
        content = text if text is not None else html
        if not isinstance(content, str):
            raise ApiError(422, "'text' or 'html' must be a string")
        metadata = {}
        for key in _METADATA:
            value = record.get(key, record.get("date") if key == "published" else None)
            if value is not None and not isinstance(value, str):
                raise ApiError(422, f"'{key}' must be a string")
            if value:
                metadata[key] = value
        return RawInput(source=source, text=content, is_html=html is not None, metadata=metadata)

    def run(raw: RawInput) -> Document:
        from presslens.ingest import to_document

        try:
            document = to_document(raw, options)
        except InputError as error:
            raise ApiError(422, error.reason) from None
        try:
            return analyze(document)
        except ModelError as error:
            raise ApiError(503, str(error)) from None
        except Exception as error:  # as the CLI does: one document's failure is reported, not raised
            raise ApiError(422, f"analysis failed ({error.__class__.__name__}: {error})") from None

    def answer(document: Document) -> Response:
        return Response(document.to_json(), media_type="application/json")

    @contextmanager
    def store() -> Iterator[Any]:
        from presslens.store.store import Store, StoreBusyError, StoreError

        if store_path is None:
            raise ApiError(503, "this server has no corpus store (start it with `presslens serve --store FILE`)")
        try:
            opened = Store(store_path, read_only=True)
        except StoreBusyError as error:
            raise ApiError(503, str(error)) from None
        except StoreError as error:
            raise ApiError(503, str(error)) from None
        try:
            yield opened
        except PresslensError as error:  # QueryError: an unknown actor, outlet, technique
            message = str(error)
            raise ApiError(404 if message.startswith("no ") else 400, message) from None
        finally:
            opened.close()

    def filters(outlet: str | None, since: date | None, until: date | None) -> Any:
        from presslens.corpus.queries import Filters

        if since and until and since > until:
            raise ApiError(400, "'since' is after 'until'")
        return Filters(outlet=outlet or None, since=since, until=until)

    # --- analysis -----------------------------------------------------------------------

    @app.post("/api/analyze", tags=["analysis"], summary="Analyse one text or HTML page (nothing is stored)")
    async def analyze_one(request: Request) -> Response:
        """Body: `application/json` `{"text": ...}` or `{"html": ...}` with optional `url`,
        `title`, `author`, `published`, `outlet`; or a `text/plain` or `text/html` body.
        Returns the Document JSON (see `presslens schema`)."""
        check_token(request)
        kind = media_type(request)
        data = await body_of(request)
        if kind == "application/json":
            try:
                record = json.loads(utf8(data))
            except json.JSONDecodeError as error:
                raise ApiError(400, f"invalid JSON: {error.msg} (line {error.lineno})") from None
            raw = raw_from_record(record, "<api>")
        elif kind in ("text/plain", "text/html"):
            raw = RawInput(source="<api>", text=utf8(data), is_html=kind == "text/html")
        else:
            raise ApiError(415, "send application/json, text/plain or text/html")
        return answer(await run_in_threadpool(run, raw))

    @app.post("/api/analyze/batch", tags=["analysis"], summary="Analyse a JSONL batch (nothing is stored)")
    async def analyze_batch(request: Request) -> JSONResponse:
        """Body: JSON Lines (`application/x-ndjson`, `application/jsonl` or `text/plain`), one
        object per line as for /api/analyze. Returns the documents, in line order, and an error
        per line that could not be analysed."""
        check_token(request)
        if media_type(request) not in ("application/x-ndjson", "application/jsonl", "application/json", "text/plain"):
            raise ApiError(415, "send JSON Lines as application/x-ndjson")
        lines = [(n, line) for n, line in enumerate(utf8(await body_of(request)).splitlines(), 1) if line.strip()]
        if len(lines) > MAX_BATCH_LINES:
            raise ApiError(413, f"over {MAX_BATCH_LINES} lines in one batch")

        def work() -> dict[str, Any]:
            documents, errors = [], []
            for number, line in lines:
                try:
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError as error:
                        raise ApiError(400, f"invalid JSON: {error.msg}") from None
                    documents.append(json.loads(run(raw_from_record(record, f"<batch>:{number}")).to_json()))
                except ApiError as error:
                    errors.append({"line": number, "error": error.message})
            return {"documents": documents, "errors": errors}

        return JSONResponse(await run_in_threadpool(work))

    # --- the corpus ---------------------------------------------------------------------

    def page_of(rows: list[Any], limit: int, offset: int) -> dict[str, Any]:
        items = rows[offset : offset + limit]
        more = len(rows) > offset + limit
        return {
            "items": _plain(items),
            "limit": limit,
            "offset": offset,
            "next_offset": offset + limit if more else None,
        }

    def find(
        q: str,
        outlet: str | None,
        actor: str | None,
        technique: str | None,
        since: date | None,
        until: date | None,
        limit: int,
        offset: int,
    ) -> dict[str, Any]:
        from presslens.corpus.queries import search

        with store() as s:
            hits = search(
                s,
                q,
                filters(outlet, since, until),
                actor=actor or None,
                technique=technique or None,
                limit=offset + limit + 1,
            )
        return page_of(hits, limit, offset)

    @app.get("/api/documents", tags=["corpus"], summary="Stored documents, newest first, filtered")
    def documents(
        q: str = Query("", max_length=500, description='Words and "quoted phrases" the text holds'),
        outlet: str | None = Query(None, max_length=200),
        actor: str | None = Query(None, max_length=200, description="A name, a variant or #id"),
        technique: str | None = Query(None, max_length=100),
        since: date | None = None,
        until: date | None = None,
        limit: int = Query(20, ge=1, le=200),
        offset: int = Query(0, ge=0, le=10_000),
    ) -> dict[str, Any]:
        return find(q, outlet, actor, technique, since, until, limit, offset)

    @app.get("/api/search", tags=["corpus"], summary="Full-text search with the filters of `presslens query`")
    def search_documents(
        q: str = Query(..., min_length=1, max_length=500),
        outlet: str | None = Query(None, max_length=200),
        actor: str | None = Query(None, max_length=200),
        technique: str | None = Query(None, max_length=100),
        since: date | None = None,
        until: date | None = None,
        limit: int = Query(20, ge=1, le=200),
        offset: int = Query(0, ge=0, le=10_000),
    ) -> dict[str, Any]:
        if not q.strip():
            raise ApiError(400, "nothing to search for")
        return find(q, outlet, actor, technique, since, until, limit, offset)

    @app.get("/api/documents/{doc_id}", tags=["corpus"], summary="A stored document with its layers")
    def document(doc_id: str) -> Response:
        """The Document JSON. Sentences and tokens are not stored and come back empty."""
        from presslens.service.stored import load_document

        if not _DOC_ID.fullmatch(doc_id):
            raise ApiError(404, "no such document (ids are 16 hex digits)")
        with store() as s:
            found = load_document(s, doc_id)
        if found is None:
            raise ApiError(404, f"no document {doc_id} in the store")
        return answer(found)

    @app.get("/api/actors", tags=["corpus"], summary="Corpus actors, most documented first")
    def actors(
        kind: str | None = Query(None, pattern="^(person|organisation|place|group)$"),
        match: str | None = Query(None, max_length=200),
        min_documents: int = Query(1, ge=1),
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0, le=10_000),
    ) -> dict[str, Any]:
        from presslens.corpus.queries import list_actors

        with store() as s:
            rows = list_actors(s, kind=kind, match=match or None, min_documents=min_documents, limit=offset + limit + 1)
        return page_of(rows, limit, offset)

    @app.get("/api/actors/{actor_id}", tags=["corpus"], summary="One corpus actor")
    def actor(actor_id: int) -> dict[str, Any]:
        with store() as s:
            rows = s.query(
                "SELECT id, name, kind, documents, mentions, statements, about FROM corpus_actors WHERE id = ?",
                [actor_id],
            )
        if not rows:
            raise ApiError(404, f"no actor #{actor_id} in the store")
        keys = ("id", "name", "kind", "documents", "mentions", "statements", "about")
        return dict(zip(keys, rows[0], strict=True))

    @app.get(
        "/api/actors/{actor_id}/statements", tags=["corpus"], summary="What an actor says, or what is said about it"
    )
    def statements(
        actor_id: int,
        direction: str = Query("by", pattern="^(by|about)$"),
        outlet: str | None = Query(None, max_length=200),
        since: date | None = None,
        until: date | None = None,
        limit: int = Query(50, ge=1, le=500),
    ) -> dict[str, Any]:
        """`by`: its statements, newest first. `about`: statements whose targets include it,
        grouped by speaker (most statements first, each with its latest statements)."""
        from presslens.corpus.queries import statements_about, statements_by

        with store() as s:
            chosen = filters(outlet, since, until)
            if direction == "by":
                items: list[Any] = statements_by(s, f"#{actor_id}", chosen, limit, latest=True)
            else:
                items = statements_about(s, f"#{actor_id}", chosen, limit)
        return {"actor": actor_id, "direction": direction, "items": _plain(items)}

    @app.get("/api/outlets", tags=["corpus"], summary="Outlets with their counts")
    def outlets(since: date | None = None, until: date | None = None) -> dict[str, Any]:
        from presslens.corpus.queries import outlets as outlet_rows

        with store() as s:
            return {"items": _plain(outlet_rows(s, filters(None, since, until)))}

    @app.get("/api/outlets/techniques", tags=["corpus"], summary="Technique profile per outlet or per month")
    def profile(
        by: str = Query("outlet", pattern="^(outlet|month)$"),
        outlet: str | None = Query(None, max_length=200),
        since: date | None = None,
        until: date | None = None,
    ) -> dict[str, Any]:
        from presslens.corpus.queries import technique_profile

        with store() as s:
            return {"by": by, "items": _plain(technique_profile(s, filters(outlet, since, until), by=by))}

    @app.get("/api/speakers", tags=["corpus"], summary="The actors quoted most, per outlet or overall")
    def speakers(
        per_outlet: bool = False,
        outlet: str | None = Query(None, max_length=200),
        since: date | None = None,
        until: date | None = None,
        limit: int = Query(10, ge=1, le=100),
    ) -> dict[str, Any]:
        from presslens.corpus.queries import top_speakers

        with store() as s:
            rows = top_speakers(s, filters(outlet, since, until), limit, per_outlet=per_outlet)
        return {"items": _plain(rows)}

    @app.get("/api/techniques", tags=["analysis"], summary="The 14 techniques: label, colour, explanation")
    def techniques() -> dict[str, Any]:
        from presslens.techniques.explanations import all_techniques

        return {"items": [_plain(info) for info in all_techniques()]}

    # --- the web interface --------------------------------------------------------------

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    return app
