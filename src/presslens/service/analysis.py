"""Analysing what a client sends: the request body read within the limit, turned into a
RawInput (JSON records through ``presslens.ingest.records``, the same fields as JSONL), and
run through the pipeline. Nothing analysed is stored."""

from __future__ import annotations

import json
import threading
from typing import Any

from fastapi import Request

from presslens.document import Document
from presslens.errors import InputError, ModelError
from presslens.ingest import IngestOptions, RawInput, to_document
from presslens.ingest.records import raw_input_from_record
from presslens.service.errors import ApiError
from presslens.service.security import body_over_limit
from presslens.service.settings import Analysis, ServiceSettings

MAX_BATCH_LINES = 200


class Analyzer:
    """The pipeline, built on first use (models load once per process) and run one
    document at a time (spaCy and the models are not made for concurrent calls)."""

    def __init__(self, settings: ServiceSettings) -> None:
        self._factory = settings.pipeline_factory
        self._options = IngestOptions(max_bytes=settings.max_bytes)
        self._pipeline: Analysis | None = None
        self._lock = threading.Lock()

    def _run_pipeline(self, document: Document) -> Document:
        with self._lock:
            if self._pipeline is None:
                if self._factory is None:
                    # Here, not at the top: the pipeline imports spaCy, which the corpus
                    # endpoints (and `presslens serve --help`) do not need.
                    from presslens.pipeline import Pipeline

                    self._pipeline = Pipeline()
                else:
                    self._pipeline = self._factory()
            return self._pipeline(document)

    def __call__(self, raw: RawInput) -> Document:
        """The analysed Document; ApiError (422, 503) when the input or the analysis fails."""
        try:
            document = to_document(raw, self._options)
        except InputError as error:
            raise ApiError(422, error.reason) from None
        try:
            return self._run_pipeline(document)
        except ModelError as error:
            raise ApiError(503, str(error)) from None
        except Exception as error:  # as the CLI does: one document's failure is reported, not raised
            raise ApiError(422, f"analysis failed ({error.__class__.__name__}: {error})") from None


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The body, counted as it streams in (a body without Content-Length is limited too)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise ApiError(413, body_over_limit(max_bytes))
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data.strip():
        raise ApiError(400, "empty body: send a text, an HTML page or a JSON object")
    return data


def utf8(data: bytes) -> str:
    if b"\x00" in data:
        raise ApiError(400, "binary body: send UTF-8 text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "body is not UTF-8 text") from None


def parse_json(text: str, *, line_number: bool = True) -> Any:
    """The JSON value of ``text``; ApiError 400 when it is not JSON (``line_number``: say on
    which line of the body the error is; a batch names the line itself)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        where = f" (line {error.lineno})" if line_number else ""
        raise ApiError(400, f"invalid JSON: {error.msg}{where}") from None


def record_input(record: Any, source: str) -> RawInput:
    """The input a JSON record describes, with the fields and aliases JSONL takes (strictly:
    a field of the wrong type is refused, not converted); ApiError 422 when it is not one."""
    try:
        return raw_input_from_record(record, source, strict=True)
    except InputError as error:
        raise ApiError(422, error.reason) from None
