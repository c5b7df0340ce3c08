"""The document model: one article's text and the layers of spans that stages add over it.

Every span is ``[start, end)`` in characters of ``Document.text`` and carries the text it
covers, so that any consumer can check ``text[start:end] == span.text`` without the
pipeline. Stages only ever add layers; they never change ``text``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.4"  # 1.2: TechniqueFinding.origin; 1.3: claims; 1.4: descriptions as mentions, labels

ActorKind = Literal["person", "organisation", "place", "group"]
MentionOrigin = Literal["ner", "rule"]  # the statistical model or presslens' rules
TechniqueOrigin = Literal["model", "rule"]  # the technique model or presslens' rules
MentionKind = Literal["name", "description"]
# How a description was tied to its actor (presslens.actors.descriptions).
ResolvedBy = Literal["apposition", "copula", "country", "article", "paragraph", "role", "own", "ambiguous"]
LabelKind = Literal["description", "modifier", "apposition", "predicate", "technique"]
Polarity = Literal["negative", "neutral", "positive"]
Voice = Literal["reporter", "source"]


class Span(BaseModel):
    """A stretch of ``Document.text``: ``text == document.text[start:end]``."""

    model_config = ConfigDict(extra="forbid")

    start: int = Field(ge=0, description="First character, counted in Document.text.")
    end: int = Field(ge=0, description="One past the last character.")
    text: str = Field(description="Document.text[start:end], kept for readers of the JSON.")


class SpanFields(TypedDict):
    """The fields every Span subclass shares, as ``Document.span`` gives them."""

    start: int
    end: int
    text: str


class Sentence(Span):
    pass


class Token(Span):
    pos: str = Field(description="Universal part-of-speech tag.")
    tag: str = Field(description="Fine-grained (Penn Treebank) tag.")
    lemma: str
    dep: str = Field(description="Dependency relation to the head.")
    head: int = Field(description="Index of the head token in Document.tokens.")


class EntityMention(Span):
    label: str = Field(description="OntoNotes label: PERSON, ORG, GPE, NORP, LOC, ...")
    origin: MentionOrigin = Field(
        default="ner", description="'ner' from the statistical model, 'rule' from presslens' rules."
    )
    actor: str | None = Field(default=None, description="Id of the Actor this mention refers to.")
    kind: MentionKind = Field(
        default="name", description="'name' ('Ali Rabiei', 'MEK') or 'description' ('the regime', 'the minister')."
    )
    resolved_by: ResolvedBy | None = Field(
        default=None,
        description="For a description, what tied it to its actor: an apposition or copula with a name, its "
        "country, the article's one country, the one organisation named in its paragraph, a role; 'own' when "
        "the article never names the actor; 'ambiguous' when two actors fit (actor is then None).",
    )


class Role(Span):
    """A title or function given to a person in the text: 'labour minister'."""


class Actor(BaseModel):
    """A person, organisation, place or group, with all its mentions in one article."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Unique within the document: 'A1', 'A2', ...")
    kind: ActorKind
    name: str = Field(description="Canonical name: the longest full form found in the article.")
    aliases: list[str] = Field(default_factory=list, description="Other forms used: surname, acronym.")
    roles: list[Role] = Field(default_factory=list)
    mentions: list[int] = Field(default_factory=list, description="Indices into Document.entities, in text order.")
    described: bool = Field(
        default=False, description="True when the article only describes it: its name is a description."
    )


class TechniqueFinding(Span):
    """A span that uses a persuasion technique (one of the 14 of the PTC corpus)."""

    technique: str = Field(description="PTC technique name, e.g. 'Loaded_Language'.")
    label: str = Field(description="Readable name, e.g. 'Loaded language'.")
    confidence: float = Field(ge=0, le=1, description="span_probability × technique_probability.")
    span_probability: float = Field(ge=0, le=1, description="That this stretch uses some technique.")
    technique_probability: float = Field(ge=0, le=1, description="That the technique is this one.")
    origin: TechniqueOrigin = Field(
        default="model",
        description="'model' from the technique model; 'rule' from presslens' rules (a pejorative designation "
        "used as a label), whose probabilities are the rule's precision measured on PTC dev.",
    )


AttributionKind = Literal["direct", "indirect", "mixed"]
SpeakerVia = Literal["name", "role", "pronoun", "organisation", "description", "unresolved", "none"]


class Attribution(BaseModel):
    """Who said what: a source (may be absent), a cue and a content, each a list of fragments
    (the content of a quote interrupted by "he said" has two)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Unique within the document: 'Q1', 'Q2', ...")
    kind: AttributionKind = Field(
        description="direct: the content is all inside quote marks; mixed: partly; indirect: none."
    )
    source: list[Span] = Field(default_factory=list, description="Who: empty when the text names no source.")
    cue: list[Span] = Field(description="The words that mark the attribution: 'said', 'according to'.")
    content: list[Span] = Field(description="What was said, claimed or reported.")
    speaker: str | None = Field(default=None, description="Id of the Actor the source refers to, when resolved.")
    speaker_via: SpeakerVia = Field(
        default="none",
        description="How the source was resolved: a name, a role noun ('the minister'), a pronoun, an "
        "organisation or outlet, a description ('the regime'); 'unresolved' when no actor fits; 'none' "
        "without a source.",
    )
    targets: list[str] = Field(default_factory=list, description="Ids of the Actors mentioned inside the content.")
    parent: str | None = Field(
        default=None, description="Id of the attribution whose content holds this one (an outlet reporting a quote)."
    )
    confidence: float = Field(ge=0, le=1, description="Mean tagger probability of the cue.")


ClaimKind = Literal["reported", "asserted"]


class FactCheckMatch(BaseModel):
    """A fact-check from the index given to the claims stage that checks this claim."""

    model_config = ConfigDict(extra="forbid")

    id: str
    claim: str = Field(description="The claim as the fact-checker wrote it.")
    title: str = ""
    verdict: str = Field(default="", description="The fact-checker's rating: 'False', 'Mostly true', ...")
    url: str = ""
    publisher: str = ""
    date: str = ""
    probability: float = Field(ge=0, le=1, description="That this fact-check checks the claim (calibrated).")


class Claim(BaseModel):
    """A claim the article makes or reports: an attribution's content ('reported'), or one of
    the article's own check-worthy factual sentences ('asserted')."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Unique within the document: 'C1', 'C2', ...")
    kind: ClaimKind
    spans: list[Span] = Field(description="Where it is: the attribution's content fragments, or the sentence.")
    text: str = Field(description="The claim's words, normalised: fragments joined, quote marks and spacing tidied.")
    attribution: str | None = Field(default=None, description="Id of the Attribution it is the content of.")
    speaker: str | None = Field(default=None, description="Id of the Actor who makes it, when known.")
    signals: list[str] = Field(
        default_factory=list, description="Why it is check-worthy: 'number', 'cause', 'event', 'reported'."
    )
    fact_checks: list[FactCheckMatch] = Field(
        default_factory=list, description="Fact-checks that check it, best first (with `--fact-checks`)."
    )


class TechniqueExplanation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str
    definition: str
    how_to_recognise: str
    example: str
    colour: str = Field(default="#888888", description="Its highlight colour, as the web view and notebooks show it.")


class TechniqueSummary(BaseModel):
    """Article-level view of the technique layer."""

    model_config = ConfigDict(extra="forbid")

    counts: dict[str, int] = Field(default_factory=dict, description="Findings per technique.")
    share_of_text: float = Field(ge=0, le=1, description="Share of non-space characters inside any finding.")
    threshold: float = Field(description="Piece probability above which text was marked.")
    explanations: dict[str, TechniqueExplanation] = Field(
        default_factory=dict, description="What each technique found is, how to recognise it, an example."
    )


class Label(Span):
    """A word or phrase the text uses to characterise an actor at one of its mentions: the
    description itself ("regime"), a modifier ("so-called"), an apposition ("a terrorist
    cult"), a predicate ("an organisation"), or a technique span over the mention."""

    mention: int = Field(description="Index into Document.entities of the mention it characterises.")
    actor: str | None = Field(description="Id of the Actor (None for an unresolved description).")
    kind: LabelKind
    polarity: Polarity = Field(description="From the label lexicon (presslens.labels.polarity).")
    technique: str | None = Field(default=None, description="PTC technique of a technique span it overlaps.")
    voice: Voice = Field(
        description="'reporter': the article's own words; 'source': inside the content of an attribution."
    )
    speaker: str | None = Field(default=None, description="Actor id of the attribution's speaker, for 'source'.")


class RemovedText(BaseModel):
    """Site debris taken out of the text before analysis, with its place in the original."""

    model_config = ConfigDict(extra="forbid")

    original_start: int = Field(ge=0, description="Offset in the text as read, before cleaning.")
    text: str
    reason: str


class Document(BaseModel):
    """One article and everything presslens found in it."""

    model_config = ConfigDict(extra="forbid")

    schema_version: str = SCHEMA_VERSION
    id: str = Field(description="sha256 of text, first 16 hex digits: the same text, the same id.")
    source: str | None = Field(default=None, description="Path, URL or '<stdin>' it was read from.")
    url: str | None = None
    outlet: str | None = Field(default=None, description="Site or publisher.")
    title: str | None = None
    author: str | None = None
    published: str | None = Field(default=None, description="ISO 8601 date, when known.")
    language: str | None = Field(default=None, description="ISO 639-1 code as detected.")
    text: str
    removed: list[RemovedText] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    sentences: list[Sentence] = Field(default_factory=list)
    tokens: list[Token] = Field(default_factory=list)
    entities: list[EntityMention] = Field(default_factory=list)
    actors: list[Actor] = Field(default_factory=list)
    attributions: list[Attribution] = Field(default_factory=list, description="Filled by the attribution stage.")
    techniques: list[TechniqueFinding] = Field(default_factory=list, description="Filled by the techniques stage.")
    claims: list[Claim] = Field(default_factory=list, description="Filled by the claims stage.")
    labels: list[Label] = Field(default_factory=list, description="Filled by the labels stage.")
    technique_summary: TechniqueSummary | None = None

    @staticmethod
    def id_for(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    @classmethod
    def from_text(cls, text: str, **metadata: object) -> Document:
        # Validated as a mapping: the metadata's names are checked by the model (extra="forbid").
        return cls.model_validate({"id": cls.id_for(text), "text": text, **metadata})

    def span(self, start: int, end: int) -> SpanFields:
        """Keyword arguments for a Span subclass over ``text[start:end]``."""
        return {"start": start, "end": end, "text": self.text[start:end]}

    def actor(self, actor_id: str) -> Actor | None:
        return next((a for a in self.actors if a.id == actor_id), None)

    def _repr_html_(self) -> str:
        """The article view in Jupyter (``presslens.document_html``: escaped, no script)."""
        from presslens.document_html import document_html

        return document_html(self)

    def spans_df(self) -> Any:
        """Every span of the analysis layers as a pandas DataFrame: layer, start, end, text,
        label, confidence (None where a layer has none)."""
        import pandas  # type: ignore[import-untyped]

        found: list[tuple[str, Span, str, float | None]] = []  # (layer, span, label, confidence)
        found += [("entities", e, e.label, None) for e in self.entities]
        found += [("techniques", t, t.technique, t.confidence) for t in self.techniques]
        for a in self.attributions:
            for part in ("source", "cue", "content"):
                found += [(f"attribution {part}", s, a.kind, a.confidence) for s in getattr(a, part)]
        found += [("claims", s, c.kind, None) for c in self.claims for s in c.spans]
        found += [("labels", label, f"{label.kind} {label.polarity}", None) for label in self.labels]
        rows = [(layer, s.start, s.end, s.text, label, confidence) for layer, s, label, confidence in found]
        columns = ["layer", "start", "end", "text", "label", "confidence"]
        frame = pandas.DataFrame(rows, columns=columns)
        return frame.sort_values(["start", "end", "layer"], kind="stable").reset_index(drop=True)

    def to_json(self, indent: int | None = None) -> str:
        return self.model_dump_json(indent=indent)

    @classmethod
    def from_json(cls, data: str | bytes) -> Document:
        return cls.model_validate_json(data)

    def iter_spans(self) -> list[Span]:
        """Every span of every layer, for checks that hold across layers."""
        spans: list[Span] = [*self.sentences, *self.tokens, *self.entities]
        for actor in self.actors:
            spans.extend(actor.roles)
        for attribution in self.attributions:
            spans.extend([*attribution.source, *attribution.cue, *attribution.content])
        spans.extend(self.techniques)
        for claim in self.claims:
            spans.extend(claim.spans)
        spans.extend(self.labels)
        return spans


def json_schema() -> str:
    """The JSON Schema of presslens' document output (``presslens schema``)."""
    schema = Document.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://presslens.invalid/schema/document-{SCHEMA_VERSION}.json"
    schema["title"] = f"presslens Document {SCHEMA_VERSION}"
    return json.dumps(schema, indent=2)
