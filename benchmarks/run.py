"""Speed and memory of presslens against spaCy alone, on PolNeAR and PTC article texts.

    python benchmarks/run.py [--data DIR] [--limit N] [--repeats R] [--json OUT]

DIR holds polnear/{train,dev}/text/*.txt and ptc/train-articles/*.txt (default: shared/data
beside the repository). N articles are taken from each corpus, evenly spread over its sorted
file names (0 = all). Every measurement runs in a fresh subprocess of this script, so each
has its own cold start and its own peak RSS; rounds are interleaved (and their order
alternated) so machine noise falls on presslens and on the spaCy baseline alike.

To measure a new stage, add a Configuration to CONFIGURATIONS: it becomes one more row per
corpus, with its ratio to spaCy alone and its per-stage breakdown.

Processes: the rows run in one process, except "presslens analyze, 2 workers", which is
`presslens analyze --workers 2`: the inputs read here and analysed in two worker processes
of the local engine (presslens.engines.local.analyse_inputs, each worker with
torch.set_num_threads(cores // 2) and chunks of presslens.cli.analyze.chunk_size(2) inputs),
timed after both workers have loaded their models (that load is shown apart, as "pool
start"). For fairness its ratio is to "spaCy alone, 2 processes" (nlp.pipe with
n_process=2, the same texts, measured in the same run); its ratio to the one-process spaCy
is shown beside it. Its peak RSS is this process's plus every worker's (VmHWM, read
before the workers stop), the memory the machine needs for the run.
"""

from __future__ import annotations

# Only the standard library at module level: the child measurements time imports themselves.
import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata
from itertools import pairwise
from pathlib import Path
from typing import Any

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DEFAULT_LIMIT = 150
DEFAULT_REPEATS = 3
DEFAULT_BATCH = 8  # Pipeline.analyze_all's default, which `presslens analyze` uses
# Warm-up text, parsed before timing starts; long enough (40+ letters) for language detection.
WARM_UP = "The minister said on Monday that the plan would go ahead, whatever the unions say."
CHILD_FLAG = "--_child"


def corpus_files(data: Path) -> dict[str, list[Path]]:
    """The benchmark corpora: name -> sorted .txt files."""
    polnear = sorted(p for split in ("train", "dev") for p in (data / "polnear" / split / "text").glob("*.txt"))
    ptc = sorted((data / "ptc" / "train-articles").glob("*.txt"))
    return {"PolNeAR": polnear, "PTC": ptc}


def spread(files: list[Path], limit: int) -> list[Path]:
    """`limit` files evenly spread over the list (so every outlet and period is sampled); 0 = all."""
    if limit <= 0 or limit >= len(files):
        return files
    return [files[i * len(files) // limit] for i in range(limit)]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --- measured configurations -------------------------------------------------------------


@dataclass(frozen=True)
class Configuration:
    """One row per corpus. stages=None is the baseline: spaCy alone over the ingested texts.
    Otherwise a factory of the Pipeline stages, run as `presslens analyze` runs them."""

    name: str
    stages: Callable[[], list[Any]] | None = None
    # Processes doing the work: spaCy's nlp.pipe(n_process=...) for a baseline; worker
    # processes of `presslens analyze --workers` (every analysis stage) otherwise.
    processes: int = 1

    @property
    def is_baseline(self) -> bool:
        return self.stages is None


def _default_stages() -> list[Any]:
    from presslens.stages import default_stages

    return default_stages()


def _actor_stages() -> list[Any]:
    from presslens.stages import build_stages

    return build_stages(["actors"])


def _attribution_stages() -> list[Any]:
    from presslens.stages import build_stages

    return build_stages(["actors", "attribution"])


CONFIGURATIONS = [
    Configuration("spaCy alone"),
    Configuration("spaCy alone, 2 processes", processes=2),
    Configuration("presslens: actors", _actor_stages),
    Configuration("presslens: actors+attribution", _attribution_stages),
    Configuration("presslens analyze", _default_stages),  # whatever default_stages() holds
    Configuration("presslens analyze, 2 workers", _default_stages, processes=2),
]
BASELINE = CONFIGURATIONS[0]
NAME_WIDTH = max(len(c.name) for c in CONFIGURATIONS)


def baseline_of(configuration: Configuration) -> Configuration:
    """The baseline a row is compared with: spaCy alone in as many processes (else in one)."""
    same = [c for c in CONFIGURATIONS if c.is_baseline and c.processes == configuration.processes]
    return same[0] if same else BASELINE


# --- child measurements (each in a fresh process) ----------------------------------------


def child_startup(spec: dict[str, Any]) -> dict[str, Any]:
    """Import times, the one-time cost of the first ingest (it loads the language identifier)
    and the cold load of the spaCy pipeline through the registry, in a fresh process."""
    marks = [time.perf_counter()]
    import presslens

    marks.append(time.perf_counter())
    import presslens.pipeline  # noqa: F401  (pulls in spaCy, pydantic, the stages)

    marks.append(time.perf_counter())
    from presslens.ingest import IngestOptions, document_from_text

    marks.append(time.perf_counter())
    rss_imports = peak_rss_mb()
    document_from_text(WARM_UP, "<warm-up>", IngestOptions())
    marks.append(time.perf_counter())
    from presslens.models.loader import spacy_model

    nlp = spacy_model(spec["model"])
    marks.append(time.perf_counter())
    keys = ("import_presslens_s", "import_pipeline_s", "import_ingest_s", "first_ingest_s", "model_load_s")
    return {
        **dict(zip(keys, (end - start for start, end in pairwise(marks)), strict=True)),
        "peak_rss_imports_mb": rss_imports,
        "peak_rss_mb": peak_rss_mb(),
        "model": f"{nlp.meta.get('lang')}_{nlp.meta.get('name')} {nlp.meta.get('version')}",
        "pipe_names": nlp.pipe_names,
    }


class _Timer:
    """Seconds spent per part, accumulated from the outside of the callables."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def add(self, key: str, seconds: float) -> None:
        self.seconds[key] = self.seconds.get(key, 0.0) + seconds

    def iterate(self, items: Iterable[Any], key: str) -> Iterator[Any]:
        """Yields items, counting the time spent producing them (not consuming them) as `key`."""
        iterator = iter(items)
        while True:
            started = time.perf_counter()
            try:
                item = next(iterator)
            except StopIteration:
                self.add(key, time.perf_counter() - started)
                return
            self.add(key, time.perf_counter() - started)
            yield item

    def wrap(self, function: Callable[..., Any], key: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.add(key, time.perf_counter() - started)

        return timed


class _TimedLanguage:
    """A spaCy Language whose pipe and call are timed; everything else passes through."""

    def __init__(self, nlp: Any, timer: _Timer) -> None:
        self._nlp, self._timer = nlp, timer

    def pipe(self, texts: Iterable[str], **kwargs: Any) -> Iterator[Any]:
        return self._timer.iterate(self._nlp.pipe(texts, **kwargs), "spaCy")

    def __call__(self, text: str, **kwargs: Any) -> Any:
        return self._timer.wrap(self._nlp, "spaCy")(text, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._nlp, name)


class _TimedStage:
    def __init__(self, stage: Any, timer: _Timer) -> None:
        self.name, self._stage, self._timer = stage.name, stage, timer

    def __call__(self, analysis: Any) -> None:
        self._timer.wrap(self._stage, self.name)(analysis)

    def pipe(self, analyses: Any) -> None:
        # A stage that runs over a batch at once (the encoder) is timed over the batch.
        if hasattr(self._stage, "pipe"):
            self._timer.wrap(self._stage.pipe, self.name)(analyses)
        else:
            for analysis in analyses:
                self(analysis)


def child_spacy(spec: dict[str, Any], corpus: dict[str, Any], configuration: Configuration) -> dict[str, Any]:
    """The baseline: the same spaCy pipeline object over the texts presslens analyses (in
    ``configuration.processes`` processes: spaCy's own nlp.pipe(n_process=...), whose start
    is inside the timing, as its users get it)."""
    from presslens.models.loader import spacy_model

    nlp = spacy_model(spec["model"])
    texts = corpus["texts"]
    nlp(WARM_UP)
    rss_loaded = peak_rss_mb()
    started = time.perf_counter()
    parsed = nlp.pipe(texts, batch_size=spec["batch_size"], n_process=configuration.processes)
    articles = sum(1 for _ in parsed)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "articles": articles,
        "words": corpus["words"],
        "failed": 0,
        "peak_rss_loaded_mb": rss_loaded,
        "peak_rss_mb": peak_rss_mb(),
    }


def _count(results: Iterable[Any]) -> tuple[int, int, int]:
    """(articles analysed, their whitespace words, failures) of an analysis' results."""
    from presslens.document import Document

    articles = words = failed = 0
    for result in results:
        if isinstance(result, Document):
            articles += 1
            words += len(result.text.split())
        else:
            failed += 1
    return articles, words, failed


def child_presslens(spec: dict[str, Any], corpus: dict[str, Any], configuration: Configuration) -> dict[str, Any]:
    """What `presslens analyze FILES` does, minus writing the output: ingest from the files,
    then Pipeline.analyze_all. Ingest, spaCy, the nlp layers and each stage are timed by
    wrapping them from outside (a few microseconds per call)."""
    import presslens.pipeline as pipeline_module
    from presslens.ingest import IngestOptions, document_from_text, read_path
    from presslens.pipeline import Pipeline

    assert configuration.stages is not None
    timer = _Timer()

    class TimedPipeline(Pipeline):
        @property
        def nlp(self) -> Any:
            return _TimedLanguage(super().nlp, timer)

    pipeline = TimedPipeline(stages=[_TimedStage(s, timer) for s in configuration.stages()], spacy_name=spec["model"])
    if hasattr(pipeline_module, "add_nlp_layers"):
        pipeline_module.add_nlp_layers = timer.wrap(pipeline_module.add_nlp_layers, "nlp layers")  # type: ignore[attr-defined]
    options = IngestOptions()  # the defaults of `presslens analyze`
    # One-time costs stay out of the throughput (they are in the start-up table).
    pipeline(document_from_text(WARM_UP, "<warm-up>", options))
    first_document = dict(timer.seconds)  # mostly lazy model loads
    timer.seconds.clear()
    rss_loaded = peak_rss_mb()

    def items() -> Iterator[Any]:
        for name in corpus["files"]:
            yield from read_path(name, options)

    started = time.perf_counter()
    articles, words, failed = _count(
        pipeline.analyze_all(timer.iterate(items(), "ingest"), batch_size=spec["batch_size"])
    )
    seconds = time.perf_counter() - started
    parts = dict(timer.seconds)
    parts["other"] = seconds - sum(parts.values())
    return {
        "seconds": seconds,
        "articles": articles,
        "words": words,
        "failed": failed,
        "parts": parts,
        "first_document_parts": first_document,
        "peak_rss_loaded_mb": rss_loaded,
        "peak_rss_mb": peak_rss_mb(),
    }


def _children_peak_rss_mb() -> list[float]:
    """The peak RSS (VmHWM) of every live child process of this one (Linux /proc)."""
    peaks = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name, in parentheses, may hold spaces: the fields after it are plain.
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            if parent != os.getpid():
                continue
            for line in (stat.parent / "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
    return peaks


def child_presslens_workers(
    spec: dict[str, Any], corpus: dict[str, Any], configuration: Configuration
) -> dict[str, Any]:
    """What `presslens analyze --workers N FILES` does, minus writing the output: inputs read
    here, read into documents and analysed in N worker processes, results back in order."""
    from presslens.cli.analyze import chunk_size
    from presslens.engines.local import IngestSettings, WorkerPool, analyse_inputs
    from presslens.ingest import IngestOptions, ReadContext, read_inputs

    workers = configuration.processes
    options = IngestOptions()  # the defaults of `presslens analyze`
    settings = IngestSettings(
        spacy_name=spec["model"], options=options, workers=workers, batch_size=chunk_size(workers)
    )
    started = time.perf_counter()
    with WorkerPool(settings) as pool:
        pool.wait_ready()  # every worker has loaded its models (and analysed a warm-up text)
        pool_start = time.perf_counter() - started
        rss_loaded = peak_rss_mb() + sum(_children_peak_rss_mb())

        def items() -> Iterator[Any]:
            context = ReadContext(options.max_bytes)
            for name in corpus["files"]:
                yield from read_inputs(name, context)

        started = time.perf_counter()
        articles, words, failed = _count(analyse_inputs(items(), settings, pool))
        seconds = time.perf_counter() - started
        worker_peaks = _children_peak_rss_mb()
    return {
        "seconds": seconds,
        "articles": articles,
        "words": words,
        "failed": failed,
        "pool_start_s": pool_start,
        "batch_size": settings.batch_size,
        "peak_rss_loaded_mb": rss_loaded,
        "peak_rss_mb": peak_rss_mb() + sum(worker_peaks),
        "peak_rss_workers_mb": worker_peaks,
    }


def child_main(spec_path: str, out_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    try:
        if spec["task"] == "startup":
            result = child_startup(spec)
        else:
            corpus = json.loads(Path(spec["corpus_path"]).read_text())
            configuration = next(c for c in CONFIGURATIONS if c.name == spec["configuration"])
            if configuration.is_baseline:
                result = child_spacy(spec, corpus, configuration)
            elif configuration.processes > 1:
                result = child_presslens_workers(spec, corpus, configuration)
            else:
                result = child_presslens(spec, corpus, configuration)
    except Exception as error:  # reported in the table; the other rows still run
        result = {"error": f"{error.__class__.__name__}: {error}"}
    Path(out_path).write_text(json.dumps(result))


def run_child(spec: dict[str, Any], workdir: Path) -> dict[str, Any]:
    spec_path, out_path = workdir / "spec.json", workdir / "result.json"
    spec_path.write_text(json.dumps(spec))
    out_path.unlink(missing_ok=True)
    done = subprocess.run(
        [sys.executable, __file__, CHILD_FLAG, str(spec_path), str(out_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not out_path.exists():
        lines = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
        return {"error": lines[-1]}
    return json.loads(out_path.read_text())


# --- the parent: prepare, run rounds, report --------------------------------------------


def prepare_corpus(name: str, files: list[Path], workdir: Path) -> dict[str, Any]:
    """Ingest once here, to give the baseline the very texts presslens will analyse."""
    from presslens.document import Document
    from presslens.ingest import IngestOptions, read_path

    texts, failed = [], 0
    for file in files:
        for item in read_path(str(file), IngestOptions()):
            if isinstance(item, Document):
                texts.append(item.text)
            else:
                failed += 1
    corpus = {
        "name": name,
        "files": [str(f) for f in files],
        "texts": texts,
        "words": sum(len(t.split()) for t in texts),
        "failed": failed,
    }
    path = workdir / f"corpus-{name}.json"
    path.write_text(json.dumps(corpus))
    return {k: v for k, v in corpus.items() if k not in ("files", "texts")} | {"path": str(path), "n_files": len(files)}


def machine() -> dict[str, Any]:
    def version(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "-"

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "python": platform.python_version(),
        "versions": {p: version(p) for p in ("presslens", "spacy", "thinc", "blis", "numpy")},
        "load_average_start": os.getloadavg(),
    }


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest round of one row, with all its rounds kept."""
    done = [r for r in runs if "error" not in r]
    if not done:
        return {"error": runs[0]["error"] if runs else "not run", "runs": runs}
    best = min(done, key=lambda r: r["seconds"])
    return {
        "best_seconds": best["seconds"],
        "median_seconds": statistics.median(r["seconds"] for r in done),
        "articles": best["articles"],
        "words": best["words"],
        "failed": best["failed"],
        "articles_per_s": best["articles"] / best["seconds"],
        "words_per_s": best["words"] / best["seconds"],
        "peak_rss_loaded_mb": max(r["peak_rss_loaded_mb"] for r in done),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in done),
        "parts": best.get("parts"),
        "first_document_parts": best.get("first_document_parts"),
        "pool_start_s": [r["pool_start_s"] for r in done if "pool_start_s" in r] or None,
        "runs": runs,
    }


def _ratio(row: dict[str, Any], base: dict[str, Any]) -> tuple[float, tuple[float, float]] | None:
    """Row's words/s over the baseline's, best against best, and the range round by round."""
    if "words_per_s" not in base or "words_per_s" not in row:
        return None
    baseline_by_round = {b["round"]: b for b in base["runs"] if "error" not in b}
    per_round = [
        (r["words"] / r["seconds"]) / (b["words"] / b["seconds"])
        for r in row["runs"]
        if "error" not in r and (b := baseline_by_round.get(r["round"]))
    ]
    return row["words_per_s"] / base["words_per_s"], (min(per_round), max(per_round))


def add_ratios(rows: dict[str, dict[str, Any]]) -> None:
    """Each row's ratio to spaCy alone in as many processes ("ratio"), and for a row of
    several processes also to spaCy alone in one ("ratio_one_process")."""
    for configuration in CONFIGURATIONS:
        row = rows.get(configuration.name)
        if row is None or (configuration.is_baseline and configuration.processes == 1):
            continue
        base = baseline_of(configuration)
        if base is not configuration and (found := _ratio(row, rows.get(base.name, {}))):
            row["ratio_to"] = base.name
            row["ratio"], row["ratio_range"] = found
        if configuration.processes > 1 and (found := _ratio(row, rows.get(BASELINE.name, {}))):
            row["ratio_one_process"], row["ratio_one_process_range"] = found


def print_report(report: dict[str, Any]) -> None:
    m, s = report["machine"], report["settings"]
    print(f"machine: {m['cpu']}, {m['cores']} cores ({m['cores_usable']} usable), {m['platform']}")
    print("versions: python " + m["python"] + ", " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()))
    load = report["load_average"]
    print(f"load average (1 min) at start/end: {load[0]:.2f} / {load[1]:.2f}   (>{m['cores']} means other jobs ran)")
    st = report["startup"]
    print(
        f"model: {st.get('model')} {st.get('pipe_names')}; batch size {s['batch_size']}; "
        f"{s['repeats']} interleaved rounds, fastest shown"
    )
    for c in report["corpora"].values():
        print(
            f"corpus {c['name']}: {c['n_files']} files, {c['n_files'] - c['failed']} analysed, "
            f"{c['failed']} refused by ingest, {c['words']:,} words"
        )

    print("\nStart-up, each in a fresh process (best / worst of rounds):")
    rows = [
        ("import presslens", "import_presslens_s"),
        ("import presslens.pipeline (spaCy, pydantic, stages)", "import_pipeline_s"),
        ("import presslens.ingest (more, after the pipeline)", "import_ingest_s"),
        ("first ingest call (loads the language identifier)", "first_ingest_s"),
        ("spaCy model load via models.loader.spacy_model", "model_load_s"),
    ]
    done = [r for r in st["runs"] if "error" not in r]
    for label, key in rows if done else []:
        values = [r[key] for r in done]
        print(f"  {label:<52} {min(values):7.2f} s / {max(values):6.2f} s")
    if done:
        label = "peak RSS after imports / after model load"
        print(f"  {label:<52} {st['peak_rss_imports_mb']:7.0f} MB / {st['peak_rss_mb']:.0f} MB")
    for error in {r["error"] for r in st["runs"] if "error" in r}:
        print(f"  failed: {error}")
    for corpus, rows_ in report["throughput"].items():
        for name, row in rows_.items():
            for stage, seconds in (row.get("first_document_parts") or {}).items():
                if stage not in ("spaCy", "nlp layers") and seconds >= 0.05:
                    label = f"first document, stage {stage} ({corpus}, {name})"
                    print(f"  {label:<52} {seconds:7.2f} s   (lazy model load; out of the throughput)")
            if row.get("pool_start_s"):
                label = f"pool start, workers load models ({corpus}, {name})"
                low, high = min(row["pool_start_s"]), max(row["pool_start_s"])
                print(f"  {label:<52} {low:7.2f} s / {high:6.2f} s   (out of the throughput)")

    print(
        "\nThroughput (model load excluded; peak RSS of the process, with its workers', after load → after the run;"
        " ratios to spaCy alone in as many processes, [in one process]):"
    )
    print(
        f"  {'corpus':<8} {'configuration':<{NAME_WIDTH}} {'time s':>7} {'articles/s':>10} {'words/s':>8}"
        f" {'RSS MB':>13}  vs spaCy alone"
    )
    for corpus, rows_ in report["throughput"].items():
        for name, row in rows_.items():
            if "error" in row:
                print(f"  {corpus:<8} {name:<{NAME_WIDTH}} failed: {row['error']}")
                continue
            rss = f"{row['peak_rss_loaded_mb']:.0f} → {row['peak_rss_mb']:.0f}"
            ratio = ""
            if "ratio" in row:
                low, high = row["ratio_range"]
                ratio = f"{row['ratio']:.2f} × (rounds {low:.2f}–{high:.2f})"
            if "ratio_one_process" in row:
                low, high = row["ratio_one_process_range"]
                ratio += f"  [{row['ratio_one_process']:.2f} × (rounds {low:.2f}–{high:.2f})]"
            print(
                f"  {corpus:<8} {name:<{NAME_WIDTH}} {row['best_seconds']:7.1f} {row['articles_per_s']:10.2f} "
                f"{row['words_per_s']:8.0f} {rss:>13}  {ratio.strip()}"
            )

    print()
    for corpus, rows_ in report["throughput"].items():
        for name, row in rows_.items():
            if "ratio" in row:
                print(
                    f"{corpus}: {name} throughput = {row['ratio']:.2f} × {row['ratio_to']}"
                    f" ({row['articles_per_s']:.2f} articles/s; words/s, fastest rounds)"
                )
            if "ratio_one_process" in row:
                print(f"{corpus}: {name} throughput = {row['ratio_one_process']:.2f} × {BASELINE.name}")

    print("\nWhere presslens spends its time (fastest round, seconds and share of it):")
    for corpus, rows_ in report["throughput"].items():
        alone = rows_.get(BASELINE.name, {}).get("best_seconds")
        for name, row in rows_.items():
            if not row.get("parts"):
                continue
            total = row["best_seconds"]
            cells = "  ".join(f"{k} {v:.1f} ({v / total:.0%})" for k, v in row["parts"].items())
            print(f"  {corpus:<8} {name:<{NAME_WIDTH}} {cells}" + (f"   [spaCy alone: {alone:.1f}]" if alone else ""))

    # Each stage on its own: the words it gets through per second of its own time, against
    # spaCy parsing the same words alone in the same run (issue targets are per stage).
    print("\nEach stage alone (fastest round; words per second of the stage's own time):")
    for corpus, rows_ in report["throughput"].items():
        words = report["corpora"][corpus]["words"]
        alone = rows_.get(BASELINE.name, {}).get("words_per_s")
        for name, row in rows_.items():
            for stage, seconds in (row.get("parts") or {}).items():
                if stage in ("ingest", "other", "spaCy") or seconds <= 0:
                    continue
                rate = words / seconds
                ratio = f"  = {rate / alone:.2f} × spaCy alone" if alone else ""
                print(f"  {corpus:<8} {name:<{NAME_WIDTH}} {stage:<12} {rate:9.0f} words/s{ratio}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [CHILD_FLAG]:
        child_main(argv[1], argv[2])
        return 0
    names = [c.name for c in CONFIGURATIONS]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="corpora folder (default: %(default)s)")
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help="articles per corpus, 0 = all (%(default)s)")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS, help="interleaved rounds (%(default)s)")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH, help="documents per batch (%(default)s)")
    parser.add_argument("--model", default=None, help="spaCy pipeline: md, sm or a path (default: presslens's)")
    parser.add_argument(
        "--only", action="append", choices=names, metavar="NAME", help=f"measure only these rows (repeatable): {names}"
    )
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write all measurements as JSON here")
    args = parser.parse_args(argv)
    # The baseline always runs: every ratio needs it.
    configurations = [c for c in CONFIGURATIONS if not args.only or c.is_baseline or c.name in args.only]

    files = {name: spread(found, args.limit) for name, found in corpus_files(args.data).items() if found}
    if not files:
        parser.error(f"no corpus texts under {args.data}")
    report: dict[str, Any] = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "settings": {"limit": args.limit, "repeats": args.repeats, "batch_size": args.batch_size, "model": args.model},
    }
    broken: dict[str, str] = {}  # a configuration that failed once is not run again
    with tempfile.TemporaryDirectory(prefix="presslens-bench-") as tmp:
        workdir = Path(tmp)
        corpora = {name: prepare_corpus(name, found, workdir) for name, found in files.items()}
        report["corpora"] = corpora
        startups: list[dict[str, Any]] = []
        runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for round_ in range(args.repeats):
            startups.append(run_child({"task": "startup", "model": args.model}, workdir))
            # Alternate the order each round, so drift in machine load hits every row alike.
            order = configurations if round_ % 2 == 0 else configurations[::-1]
            for name, corpus in corpora.items():
                for configuration in order:
                    if configuration.name in broken:
                        continue
                    spec = {
                        "task": "measure",
                        "configuration": configuration.name,
                        "corpus_path": corpus["path"],
                        "model": args.model,
                        "batch_size": args.batch_size,
                    }
                    result = run_child(spec, workdir) | {"round": round_}
                    runs.setdefault((name, configuration.name), []).append(result)
                    if "error" in result:
                        broken[configuration.name] = result["error"]
                    done = f"failed: {result['error']}" if "error" in result else f"{result['seconds']:6.1f} s"
                    print(
                        f"  round {round_ + 1}/{args.repeats} {name:<8} {configuration.name:<{NAME_WIDTH}} {done}",
                        file=sys.stderr,
                    )
    report["load_average"] = (report["machine"]["load_average_start"][0], os.getloadavg()[0])
    good = [r for r in startups if "error" not in r]
    report["startup"] = {"runs": startups}
    if good:
        report["startup"] |= {
            "model": good[0]["model"],
            "pipe_names": good[0]["pipe_names"],
            "peak_rss_imports_mb": max(r["peak_rss_imports_mb"] for r in good),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in good),
        }
    throughput: dict[str, dict[str, Any]] = {}
    for name in corpora:
        rows = {
            c.name: summarise(runs.get((name, c.name)) or [{"error": broken.get(c.name, "not run")}])
            for c in configurations
        }
        add_ratios(rows)
        base = rows[BASELINE.name]
        for c_name, row in rows.items():
            if "articles" in row and "articles" in base and row["articles"] != base["articles"]:
                print(f"warning: {name}: {c_name} analysed {row['articles']} articles, baseline {base['articles']}")
        throughput[name] = rows
    report["throughput"] = throughput
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
        print(f"\nJSON: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
