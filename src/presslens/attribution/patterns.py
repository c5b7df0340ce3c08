"""Attributions that the layout of a text makes, where no verb does.

The tagger learns attributions from words around a cue; two common forms have no such words:

- a speaker label at the start of a line: interview and debate transcripts ("WALLACE: Let's
  start with …") and headlines ("Pence: Gennifer Flowers Won't Be at Debate");
- a quote signed with a dash after it: "“He represents our greatest shame.” ― Sonya Herridge";
- "according to X", where the tagger misses it: a preposition, not a verb, and it may stand
  anywhere in the sentence.

The colon, the dash or "according to" is the cue, the label or the name the source, the rest
of the line, the quote or the sentence the content.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from presslens.attribution.polnear import Interval
from presslens.attribution.types import FoundAttribution
from presslens.lexicon import get as get_lexicon
from presslens.text import overlaps, quote_regions

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

EN = get_lexicon("en")

# A capitalised word, or an initial or a short title with its full stop (J., Mr., Dr., MR.).
_NAME_WORD = r"(?:[A-Z][A-Za-z]{0,2}\.|[A-Z][\w'’-]*)"
# A line that opens (maybe after a quote mark) with one to four capitalised words and a colon.
_LABEL = re.compile(rf"^(?P<lead>[ \t]*[\"“]?[ \t]*)(?P<label>{_NAME_WORD}(?:[ \t]{_NAME_WORD}){{0,3}}):[ \t]+(?=\S)")
# A closing quote mark, a dash, and capitalised words: the signature of the quote before it.
_SIGNED = re.compile(
    rf"[”\"][ \t\u00a0]*(?P<dash>[―—–])[ \t\u00a0]*(?P<name>{_NAME_WORD}(?:[ \t\u00a0]{_NAME_WORD}){{0,4}})"
)
_SPEAKER_ENTITIES = frozenset({"PERSON", "ORG", "NORP", "GPE"})
_MIN_CONTENT_WORDS = 3


Entities = list[tuple[int, int, str]]


def _entities(doc: Doc) -> Entities:
    """The entities of ``doc`` as (start, end, label), made once per search: spaCy builds
    them anew at each ``.ents``."""
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents]


def _entity_at(entities: Entities, start: int, end: int, kinds: frozenset[str]) -> bool:
    """Whether a named entity of ``kinds`` overlaps ``[start, end)`` (spaCy may take in a
    dash or a quote mark before a name)."""
    return any(s < end and start < e and label in kinds for s, e, label in entities)


def _covered(position: int, spans: list[Interval]) -> bool:
    return any(s <= position < e for s, e in spans)


def labelled_lines(doc: Doc, found: list[FoundAttribution]) -> list[FoundAttribution]:
    """Lines that open with a speaker label and a colon: transcripts and headlines."""
    text = doc.text
    entities = _entities(doc)
    cues = [c for f in found for c in f.cue]
    added: list[FoundAttribution] = []
    offset = 0
    for line in text.split("\n"):
        start_of_line, offset = offset, offset + len(line) + 1
        match = _LABEL.match(line)
        if match is None:
            continue
        label = match["label"]
        words = label.replace(".", " ").split()
        if words[0].lower().strip("'’") in EN.NOT_SPEAKER_LABELS:
            continue
        label_start = start_of_line + match.start("label")
        label_end = start_of_line + match.end("label")
        shouting = sum(c.isalpha() for c in label) >= 2 and label.upper() == label
        if not shouting and not _entity_at(entities, label_start, label_end, _SPEAKER_ENTITIES):
            continue
        colon = label_end
        if _covered(colon, cues):
            continue
        content_start = start_of_line + match.end()
        content = line[match.end() :].rstrip()
        if match["lead"].strip() and content.endswith(("”", '"')):
            content = content[:-1].rstrip()
        if len(content.split()) < _MIN_CONTENT_WORDS:
            continue
        added.append(
            FoundAttribution(
                ((label_start, label_end),),
                ((colon, colon + 1),),
                ((content_start, content_start + len(content)),),
                0.6,
            )
        )
    return added


def signed_quotes(doc: Doc, found: list[FoundAttribution]) -> list[FoundAttribution]:
    """Quotes followed by a dash and a name: "“…” ― Sonya Herridge"."""
    text = doc.text
    entities = _entities(doc)
    regions = quote_regions(text)
    claimed = [c for f in found for c in (*f.content, *f.cue)]
    added: list[FoundAttribution] = []
    for match in _SIGNED.finditer(text):
        closing = match.start()
        region = next((r for r in regions if r[1] == closing + 1), None)
        if region is None or region[1] - region[0] < 3:
            continue
        if overlaps(*region, claimed):
            continue
        name_start, name_end = match.span("name")
        if not _entity_at(entities, name_start, name_end, frozenset({"PERSON", "ORG"})):
            continue
        dash = match.start("dash")
        added.append(FoundAttribution(((name_start, name_end),), ((dash, dash + 1),), (region,), 0.6))
    return added


def according_to(doc: Doc, found: list[FoundAttribution]) -> list[FoundAttribution]:
    """ "According to X, …" and "…, according to X": X is the source, the rest of the sentence
    the content (in two fragments when the phrase stands in the middle)."""
    according, to_word = EN.ACCORDING_TO
    cues = [c for f in found for c in f.cue]
    added: list[FoundAttribution] = []
    for token in doc:
        if token.lower_ != according or token.i + 1 >= len(doc) or doc[token.i + 1].lower_ != to_word:
            continue
        to = doc[token.i + 1]
        cue = (token.idx, to.idx + len(to))
        if overlaps(*cue, cues):
            continue
        objects = [c for c in to.children if c.dep_ == "pobj"]
        if not objects:
            continue
        source_tokens = list(objects[0].subtree)
        source = (source_tokens[0].idx, source_tokens[-1].idx + len(source_tokens[-1]))
        sentence = token.sent
        phrase_start, phrase_end = token.i, source_tokens[-1].i + 1
        before = [t for t in sentence if t.i < phrase_start and not t.is_space]
        after = [t for t in sentence if t.i >= phrase_end and not t.is_space]
        fragments = [
            (part[0].idx, part[-1].idx + len(part[-1]))
            for part in (edge_trimmed(before), edge_trimmed(after))
            if part and sum(t.is_alpha for t in part) >= _MIN_CONTENT_WORDS
        ]
        if fragments:
            added.append(FoundAttribution((source,), (cue,), tuple(fragments), 0.6))
    return added


def edge_trimmed(tokens: list[Token]) -> list[Token]:
    """Tokens without the punctuation at either edge (the comma before "according to"); quote
    marks stay."""
    while tokens and tokens[0].is_punct and tokens[0].text not in "“\"‘'":
        tokens = tokens[1:]
    while tokens and tokens[-1].is_punct and tokens[-1].text not in "”\"’'":
        tokens = tokens[:-1]
    return tokens
