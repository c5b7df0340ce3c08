"""The designation rule: a pejorative designation used in place of a name is a label.

"The regime", "the Iranian regime", "Tehran's regime", "the mullahs", "a terrorist cult" (said of
someone): a noun of the lexicon's ``DESIGNATIONS`` that heads its noun phrase and refers to an
actor is flagged as Name_Calling,Labeling. PTC's annotators rarely mark such words (19 of the 154
uses of "regime" in PTC fall inside a span), so the model trained on PTC does not learn them; the
rule is transparent instead: its findings carry ``origin="rule"``.

A designation refers to an actor when it has a determiner of ``DESIGNATION_DETERMINERS`` ("the
regime", "these thugs"), a possessor ("Tehran's regime", "his henchmen"), a named modifier
(a nationality, place, person or organisation: "Iranian regime", "Assad regime", "the regime in
Tehran"), when it is predicative or in apposition ("the MEK is a terrorist cult") or a bare plural
("mullahs rule"). It does not when it modifies another noun ("regime change", "a regime change
policy", "regime officials"), nor when a common noun in front of it makes it a system of rules
("the sanctions regime", "a tax regime"). The flagged span is the designation with the words in
front of it that qualify it (adjectives, names, a possessor), without its article: "Iranian
regime", "his corrupt regime", as PTC's annotators mark labels.

The technique stage adds the rule's findings where the model found nothing overlapping.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal

from presslens.lexicon import get as get_lexicon
from presslens.techniques.boundaries import Parse, Span

if TYPE_CHECKING:
    from spacy.tokens import Token

EN = get_lexicon("en")  # the technique model and its rules are English (PTC)

TECHNIQUE = "Name_Calling,Labeling"
# The rule's precision on the PTC dev articles, its findings' span and technique probabilities
# (what a reader may expect of one): the share of its spans that overlap a gold span of any
# technique (2 of 8), and of those the share that overlap a Name_Calling,Labeling one (1 of 2).
# Few spans, so rough figures; benchmarks/experiments/technique_designations.py measures them
# (benchmarks/results/technique-designations-2026-12-02.json) and says when these differ.
SPAN_PROBABILITY = 0.25
TECHNIQUE_PROBABILITY = 0.5

Extent = Literal["head", "qualified", "phrase"]

_NOUNS = frozenset({"NOUN", "PROPN"})
_NAMED = frozenset({"NORP", "GPE", "PERSON", "ORG", "LOC", "FAC"})  # entity types that name an actor
_PREDICATIVE = frozenset({"attr", "appos", "oprd"})
_QUALIFIERS = frozenset({"amod", "compound", "nmod", "poss"})  # dependents in front that are part of the label
_PLURAL = frozenset({"NNS", "NNPS"})


def _is_named(token: Token) -> bool:
    return token.pos_ == "PROPN" or token.ent_type_ in _NAMED


def _is_designation(token: Token) -> bool:
    return token.pos_ in _NOUNS and token.lower_ in EN.DESIGNATIONS


def _is_modifier(token: Token) -> bool:
    """A noun that modifies another noun ("regime change"); a headline's parse may hang a
    compound on an adjective ("Iranian Regime Fearful of ..."), which is no noun compound."""
    return token.dep_ == "compound" and token.head.pos_ in _NOUNS


def _names_a_system(token: Token) -> bool:
    """ "The sanctions regime", "a tax regime": a common noun in front says what the rules are about."""
    return any(
        child.dep_ == "compound" and child.pos_ == "NOUN" and not _is_designation(child) for child in token.lefts
    )


def refers_to_actor(token: Token, bare_plurals: bool = True) -> bool:
    """Whether the designation ``token`` stands for someone in particular (see the module's doc)."""
    if token.dep_ in _PREDICATIVE:
        return True
    children = list(token.children)
    if any(c.dep_ == "det" and c.lower_ in EN.DESIGNATION_DETERMINERS for c in children):
        return True
    if any(c.dep_ == "poss" for c in children):
        return True
    if any(c.dep_ in _QUALIFIERS and _is_named(c) for c in token.lefts):
        return True
    if any(c.dep_ == "prep" and any(o.dep_ == "pobj" and _is_named(o) for o in c.children) for c in token.rights):
        return True
    return bare_plurals and token.tag_ in _PLURAL and not any(c.dep_ == "det" for c in children)


def _extent(parse: Parse, token: Token, extent: Extent) -> Span:
    end = parse.ends[token.i]
    first = token.i
    if extent == "phrase":
        first = token.left_edge.i
    elif extent == "qualified":
        qualifiers = [c.left_edge.i for c in token.lefts if c.dep_ in _QUALIFIERS]
        first = min([token.i, *qualifiers])
    start = parse.starts[first]
    if "\n" in parse.text[start:end]:  # a headline's parse can reach into the line before
        start = parse.starts[token.i]
    return start, end


def designation_spans(
    parse: Parse | None, extent: Extent = "qualified", referring: bool = True, bare_plurals: bool = True
) -> list[Span]:
    """The spans of the designations used as labels in the parsed text, in text order; none
    without a usable parse. ``extent``, ``referring`` and ``bare_plurals`` are the variants
    the dev experiment compares (the defaults are the product's)."""
    if parse is None:
        return []
    found = []
    for token in parse.doc:
        if not _is_designation(token) or _is_modifier(token) or _names_a_system(token):
            continue
        if referring and not refers_to_actor(token, bare_plurals):
            continue
        found.append(_extent(parse, token, extent))
    return found


def unclaimed(spans: Iterable[Span], taken: Sequence[Span]) -> list[Span]:
    """The ``spans`` that overlap none of ``taken`` (the model's findings win) nor each other."""
    kept: list[Span] = []
    for start, end in spans:
        if not any(s < end and start < e for s, e in [*taken, *kept]):
            kept.append((start, end))
    return kept
