"""The corpus ingest: inputs → (worker processes) analysed Documents → the store.

The parent process reads inputs (cheap: bytes and metadata), hands them to workers in
chunks, and alone writes to DuckDB, one document per transaction. Workers decode, extract,
clean and analyse; each builds its pipeline and loads its models once. A document whose
text is stored already (same Document.id, the sha256 of the text) is not analysed again,
so a rerun after a crash or a kill finishes the job: nothing already committed is lost, and
nothing is stored twice.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from presslens.actors.corpus import Aliases
from presslens.document import Document
from presslens.errors import InputError, PresslensError
from presslens.ingest import IngestOptions, RawInput, to_document
from presslens.ingest.raw import outlet_of
from presslens.ingest.readers import AUTO, ReadContext, expand_paths, keeps_text, read_files, total_bytes
from presslens.stages import ANALYSIS_STAGES, StageOptions, build_stages, stage_names
from presslens.store.store import Store

if TYPE_CHECKING:
    from presslens.pipeline import Pipeline  # spaCy: imported where a worker starts

WARM_UP = "The harbour minister said on Monday that the port of Calvetta would reopen."
# What a chunk gives back when the process analysing it died.
CRASHED = "the analysis process died"


class IngestAborted(PresslensError):
    """The ingest cannot go on at all (a model is missing): nothing more would be stored."""


@dataclass(frozen=True)
class IngestSettings:
    stages: tuple[str, ...] = ANALYSIS_STAGES  # the stages after the parse (presslens.stages)
    spacy_name: str | None = None
    technique_threshold: float | None = None
    options: IngestOptions = field(default_factory=IngestOptions)
    fmt: str = AUTO
    workers: int = 1
    batch_size: int = 8

    @property
    def stage_names(self) -> list[str]:
        return stage_names(self.stages)

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


def init_worker(settings: IngestSettings, known: frozenset[str], parent: int | None = None) -> None:
    """Build the pipeline and load its models, once per process; a model that cannot load
    is kept as the message every chunk then returns."""
    if parent is not None:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
        if settings.workers > 1 and "encoder" in settings.stages:
            import torch

            # Workers share the cores: each takes its share, not all of them.
            torch.set_num_threads(max(1, (os.cpu_count() or 1) // settings.workers))
    # The pipeline imports spaCy: here, so that importing the engine (every CLI command) stays cheap.
    from presslens.pipeline import Pipeline

    global _worker
    pipeline: Pipeline | str
    try:
        pipeline = Pipeline(
            stages=build_stages(settings.stages, StageOptions(technique_threshold=settings.technique_threshold)),
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
    chunks: Iterator[list[RawInput]], settings: IngestSettings, known: frozenset[str]
) -> Iterator[ChunkResult]:
    init_worker(settings, known)
    for chunk in chunks:
        yield chunk, analyse_chunk(chunk)


def _run_pool(
    chunks: Iterator[list[RawInput]], settings: IngestSettings, known: frozenset[str]
) -> Iterator[ChunkResult]:
    """Chunks through worker processes, a few in flight at a time so that reading never runs
    far ahead of analysis (a crawl need not fit in memory)."""
    context = multiprocessing.get_context("spawn")  # no fork: torch and DuckDB hold threads

    def start() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=settings.workers,
            mp_context=context,
            initializer=init_worker,
            initargs=(settings, known, os.getpid()),
        )

    pool = start()
    in_flight: dict[Future[list[Outcome] | str], list[RawInput]] = {}
    exhausted = False
    try:
        while in_flight or not exhausted:
            while not exhausted and len(in_flight) < 2 * settings.workers:
                chunk = next(chunks, None)
                if chunk is None:
                    exhausted = True
                else:
                    in_flight[pool.submit(analyse_chunk, chunk)] = chunk
            if not in_flight:
                break
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            broken = False
            for future in done:
                chunk = in_flight.pop(future)
                try:
                    yield chunk, future.result()
                except BrokenProcessPool:
                    broken = True
                    yield chunk, CRASHED
            if broken:
                # A worker died (out of memory, a crash in native code): the chunks it held
                # are failures, the pool starts again and the ingest goes on.
                for future, chunk in list(in_flight.items()):
                    future.cancel()
                    yield chunk, CRASHED
                in_flight.clear()
                pool.shutdown(wait=False, cancel_futures=True)
                pool = start()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


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
    run = _run_local if settings.workers <= 1 else _run_pool
    for chunk, result in run(chunks, settings, known):
        if result is CRASHED:
            for item in chunk:
                settle(Outcome(item.source, item.weight, reason=f"{CRASHED} (out of memory?); rerun to retry"))
        elif isinstance(result, str):
            raise IngestAborted(result)
        else:
            for outcome in result:
                settle(outcome)
    report.corpus_actors = store.resolve_actors(aliases)
    return report
