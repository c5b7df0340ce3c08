"""The shared text helpers (``presslens.text``): intervals, words, non-space counts, acronyms."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from presslens.text import (
    IntervalIndex,
    covered_non_space_chars,
    in_regions,
    initials,
    is_acronym,
    merge_intervals,
    non_space_chars,
    overlaps,
    quote_regions,
    rounded_share,
    words,
)

INTERVALS = st.lists(st.tuples(st.integers(0, 60), st.integers(0, 30)).map(lambda p: (p[0], p[0] + p[1])), max_size=40)


@settings(max_examples=200, deadline=None)
@given(INTERVALS, st.integers(0, 70), st.integers(0, 20))
def test_an_interval_index_answers_as_a_scan_of_every_interval(
    intervals: list[tuple[int, int]], start: int, length: int
) -> None:
    end = start + length
    index = IntervalIndex(intervals)
    overlapping = [n for n, (s, e) in enumerate(intervals) if s < end and start < e]
    containing = [n for n, (s, e) in enumerate(intervals) if s <= start and end <= e]
    assert index.overlapping(start, end) == overlapping
    assert index.containing(start, end) == containing
    assert index.overlaps(start, end) == bool(overlapping)
    assert index.contains(start, end) == bool(containing)
    assert len(index) == len(intervals)


def test_an_interval_index_names_intervals_by_their_place_in_the_order_given() -> None:
    index = IntervalIndex([(10, 20), (0, 5), (12, 14), (0, 30)])
    assert index.overlapping(13, 15) == [0, 2, 3]
    assert index.containing(12, 14) == [0, 2, 3]
    assert index.containing(4, 6) == [3]
    assert index.overlapping(5, 10) == [3]


def test_merge_intervals_joins_what_shares_a_character() -> None:
    assert merge_intervals([]) == []
    assert merge_intervals([(3, 7)]) == [(3, 7)]
    # Sorted, and chains merge transitively whatever the order: [0,5)+[4,12)+[11,20) -> [0,20).
    assert merge_intervals([(11, 20), (0, 5), (30, 31), (4, 12)]) == [(0, 20), (30, 31)]
    # One inside another, and duplicates, collapse.
    assert merge_intervals([(0, 10), (2, 3), (0, 10)]) == [(0, 10)]
    # [0,5) and [5,9) only touch: two intervals, unless touching ones are joined.
    assert merge_intervals([(5, 9), (0, 5)]) == [(0, 5), (5, 9)]
    assert merge_intervals([(5, 9), (0, 5)], join_touching=True) == [(0, 9)]
    assert merge_intervals([(0, 5), (6, 9)], join_touching=True) == [(0, 5), (6, 9)]
    # Any iterable, and the input is not changed.
    spans = [(4, 8), (0, 5)]
    assert merge_intervals(iter(spans)) == [(0, 8)] and spans == [(4, 8), (0, 5)]


def test_overlaps_needs_a_shared_character() -> None:
    assert overlaps(3, 6, [(5, 9)])
    assert overlaps(3, 6, [(0, 1), (4, 5)])
    assert not overlaps(3, 6, [(6, 9), (0, 3)])  # touching on either side
    assert not overlaps(3, 6, [])


def test_non_space_counts() -> None:
    assert non_space_chars("aa bb\tcc\ndd\u00a0ee\u2003") == 10
    assert covered_non_space_chars("aa bb cc dd", [(0, 5), (3, 8), (8, 9)]) == 6  # overlaps once, spaces never
    assert covered_non_space_chars("aa bb", []) == 0
    assert rounded_share(1, 3) == 0.3333 and rounded_share(0, 0) == 0.0


def test_words_and_acronyms() -> None:
    assert words("Iran's IRGC, 2016.") == ["Iran", "s", "IRGC", "2016"]
    assert all(is_acronym(a) for a in ("IRGC", "G7", "AT&T", "U.S.", " NATO "))
    assert not any(is_acronym(a) for a in ("Iran", "I", "ABCDEFGHI", "U.S"))
    assert initials("Islamic Revolutionary Guard Corps", {"of"}) == "IRGC"
    assert initials("Islamic Republic of Iran", {"of"}) == "IRI"
    assert initials("Islamic Republic of Iran", set()) == "IRI"  # lower case words have no initial
    assert initials("Ministry Of Defence", {"of"}) == "MD"


@pytest.mark.parametrize("position, inside", [(0, False), (3, True), (5, True), (6, False), (10, True), (12, False)])
def test_in_regions(position: int, inside: bool) -> None:
    regions = [(2, 6), (9, 12)]
    assert in_regions(regions, [r[0] for r in regions], position) is inside


def test_quote_regions_are_merged_and_sorted() -> None:
    text = "“One,” “two” and 'three'"
    assert [text[s:e] for s, e in quote_regions(text)] == ["“One,”", "“two”", "'three'"]
    touching = "“a”“b”"
    assert quote_regions(touching) == [(0, 6)]  # touching quotes are one region
