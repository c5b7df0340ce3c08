"""Errors that name the input at fault, for one-line messages instead of tracebacks."""

from __future__ import annotations


class PresslensError(Exception):
    """Base of the errors presslens reports to users as one line."""


class InputError(PresslensError):
    """An input that cannot be analysed: says which one and why, in one line."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class ModelError(PresslensError):
    """A model that is missing or cannot be loaded."""
