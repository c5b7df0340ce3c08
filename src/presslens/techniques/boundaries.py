"""Span boundaries from the parse: no technique span ends inside a phrase or on a function word.

The technique model marks word pieces, and a run of them can stop one word short of the phrase it
belongs to ("sophisticated and elaborate smear" before "campaigns") or run on into a function word
("the turmoil will"). ``fit_spans`` moves each span's end, over the document's spaCy parse:

1. ``extend``: a span whose last word lies inside a noun chunk, or whose last word's head is a noun,
   proper noun, adjective or number just after it (a modifier before its nominal head), ends at
   that chunk's end or that head, if that is at most ``limit`` (2) tokens further and on the same line;
2. ``trim``: then trailing function words (determiners, adpositions, auxiliaries, conjunctions,
   particles such as "to") are dropped; a span made of function words only is left as it is.

Chosen on the PTC dev articles (``benchmarks/experiments/technique_span_boundaries.py``: dev SI F1
0.3938 against 0.3917 for the model's own spans). Starts never move, spans stay whole words, and a
span that would reach into the next span keeps its end: offsets stay ``[start, end)`` in the text.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc

# Universal part-of-speech tags (word classes, not words).
FUNCTION_POS = frozenset({"DET", "ADP", "AUX", "CCONJ", "SCONJ", "PART"})
NOMINAL_POS = frozenset({"NOUN", "PROPN", "ADJ", "NUM"})
EXTEND_LIMIT = 2  # tokens: the dev setting (4 scored lower)

Span = tuple[int, int]


@dataclass(frozen=True)
class Parse:
    """A spaCy parse of ``text`` with what the rules look up, computed once per document."""

    doc: Doc
    text: str
    starts: list[int]  # each token's first character
    ends: list[int]  # one past each token's last character
    chunk_last: dict[int, int]  # token index -> last token of the noun chunk it is inside (not its last)

    @classmethod
    def of(cls, doc: Doc, text: str) -> Parse | None:
        """None when the parse cannot guide boundaries: no tags or dependencies (a blank
        pipeline), or the parse of another text."""
        if doc.text != text or not (doc.has_annotation("POS") and doc.has_annotation("DEP")):
            return None
        chunk_last = {i: chunk.end - 1 for chunk in doc.noun_chunks for i in range(chunk.start, chunk.end - 1)}
        return cls(doc, text, [t.idx for t in doc], [t.idx + len(t.text) for t in doc], chunk_last)

    def tokens_within(self, start: int, end: int) -> range:
        """Indices of the tokens wholly inside [start, end)."""
        # Tokens do not overlap, so their starts and their ends both rise with their index.
        return range(bisect_left(self.starts, start), bisect_right(self.ends, end))


Rule = Callable[[Parse, Span], Span]


def trim(parse: Parse, span: Span, punct: bool = False, leading: bool = True) -> Span:
    """Drop function words (and punctuation, with ``punct``) at the span's end, and at its start
    with ``leading``. A span of function words only is left to the model."""
    start, end = span
    doc = parse.doc
    inside = parse.tokens_within(start, end)
    drop = FUNCTION_POS | ({"PUNCT"} if punct else set())
    first, last = 0, len(inside) - 1
    while leading and first <= last and doc[inside[first]].pos_ in drop:
        first += 1
    while last >= first and doc[inside[last]].pos_ in drop:
        last -= 1
    if first > last:
        return span
    if first > 0:
        start = parse.starts[inside[first]]
    if last < len(inside) - 1:
        end = parse.ends[inside[last]]
    return start, end


def extend(parse: Parse, span: Span, limit: int, nominal: bool = False) -> Span:
    """End the span at the end of the noun chunk its last word is inside, or at its last word's
    head when that comes later in the sentence (with ``nominal``: only a noun, proper noun,
    adjective or number), if that is at most ``limit`` tokens further and on the same line."""
    start, end = span
    inside = parse.tokens_within(start, end)
    if not inside:
        return span
    last = parse.doc[inside[-1]]
    target = max(last.i, parse.chunk_last.get(last.i, last.i))
    # nominal: only a head that is a noun or adjective (a modifier's phrase), not a subject's verb.
    if last.head.i > last.i and last.head.sent == last.sent and (not nominal or last.head.pos_ in NOMINAL_POS):
        target = max(target, last.head.i)
    if target == last.i or target - last.i > limit:
        return span
    new_end = parse.ends[target]
    if "\n" in parse.text[end:new_end]:
        return span
    return start, new_end


def keep(parse: Parse, span: Span) -> Span:
    return span


def then(first: Rule, second: Rule) -> Rule:
    def both(parse: Parse, span: Span) -> Span:
        return second(parse, first(parse, span))

    return both


# The product's rule (the dev experiment's d_nominal2_then_trim_trailing).
to_phrase_end: Rule = then(partial(extend, limit=EXTEND_LIMIT, nominal=True), partial(trim, leading=False))


def at_word_boundary(text: str, offset: int) -> bool:
    """Whether ``offset`` does not fall between two letters or digits of one word."""
    return offset <= 0 or offset >= len(text) or not (text[offset - 1].isalnum() and text[offset].isalnum())


def fit_spans(parse: Parse | None, spans: Iterable[Span], rule: Rule = to_phrase_end) -> dict[Span, Span]:
    """Each distinct span of ``spans`` -> the span ``rule`` makes of it. A span keeps its own
    boundaries where the rule would end it inside a word (spaCy splits "cannot" in two) or
    make it reach the next span; all of them without a usable parse (``parse`` None)."""
    distinct = sorted(set(spans))
    if parse is None:
        return {span: span for span in distinct}
    fitted: dict[Span, Span] = {}
    for index, span in enumerate(distinct):
        new = rule(parse, span)
        following = distinct[index + 1][0] if index + 1 < len(distinct) else len(parse.text)
        if new[1] <= new[0] or new[1] > max(following, span[1]) or not at_word_boundary(parse.text, new[1]):
            new = span
        fitted[span] = new
    return fitted
