"""`presslens serve`: the API and the web interface in one process (uvicorn)."""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path

import click

from presslens.service import DEFAULT_MAX_BYTES
from presslens.service.security import LOOPBACK_HOSTS, is_loopback_host
from presslens.service.settings import DEFAULT_MAX_QUEUE

TOKEN_ENV = "PRESSLENS_TOKEN"


def allowed_hosts(listen_on: str, named: tuple[str, ...]) -> tuple[str, ...]:
    """The Host names the server answers: loopback's, the address it listens on (unless it
    is every address: 0.0.0.0, ::), and the names given with --allow-host."""
    hosts = list(LOOPBACK_HOSTS)
    try:
        if not ipaddress.ip_address(listen_on).is_unspecified:
            hosts.append(listen_on)
    except ValueError:
        hosts.append(listen_on)  # a name: --host myserver.lan
    return tuple(dict.fromkeys([*hosts, *named]))


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--store", "store", type=click.Path(dir_okay=False), default=None, help="Corpus store to explore (read-only)."
)
@click.option(
    "--max-bytes", type=click.IntRange(1000), default=DEFAULT_MAX_BYTES, show_default=True, help="Largest request body."
)
@click.option(
    "--token",
    default=None,
    help=f"Bearer token for POST requests (default: ${TOKEN_ENV}; made up and printed when --host is not loopback).",
)
@click.option(
    "--analysis-workers",
    type=click.IntRange(1, 16),
    default=1,
    show_default=True,
    help="Analyses run at once, each with its own models (about 1.5 GB each at peak).",
)
@click.option(
    "--queue",
    "max_queue",
    type=click.IntRange(0, 10000),
    default=DEFAULT_MAX_QUEUE,
    show_default=True,
    help="Analyses that may wait; past them a request gets 503 with Retry-After.",
)
@click.option(
    "--fact-checks",
    "fact_checks",
    default=None,
    metavar="INDEX",
    help="A fact-check index (`presslens claims index`): analysed claims get their matches.",
)
@click.option(
    "--allow-host",
    "allow_host",
    multiple=True,
    metavar="NAME",
    help="Also answer requests for this Host name (repeatable; '*': any, only behind a proxy that checks Host). "
    "Default: the loopback names and the --host address.",
)
def serve(
    host: str,
    port: int,
    store: str | None,
    max_bytes: int,
    token: str | None,
    analysis_workers: int,
    max_queue: int,
    fact_checks: str | None,
    allow_host: tuple[str, ...],
) -> None:
    """Serve the JSON API (/api) and the web interface (/). Analysing never stores anything;
    the store is only read."""
    # uvicorn and FastAPI here, so that the other commands start without them.
    import uvicorn

    from presslens.service.app import create_app

    token = token or os.environ.get(TOKEN_ENV) or None
    if token is None and not is_loopback_host(host):
        token = secrets.token_urlsafe(24)
        click.echo(
            f"presslens: listening beyond loopback; POST requests need 'Authorization: Bearer {token}'", err=True
        )
    if store and not Path(store).exists():
        raise click.BadParameter(f"{store}: no store here", param_hint="--store")
    if fact_checks and not (Path(fact_checks) / "index.json").is_file():
        raise click.BadParameter(f"{fact_checks}: not a fact-check index", param_hint="--fact-checks")
    app = create_app(
        Path(store) if store else None,
        token,
        max_bytes,
        analysis_workers=analysis_workers,
        max_queue=max_queue,
        fact_checks=fact_checks,
        allowed_hosts=allowed_hosts(host, allow_host),
    )
    click.echo(f"presslens: serving on http://{host}:{port}/", err=True)
    # Connections past 512 get uvicorn's bare 503; below that, analyses past the queue get
    # the service's own 503 with Retry-After (presslens.service.analysis.Analyzer).
    uvicorn.run(app, host=host, port=port, log_level="warning", limit_concurrency=512)


COMMANDS = (serve,)
