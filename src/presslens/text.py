"""Text helpers that every layer shares: words, intervals, quote regions, acronyms, and the share
of a text that spans cover.

Every interval is ``[start, end)`` in characters of a text. Nothing here belongs to a language:
the word lists live in ``presslens.lexicon``, and a helper that needs one takes it as an
argument.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Collection, Iterable, Sequence

Interval = tuple[int, int]

# --- words ----------------------------------------------------------------------------------

WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The runs of word characters of ``text``, as written."""
    return WORD.findall(text)


def count_words(text: str) -> int:
    return len(WORD.findall(text))


# --- intervals ------------------------------------------------------------------------------


def merge_intervals(intervals: Iterable[Interval], *, join_touching: bool = False) -> list[Interval]:
    """Intervals merged where they share a character, sorted. ``[0, 5)`` and ``[5, 9)`` only
    touch: they stay apart unless ``join_touching`` (then they become ``[0, 9)``)."""
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        if merged and (start <= merged[-1][1] if join_touching else start < merged[-1][1]):
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def overlaps(start: int, end: int, intervals: Iterable[Interval]) -> bool:
    """Whether ``[start, end)`` shares a character with any of the intervals."""
    return any(start < other_end and other_start < end for other_start, other_end in intervals)


class IntervalIndex:
    """Intervals fixed once, asked many times which of them overlap or contain an interval, in
    O(log n) a question plus the intervals it walks past: the stages ask this of every token or
    mention of a text, and a linear scan each time makes them quadratic in a long text's length.

    An interval is known by its position in the order given (``overlapping`` and ``containing``
    answer those positions, ascending)."""

    def __init__(self, intervals: Iterable[Interval]) -> None:
        ordered = sorted((start, end, number) for number, (start, end) in enumerate(intervals))
        self._starts = [start for start, _, _ in ordered]
        self._ends = [end for _, end, _ in ordered]
        self._numbers = [number for _, _, number in ordered]
        # The largest end among the intervals up to each position (by start): a walk back from
        # the last interval that begins early enough stops where no earlier one reaches far enough.
        self._reach: list[int] = []
        reach = -1
        for end in self._ends:
            reach = max(reach, end)
            self._reach.append(reach)

    def __len__(self) -> int:
        return len(self._starts)

    def overlaps(self, start: int, end: int) -> bool:
        """Whether ``[start, end)`` shares a character with any interval."""
        # Of the intervals that begin before ``end``, one reaches past ``start``.
        count = bisect.bisect_left(self._starts, end)
        return count > 0 and self._reach[count - 1] > start

    def contains(self, start: int, end: int) -> bool:
        """Whether one interval holds all of ``[start, end)``."""
        count = bisect.bisect_right(self._starts, start)
        return count > 0 and self._reach[count - 1] >= end

    def overlapping(self, start: int, end: int) -> list[int]:
        """The intervals that share a character with ``[start, end)``."""
        return self._walk_back(bisect.bisect_left(self._starts, end), lambda e: e > start)

    def containing(self, start: int, end: int) -> list[int]:
        """The intervals that hold all of ``[start, end)``."""
        return self._walk_back(bisect.bisect_right(self._starts, start), lambda e: e >= end)

    def _walk_back(self, count: int, far_enough: Callable[[int], bool]) -> list[int]:
        """Of the first ``count`` intervals by start, those whose end is ``far_enough``."""
        found = []
        position = count - 1
        while position >= 0 and far_enough(self._reach[position]):
            if far_enough(self._ends[position]):
                found.append(self._numbers[position])
            position -= 1
        return sorted(found)


# --- the share of a text that spans cover ---------------------------------------------------


def non_space_chars(text: str) -> int:
    """The characters of ``text`` that are not whitespace (``str.isspace``)."""
    return sum(1 for char in text if not char.isspace())


def covered_non_space_chars(text: str, intervals: Iterable[Interval]) -> int:
    """The non-space characters of ``text`` inside any of the intervals, overlaps counted once."""
    return sum(non_space_chars(text[start:end]) for start, end in merge_intervals(intervals))


def rounded_share(part: int, whole: int) -> float:
    """``part / whole`` rounded to 4 places, 0.0 when ``whole`` is 0."""
    return round(part / whole, 4) if whole else 0.0


def share_of_text(text: str, intervals: Iterable[Interval]) -> float:
    """The share of the non-space characters of ``text`` that lie inside any of the intervals,
    overlaps once, rounded to 4 places: ``TechniqueSummary.share_of_text``. Whitespace does not
    count on either side, so a finding's share does not depend on how the text is laid out.

    The one definition: ``analyze`` computes it on a Document; the store keeps its two counts
    (``documents.nonspace_chars`` and ``documents.technique_chars``), so that a stored document
    and a corpus profile give the same number."""
    return rounded_share(covered_non_space_chars(text, intervals), non_space_chars(text))


# --- quote marks ----------------------------------------------------------------------------

DOUBLE_OPENING_QUOTES = "“«„"
DOUBLE_CLOSING_QUOTES = "”»"
STRAIGHT_DOUBLE_QUOTE = '"'
SINGLE_OPENING_QUOTES = "‘'"
SINGLE_CLOSING_QUOTES = "’'"
# Characters after which a straight or curly single mark opens a quote rather than ending a
# word: "he said 'no'" but not "Iran's".
_BEFORE_SINGLE_OPENING = ' \t([{“"—–-/'


def quote_regions(text: str) -> list[Interval]:
    """Stretches of ``text`` inside quote marks, marks included, sorted and merged.

    Double marks (curly, straight, guillemets) pair within a paragraph; a double quote left
    open at the end of a paragraph ends there, since news writing opens every paragraph of a
    long quote again and closes only the last. Single marks count as quotes only where they
    cannot be apostrophes: an opening one after a space or an opening bracket and before a
    letter, a closing one not between two letters; a single quote left open is dropped, as
    its opener was most likely an apostrophe ("'90s").
    """
    regions: list[Interval] = []
    offset = 0
    for line in text.split("\n"):
        regions.extend(_line_quotes(line, offset))
        offset += len(line) + 1
    return merge_intervals(regions, join_touching=True)


def _line_quotes(line: str, offset: int) -> list[Interval]:
    regions: list[Interval] = []
    double: int | None = None
    single: int | None = None
    for i, char in enumerate(line):
        before = line[i - 1] if i > 0 else " "
        after = line[i + 1] if i + 1 < len(line) else " "
        if char in DOUBLE_OPENING_QUOTES or (char == STRAIGHT_DOUBLE_QUOTE and double is None):
            if double is None:
                double = i
        elif char in DOUBLE_CLOSING_QUOTES or char == STRAIGHT_DOUBLE_QUOTE:
            if double is not None:
                regions.append((offset + double, offset + i + 1))
                double = None
                single = None  # a single quote cannot outlive the double quote around it
        elif char in SINGLE_OPENING_QUOTES and single is None:
            if before in _BEFORE_SINGLE_OPENING and after.isalnum():
                single = i
        elif (
            char in SINGLE_CLOSING_QUOTES
            and single is not None
            and not (before.isalnum() and after.isalnum())
            and before != " "
        ):
            regions.append((offset + single, offset + i + 1))
            single = None
    if double is not None:
        regions.append((offset + double, offset + len(line)))
    return regions


def in_regions(regions: Sequence[Interval], starts: Sequence[int], position: int) -> bool:
    """Whether ``position`` lies in one of ``regions`` (sorted, not overlapping, as
    ``quote_regions`` gives them); ``starts`` are their first characters, for bisection."""
    index = bisect.bisect_right(starts, position) - 1
    return index >= 0 and position < regions[index][1]


# --- acronyms -------------------------------------------------------------------------------

# Two to eight capitals or digits starting with a capital ("IRGC", "G7", "AT&T"), or two to
# four capitals each with a full stop ("U.S.").
ACRONYM = re.compile(r"^(?:[A-Z][A-Z0-9&]{1,7}|(?:[A-Z]\.){2,4})$")


def is_acronym(name: str) -> bool:
    return bool(ACRONYM.match(name.strip()))


def initials(name: str, function_words: Collection[str]) -> str:
    """The capital initials of a name's words, skipping ``function_words`` (lower case):
    "Islamic Revolutionary Guard Corps" → "IRGC"."""
    name_words = re.findall(r"[\w'-]+", name)
    return "".join(w[0] for w in name_words if w.lower() not in function_words and w[0].isupper()).upper()
