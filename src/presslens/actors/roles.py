"""The role words of an actor: what "the minister" or "the senator" can refer back to.

Read by the description rules of the actors stage ("the minister" as a mention of the person
given that role) and by attribution's speaker resolution (the same words, the same way).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from presslens.document import Actor, Document
from presslens.lexicon import get as get_lexicon

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

EN = get_lexicon("en")

# Titles that stand before a name ("President Rouhani"), usable later as role nouns ("the
# president"). Abbreviations (Mr, Dr, Sen.) are never the head of a source phrase.
TITLE_NOUNS = frozenset(h for h in EN.HONORIFICS if h.isalpha() and len(h) > 3)
_TITLE_BEFORE = re.compile(r"\b([A-Za-z]+\.?) $")

RoleWords = list[tuple[str, set[str]]]  # (head noun, every lemma of the role)


def title_noun(word: str) -> str | None:
    """The role noun of a title word: 'President' → 'president', 'Sen.' → 'senator'. A full
    stop only ends an abbreviation: 'president.' ends the previous sentence."""
    lower = word.lower()
    if lower.endswith("."):
        return EN.ABBREVIATED_TITLES.get(lower[:-1])
    return EN.ABBREVIATED_TITLES.get(lower, lower if lower in TITLE_NOUNS else None)


def heads(tokens: Sequence[Token]) -> list[Token]:
    """The heads of a phrase: its words whose syntactic head lies outside it."""
    inside = {t.i for t in tokens}
    return [t for t in tokens if not (t.is_punct or t.is_space) and (t.head.i not in inside or t.head.i == t.i)]


def head_word(token: Token) -> str:
    """Lower-case lemma of a head noun, with a hyphenated first part kept: 'op-ed'."""
    doc = token.doc
    hyphen = doc[token.i - 1] if token.i >= 2 else None
    if hyphen is not None and hyphen.text == "-" and not hyphen.whitespace_ and not doc[token.i - 2].whitespace_:
        return f"{doc[token.i - 2].text.lower()}-{token.text.lower()}"
    return token.lemma_.lower()


def _tokens(parsed: Doc, start: int, end: int) -> list[Token]:
    span = parsed.char_span(start, end, alignment_mode="expand")
    return [t for t in span if not (t.is_punct or t.is_space)] if span is not None else []


def role_words(document: Document, parsed: Doc, actor: Actor) -> RoleWords:
    """Each role of ``actor`` as (head noun, lemmas): its roles ("labour minister" →
    minister) and the titles written before its names ("President Obama", "Sen. Graham")."""
    words: RoleWords = []
    for role in actor.roles:
        tokens = _tokens(parsed, role.start, role.end)
        found = heads(tokens)
        nouns = [t for t in found if t.pos_ in ("NOUN", "PROPN")] or [t for t in tokens if t.pos_ == "NOUN"][-1:]
        if nouns:
            words.append((head_word(nouns[0]), {t.lemma_.lower() for t in tokens}))
    # A title written before a name ("President Anna Berg", "Minister Tomas Brandt") is a
    # role too, though the actor stage keeps it as part of the name or leaves it out.
    for index in actor.mentions:
        mention = document.entities[index]
        if mention.kind != "name":
            continue
        before = _TITLE_BEFORE.search(document.text, max(0, mention.start - 20), mention.start)
        for title in ([before.group(1)] if before else []) + mention.text.split()[:1]:
            noun = title_noun(title)
            if noun is not None:
                words.append((noun, {noun}))
    return words
