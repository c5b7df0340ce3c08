"""The presslens command line: one click group; each module of this package owns its commands.

It only composes ingest, the pipeline, the store, the corpus questions and the service.
"""

from __future__ import annotations

import sys

import click

from presslens.cli import analyze, attribution, claims, ingest, labels, narratives, query, serve, store, techniques
from presslens.cli.errors import error_line
from presslens.errors import PresslensError
from presslens.version import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="presslens")
def main() -> None:
    """presslens: who says what about whom in news and opinion articles, and how they persuade."""


def _register_commands() -> None:
    # Each module's COMMANDS, in the order `presslens --help` lists them.
    for module in (analyze, techniques, attribution, claims, ingest, query, narratives, labels, store, serve):
        for command in module.COMMANDS:
            main.add_command(command)


_register_commands()


def run() -> None:
    """Entry point that turns user errors into one line instead of a traceback."""
    try:
        main(standalone_mode=True)
    except PresslensError as error:
        error_line(str(error))
        sys.exit(1)
    except KeyboardInterrupt:
        error_line("interrupted")
        sys.exit(130)
