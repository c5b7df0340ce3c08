"""Errors that name the input at fault, for one-line messages instead of tracebacks."""

from __future__ import annotations


class PresslensError(Exception):
    """Base of the errors presslens reports to users as one line."""


class InputError(PresslensError):
    """An input that cannot be analysed: says which one and why, in one line. ``weight`` is
    the bytes of input it accounts for, for an ingest's progress."""

    def __init__(self, source: str, reason: str, weight: int = 0) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason
        self.weight = weight

    def __reduce__(self) -> tuple[type[InputError], tuple[str, str, int]]:
        # Rebuilt from its fields when pickled to or from a worker process.
        return InputError, (self.source, self.reason, self.weight)


class ModelError(PresslensError):
    """A model that is missing or cannot be loaded."""
