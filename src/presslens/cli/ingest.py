"""`presslens ingest` (analyse articles into a corpus store) and `presslens actors` (the corpus actors).

Errors reach the user as one line (PresslensError, caught by ``presslens.cli.run``); a store
that another process is writing is "store busy", exit status 1.
"""

from __future__ import annotations

import sys
import time

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from presslens.actors.corpus import load_aliases
from presslens.cli.model_options import attribution_model, model_options
from presslens.cli.options import emit, open_reader, output_options, store_option
from presslens.corpus.queries import list_actors
from presslens.engines import ENGINES, local
from presslens.engines.local import IngestAborted, IngestReport, IngestSettings, Outcome
from presslens.errors import PresslensError
from presslens.ingest import DEFAULT_MAX_BYTES, IngestOptions
from presslens.ingest.readers import AUTO, formats
from presslens.stages import ANALYSIS_STAGES, without
from presslens.store import Store

# --- ingest -------------------------------------------------------------------------------


@click.command()
@click.argument("paths", nargs=-1, required=True)
@store_option
@click.option(
    "--workers",
    type=click.IntRange(1, 4096),
    default=None,
    help="Analysis processes (local engine, default 1) or actors (Ray engine, default one per CPU of the cluster).",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="local",
    show_default=True,
    help="local: this machine's processes; ray: a Ray cluster (pip install 'presslens[ray]'), see docs/ray.md.",
)
@click.option("--address", help="Ray engine: the cluster's address (default: start a local Ray instance).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    help="Ray engine: keep the results as a Parquet dataset in this folder instead of loading them into the store.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(formats()),
    default=AUTO,
    show_default=True,
    help="auto: files, folders, JSONL, HTML, WARC; polnear/ptc: those corpora's layout and metadata.",
)
@click.option(
    "--skip",
    default="",
    help=f"Stages to leave out, comma-separated: {', '.join(ANALYSIS_STAGES)} "
    "(a stage that needs a skipped one is left out too: --skip actors also skips attribution; "
    "the encoder runs only for techniques).",
)
@model_options
@click.option("--max-bytes", type=int, default=None, help="Refuse larger inputs (default 2 MB).")
@click.option("--any-language", is_flag=True, help="Analyse text that is not English (with a warning).")
@click.option("--no-clean", is_flag=True, help="Keep site debris lines.")
@click.option("--aliases", type=click.Path(dir_okay=False), help="Actor alias file (YAML), see `presslens actors -h`.")
@click.option("-v", "--verbose", is_flag=True, help="A line for every input: stored, skipped or failed.")
def ingest(
    paths: tuple[str, ...],
    store_path: str,
    workers: int | None,
    engine: str,
    address: str | None,
    out_dir: str | None,
    fmt: str,
    skip: str,
    spacy_name: str | None,
    attribution: str | None,
    technique_threshold: float | None,
    fact_checks: str | None,
    max_bytes: int | None,
    any_language: bool,
    no_clean: bool,
    aliases: str | None,
    verbose: bool,
) -> None:
    """Analyse articles into a corpus store: what `analyze` reads (text, HTML, JSONL and WARC
    files, folders, -), or the PolNeAR and PTC layouts with their metadata (--format).

    Articles already stored (the same text) are skipped, so a rerun after an interruption
    finishes the job. Inputs that fail are recorded (`presslens store failures`) and the
    ingest goes on; the exit status is 1 if any failed.

    With --engine ray the same pipeline runs on Ray Data (a local instance, or the cluster at
    --address); --out DIR keeps its results as a Parquet dataset (`presslens store load DIR`
    loads one later).
    """
    skipped = {s.strip() for s in skip.split(",") if s.strip()}
    unknown = skipped - set(ANALYSIS_STAGES)
    if unknown:
        raise click.BadParameter(f"unknown stage(s) {', '.join(sorted(unknown))}; stages: {', '.join(ANALYSIS_STAGES)}")
    if engine == "local" and (address or out_dir):
        raise click.UsageError("--address and --out belong to the Ray engine: add --engine ray")
    settings = IngestSettings(
        stages=without(skipped),  # a stage that needs a skipped one is skipped too
        spacy_name=spacy_name,
        technique_threshold=technique_threshold,
        attribution_model=attribution_model(attribution),
        fact_checks=fact_checks,
        options=IngestOptions(
            max_bytes=max_bytes or DEFAULT_MAX_BYTES, english_only=not any_language, clean=not no_clean
        ),
        fmt=fmt,
        workers=workers or 1,
    )
    alias_file = load_aliases(aliases) if aliases else None
    console = Console(stderr=True)
    progress = Progress(
        TextColumn("ingesting"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[status]}"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    task = progress.add_task("ingest", total=None, status="")
    last_line = [time.monotonic()]

    def status(report: IngestReport) -> str:
        return f"{report.stored} stored · {report.skipped} skipped · {len(report.failed)} failed · {report.rate:.1f}/s"

    def on_start(report: IngestReport) -> None:
        progress.update(task, total=max(report.total_bytes, 1))

    def on_outcome(outcome: Outcome, report: IngestReport) -> None:
        if outcome.document_id is not None and not outcome.skipped:
            if verbose:
                click.echo(f"stored {outcome.document_id} {outcome.source}", err=True)
        elif outcome.skipped:
            if verbose:
                click.echo(f"skipped {outcome.source} (already stored)", err=True)
        else:
            click.echo(f"presslens: error: {outcome.source}: {outcome.reason}", err=True)
        progress.update(task, completed=min(report.done_bytes, report.total_bytes), status=status(report))
        if not console.is_terminal and not verbose and time.monotonic() - last_line[0] > 30:
            # Logs of long runs get a line every half minute instead of a bar.
            last_line[0] = time.monotonic()
            share = report.done_bytes / report.total_bytes if report.total_bytes else 0
            click.echo(f"presslens: ingest: {status(report)} · {share:.0%} of input", err=True)

    def run_local(store: Store) -> IngestReport:
        return local.ingest(store, paths, settings, aliases=alias_file, on_outcome=on_outcome, on_start=on_start)

    def run_ray(store: Store | None) -> IngestReport:
        # Imported here: the Ray engine loads pyarrow, which the local engine does not need.
        from presslens.engines.ray_engine import RaySettings, ingest_ray

        return ingest_ray(
            paths,
            settings,
            RaySettings(address=address, workers=workers),
            store=store,
            out=out_dir,
            aliases=alias_file,
            on_outcome=on_outcome,
            on_start=on_start,
        )

    try:
        if out_dir:  # the Ray engine's (refused above for the local one)
            with progress:
                report = run_ray(None)
        else:
            with Store(store_path) as store, progress:
                report = run_local(store) if engine == "local" else run_ray(store)
    except IngestAborted as error:
        stage = next((s for s in ("attribution", "technique") if s in str(error).lower()), None)
        hint = f" (leave the stage out: --skip {stage}{'s' if stage == 'technique' else ''})" if stage else ""
        raise PresslensError(f"ingest stopped: {error}{hint}") from None
    except KeyboardInterrupt:
        click.echo("presslens: interrupted: what was stored is kept; run the same command to finish", err=True)
        sys.exit(130)
    where = (
        f"the Parquet dataset {out_dir}"
        if out_dir
        else (f"{report.corpus_actors} corpus actors, {report.narratives} narratives in {store_path}")
    )
    click.echo(
        f"presslens: {report.stored} stored, {report.skipped} skipped (already stored), {len(report.failed)} failed "
        f"in {report.elapsed:.1f} s ({report.rate:.2f} articles/s); {where}",
        err=True,
    )
    if report.failed:
        for source, reason in report.failed[:20]:
            click.echo(f"  {source}: {reason}", err=True)
        if len(report.failed) > 20:
            click.echo(f"  ... and {len(report.failed) - 20} more (presslens store failures)", err=True)
        sys.exit(1)


# --- actors -------------------------------------------------------------------------------


@click.command()
@store_option
@click.option("--kind", type=click.Choice(["person", "organisation", "place", "group"]), default=None)
@click.option("--match", help="Only actors with a name or variant containing this.")
@click.option("--min-documents", type=int, default=1, show_default=True)
@click.option("--limit", type=int, default=50, show_default=True, help="0 for all.")
@click.option(
    "--aliases", type=click.Path(dir_okay=False), help="Apply this alias file (kept in the store) and regroup."
)
@click.option("--rebuild", is_flag=True, help="Regroup the corpus actors (with the alias file kept in the store).")
@output_options
def actors(
    store_path: str,
    kind: str | None,
    match: str | None,
    min_documents: int,
    limit: int,
    aliases: str | None,
    rebuild: bool,
    fmt: str,
    out: str | None,
) -> None:
    """List the corpus actors: one person or organisation across articles, with the number
    of articles, mentions, statements it made and statements about it.

    Names are grouped across articles by rules (titles, initials, acronyms, transliterations,
    bare surnames). An alias file (YAML) corrects them by hand:

    \b
      merge:
        - name: Hassan Rouhani          # the name to show
          kind: person                  # optional
          variants: [Rohani, Hasan Rowhani]
      split:
        - [George W. Bush, George H. W. Bush]   # never one actor
    """
    if aliases or rebuild:
        alias_file = load_aliases(aliases) if aliases else None
        with Store(store_path) as store:
            store.resolve_actors(alias_file)
    with open_reader(store_path) as store:
        rows = list_actors(store, kind=kind, match=match, min_documents=min_documents, limit=limit or None)
    emit(
        rows,
        fmt,
        out,
        columns=["id", "name", "kind", "documents", "mentions", "statements", "about", "variants"],
        wide=["variants"],
    )


COMMANDS = (ingest, actors)
