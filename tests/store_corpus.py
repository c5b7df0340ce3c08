"""A small corpus built by hand, whose answers to every corpus question are known.

Six articles from three outlets over three months (one undated). The same people appear
under variants: Hassan Rouhani / "President Hassan Rouhani" / Rohani, Donald Trump / Donald
J. Trump / Trump, the IRGC spelt out in one article, the FBI in another, and a bare "Clinton"
that could be Hillary (two articles) or Bill (one), too close to call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from presslens.document import (
    Actor,
    ActorKind,
    Attribution,
    AttributionKind,
    Document,
    EntityMention,
    Label,
    Span,
    SpeakerVia,
    TechniqueFinding,
    TechniqueSummary,
)
from presslens.store import Store

LABELS = {
    "Person": "PERSON",
    "person": "PERSON",
    "organisation": "ORG",
    "place": "GPE",
    "group": "NORP",
}


@dataclass
class A:
    """An actor: id, kind, canonical name, the surfaces of its mentions in text order."""

    id: str
    kind: ActorKind
    name: str
    mentions: list[str]
    aliases: list[str] = field(default_factory=list)


@dataclass
class Q:
    """An attribution: speaker actor id (None: unresolved), source, cue, content surfaces."""

    id: str
    speaker: str | None
    source: str
    cue: str
    content: str
    kind: AttributionKind
    targets: list[str] = field(default_factory=list)


def make_document(
    text: str,
    *,
    outlet: str | None,
    published: str | None,
    actors: list[A],
    quotes: list[Q],
    techniques: list[tuple[str, str]],
    with_techniques: bool = True,
) -> Document:
    document = Document.from_text(text, source=f"hand/{Document.id_for(text)}.txt", outlet=outlet, published=published)
    entities: list[tuple[int, int, str, str]] = []
    for actor in actors:
        cursor = 0
        for surface in actor.mentions:
            start = text.index(surface, cursor)
            cursor = start + len(surface)
            entities.append((start, cursor, LABELS[actor.kind], actor.id))
    entities.sort()
    document.entities = [
        EntityMention(**document.span(s, e), label=label, actor=actor) for s, e, label, actor in entities
    ]
    document.actors = [
        Actor(
            id=a.id,
            kind=a.kind,
            name=a.name,
            aliases=a.aliases,
            mentions=[i for i, m in enumerate(document.entities) if m.actor == a.id],
        )
        for a in actors
    ]
    attributions = []
    for q in quotes:
        source = text.index(q.source) if q.source else 0
        cue = text.index(q.cue, source + len(q.source))
        content = text.index(q.content, cue + len(q.cue))
        via: SpeakerVia = "name" if q.speaker else "unresolved"
        attributions.append(
            Attribution(
                id=q.id,
                kind=q.kind,
                source=[Span(**document.span(source, source + len(q.source)))] if q.source else [],
                cue=[Span(**document.span(cue, cue + len(q.cue)))],
                content=[Span(**document.span(content, content + len(q.content)))],
                speaker=q.speaker,
                speaker_via=via,
                targets=q.targets,
                confidence=0.9,
            )
        )
    document.attributions = attributions
    findings = []
    for surface, technique in techniques:
        start = text.index(surface)
        findings.append(
            TechniqueFinding(
                **document.span(start, start + len(surface)),
                technique=technique,
                label=technique.replace("_", " "),
                confidence=0.5,
                span_probability=0.5,
                technique_probability=1.0,
            )
        )
    document.techniques = findings
    if with_techniques:
        counts: dict[str, int] = {}
        for finding in findings:
            counts[finding.technique] = counts.get(finding.technique, 0) + 1
        document.technique_summary = TechniqueSummary(counts=counts, share_of_text=0.0, threshold=0.5)
    return document


DOC1 = make_document(
    'Hassan Rouhani said the deal was fair. Donald Trump said Rouhani was "a liar". '
    "The Islamic Revolutionary Guard Corps (IRGC) stayed silent.",
    outlet="daily-a.com",
    published="2016-01-10",
    actors=[
        A("A1", "person", "Hassan Rouhani", ["Hassan Rouhani", "Rouhani"], ["Rouhani"]),
        A("A2", "person", "Donald Trump", ["Donald Trump"]),
        A(
            "A3",
            "organisation",
            "Islamic Revolutionary Guard Corps",
            ["Islamic Revolutionary Guard Corps", "IRGC"],
            ["IRGC"],
        ),
    ],
    quotes=[
        Q("Q1", "A1", "Hassan Rouhani", "said", "the deal was fair", "indirect"),
        Q("Q2", "A2", "Donald Trump", "said", 'Rouhani was "a liar"', "mixed", ["A1"]),
    ],
    techniques=[("a liar", "Name_Calling,Labeling")],
)

DOC2 = make_document(
    'Rohani warned that sanctions hurt families. Trump said the Iranian leader Rohani "cannot be trusted". '
    "Hillary Clinton said Trump was reckless.",
    outlet="herald-b.org",
    published="2016-01-20",
    actors=[
        A("A1", "person", "Rohani", ["Rohani", "Rohani"]),
        A("A2", "person", "Trump", ["Trump", "Trump"]),
        A("A3", "group", "Iranian", ["Iranian"]),
        A("A4", "person", "Hillary Clinton", ["Hillary Clinton"]),
    ],
    quotes=[
        Q("Q1", "A1", "Rohani", "warned", "that sanctions hurt families", "indirect"),
        Q("Q2", "A2", "Trump", "said", 'the Iranian leader Rohani "cannot be trusted"', "mixed", ["A3", "A1"]),
        Q("Q3", "A4", "Hillary Clinton", "said", "Trump was reckless", "indirect", ["A2"]),
    ],
    techniques=[("cannot be trusted", "Doubt"), ("reckless", "Loaded_Language")],
)

DOC3 = make_document(
    "President Hassan Rouhani told reporters the IRGC would obey. Critics said Rouhani was weak and dangerous.",
    outlet="daily-a.com",
    published="2016-02-05",
    actors=[
        A("A1", "person", "President Hassan Rouhani", ["President Hassan Rouhani", "Rouhani"], ["Rouhani"]),
        A("A2", "organisation", "IRGC", ["IRGC"]),
    ],
    quotes=[
        Q("Q1", "A1", "President Hassan Rouhani", "told", "the IRGC would obey", "indirect", ["A2"]),
        Q("Q2", None, "Critics", "said", "Rouhani was weak and dangerous", "indirect", ["A1"]),
    ],
    techniques=[("weak and dangerous", "Loaded_Language"), ("weak and dangerous", "Name_Calling,Labeling")],
)

# How the article labels Rouhani: its own "President" and the critics' "weak and dangerous"
# (a label in a source's words).
DOC3.labels = [
    Label(**DOC3.span(0, 9), mention=0, actor="A1", kind="modifier", polarity="neutral", voice="reporter"),
    Label(
        **DOC3.span(DOC3.text.index("weak"), DOC3.text.index("weak and dangerous") + len("weak and dangerous")),
        mention=2,
        actor="A1",
        kind="predicate",
        polarity="negative",
        technique="Loaded_Language",
        voice="source",
    ),
]

DOC4 = make_document(
    'Donald J. Trump met the Federal Bureau of Investigation director. Bill Clinton said Trump "lies every day".',
    outlet="c-news",
    published="2016-02-15",
    actors=[
        A("A1", "person", "Donald J. Trump", ["Donald J. Trump", "Trump"], ["Trump"]),
        A("A2", "organisation", "Federal Bureau of Investigation", ["Federal Bureau of Investigation"]),
        A("A3", "person", "Bill Clinton", ["Bill Clinton"]),
    ],
    quotes=[Q("Q1", "A3", "Bill Clinton", "said", 'Trump "lies every day"', "mixed", ["A1"])],
    techniques=[("lies every day", "Exaggeration,Minimisation")],
)

DOC5 = make_document(
    'The FBI opened an inquiry. Hillary Clinton said the FBI acted fairly. Maryam Smith said Clinton "must resign". '
    "Smith left.",
    outlet="herald-b.org",
    published="2016-03-01",
    actors=[
        A("A1", "organisation", "FBI", ["FBI", "FBI"]),
        A("A2", "person", "Hillary Clinton", ["Hillary Clinton", "Clinton"], ["Clinton"]),
        A("A3", "person", "Maryam Smith", ["Maryam Smith", "Smith"], ["Smith"]),
    ],
    quotes=[
        Q("Q1", "A2", "Hillary Clinton", "said", "the FBI acted fairly", "indirect", ["A1"]),
        Q("Q2", "A3", "Maryam Smith", "said", 'Clinton "must resign"', "mixed", ["A2"]),
    ],
    techniques=[],
)

DOC6 = make_document(
    "Clinton spoke in Ohio. Trump said nothing about Ohio. John Smith agreed, and Smith left.",
    outlet="c-news",
    published=None,
    actors=[
        A("A1", "person", "Clinton", ["Clinton"]),
        A("A2", "place", "Ohio", ["Ohio", "Ohio"]),
        A("A3", "person", "Trump", ["Trump"]),
        A("A4", "person", "John Smith", ["John Smith", "Smith"], ["Smith"]),
    ],
    quotes=[Q("Q1", "A3", "Trump", "said", "nothing about Ohio", "indirect", ["A2"])],
    techniques=[],
    with_techniques=False,  # ingested without the techniques stage: left out of profiles
)

DOCUMENTS = [DOC1, DOC2, DOC3, DOC4, DOC5, DOC6]


def build_store(path: Path) -> Path:
    with Store(path) as store:
        for document in DOCUMENTS:
            assert store.add(document)
        store.resolve_actors()
    return path
