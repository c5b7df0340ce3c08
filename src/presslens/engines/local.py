"""The corpus ingest: inputs → (worker processes) analysed Documents → the store.

The parent process reads inputs (cheap: bytes and metadata), hands them to workers in
chunks, and alone writes to DuckDB, one document per transaction. Workers decode, extract,
clean and analyse; each builds its pipeline and loads its models once. A document whose
text is stored already (same Document.id, the sha256 of the text) is not analysed again,
so a rerun after a crash or a kill finishes the job: nothing already committed is lost, and
nothing is stored twice.

`presslens analyze --workers N` runs on the same workers (``analyse_inputs``): the parent
reads, the workers analyse chunks (``analyse_documents``), and the results come back in
input order, with every layer, to be written as one process writes them.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import TYPE_CHECKING, TypeVar

from presslens.actors.corpus import Aliases
from presslens.document import Document
from presslens.errors import InputError, PresslensError
from presslens.ingest import IngestOptions, RawInput, document_or_error, to_document
from presslens.ingest.raw import outlet_of
from presslens.ingest.readers import AUTO, ReadContext, expand_paths, keeps_text, read_files, total_bytes
from presslens.stages import ANALYSIS_STAGES, StageOptions, build_stages, stage_names
from presslens.store.store import Store

if TYPE_CHECKING:
    from presslens.pipeline import Pipeline  # spaCy: imported where a worker starts

WARM_UP = "The harbour minister said on Monday that the port of Calvetta would reopen."
# What an input gives back when the process analysing it died twice on it (see WorkerPool.run).
CRASHED = "the analysis process died on it twice (out of memory, or a crash in native code)"

Chunk = TypeVar("Chunk")
Item = TypeVar("Item")
Result = TypeVar("Result")


class IngestAborted(PresslensError):
    """The ingest cannot go on at all (a model is missing): nothing more would be stored."""


@dataclass(frozen=True)
class IngestSettings:
    stages: tuple[str, ...] = ANALYSIS_STAGES  # the stages after the parse (presslens.stages)
    spacy_name: str | None = None
    technique_threshold: float | None = None
    attribution_model: str | None = None  # the attribution tagger's registry name (None: the default)
    fact_checks: str | None = None  # a fact-check index folder for the claims stage
    options: IngestOptions = field(default_factory=IngestOptions)
    fmt: str = AUTO
    workers: int = 1
    batch_size: int = 8

    @property
    def stage_names(self) -> list[str]:
        return stage_names(self.stages)

    def stage_options(self) -> StageOptions:
        return StageOptions(
            technique_threshold=self.technique_threshold,
            attribution_model=self.attribution_model,
            fact_checks=self.fact_checks,
        )

    def reading_options(self) -> IngestOptions:
        # PolNeAR and PTC texts are kept as they are, so that the corpora's own annotation
        # offsets apply to the stored text.
        return replace(self.options, clean=False) if keeps_text(self.fmt) else self.options


@dataclass
class Outcome:
    """What became of one input in a worker."""

    source: str
    weight: int
    document: Document | None = None
    reason: str | None = None
    skipped: bool = False
    collection: str | None = None
    external_id: str | None = None
    document_id: str | None = None  # the stored document's id (set when settled)


@dataclass
class IngestReport:
    total_bytes: int = 0
    done_bytes: int = 0
    stored: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    corpus_actors: int = 0
    narratives: int = 0
    started: float = field(default_factory=time.perf_counter)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    @property
    def rate(self) -> float:
        """Documents stored per second."""
        return self.stored / self.elapsed if self.elapsed > 0 else 0.0


# --- the worker side ----------------------------------------------------------------------


@dataclass
class _WorkerState:
    """What ``init_worker`` leaves in a process for ``analyse_chunk``."""

    settings: IngestSettings
    known: frozenset[str]  # ids of the documents stored already
    # The ready pipeline, or why it cannot start (the message every chunk then returns).
    pipeline: Pipeline | str


_worker: _WorkerState | None = None


def _watch_parent(parent: int) -> None:
    # A worker whose parent was killed (kill -9 leaves no time to stop the pool) ends itself.
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(3)


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity: a container's or taskset's share)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def init_worker(settings: IngestSettings, known: frozenset[str], parent: int | None = None) -> None:
    """Build the pipeline and load its models, once per process; a model that cannot load
    is kept as the message every chunk then returns."""
    if parent is not None:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
        if settings.workers > 1 and "encoder" in settings.stages:
            import torch

            # Workers share the cores: each takes its share, not all of them.
            torch.set_num_threads(max(1, usable_cores() // settings.workers))
    # The pipeline imports spaCy: here, so that importing the engine (every CLI command) stays cheap.
    from presslens.pipeline import Pipeline

    global _worker
    pipeline: Pipeline | str
    try:
        pipeline = Pipeline(
            stages=build_stages(settings.stages, settings.stage_options()),
            spacy_name=settings.spacy_name,
        )
        pipeline(Document.from_text(WARM_UP))  # loads every model now, not on the first article
    except PresslensError as error:
        pipeline = str(error)
    except Exception as error:
        pipeline = f"the pipeline cannot start ({error.__class__.__name__}: {error})"
    _worker = _WorkerState(settings=settings, known=known, pipeline=pipeline)


def _prepare(item: RawInput, options: IngestOptions) -> Document:
    document = to_document(item, options)
    if not item.metadata.get("outlet") and document.url:
        # The URL's site names the outlet the same way across a crawl; a page's own site
        # name varies ("Breitbart", "Breitbart News").
        document.outlet = outlet_of(document.url) or document.outlet
    return document


def analyse_chunk(items: list[RawInput]) -> list[Outcome] | str:
    """Read and analyse a chunk of work items; a string is a fatal message (see init_worker)."""
    if _worker is None:
        raise RuntimeError("analyse_chunk runs in a process set up by init_worker")
    if isinstance(_worker.pipeline, str):
        return _worker.pipeline
    settings, pipeline = _worker.settings, _worker.pipeline
    options = settings.reading_options()
    outcomes: list[Outcome] = []
    pending: list[tuple[RawInput, Document]] = []
    for item in items:
        try:
            document = _prepare(item, options)
        except InputError as error:
            outcomes.append(Outcome(item.source, item.weight, reason=error.reason))
            continue
        except Exception as error:  # a reader's bug must not stop the other inputs
            reason = f"cannot be read ({error.__class__.__name__}: {error})"
            outcomes.append(Outcome(item.source, item.weight, reason=reason))
            continue
        if document.id in _worker.known:
            outcomes.append(Outcome(item.source, item.weight, skipped=True))
        else:
            pending.append((item, document))
    results = pipeline.analyze_all([d for _, d in pending], batch_size=settings.batch_size)
    for (item, _), result in zip(pending, results, strict=True):
        if isinstance(result, InputError):
            outcomes.append(Outcome(item.source, item.weight, reason=result.reason))
        else:
            # The store keeps neither tokens nor sentences; dropped here, they are not
            # pickled back to the parent (most of a Document's size).
            result.tokens, result.sentences = [], []
            outcomes.append(
                Outcome(
                    item.source, item.weight, document=result, collection=item.collection, external_id=item.external_id
                )
            )
    return outcomes


def analyse_documents(items: list[RawInput | InputError]) -> list[Document | InputError] | str:
    """`presslens analyze`'s chunk: each input read and analysed, one result per item in
    order (a failure, read or analysis, as an InputError). Unlike ``analyse_chunk`` the
    documents keep every layer and the metadata as read: what one process writes. A string
    is a fatal message (see init_worker)."""
    if _worker is None:
        raise RuntimeError("analyse_documents runs in a process set up by init_worker")
    if isinstance(_worker.pipeline, str):
        return _worker.pipeline
    options = _worker.settings.reading_options()
    documents = [document_or_error(item, options) for item in items]
    return list(_worker.pipeline.analyze_all(documents, batch_size=_worker.settings.batch_size))


def _worker_pid(seconds: float) -> int:
    # Held a moment, so that the next such call goes to another worker (see WorkerPool.wait_ready).
    time.sleep(seconds)
    return os.getpid()


# --- the parent side ----------------------------------------------------------------------


def _chunks(
    items: Iterable[RawInput | InputError], size: int, on_failure: Callable[[InputError], None]
) -> Iterator[list[RawInput]]:
    chunk: list[RawInput] = []
    for item in items:
        if isinstance(item, InputError):
            on_failure(item)
            continue
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# A chunk and what became of it: its outcomes, or a fatal message (see init_worker) or CRASHED.
ChunkResult = tuple[list[RawInput], list[Outcome] | str]


def _run_local(
    chunks: Iterator[Chunk],
    settings: IngestSettings,
    known: frozenset[str],
    task: Callable[[Chunk], Result | str],
) -> Iterator[tuple[Chunk, Result | str]]:
    init_worker(settings, known)
    for chunk in chunks:
        yield chunk, task(chunk)


class WorkerPool:
    """``settings.workers`` analysis processes, each set up once by ``init_worker`` (its
    pipeline built, its models loaded); started on first use, and again after a worker died."""

    def __init__(self, settings: IngestSettings, known: frozenset[str] = frozenset()) -> None:
        self.settings = settings
        self.known = known
        self._context = multiprocessing.get_context("spawn")  # no fork: torch and DuckDB hold threads
        self._pool = self._start()
        self.restarts = 0  # how often a dead worker made the pool start again

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.settings.workers,
            mp_context=self._context,
            initializer=init_worker,
            initargs=(self.settings, self.known, os.getpid()),
        )

    def wait_ready(self) -> None:
        """Return once every worker has started and loaded its models (a benchmark then
        times the analysis alone, as it does in one process)."""
        seen: set[int] = set()
        while len(seen) < self.settings.workers:
            calls = [self._pool.submit(_worker_pid, 0.2) for _ in range(self.settings.workers)]
            seen.update(call.result() for call in calls)

    def run(
        self, task: Callable[[list[Item]], Result | str], chunks: Iterator[list[Item]], ordered: bool = False
    ) -> Iterator[tuple[list[Item], Result | str]]:
        """Each chunk and ``task``'s result for it, as they finish or, ``ordered``, in the
        chunks' order. A few chunks are in flight at a time, so that reading never runs far
        ahead of analysis (a crawl need not fit in memory).

        A worker that dies (out of memory, a crash in native code) takes the pool down with
        the chunks in flight, and which input killed it is unknown. The pool starts again and
        those chunks' inputs are retried one at a time, each alone in the pool: the others
        are analysed, and the input that kills a worker a second time comes back as a chunk
        of its own with the result CRASHED."""
        in_flight: dict[Future[Result | str], tuple[list[Item], bool]] = {}  # in submission order
        suspects: deque[list[Item]] = deque()  # inputs of lost chunks, each to run alone
        exhausted = False
        while in_flight or suspects or not exhausted:
            if suspects:
                if not in_flight:
                    retry = suspects.popleft()
                    in_flight[self._pool.submit(task, retry)] = (retry, True)
            else:
                while not exhausted and len(in_flight) < 2 * self.settings.workers:
                    chunk = next(chunks, None)
                    if chunk is None:
                        exhausted = True
                    else:
                        in_flight[self._pool.submit(task, chunk)] = (chunk, False)
            if not in_flight:
                break
            if ordered:
                head = next(iter(in_flight))
                wait([head])
                done: Iterable[Future[Result | str]] = [head]
            else:
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            lost: list[tuple[list[Item], bool]] = []
            for future in done:
                chunk, retried = in_flight.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool:
                    lost.append((chunk, retried))
                else:
                    yield chunk, result
            if not lost:
                continue
            lost.extend(in_flight.values())  # the rest of the pool's work went down with it
            in_flight.clear()
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._start()
            self.restarts += 1
            for chunk, retried in lost:
                if retried:  # it ran alone: it is the input that kills a worker
                    yield chunk, CRASHED
                else:
                    suspects.extend([item] for item in chunk)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def _run_pool(
    chunks: Iterator[list[RawInput]], settings: IngestSettings, known: frozenset[str]
) -> Iterator[ChunkResult]:
    with WorkerPool(settings, known) as pool:
        yield from pool.run(analyse_chunk, chunks)


def ingest(
    store: Store,
    paths: Sequence[str],
    settings: IngestSettings = IngestSettings(),
    *,
    aliases: Aliases | None = None,
    on_outcome: Callable[[Outcome, IngestReport], None] | None = None,
    on_start: Callable[[IngestReport], None] | None = None,
) -> IngestReport:
    """Ingest ``paths`` into ``store``; returns what was stored, skipped and failed.
    ``on_outcome`` is called after every input is settled (for progress and logs)."""
    build_stages(settings.stages)  # a bad stage name fails before any work
    files = expand_paths(paths, settings.fmt)
    report = IngestReport(total_bytes=total_bytes(files))
    if on_start:
        on_start(report)
    known = frozenset(store.known_ids())

    def settle(outcome: Outcome) -> None:
        report.done_bytes += outcome.weight
        if outcome.document is not None:
            added = store.add(
                outcome.document,
                collection=outcome.collection,
                external_id=outcome.external_id,
                stages=settings.stage_names,
            )
            if added:
                outcome.document_id = outcome.document.id
                report.stored += 1
            else:  # the same text came twice in this run
                outcome.skipped = True
                report.skipped += 1
        elif outcome.skipped:
            report.skipped += 1
        else:
            reason = outcome.reason or "failed"
            store.add_failure(outcome.source, reason)
            report.failed.append((outcome.source, reason))
        if on_outcome:
            on_outcome(outcome, report)

    def reading_failure(failure: InputError) -> None:
        settle(Outcome(failure.source, failure.weight, reason=failure.reason))

    inputs = read_files(files, ReadContext(settings.options.max_bytes), settings.fmt)
    chunks = _chunks(inputs, settings.batch_size, reading_failure)
    if settings.workers <= 1:
        results = _run_local(chunks, settings, known, analyse_chunk)
    else:
        results = _run_pool(chunks, settings, known)
    for chunk, result in results:
        if result is CRASHED:
            for item in chunk:
                settle(Outcome(item.source, item.weight, reason=CRASHED))
        elif isinstance(result, str):
            raise IngestAborted(result)
        else:
            for outcome in result:
                settle(outcome)
    report.corpus_actors = store.resolve_actors(aliases)
    report.narratives = store.link_claims().narratives
    return report


# --- presslens analyze --------------------------------------------------------------------


def _analysis_chunks(items: Iterable[RawInput | InputError], size: int) -> Iterator[list[RawInput | InputError]]:
    # Reading failures travel in their chunk, to come back in their place among the results.
    chunk: list[RawInput | InputError] = []
    for item in items:
        chunk.append(item)
        if sum(isinstance(i, RawInput) for i in chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def analyse_inputs(
    items: Iterable[RawInput | InputError], settings: IngestSettings, pool: WorkerPool | None = None
) -> Iterator[Document | InputError]:
    """`presslens analyze`: every input read and analysed, in ``settings.workers`` processes
    (1: this one) or in ``pool``, one result per item in input order, a failure as an
    InputError (an input on which a worker died twice fails, see WorkerPool.run). A model that
    cannot load raises a PresslensError."""
    chunks = _analysis_chunks(items, settings.batch_size)
    owned = WorkerPool(settings) if pool is None and settings.workers > 1 else None
    results: Iterator[tuple[list[RawInput | InputError], list[Document | InputError] | str]]
    runner = pool or owned
    if runner is not None:
        results = runner.run(analyse_documents, chunks, ordered=True)
    else:
        results = _run_local(chunks, settings, frozenset(), analyse_documents)
    try:
        for chunk, result in results:
            if result is CRASHED:
                for item in chunk:
                    yield item if isinstance(item, InputError) else InputError(item.source, CRASHED)
            elif isinstance(result, str):
                raise PresslensError(result)
            else:
                yield from result
    finally:
        if owned is not None:
            owned.close()
