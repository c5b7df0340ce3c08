"""Corpus commands: `presslens ingest`, `actors`, `query ...`, `report` and `store ...`.

Errors reach the user as one line (PresslensError, caught by ``presslens.cli.run``); a store
that another process is writing is "store busy", exit status 1.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import datetime
from typing import IO, Any, TypeVar

import click

from presslens.engines import ENGINES
from presslens.errors import PresslensError

F = TypeVar("F", bound=Callable[..., Any])

STORE_HELP = "The store file (default ./presslens.duckdb, or $PRESSLENS_STORE)."


def _store_option(function: F) -> F:
    return click.option(
        "--store", "store_path", default="presslens.duckdb", envvar="PRESSLENS_STORE", show_envvar=True, help=STORE_HELP
    )(function)


def _output_options(function: F) -> F:
    from presslens.cli.output import OUTPUT_FORMATS

    function = click.option("--format", "fmt", type=click.Choice(OUTPUT_FORMATS), default="table", show_default=True)(
        function
    )
    return click.option("--out", type=click.Path(dir_okay=False), help="Write here instead of stdout.")(function)


def _filter_options(function: F) -> F:
    # Applied last to first, so that help lists them as written: outlet, since, until.
    function = click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Up to this date, included.")(function)
    function = click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="From this date (YYYY-MM-DD).")(function)
    return click.option("--outlet", help="Only this outlet's articles (a part of its name will do).")(function)


def _filters(outlet: str | None, since: datetime | None, until: datetime | None) -> Any:
    from presslens.corpus.queries import Filters

    return Filters(outlet=outlet, since=since.date() if since else None, until=until.date() if until else None)


def _emit(rows: list[Any], fmt: str, out: str | None, **kwargs: Any) -> None:
    from presslens.cli.output import write_rows

    if out:
        try:
            stream: IO[str] = open(out, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as error:
            raise PresslensError(f"{out}: cannot be written ({error.strerror})") from None
        with stream:
            write_rows(rows, fmt, stream, **kwargs)
    else:
        write_rows(rows, fmt, sys.stdout, to_terminal=sys.stdout.isatty(), **kwargs)


def _reader(store_path: str) -> Any:
    from presslens.store import Store

    return Store(store_path, read_only=True)


# --- ingest -------------------------------------------------------------------------------


@click.command()
@click.argument("paths", nargs=-1, required=True)
@_store_option
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
    type=click.Choice(["auto", "polnear", "ptc"]),
    default="auto",
    show_default=True,
    help="auto: files, folders, JSONL, HTML, WARC; polnear/ptc: those corpora's layout and metadata.",
)
@click.option("--skip", default="", help="Stages to leave out, comma-separated: actors, attribution, techniques.")
@click.option("--model", "spacy_name", default=None, help="spaCy pipeline: md (default), sm, or a path.")
@click.option(
    "--technique-threshold",
    type=click.FloatRange(0.01, 0.99),
    default=None,
    help="Mark text whose technique probability is above this (default: the model's tuned value).",
)
@click.option("--max-bytes", type=int, default=None, help="Refuse larger inputs (default 5 MB).")
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
    technique_threshold: float | None,
    max_bytes: int | None,
    any_language: bool,
    no_clean: bool,
    aliases: str | None,
    verbose: bool,
) -> None:
    """Analyse articles into a corpus store: what `analyze` reads, plus WARC files (.warc,
    .warc.gz) and the PolNeAR and PTC layouts (--format).

    Articles already stored (the same text) are skipped, so a rerun after an interruption
    finishes the job. Inputs that fail are recorded (`presslens store failures`) and the
    ingest goes on; the exit status is 1 if any failed.

    With --engine ray the same pipeline runs on Ray Data (a local instance, or the cluster at
    --address); --out DIR keeps its results as a Parquet dataset (`presslens store load DIR`
    loads one later).
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

    from presslens.actors.corpus import load_aliases
    from presslens.engines.local import STAGES, IngestAborted, IngestReport, IngestSettings, Outcome, ingest
    from presslens.ingest import DEFAULT_MAX_BYTES, IngestOptions
    from presslens.store import Store

    skipped = {s.strip() for s in skip.split(",") if s.strip()}
    unknown = skipped - set(STAGES)
    if unknown:
        raise click.BadParameter(f"unknown stage(s) {', '.join(sorted(unknown))}; stages: {', '.join(STAGES)}")
    if "actors" in skipped:
        skipped.add("attribution")  # speakers and targets are actors
    if engine == "local" and (address or out_dir):
        raise click.UsageError("--address and --out belong to the Ray engine: add --engine ray")
    settings = IngestSettings(
        stages=tuple(s for s in STAGES if s not in skipped),
        spacy_name=spacy_name,
        technique_threshold=technique_threshold,
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

    def run(store: Any) -> IngestReport:
        if engine == "local":
            return ingest(store, paths, settings, aliases=alias_file, on_outcome=on_outcome, on_start=on_start)
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
        if out_dir:
            with progress:
                report = run(None)
        else:
            with Store(store_path) as store, progress:
                report = run(store)
    except IngestAborted as error:
        stage = next((s for s in ("attribution", "technique") if s in str(error).lower()), None)
        hint = f" (leave the stage out: --skip {stage}{'s' if stage == 'technique' else ''})" if stage else ""
        raise PresslensError(f"ingest stopped: {error}{hint}") from None
    except KeyboardInterrupt:
        click.echo("presslens: interrupted: what was stored is kept; run the same command to finish", err=True)
        sys.exit(130)
    where = f"the Parquet dataset {out_dir}" if out_dir else f"{report.corpus_actors} corpus actors in {store_path}"
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
@_store_option
@click.option("--kind", type=click.Choice(["person", "organisation", "place", "group"]), default=None)
@click.option("--match", help="Only actors with a name or variant containing this.")
@click.option("--min-documents", type=int, default=1, show_default=True)
@click.option("--limit", type=int, default=50, show_default=True, help="0 for all.")
@click.option(
    "--aliases", type=click.Path(dir_okay=False), help="Apply this alias file (kept in the store) and regroup."
)
@click.option("--rebuild", is_flag=True, help="Regroup the corpus actors (with the alias file kept in the store).")
@_output_options
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
    from presslens.actors.corpus import load_aliases
    from presslens.corpus.queries import list_actors
    from presslens.store import Store

    if aliases or rebuild:
        alias_file = load_aliases(aliases) if aliases else None
        with Store(store_path) as store:
            store.resolve_actors(alias_file)
    with _reader(store_path) as store:
        rows = list_actors(store, kind=kind, match=match, min_documents=min_documents, limit=limit or None)
    _emit(
        rows,
        fmt,
        out,
        columns=["id", "name", "kind", "documents", "mentions", "statements", "about", "variants"],
        wide=["variants"],
    )


# --- questions ----------------------------------------------------------------------------


@click.group()
def query() -> None:
    """Ask the corpus store: statements by or about an actor, technique profiles, top
    speakers, the co-mention network, full-text search, outlets."""


@query.command("statements-by")
@click.argument("actor")
@_store_option
@_filter_options
@click.option("--limit", type=int, default=100, show_default=True, help="0 for all.")
@_output_options
def statements_by_command(
    actor: str,
    store_path: str,
    outlet: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    fmt: str,
    out: str | None,
) -> None:
    """What ACTOR said (a name, a variant or #id): article, outlet, date, kind, content."""
    from presslens.corpus.queries import statements_by

    with _reader(store_path) as store:
        rows = statements_by(store, actor, _filters(outlet, since, until), limit=limit or None)
    _emit(
        rows,
        fmt,
        out,
        columns=["published", "outlet", "title", "kind", "speaker", "cue", "content", "targets"],
        wide=["content"],
    )


@query.command("statements-about")
@click.argument("actor")
@_store_option
@_filter_options
@click.option("--limit", type=int, default=50, show_default=True, help="Speakers, those who said most first; 0: all.")
@click.option("--per-speaker", type=int, default=5, show_default=True, help="Latest statements shown per speaker.")
@_output_options
def statements_about_command(
    actor: str,
    store_path: str,
    outlet: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    per_speaker: int,
    fmt: str,
    out: str | None,
) -> None:
    """What is said about ACTOR (it is among a statement's targets), grouped by speaker.

    JSON gives each speaker's latest statements (--per-speaker); a table or CSV shows one row
    per speaker with the latest statement."""
    from presslens.corpus.queries import statements_about

    with _reader(store_path) as store:
        groups = statements_about(
            store, actor, _filters(outlet, since, until), limit=limit or None, per_speaker=per_speaker
        )
    if fmt == "json":
        _emit(groups, fmt, out)
        return
    rows = [
        {
            "speaker": g.speaker,
            "speaker_id": g.speaker_id,
            "statements": g.statements,
            "documents": g.documents,
            "outlets": g.outlets,
            "latest": g.items[-1].content,
        }
        for g in groups
    ]
    _emit(rows, fmt, out, columns=list(rows[0]) if rows else ["speaker"], wide=["latest"])


@query.command("techniques")
@_store_option
@_filter_options
@click.option("--by", type=click.Choice(["outlet", "month"]), default="outlet", show_default=True)
@_output_options
def techniques_command(
    store_path: str,
    outlet: str | None,
    since: datetime | None,
    until: datetime | None,
    by: str,
    fmt: str,
    out: str | None,
) -> None:
    """Technique profile per outlet or per month: spans, per 1,000 words, share of text.

    The '(all)' row counts every span and the share of text inside any of them. Only
    articles ingested with the techniques stage count."""
    from presslens.corpus.queries import technique_profile

    with _reader(store_path) as store:
        rows = technique_profile(store, _filters(outlet, since, until), by=by)
    _emit(rows, fmt, out)


@query.command("speakers")
@_store_option
@_filter_options
@click.option("--limit", type=int, default=10, show_default=True, help="Speakers per outlet.")
@_output_options
def speakers_command(
    store_path: str,
    outlet: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    fmt: str,
    out: str | None,
) -> None:
    """The actors each outlet quotes most (share: of its statements with a known speaker)."""
    from presslens.corpus.queries import top_speakers

    with _reader(store_path) as store:
        rows = top_speakers(store, _filters(outlet, since, until), limit=limit)
    _emit(rows, fmt, out)


@query.command("network")
@_store_option
@_filter_options
@click.option("--actor", help="Only the edges of this actor (an ego network).")
@click.option("--kinds", default="person,organisation", show_default=True, help="Actor kinds, comma-separated.")
@click.option("--min-documents", type=int, default=2, show_default=True, help="Fewest shared articles for an edge.")
@click.option("--max-actors", type=int, default=200, show_default=True, help="The most frequent actors kept.")
@click.option("--graphml", type=click.Path(dir_okay=False), help="Write the network as GraphML here.")
@_output_options
def network_command(
    store_path: str,
    outlet: str | None,
    since: datetime | None,
    until: datetime | None,
    actor: str | None,
    kinds: str,
    min_documents: int,
    max_actors: int,
    graphml: str | None,
    fmt: str,
    out: str | None,
) -> None:
    """Actors named in the same articles: the edges, heaviest first (and GraphML)."""
    from presslens.corpus.queries import co_mentions, write_graphml

    chosen = tuple(k.strip() for k in kinds.split(",") if k.strip())
    with _reader(store_path) as store:
        network = co_mentions(
            store,
            _filters(outlet, since, until),
            actor=actor,
            kinds=chosen,
            min_documents=min_documents,
            max_actors=max_actors,
        )
    if graphml:
        write_graphml(network, graphml)
        click.echo(f"presslens: {len(network.nodes)} actors, {len(network.edges)} edges in {graphml}", err=True)
    _emit(network.edges, fmt, out, columns=["source_name", "target_name", "documents", "source", "target"])


@query.command("search")
@click.argument("text", default="")
@_store_option
@_filter_options
@click.option("--actor", help="Only articles that name this actor.")
@click.option("--technique", help="Only articles that use this technique.")
@click.option("--limit", type=int, default=20, show_default=True)
@_output_options
def search_command(
    text: str,
    store_path: str,
    outlet: str | None,
    since: datetime | None,
    until: datetime | None,
    actor: str | None,
    technique: str | None,
    limit: int,
    fmt: str,
    out: str | None,
) -> None:
    """Articles with every word of TEXT ("quoted phrases" as written), best first."""
    from presslens.corpus.queries import search

    with _reader(store_path) as store:
        rows = search(store, text, _filters(outlet, since, until), actor=actor, technique=technique, limit=limit)
    _emit(rows, fmt, out, columns=["published", "outlet", "title", "score", "snippet", "doc_id"], wide=["snippet"])


@query.command("outlets")
@_store_option
@_filter_options
@_output_options
def outlets_command(
    store_path: str, outlet: str | None, since: datetime | None, until: datetime | None, fmt: str, out: str | None
) -> None:
    """Outlets with their articles, words, dates, statements and technique spans."""
    from presslens.corpus.queries import outlets

    with _reader(store_path) as store:
        rows = outlets(store, _filters(outlet, since, until))
    _emit(rows, fmt, out)


# --- report -------------------------------------------------------------------------------


@click.command()
@_store_option
@_filter_options
@click.option("--actor", help="Add what this actor says and what is said about it.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the report.")
def report(
    store_path: str,
    outlet: str | None,
    since: datetime | None,
    until: datetime | None,
    actor: str | None,
    out_dir: str,
) -> None:
    """Write an HTML report with charts (technique profiles, timelines, top speakers), and
    the same charts as PNG, into a folder."""
    from presslens.corpus.report import write_report

    with _reader(store_path) as store:
        index = write_report(store, out_dir, _filters(outlet, since, until), actor=actor)
    click.echo(f"presslens: report in {index}", err=True)


# --- the store itself ---------------------------------------------------------------------


@click.group("store")
def store_group() -> None:
    """The store file: what it holds, its failures, Parquet export, schema migration."""


@store_group.command("info")
@_store_option
@_output_options
def info_command(store_path: str, fmt: str, out: str | None) -> None:
    """Schema version and the rows of every table."""
    from presslens.store.schema import TABLES

    with _reader(store_path) as store:
        counts = store.counts()
        version = store.version()
        first, last = store.query("SELECT min(published), max(published) FROM documents")[0]
    rows: list[dict[str, Any]] = [{"what": "schema version", "value": version}]
    rows += [{"what": f"{table} rows", "value": counts[table]} for table in TABLES]
    rows.append({"what": "dates", "value": f"{first or '?'} to {last or '?'}"})
    _emit(rows, fmt, out)


@store_group.command("failures")
@_store_option
@_output_options
def failures_command(store_path: str, fmt: str, out: str | None) -> None:
    """Inputs that could not be stored, with the reason (a later success clears them)."""
    with _reader(store_path) as store:
        rows = [
            {"source": s, "reason": r, "attempts": a, "failed_at": f.replace(microsecond=0)}
            for s, r, a, f in store.failures()
        ]
    _emit(rows, fmt, out, columns=["source", "reason", "attempts", "failed_at"], wide=["reason"])


@store_group.command("export")
@_store_option
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the files.")
def export_command(store_path: str, out_dir: str) -> None:
    """Every table as Parquet: OUT/<table>.parquet."""
    with _reader(store_path) as store:
        written = store.export_parquet(out_dir)
    click.echo(f"presslens: {len(written)} tables written to {out_dir}", err=True)


@store_group.command("load")
@click.argument("folder", type=click.Path(file_okay=False))
@_store_option
@click.option("--aliases", type=click.Path(dir_okay=False), help="Actor alias file (YAML), see `presslens actors -h`.")
def load_command(folder: str, store_path: str, aliases: str | None) -> None:
    """Load a Parquet dataset written by `presslens ingest --engine ray --out FOLDER` into a
    store; documents stored already are skipped."""
    from pathlib import Path

    from presslens.actors.corpus import load_aliases
    from presslens.engines.ray_engine import load_dataset
    from presslens.store import Store, parts

    if not Path(folder).is_dir():
        raise PresslensError(f"{folder}: no such folder")
    if not parts.is_dataset(folder):
        raise PresslensError(f"{folder}: not a presslens Parquet dataset (no documents/ folder)")
    alias_file = load_aliases(aliases) if aliases else None
    with Store(store_path) as store:
        stored, skipped = load_dataset(store, folder)
        corpus_actors = store.resolve_actors(alias_file)
    click.echo(
        f"presslens: {stored} stored, {skipped} skipped (already stored); "
        f"{corpus_actors} corpus actors in {store_path}",
        err=True,
    )


@store_group.command("migrate")
@_store_option
def migrate_command(store_path: str) -> None:
    """Bring a store made by an older presslens to this version's schema."""
    from pathlib import Path

    from presslens.store import Store, StoreError

    if not Path(store_path).exists():
        raise StoreError(f"{store_path}: no store here")
    with Store(store_path) as store:  # opening for writing migrates
        click.echo(f"presslens: {store_path} is at schema version {store.version()}", err=True)


COMMANDS = (ingest, actors, query, report, store_group)
