"""The claims of an article: what it reports (each attribution's content) and what it asserts
itself (its check-worthy factual sentences).

A sentence of the article's own voice is a claim when it is a statement (not a question or
an exclamation), of 6 to 80 words, not an opinion or a call (no "should", "must", "I
believe" ...), and carries a factual core a fact-checker can check: a number ("3,000
arrests", "doubled", "half"), a cause ("organised by", "because of", "behind"), or an event
(a named actor doing something, in the past tense). Sentences mostly inside an attribution
and sentences that hold an attribution's cue ("X said ...") are that attribution's claim already.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence

from presslens import lexicon
from presslens.document import Attribution, Claim, Document, EntityMention, Span, Token
from presslens.text import IntervalIndex

MIN_WORDS, MAX_WORDS = 6, 80
MIN_REPORTED_WORDS = 3
_DIGIT = re.compile(r"\d")
_QUOTES = "\"'“”‘’«»„"
ACTOR_LABELS = frozenset(["PERSON", "ORG", "GPE", "NORP"])


def normalise(fragments: Sequence[str]) -> str:
    """The claim's words: fragments joined by a space, outer quote marks and a leading
    "that" dropped, spacing collapsed."""
    text = " ".join(" ".join(f.split()) for f in fragments if f.strip())
    text = text.strip().strip(_QUOTES).strip()
    if text.lower().startswith("that "):
        text = text[5:]
    return text.strip(" ,;:").strip(_QUOTES).strip()


class _Layers:
    """The document's tokens, entities, cues and contents, found by position by bisection:
    every sentence asks for those within it, and a scan of the whole document each time made
    the stage quadratic in the text's length."""

    def __init__(self, document: Document) -> None:
        self.tokens = document.tokens  # in text order, as the parse gives them
        self.token_starts = [t.start for t in self.tokens]
        self.entities = sorted(document.entities, key=lambda e: e.start)
        self.entity_starts = [e.start for e in self.entities]
        self.contents = _Intervals((s.start, s.end) for a in document.attributions for s in a.content)
        self.cues = _Intervals((s.start, s.end) for a in document.attributions for s in a.cue)

    def tokens_within(self, start: int, end: int) -> list[Token]:
        first, last = bisect.bisect_left(self.token_starts, start), bisect.bisect_left(self.token_starts, end)
        return [t for t in self.tokens[first:last] if t.end <= end]

    def entities_within(self, start: int, end: int) -> list[EntityMention]:
        first, last = bisect.bisect_left(self.entity_starts, start), bisect.bisect_left(self.entity_starts, end)
        return [e for e in self.entities[first:last] if e.end <= end]


class _Intervals:
    """Intervals (overlapping ones too) and how many characters of a stretch they cover,
    counted once per interval."""

    def __init__(self, intervals: Iterable[tuple[int, int]]) -> None:
        self.intervals = list(intervals)
        self.index = IntervalIndex(self.intervals)

    def overlap(self, start: int, end: int) -> int:
        return sum(
            min(end, self.intervals[n][1]) - max(start, self.intervals[n][0])
            for n in self.index.overlapping(start, end)
        )


def _signals(layers: _Layers, start: int, end: int, attributed: bool) -> list[str]:
    words = lexicon.get("en")
    tokens = layers.tokens_within(start, end)
    lower = [t.text.lower() for t in tokens]
    found = []
    if any(_DIGIT.search(t.text) for t in tokens) or any(w in words.CLAIM_NUMBER_WORDS for w in lower):
        found.append("number")
    if any(w in words.CLAIM_CAUSE_WORDS for w in lower):
        found.append("cause")
    has_actor = any(e.label in ACTOR_LABELS for e in layers.entities_within(start, end))
    if has_actor and any(t.tag in ("VBD", "VBN") for t in tokens):
        found.append("event")
    if attributed:
        found.insert(0, "reported")
    return found


def _is_opinion(layers: _Layers, start: int, end: int) -> bool:
    words = lexicon.get("en")
    tokens = layers.tokens_within(start, end)
    if any(t.lemma.lower() in words.CLAIM_OPINION_LEMMAS for t in tokens):
        return True
    return any(t.text.lower() in words.CLAIM_FIRST_PERSON and t.dep == "nsubj" for t in tokens)


def _reported_claim(attribution: Attribution, number: int, layers: _Layers) -> Claim | None:
    text = normalise([span.text for span in attribution.content])
    if len(text.split()) < MIN_REPORTED_WORDS:
        return None
    first, last = attribution.content[0].start, attribution.content[-1].end
    return Claim(
        id=f"C{number}",
        kind="reported",
        spans=[Span(start=s.start, end=s.end, text=s.text) for s in attribution.content],
        text=text,
        attribution=attribution.id,
        speaker=attribution.speaker,
        signals=_signals(layers, first, last, attributed=True),
    )


def extract_claims(document: Document) -> list[Claim]:
    """The claims of an analysed document (its sentences, tokens, entities and attributions),
    in text order; ids C1, C2, ..."""
    found: list[tuple[int, Claim]] = []
    layers = _Layers(document)
    for attribution in document.attributions:
        if not attribution.content:
            continue
        claim = _reported_claim(attribution, 0, layers)
        if claim is not None:
            found.append((attribution.content[0].start, claim))
    for sentence in document.sentences:
        start, end = sentence.start, sentence.end
        text = sentence.text.strip()
        count = len(text.split())
        if not MIN_WORDS <= count <= MAX_WORDS or text.endswith(("?", "!", "?”", '?"', "!”", '!"')):
            continue
        # A sentence that reports (holds a cue) or is mostly reported speech is the
        # attribution's claim, already taken.
        if layers.cues.overlap(start, end) or layers.contents.overlap(start, end) > (end - start) / 2:
            continue
        signals = _signals(layers, start, end, attributed=False)
        if not signals or _is_opinion(layers, start, end):
            continue
        found.append(
            (
                start,
                Claim(
                    id="C0",
                    kind="asserted",
                    spans=[Span(start=start, end=end, text=document.text[start:end])],
                    text=normalise([document.text[start:end]]),
                    signals=signals,
                ),
            )
        )
    found.sort(key=lambda pair: pair[0])
    return [claim.model_copy(update={"id": f"C{n}"}) for n, (_, claim) in enumerate(found, start=1)]
