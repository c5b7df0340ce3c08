"""How the CLI reports a user's mistake: one line on stderr, never a traceback."""

from __future__ import annotations

import click


def error_line(message: str) -> None:
    click.echo(f"presslens: error: {message}", err=True)
