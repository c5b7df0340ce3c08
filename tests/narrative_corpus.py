"""A small corpus written here for narratives: five articles of three outlets whose claims
form two known groups (the protests "organised by foreign agents", inflation at 40 percent),
a denial and an unrelated claim that join none."""

from __future__ import annotations

from pathlib import Path

from presslens.document import Actor, Claim, Document, EntityMention, Span
from presslens.store import Store

# (outlet, date, text, [(claim words as they stand in the text, speaker name or None)])
ARTICLES = [
    (
        "daily-a.com",
        "2024-01-05",
        "Interior Minister Ahmad Vahidi said the protests in the capital were organised by foreign agents paid by "
        "Washington. Traffic was heavy on the ring road.",
        [("the protests in the capital were organised by foreign agents paid by Washington", "Ahmad Vahidi")],
    ),
    (
        "weekly-b.org",
        "2024-01-09",
        "The protests in the capital were organised by foreign agents working for the United States, the minister "
        "claimed on Tuesday. Inflation rose to 40 percent in December.",
        [
            ("The protests in the capital were organised by foreign agents working for the United States", None),
            ("Inflation rose to 40 percent in December", None),
        ],
    ),
    (
        "state-tv.ir",
        "2024-02-02",
        "State television repeated that foreign agents in the pay of the United States organised the capital's "
        "protests.",
        [("foreign agents in the pay of the United States organised the capital's protests", None)],
    ),
    (
        "daily-a.com",
        "2024-02-10",
        "Inflation climbed to 40 percent in December, according to the central bank. The football team won the "
        "national cup on Sunday after a penalty shootout.",
        [
            ("Inflation climbed to 40 percent in December", None),
            ("The football team won the national cup on Sunday after a penalty shootout", None),
        ],
    ),
    (
        "weekly-b.org",
        "2024-03-01",
        "The students said the protests in the capital were not organised by foreign agents.",
        [("the protests in the capital were not organised by foreign agents", None)],
    ),
]
PROTESTS = {(0, "C1"), (1, "C1"), (2, "C1")}
INFLATION = {(1, "C2"), (3, "C1")}


def article(number: int) -> Document:
    outlet, published, text, claims = ARTICLES[number]
    document = Document.from_text(text, source=f"hand/{number}.txt", outlet=outlet, published=published)
    for n, (words, speaker) in enumerate(claims, start=1):
        start = text.index(words)
        speaker_id = None
        if speaker:
            at = text.index(speaker)
            document.entities.append(EntityMention(**document.span(at, at + len(speaker)), label="PERSON", actor="A1"))
            document.actors.append(Actor(id="A1", kind="person", name=speaker, mentions=[len(document.entities) - 1]))
            speaker_id = "A1"
        document.claims.append(
            Claim(
                id=f"C{n}",
                kind="reported" if speaker else "asserted",
                spans=[Span(**document.span(start, start + len(words)))],
                text=words,
                speaker=speaker_id,
            )
        )
    return document


def ids(number: int) -> str:
    return Document.id_for(ARTICLES[number][2])


def build_narrative_store(path: Path) -> Path:
    with Store(path) as writer:
        for number in range(len(ARTICLES)):
            writer.add(article(number))
        writer.resolve_actors()
        writer.link_claims()
    return path
