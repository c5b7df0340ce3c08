"""The labels of a document: for each mention of an actor, the words that characterise it.

Read off the parse around each mention (a name or a description, ``presslens.actors``):
- ``description``: what a description calls the actor ("regime" in "the Iranian regime");
- ``modifier``: the words before it that qualify it ("brutal regime", "terrorist group Hamas",
  "the so-called 'resistance units'");
- ``apposition``: a noun phrase beside it ("the MEK, a terrorist cult"; "our enemies,
  particularly the MEK");
- ``predicate``: what a copula says it is ("the MEK is an organisation", "the regime is
  fearful");
- ``technique``: a name-calling or loaded-language span of the technique stage over it.
Each label says whose words they are: the reporter's, or, inside the content of an
attribution, its source's (``voice``, ``speaker``): an official's "our enemies" is not the
article's label of the MEK.
"""

from __future__ import annotations

import bisect
import re
from typing import TYPE_CHECKING

from presslens.actors.roles import heads as phrase_heads
from presslens.document import Document, EntityMention, Label, LabelKind, Polarity, TechniqueFinding
from presslens.labels.polarity import polarity
from presslens.lexicon import get as get_lexicon

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

EN = get_lexicon("en")

LABELLING_TECHNIQUES = frozenset(["Name_Calling,Labeling", "Loaded_Language"])
_MODIFIER_DEPS = frozenset(["amod", "compound", "nmod"])
_SUBJECT_DEPS = frozenset(["nsubj", "nsubjpass"])
_DISTANCING = re.compile(
    r"(?<![\w-])(" + "|".join(re.escape(w) for w in sorted(EN.DISTANCING_WORDS, key=len, reverse=True)) + r")"
    r"[\s\"“”‘’']*$",
    re.IGNORECASE,
)
_PRIORITY: dict[LabelKind, int] = {"description": 0, "modifier": 1, "apposition": 2, "predicate": 3, "technique": 4}
MAX_LABEL_TOKENS = 8


def _is_country(token: Token) -> bool:
    return token.lower_ in EN.DEMONYMS or token.ent_type_ in ("GPE", "NORP")


def _noun_phrase(head: Token) -> list[Token]:
    """A noun and the words before it that qualify it ('terrorist cult', 'great support'),
    without its determiner."""
    phrase = [head]
    for child in reversed([c for c in head.children if c.i < head.i]):
        if child.i != phrase[0].i - 1 or child.dep_ in ("det", "poss", "predet", "punct", "case"):
            break
        phrase.insert(0, child)
    return phrase


class _Voices:
    """Whose words a position is in: the innermost attribution content that holds it."""

    def __init__(self, document: Document) -> None:
        fragments = []
        for attribution in document.attributions:
            for span in attribution.content:
                fragments.append((span.start, span.end, attribution.speaker))
        # Innermost first: the shortest fragment that holds a position is its voice.
        self.fragments = sorted(fragments, key=lambda f: f[1] - f[0])

    def at(self, start: int, end: int) -> tuple[bool, str | None]:
        for f_start, f_end, speaker in self.fragments:
            if f_start <= start and end <= f_end:
                return True, speaker
        return False, None


def extract_labels(document: Document, parsed: Doc) -> list[Label]:
    voices = _Voices(document)
    techniques = sorted((t for t in document.techniques if t.technique in LABELLING_TECHNIQUES), key=lambda t: t.start)
    technique_starts = [t.start for t in techniques]
    longest = max((t.end - t.start for t in techniques), default=0)
    labels: list[Label] = []
    for index, mention in enumerate(document.entities):
        if mention.actor is None and mention.kind != "description":
            continue  # dates, events, money: no actor to characterise
        span = parsed.char_span(mention.start, mention.end, alignment_mode="expand")
        tokens = list(span) if span is not None else []
        heads = phrase_heads(tokens)
        if not heads:
            continue
        head = heads[-1]
        found: list[tuple[LabelKind, list[Token], bool]] = []
        if mention.kind == "description":
            named = [t for t in tokens if not _is_country(t) and not t.is_punct]
            if named:
                found.append(("description", named, False))
        found.extend(_around(head, {t.i for t in tokens}))
        mention_labels: list[Label] = []
        for kind, words, negated in found:
            start, end = words[0].idx, words[-1].idx + len(words[-1].text)
            value = polarity(((t.text, t.lemma_) for t in words), negated, document.text[start:end])
            mention_labels.append(_label(document, voices, index, mention.actor, kind, start, end, value))
        distancing = _DISTANCING.search(document.text[max(0, mention.start - 40) : mention.start])
        if distancing:
            offset = max(0, mention.start - 40)
            start, end = offset + distancing.start(1), offset + distancing.end(1)
            value = polarity([(distancing.group(1), None)])
            mention_labels.append(_label(document, voices, index, mention.actor, "modifier", start, end, value))
        _add_techniques(document, voices, index, mention, mention_labels, techniques, technique_starts, longest)
        labels.extend(_deduplicated(mention_labels))
    labels.sort(key=lambda label: (label.start, label.end, label.mention))
    return labels


def _around(head: Token, inside: set[int]) -> list[tuple[LabelKind, list[Token], bool]]:
    """Modifiers, appositions and predicates of the mention whose head is ``head``."""
    found: list[tuple[LabelKind, list[Token], bool]] = []
    modifiers = [
        c
        for c in head.children
        if c.i not in inside
        and c.i < head.i
        and c.dep_ in _MODIFIER_DEPS
        and c.pos_ in ("ADJ", "NOUN", "VERB")
        and not _is_country(c)
    ]
    for modifier in modifiers:
        # "Valdoria's harbour minister": the owner is context, not a label.
        owned = {t.i for c in modifier.children if c.dep_ == "poss" for t in c.subtree}
        words = [
            t
            for t in modifier.subtree
            if t.i not in inside and t.i not in owned and not t.is_punct and t.dep_ not in ("det", "case")
        ]
        if words and len(words) <= MAX_LABEL_TOKENS and words[-1].i < min(inside):
            found.append(("modifier", words, False))
    for child in head.children:
        if child.dep_ == "appos" and child.i not in inside and child.pos_ == "NOUN":
            found.append(("apposition", _noun_phrase(child), False))
    if head.dep_ in ("appos", "npadvmod") and head.head.pos_ == "NOUN" and head.head.i not in inside:
        found.append(("apposition", _noun_phrase(head.head), False))
    verb = head.head
    if head.dep_ in _SUBJECT_DEPS and verb.lemma_.lower() in EN.COPULA_LEMMAS:
        negated = any(c.dep_ == "neg" for c in verb.children)
        for complement in verb.children:
            if complement.dep_ not in ("attr", "acomp"):
                continue
            # "brutal and corrupt": each conjunct is said of the subject.
            for said in [complement, *(c for c in complement.children if c.dep_ == "conj")]:
                if said.pos_ == "NOUN":
                    found.append(("predicate", _noun_phrase(said), negated))
                elif said.pos_ == "ADJ":
                    found.append(("predicate", [said], negated))
    return [(kind, words, negated) for kind, words, negated in found if 0 < len(words) <= MAX_LABEL_TOKENS]


def _label(
    document: Document,
    voices: _Voices,
    mention: int,
    actor: str | None,
    kind: LabelKind,
    start: int,
    end: int,
    value: Polarity,
) -> Label:
    quoted, speaker = voices.at(start, end)
    return Label(
        **document.span(start, end),
        mention=mention,
        actor=actor,
        kind=kind,
        polarity=value,
        voice="source" if quoted else "reporter",
        speaker=speaker,
    )


def _add_techniques(
    document: Document,
    voices: _Voices,
    index: int,
    mention: EntityMention,
    labels: list[Label],
    techniques: list[TechniqueFinding],
    starts: list[int],
    longest: int,
) -> None:
    """A labelling technique over the mention or one of its labels: the label that it covers
    gets its name; one that covers no label is a label of its own."""
    extent_start = min([mention.start, *(label.start for label in labels)])
    extent_end = max([mention.end, *(label.end for label in labels)])
    # Techniques are sorted by start: one over the extent starts at most ``longest`` before it.
    first = bisect.bisect_left(starts, extent_start - longest)
    for technique in techniques[first:]:
        if technique.start >= extent_end:
            break
        if technique.end <= extent_start:
            continue
        touched = [other for other in labels if other.start < technique.end and technique.start < other.end]
        if touched:
            for label in touched:
                label.technique = label.technique or technique.technique
                if label.polarity == "neutral" and technique.technique == "Name_Calling,Labeling":
                    label.polarity = "negative"
        elif technique.start < mention.end and mention.start < technique.end:
            value: Polarity = "negative" if technique.technique == "Name_Calling,Labeling" else "neutral"
            label = _label(document, voices, index, mention.actor, "technique", technique.start, technique.end, value)
            label.technique = technique.technique
            labels.append(label)


def _deduplicated(labels: list[Label]) -> list[Label]:
    """One label per span: the first kind in ``_PRIORITY``."""
    best: dict[tuple[int, int], Label] = {}
    for label in labels:
        key = (label.start, label.end)
        if key not in best or _PRIORITY[label.kind] < _PRIORITY[best[key].kind]:
            best[key] = label
    return list(best.values())
