"""The shapes of the API's answers, as pydantic models, so that /api/openapi.json documents
every response. The rows themselves are the corpus questions' own types
(``presslens.corpus.queries``) and the Document model: one definition of each."""

from __future__ import annotations

from typing import Generic, Literal, Self, TypeVar

from pydantic import BaseModel, Field

from presslens.corpus.labels import ActorLabelling, ComparisonRow, LabelRow
from presslens.corpus.narratives import ClaimElsewhere, NarrativeRow
from presslens.corpus.queries import (
    ActorRow,
    Hit,
    OutletRow,
    ProfileRow,
    SpeakerGroup,
    SpeakerRow,
    Statement,
)
from presslens.document import Document
from presslens.techniques.explanations import TechniqueInfo

Row = TypeVar("Row")


class Page(BaseModel, Generic[Row]):
    """Some of the rows a question has: ``limit`` of them from the ``offset``-th on."""

    items: list[Row]
    limit: int
    offset: int
    next_offset: int | None = Field(description="The offset of the next page; null on the last page.")

    @classmethod
    def of(cls, rows: list[Row], limit: int, offset: int) -> Self:
        """The page of ``rows``, fetched with one row more than ``limit`` to tell whether
        another page follows."""
        more = len(rows) > limit
        return cls(items=rows[:limit], limit=limit, offset=offset, next_offset=offset + limit if more else None)


class HitPage(Page[Hit]):
    """Documents found, best first (or newest first without words to search for)."""


class ActorPage(Page[ActorRow]):
    """Corpus actors, the most documented first."""


class NarrativePage(Page[NarrativeRow]):
    """Narratives, the widest spread first (outlets, then documents)."""


class ClaimsElsewhere(BaseModel):
    """A document's claims that other articles make too, each with those articles' claims."""

    items: list[ClaimElsewhere]


class CorpusActor(BaseModel):
    """One corpus actor with its counts."""

    id: int
    name: str
    kind: str
    documents: int = Field(description="Documents that name it.")
    mentions: int
    statements: int = Field(description="Attributions it is the speaker of.")
    about: int = Field(description="Attributions it is a target of.")


class ActorStatements(BaseModel):
    """``by``: an actor's statements, newest first. ``about``: statements about it, grouped by speaker."""

    actor: int
    direction: Literal["by", "about"]
    items: list[Statement] | list[SpeakerGroup]


class ActorLabels(BaseModel):
    """How outlets label one actor: its labels per outlet, most used first in each."""

    actor: int
    voice: str = Field(description="Whose words: reporter (the articles' own), source (quoted), all.")
    items: list[LabelRow]


class LabelComparison(BaseModel):
    """Two outlets side by side on one actor: each label either uses, with both counts."""

    actor: int
    a: str
    b: str
    voice: str
    items: list[ComparisonRow]


class OutletLabels(BaseModel):
    """The actors one outlet labels, the most negatively labelled first."""

    outlet: str
    voice: str
    items: list[ActorLabelling]


class Outlets(BaseModel):
    """Outlets, the one with most documents first."""

    items: list[OutletRow]


class TechniqueProfile(BaseModel):
    """Technique spans per outlet or per month."""

    by: str = Field(description="outlet or month: what the rows are grouped by.")
    items: list[ProfileRow]


class Speakers(BaseModel):
    """The actors quoted most, per outlet (or over all outlets)."""

    items: list[SpeakerRow]


class Techniques(BaseModel):
    """The techniques presslens finds, with their explanations and highlight colours."""

    items: list[TechniqueInfo]


class LineError(BaseModel):
    line: int = Field(description="The line of the batch, from 1.")
    error: str


class BatchResult(BaseModel):
    """The documents analysed, in line order, and an error for each line that could not be."""

    documents: list[Document]
    errors: list[LineError]
