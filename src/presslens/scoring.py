"""Precision, recall and F1 as sums that add up across documents, and their plain-text tables.

Shared by the scorers of sibling layers (``presslens.techniques.scorer`` for the SemEval-2020
Task 11 scores, ``presslens.attribution.scorer`` for PolNeAR), which must not import each other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Score:
    """Precision and recall as numerator/denominator pairs, so that scores add up across groups."""

    precision_sum: float  # SI/FLC: sum of |s∩t|/|s|; TC: matches
    predicted: int  # precision denominator: (merged) predicted spans
    recall_sum: float  # SI/FLC: sum of |s∩t|/|t|; TC: matches
    gold: int  # recall denominator: (merged) gold spans

    @property
    def precision(self) -> float:
        return self.precision_sum / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.recall_sum / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        if self.predicted == 0 and self.gold == 0:
            return 1.0  # official: nothing to find and nothing found
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p > 0 and r > 0 else 0.0

    def __add__(self, other: Score) -> Score:
        return Score(
            self.precision_sum + other.precision_sum,
            self.predicted + other.predicted,
            self.recall_sum + other.recall_sum,
            self.gold + other.gold,
        )


ZERO = Score(0.0, 0, 0.0, 0)

NAME_WIDTH = 36  # of the first column of a table, unless a report asks for another


def score_header(name: str, width: int = NAME_WIDTH) -> str:
    """The header line of a P/R/F1 table; shared by every scorer's report."""
    return f"  {name:<{width}} {'P':>7} {'R':>7} {'F1':>7} {'pred':>6} {'gold':>6}"


def score_row(name: str, score: Score, width: int = NAME_WIDTH) -> str:
    return (
        f"  {name:<{width}} {score.precision:7.4f} {score.recall:7.4f} {score.f1:7.4f}"
        f" {score.predicted:6d} {score.gold:6d}"
    )
