"""`presslens analyze` and `presslens schema`: articles in, analysed documents out."""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Iterator
from typing import IO

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from presslens.cli.errors import error_line
from presslens.cli.model_options import attribution_model, model_options
from presslens.cli.render import print_document
from presslens.document import Document, json_schema
from presslens.engines.local import IngestSettings, analyse_inputs, usable_cores
from presslens.errors import InputError, PresslensError
from presslens.ingest import (
    DEFAULT_MAX_BYTES,
    IngestOptions,
    RawInput,
    ReadContext,
    expand_paths,
    holds_many,
    read_inputs,
)
from presslens.stages import ANALYSIS_STAGES

FORMATS = ("json", "jsonl", "text")
BATCH_SIZE = 8  # documents parsed and encoded together in one process (Pipeline.analyze_all's default)
WORKER_CHUNK = 4  # inputs per chunk handed to a worker (see chunk_size)


class _Writer:
    """Writes documents as they come, so an interrupted batch keeps what was done."""

    def __init__(self, stream: IO[str], fmt: str, many: bool, to_terminal: bool) -> None:
        self.stream = stream
        self.format = fmt
        self.many = many
        self.count = 0
        self.console = Console(file=stream, force_terminal=to_terminal, soft_wrap=False, highlight=False)

    def write(self, document: Document) -> None:
        if self.format == "jsonl":
            self.stream.write(document.to_json() + "\n")
        elif self.format == "json" and not self.many:
            self.stream.write(document.to_json(indent=2) + "\n")
        elif self.format == "json":
            self.stream.write(("[\n" if self.count == 0 else ",\n") + document.to_json(indent=2))
        else:
            print_document(document, self.console)
        self.stream.flush()
        self.count += 1

    def close(self) -> None:
        if self.format == "json" and self.many:
            self.stream.write("[]\n" if self.count == 0 else "\n]\n")
        self.stream.flush()


def default_workers(many: bool) -> int:
    """Two worker processes for several inputs on two or more cores, else this process alone.

    Measured on 2 cores (benchmarks/run.py, "presslens analyze, 2 workers"): one process leaves
    a core idle while spaCy parses; two workers keep both busy. Each worker loads its own
    models (1.2 GB at peak), so more than two is asked for, not assumed.
    """
    return 2 if many and usable_cores() >= 2 else 1


def chunk_size(workers: int) -> int:
    """Inputs analysed together by one worker: the pipeline's batch in one process; smaller
    with workers, so that the last chunks keep every worker busy (a document's analysis
    never depends on the documents batched with it)."""
    return BATCH_SIZE if workers <= 1 else WORKER_CHUNK


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), help="Write here instead of stdout.")
@click.option("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, show_default=True, help="Refuse larger inputs.")
@click.option("--any-language", is_flag=True, help="Analyse text that is not English (with a warning).")
@click.option("--no-clean", is_flag=True, help="Keep site debris lines (offsets then match the file as read).")
@click.option(
    "--workers",
    type=int,
    default=None,
    help="Analysis processes, each loading the models once (about 1.5 GB at peak) and taking its share of the cores; "
    "the output is the same, in the same order. Default: 2 for several inputs on 2+ cores, else 1.",
)
@model_options
def analyze(
    paths: tuple[str, ...],
    fmt: str,
    out: str | None,
    max_bytes: int,
    any_language: bool,
    no_clean: bool,
    workers: int | None,
    spacy_name: str | None,
    attribution: str | None,
    technique_threshold: float | None,
    fact_checks: str | None,
) -> None:
    """Analyse articles: PATHS are .txt, .html, .html.gz, .jsonl, .warc(.gz) files, folders, or - for stdin.

    Bad inputs are reported one line each and skipped; the exit status is 1 if any failed.
    """
    if workers is not None and workers < 1:
        error_line(f"--workers: {workers} is not a number of processes (1 or more)")
        sys.exit(2)
    options = IngestOptions(max_bytes=max_bytes, english_only=not any_language, clean=not no_clean)
    files = expand_paths(paths)
    # One file in, one JSON object out; anything that can hold several gives a JSON list.
    many = len(files) > 1 or any(holds_many(f) for f in files)
    workers = workers or default_workers(many)
    settings = IngestSettings(
        stages=ANALYSIS_STAGES,
        spacy_name=spacy_name,
        technique_threshold=technique_threshold,
        attribution_model=attribution_model(attribution),
        fact_checks=fact_checks,
        options=options,
        workers=workers,
        batch_size=chunk_size(workers),
    )
    stream: IO[str] = open(out, "w", encoding="utf-8") if out else sys.stdout  # noqa: SIM115
    writer = _Writer(stream, fmt, many, to_terminal=not out and sys.stdout.isatty())
    failures: list[InputError] = []
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=len(files) < 2,
    )
    # The file each input came from, oldest first: results come back in input order, so the
    # files before the current result's are done.
    file_of: deque[int] = deque()

    def items() -> Iterator[RawInput | InputError]:
        context = ReadContext(max_bytes)
        for index, name in enumerate(files):
            for item in read_inputs(name, context):
                file_of.append(index)
                yield item

    try:
        with progress:
            task = progress.add_task("analysing", total=len(files), rate="")
            for result in analyse_inputs(items(), settings):
                progress.update(task, completed=file_of.popleft())
                if isinstance(result, InputError):
                    failures.append(result)
                    # Plain echo, never wrapped: one input, one line. The live bar redirects it.
                    click.echo(f"presslens: error: {result}", err=True)
                else:
                    writer.write(result)
                    elapsed = progress.tasks[0].elapsed or 0.0
                    if elapsed:
                        progress.update(task, rate=f"{writer.count / elapsed:.1f} docs/s")
            progress.update(task, completed=len(files))
        writer.close()
    except PresslensError as error:
        error_line(str(error))
        sys.exit(1)
    finally:
        if out:
            stream.close()
    if len(files) > 1 or (failures and writer.count):
        click.echo(f"presslens: {writer.count} analysed, {len(failures)} failed", err=True)
        for failure in failures:
            click.echo(f"  {failure}", err=True)
    if failures:
        sys.exit(1)


@click.command()
def schema() -> None:
    """Print the JSON Schema of the document output."""
    click.echo(json_schema())


COMMANDS = (analyze, schema)
