"""The Ray engine: `presslens ingest --engine ray`, the local ingest's pipeline on Ray Data.

    files ──read (parallel tasks)──▶ work items ──analyse (actor pool)──▶ Parquet parts
                                                                      └─▶ manifest rows ──▶ driver

- Reading: one Ray task per input file (a WARC or JSONL file gives many items) turns files
  into work items (``RawInput``: bytes and metadata) through the readers of
  ``presslens.ingest.readers``, as the local engine reads them.
- Analysis: a pool of actors, each building the pipeline and loading its models once
  (``presslens.engines.local.init_worker``, the local workers' own code). Each batch of items
  becomes one Parquet part (``presslens.store.parts``), the store's per-document tables,
  written by the actor itself so that the analysed documents never pass through the driver
  as objects; the actor returns a small manifest row per input.
- The driver reads the manifest as it streams in: for a store, it loads each part into the
  store as soon as the part is reported (one transaction per part) and removes it; with
  ``--out DIR`` the parts stay, a Parquet dataset for DuckDB, Spark or Trino.

Exactly once: a document already in the store (or in the dataset) is skipped before
analysis; an actor killed mid-batch is restarted by Ray and its batch retried, which writes
the same part again; the store skips ids it holds, and ``parts.tidy`` keeps each document of
a dataset in one part. So a rerun finishes the job and nothing is stored twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import socket
import sys
import tempfile
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from presslens.actors.corpus import Aliases
from presslens.engines.local import IngestAborted, IngestReport, IngestSettings, Outcome, analyse_chunk, init_worker
from presslens.errors import InputError, PresslensError
from presslens.ingest import RawInput
from presslens.ingest.readers import ReadContext, expand_paths, read_inputs, total_bytes
from presslens.stages import build_stages
from presslens.store import parts
from presslens.store.rows import document_rows, empty_rows, extend_rows, failure_rows
from presslens.store.store import Store

# Documents per part: large enough that a corpus is not millions of small files, small
# enough that a retried batch costs little.
PART_SIZE = 32
INSTALL_HINT = "the Ray engine needs Ray: pip install 'presslens[ray]'"


class RayEngineError(PresslensError):
    """The Ray engine cannot run (Ray missing, no cluster at the address, bad options)."""


@dataclass(frozen=True)
class RaySettings:
    address: str | None = None  # None: start a local Ray instance for this run
    workers: int | None = None  # analysis actors; None: one per CPU of the cluster
    part_size: int = PART_SIZE
    cpus_per_worker: float = 1.0
    # Object store of a local instance: parts go to disk, so little is needed; Ray's own
    # default (30% of memory, in /dev/shm) fails where /dev/shm is small.
    object_store_bytes: int = 1_000_000_000


def ray_log_path() -> Path:
    return Path(tempfile.gettempdir()) / f"presslens-ray-{os.getpid()}.log"


@contextlib.contextmanager
def native_stderr_to(path: Path) -> Iterator[None]:
    """Send what native code writes to standard error (Ray's C++ core prints notices at
    "error" level on every run, e.g. that Ray Data's actors keep their constructor in the
    object store, which users would take for failures) to ``path``; Python's own
    ``sys.stderr`` (progress, the one-line errors) still reaches the terminal."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except (OSError, ValueError):  # no file descriptor 2, or no writable temp folder
        yield
        return
    python_stderr = sys.stderr
    sys.stderr = open(os.dup(saved), "w", buffering=1, encoding=getattr(python_stderr, "encoding", None) or "utf-8")  # noqa: SIM115
    os.dup2(target, 2)
    os.close(target)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        sys.stderr.close()
        sys.stderr = python_stderr
        with contextlib.suppress(OSError):
            if path.stat().st_size == 0:
                path.unlink()


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail fast when nothing listens at a cluster address: Ray itself retries for minutes."""
    if address in ("auto", "local"):
        return
    target = address.split("://", 1)[-1].rstrip("/")
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise RayEngineError(f"{address}: not a Ray address (HOST:PORT, e.g. head-node:6379, or ray://HOST:PORT)")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as error:
        reason = error.strerror or error.__class__.__name__
        raise RayEngineError(
            f"no Ray cluster answers at {address} ({reason}); is `ray start --head` running there?"
        ) from None


def _import_ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError:
        raise RayEngineError(INSTALL_HINT) from None
    return ray


def _quiet_ray() -> None:
    # Ray logs its start, each dataset's plan and progress bars to the terminal; the CLI
    # shows its own progress and one line per failure.
    for name in ("ray", "ray.data", "ray._private", "ray.util"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=r"ray(\..*)?")


def start_ray(settings: RaySettings) -> tuple[Any, bool]:
    """Connect to the cluster at ``settings.address`` or start a local instance; returns
    ray and whether this run started it (and so shuts it down)."""
    ray = _import_ray()
    _quiet_ray()
    if ray.is_initialized():
        return ray, False
    options: dict[str, Any] = {
        "include_dashboard": False,
        "log_to_driver": False,
        "logging_level": logging.ERROR,
        "configure_logging": True,
    }
    try:
        if settings.address:
            check_reachable(settings.address)
            ray.init(address=settings.address, **options)
        else:
            ray.init(object_store_memory=settings.object_store_bytes, **options)
    except RayEngineError:
        raise
    except ConnectionError as error:
        raise RayEngineError(f"no Ray cluster at {settings.address} ({error})") from None
    except Exception as error:
        where = settings.address or "a local instance"
        raise RayEngineError(f"Ray cannot start ({where}): {error.__class__.__name__}: {error}") from None
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    return ray, True


# --- the worker side ----------------------------------------------------------------------


def read_file(row: dict[str, Any], fmt: str, max_bytes: int) -> list[dict[str, Any]]:
    """One input file's inputs (pickled) and reading failures, as rows."""
    out = []
    for item in read_inputs(row["file"], ReadContext(max_bytes, _METADATA_FILES), fmt):
        if isinstance(item, InputError):
            out.append({"source": item.source, "weight": item.weight, "item": b"", "reason": item.reason})
        else:
            out.append({"source": item.source, "weight": item.weight, "item": pickle.dumps(item), "reason": ""})
    return out


# Metadata files a layout reads once for many articles, kept between the calls of a reading worker.
_METADATA_FILES: dict[Path, dict[str, dict[str, str]]] = {}


def part_name(run: str, sources: Sequence[str]) -> str:
    """A batch's part name: within a run, the same inputs give the same name, so a retried
    batch writes its part again instead of a second one; another run (a rerun, a later
    ingest into the same dataset) never overwrites this run's parts."""
    digest = hashlib.sha256("\n".join([run, *sorted(sources)]).encode("utf-8", "surrogatepass")).hexdigest()
    return f"part-{digest[:24]}"


class PartWriter:
    """A Ray Data actor: analyses batches of work items into Parquet parts."""

    def __init__(self, settings: IngestSettings, known: list[Any], folder: str, run: str) -> None:
        import ray

        self.folder = folder
        self.settings = settings
        self.run = run
        # ``known`` holds a reference to the ids in Ray's object store, not the ids: wrapped
        # in a list, Ray passes it as it is, and the constructor's arguments stay small
        # (an actor restarted after a crash gets them again from its creation record).
        init_worker(settings, ray.get(known[0]))

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa

        records = batch.to_pylist()
        name = part_name(self.run, [r["source"] for r in records])
        manifest: list[dict[str, Any]] = []
        items: list[RawInput] = []
        failures: list[tuple[str, str]] = []
        for record in records:
            if record["item"]:
                items.append(pickle.loads(record["item"]))
            else:
                failures.append((record["source"], record["reason"]))
                manifest.append(_entry(name, record["source"], record["weight"], "failed", reason=record["reason"]))
        result = analyse_chunk(items) if items else []
        if isinstance(result, str):  # the pipeline cannot run here at all (a model is missing)
            return pa.Table.from_pylist([_entry(name, "", 0, "fatal", reason=result)], schema=MANIFEST_SCHEMA)
        rows = empty_rows()
        seen: set[str] = set()
        for outcome in result:
            document = outcome.document
            if document is not None and document.id not in seen:
                seen.add(document.id)
                extend_rows(
                    rows,
                    document_rows(
                        document,
                        collection=outcome.collection,
                        external_id=outcome.external_id,
                        stages=self.settings.stage_names,
                    ),
                )
                manifest.append(_entry(name, outcome.source, outcome.weight, "stored", doc_id=document.id))
            elif document is not None or outcome.skipped:
                manifest.append(_entry(name, outcome.source, outcome.weight, "skipped"))
            else:
                failures.append((outcome.source, outcome.reason or "failed"))
                manifest.append(_entry(name, outcome.source, outcome.weight, "failed", reason=outcome.reason))
        if seen or failures:  # a batch of documents stored already leaves no part
            extend_rows(rows, failure_rows(failures))
            parts.write_part(self.folder, name, rows)
        return pa.Table.from_pylist(manifest, schema=MANIFEST_SCHEMA)


def _entry(part: str, source: str, weight: int, status: str, doc_id: str = "", reason: str | None = None) -> dict:
    return {
        "part": part,
        "source": source,
        "weight": weight,
        "status": status,
        "doc_id": doc_id,
        "reason": reason or "",
    }


def _manifest_schema() -> Any:
    try:
        import pyarrow as pa
    except ImportError:  # pyarrow comes with ray[data]; without it the engine says so later
        return None
    return pa.schema(
        [
            ("part", pa.string()),
            ("source", pa.string()),
            ("weight", pa.int64()),
            ("status", pa.string()),
            ("doc_id", pa.string()),
            ("reason", pa.string()),
        ]
    )


MANIFEST_SCHEMA = _manifest_schema()


# --- the driver side ----------------------------------------------------------------------


def default_parts_folder(store_path: str | Path) -> Path:
    """Where parts wait to be loaded into a store: beside it (on a cluster, a folder every
    node mounts)."""
    path = Path(store_path)
    return path.with_name(f"{path.name}.parts")


def load_dataset(store: Store, folder: str | Path, *, remove: bool = False) -> tuple[int, int]:
    """Load the complete parts of a dataset into ``store``; returns (documents stored,
    documents skipped as stored already). ``remove`` deletes each part once loaded."""
    stored = skipped = 0
    parts.tidy(folder)
    for name, rows in parts.iter_parts(folder):
        added = store.add_rows(rows)
        stored += len(added)
        skipped += len(rows["documents"]["id"]) - len(added)
        if remove:
            parts.remove_part(folder, name)
    if remove:
        parts.remove_dataset(folder)
    return stored, skipped


def ingest_ray(
    paths: Sequence[str],
    settings: IngestSettings | None = None,
    ray_settings: RaySettings | None = None,
    *,
    store: Store | None = None,
    out: str | Path | None = None,
    aliases: Aliases | None = None,
    on_outcome: Callable[[Outcome, IngestReport], None] | None = None,
    on_start: Callable[[IngestReport], None] | None = None,
) -> IngestReport:
    """Ingest ``paths`` on Ray into ``store`` or, with ``out``, into a Parquet dataset there
    (exactly one of the two)."""
    settings = settings or IngestSettings()
    ray_settings = ray_settings or RaySettings()
    if store is not None and out is None:
        folder = default_parts_folder(store.path)
    elif out is not None and store is None:
        folder = Path(out)
    else:
        raise RayEngineError("give a store or an output folder (--out), not both")
    build_stages(settings.stages)  # a bad stage name fails before any work
    files = expand_paths(paths, settings.fmt)
    if "-" in files:
        raise RayEngineError("standard input is read by the local engine only (--engine local)")
    report = IngestReport(total_bytes=total_bytes(files))
    if on_start:
        on_start(report)

    def settle(outcome: Outcome) -> None:
        report.done_bytes += outcome.weight
        if outcome.document_id and not outcome.skipped:
            report.stored += 1
        elif outcome.skipped:
            report.skipped += 1
        else:
            report.failed.append((outcome.source, outcome.reason or "failed"))
        if on_outcome:
            on_outcome(outcome, report)

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RayEngineError(f"{folder}: cannot create the folder ({error.strerror})") from None
    if store is not None:
        # Parts a killed run wrote but did not load: load them now, they are done work.
        load_dataset(store, folder)
        known = frozenset(store.known_ids())
    else:
        parts.tidy(folder)
        known = frozenset(parts.known_ids(folder))

    log = ray_log_path()
    with native_stderr_to(log):
        ray, started = start_ray(ray_settings)
        try:
            workers = ray_settings.workers or max(
                1, int(ray.cluster_resources().get("CPU", 1) // ray_settings.cpus_per_worker)
            )
            ingest_settings = replace(settings, workers=workers)
            dataset = _plan(ray, files, ingest_settings, ray_settings, known, str(folder.resolve()), workers)
            stored_by_part: dict[str, set[str]] = {}  # ids each loaded part added to the store
            for batch in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
                for entry in batch.to_pylist():
                    if entry["status"] == "fatal":
                        raise IngestAborted(entry["reason"])
                    name = entry["part"]
                    if store is not None and entry["status"] != "skipped" and name not in stored_by_part:
                        stored_by_part[name] = _load_part(store, folder, name)
                    outcome = Outcome(entry["source"], entry["weight"], reason=entry["reason"] or None)
                    if entry["status"] == "stored":
                        outcome.document_id = entry["doc_id"]
                        # Into a store: skipped when another part stored the same text first.
                        outcome.skipped = store is not None and entry["doc_id"] not in stored_by_part[name]
                    elif entry["status"] == "skipped":
                        outcome.skipped = True
                    settle(outcome)
        except PresslensError:
            raise
        except Exception as error:
            raise RayEngineError(f"{_ray_failure(error)} (Ray's messages: {log})") from None
        finally:
            if started:
                ray.shutdown()
    log.unlink(missing_ok=True)  # kept only when the run failed
    if store is not None:
        parts.remove_dataset(folder)
        report.corpus_actors = store.resolve_actors(aliases)
        report.narratives = store.link_claims().narratives
    else:
        tidied = parts.tidy(folder)
        # A document that two parts of this run held is counted once.
        report.stored -= tidied.duplicates
        report.skipped += tidied.duplicates
    return report


def _load_part(store: Store, folder: Path, name: str) -> set[str]:
    rows = parts.read_part(folder, name)
    added = set(store.add_rows(rows))
    parts.remove_part(folder, name)
    return added


def _plan(
    ray: Any,
    files: list[str],
    settings: IngestSettings,
    ray_settings: RaySettings,
    known: frozenset[str],
    folder: str,
    workers: int,
) -> Any:
    options = settings.reading_options()
    run = uuid.uuid4().hex
    blocks = max(1, min(len(files), 16 * workers))
    dataset = ray.data.from_items([{"file": f} for f in files], override_num_blocks=blocks)
    # Reading is light next to analysis: its tasks take no CPU of their own, so that they
    # never wait behind the actors that hold every core.
    dataset = dataset.flat_map(
        read_file,
        fn_kwargs={"fmt": settings.fmt, "max_bytes": options.max_bytes},
        num_cpus=0,
        compute=ray.data.TaskPoolStrategy(size=max(1, min(workers, 8))),
    )
    # Small runs get smaller parts, so that every actor has batches to work on.
    part_size = max(1, min(ray_settings.part_size, len(files) // (4 * workers)))
    return dataset.map_batches(
        PartWriter,
        fn_constructor_kwargs={"settings": settings, "known": [ray.put(known)], "folder": folder, "run": run},
        batch_size=part_size,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=workers),
        # Ray Data restarts a killed actor and runs its batch again (max_restarts and
        # max_task_retries are unlimited for its actor pools).
        num_cpus=ray_settings.cpus_per_worker,
    )


def _ray_failure(error: BaseException) -> str:
    if os.environ.get("PRESSLENS_DEBUG"):
        import traceback

        traceback.print_exception(error)
    text = str(error).strip().splitlines()
    first = next((line for line in text if line.strip()), error.__class__.__name__)
    return f"the Ray run failed: {error.__class__.__name__}: {first[:300]}"
