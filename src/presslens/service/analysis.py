"""Analysing what a client sends: the request body read within the limit, turned into a
RawInput (JSON records through ``presslens.ingest.records``, the same fields as JSONL), and
run through the pipeline. Nothing analysed is stored."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from fastapi import Request

from presslens.document import Document
from presslens.errors import InputError, ModelError
from presslens.ingest import IngestOptions, RawInput, to_document
from presslens.ingest.records import load_json, raw_input_from_record
from presslens.service.errors import ApiError
from presslens.service.security import body_over_limit
from presslens.service.settings import Analysis, ServiceSettings

MAX_BATCH_LINES = 200
Result = TypeVar("Result")


def _return_freed_memory() -> None:
    """Give the C heap's free pages back to the system (glibc's malloc_trim): after a burst
    of analyses the server's memory returns to its level instead of staying at its peak."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class Analyzer:
    """Analyses in a small pool of threads (``settings.analysis_workers``), each with its
    own pipeline built on its first analysis (models load once per thread; spaCy and the
    models are not made for concurrent calls on one pipeline), behind a bounded queue.

    Admission is counted, not queued blindly: at most ``settings.max_queue`` analyses wait
    beyond those running; past that a request is refused at once with 503 and a
    ``Retry-After`` of the time the queue ahead of it should take (the mean analysis time
    so far). Dedicated threads, not the server's thread pool of 40, keep the C heap's
    per-thread arenas (and so the memory after a burst) bounded by the pool's size."""

    def __init__(self, settings: ServiceSettings) -> None:
        self._factory = settings.pipeline_factory
        self._fact_checks = settings.fact_checks
        self._options = IngestOptions(max_bytes=settings.max_bytes)
        self.workers = settings.analysis_workers
        self.max_queue = settings.max_queue
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="presslens-analysis")
        self._local = threading.local()
        self._count = threading.Lock()
        self.admitted = 0  # running and waiting
        self._mean_seconds = 2.0  # a first guess for Retry-After, replaced by measured times

    def _pipeline(self) -> Analysis:
        pipeline: Analysis | None = getattr(self._local, "pipeline", None)
        if pipeline is None:
            if self._factory is None:
                # Here, not at the top: the pipeline imports spaCy, which the corpus
                # endpoints (and `presslens serve --help`) do not need.
                from presslens.pipeline import Pipeline
                from presslens.stages import ANALYSIS_STAGES, StageOptions, build_stages

                pipeline = Pipeline(stages=build_stages(ANALYSIS_STAGES, StageOptions(fact_checks=self._fact_checks)))
            else:
                pipeline = self._factory()
            self._local.pipeline = pipeline
        return pipeline

    def __call__(self, raw: RawInput) -> Document:
        """The analysed Document, in the calling thread; ApiError (422, 503) when the input
        or the analysis fails."""
        try:
            document = to_document(raw, self._options)
        except InputError as error:
            raise ApiError(422, error.reason) from None
        try:
            return self._pipeline()(document)
        except ModelError as error:
            raise ApiError(503, str(error)) from None
        except Exception as error:  # as the CLI does: one document's failure is reported, not raised
            raise ApiError(422, f"analysis failed ({error.__class__.__name__}: {error})") from None

    def _admit(self) -> None:
        with self._count:
            waiting = self.admitted - self.workers
            if waiting >= self.max_queue:
                ahead = waiting + 1
                retry = max(1, math.ceil(ahead * self._mean_seconds / self.workers))
                raise ApiError(
                    503,
                    f"busy: {self.admitted} analyses running or queued; retry after {retry} s",
                    headers={"Retry-After": str(retry)},
                )
            self.admitted += 1

    def _release(self, seconds: float) -> None:
        with self._count:
            self.admitted -= 1
            self._mean_seconds = 0.8 * self._mean_seconds + 0.2 * seconds
            idle = self.admitted == 0
        if idle:
            _return_freed_memory()

    async def run(self, job: Callable[[], Result]) -> Result:
        """``job`` (analyses through ``self``) in the pool, once admitted; 503 when the queue is full."""
        self._admit()
        started = time.perf_counter()
        try:
            return await asyncio.wrap_future(self._executor.submit(job))
        finally:
            self._release(time.perf_counter() - started)

    async def analyse(self, raw: RawInput) -> Document:
        return await self.run(lambda: self(raw))

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


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


def parse_json(text: str) -> Any:
    """The JSON value of ``text``; ApiError 400 when it is not JSON or nests too deep (the
    reader JSONL uses: a hostile body cannot make the server recurse)."""
    try:
        return load_json(text, "body")
    except InputError as error:
        raise ApiError(400, error.reason) from None


def record_input(record: Any, source: str) -> RawInput:
    """The input a JSON record describes, with the fields and aliases JSONL takes (strictly:
    a field of the wrong type is refused, not converted); ApiError 422 when it is not one."""
    try:
        return raw_input_from_record(record, source, strict=True)
    except InputError as error:
        raise ApiError(422, error.reason) from None
