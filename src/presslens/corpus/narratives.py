"""Questions about narratives: claims that several articles make (``presslens.store.narratives``
links and groups them as documents are ingested).

A narrative's spread is the number of outlets that carry it, then of documents. Its first
appearance is its claim in the earliest dated document (undated ones come after every dated
one), and that claim's words are the narrative's label.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from presslens.corpus.queries import UNKNOWN_OUTLET, Filters, QueryError, _limit, _where
from presslens.store.store import Store

# The columns of the narratives table (the CLI's CSV, the notebook API's DataFrames).
ELSEWHERE_COLUMNS = ("claim", "published", "outlet", "speaker", "title", "text")
NARRATIVE_COLUMNS = ("id", "outlets", "documents", "claims", "first_seen", "first_outlet", "first_speaker", "claim")


@dataclass
class NarrativeClaim:
    """One claim of a narrative, where it is made."""

    narrative: str
    doc_id: str
    claim_id: str
    kind: str  # reported, asserted
    text: str
    start: int
    end: int
    title: str | None
    outlet: str | None
    published: date | None
    speaker: str | None  # the corpus actor's name, for reported claims whose speaker is known
    speaker_id: int | None


@dataclass
class NarrativeRow:
    id: str
    claim: str  # the words of its first appearance
    claims: int
    documents: int
    outlets: int
    speakers: int
    first_seen: date | None
    first_outlet: str | None
    first_speaker: str | None
    last_seen: date | None


@dataclass
class Carrier:
    """An outlet or a speaker that carries a narrative."""

    name: str
    claims: int
    documents: int
    first_seen: date | None


@dataclass
class TimelinePoint:
    month: str  # YYYY-MM
    outlet: str
    claims: int


@dataclass
class Narrative:
    id: str
    claim: str
    first: NarrativeClaim
    claims: list[NarrativeClaim]
    outlets: list[Carrier]
    speakers: list[Carrier]
    timeline: list[TimelinePoint] = field(default_factory=list)


@dataclass
class ClaimElsewhere:
    """A claim of one document and the same claim made in others."""

    claim_id: str
    narrative: str
    elsewhere: list[NarrativeClaim]


_MEMBER_COLUMNS = """
    n.narrative, c.doc_id, c.claim_id, c.kind, c.text, c.start_char, c.end_char, d.title, o.name, d.published,
    a.name, a.id
"""
_MEMBER_FROM = """
    FROM claim_narratives n
    JOIN claims c ON c.doc_id = n.doc_id AND c.claim_id = n.claim_id
    JOIN documents d ON d.id = c.doc_id
    LEFT JOIN outlets o ON o.id = d.outlet_id
    LEFT JOIN actor_keys k ON k.key = c.speaker_key
    LEFT JOIN corpus_actors a ON a.id = k.corpus_actor
"""
# Earliest first; undated documents after the dated ones; then a stable order.
_CHRONOLOGICAL = "d.published NULLS LAST, c.doc_id, length(c.claim_id), c.claim_id"


def _member(row: tuple[Any, ...]) -> NarrativeClaim:
    return NarrativeClaim(*row)


def _members(store: Store, condition: str, parameters: list[Any]) -> list[NarrativeClaim]:
    rows = store.query(
        f"SELECT {_MEMBER_COLUMNS} {_MEMBER_FROM} WHERE {condition} ORDER BY {_CHRONOLOGICAL}", parameters
    )
    return [_member(r) for r in rows]


def list_narratives(
    store: Store,
    filters: Filters | None = None,
    limit: int | None = 50,
    offset: int = 0,
    *,
    match: str | None = None,
    min_outlets: int = 1,
) -> list[NarrativeRow]:
    """The narratives, widest spread first; with ``filters`` only the claims of the
    documents they select count (a narrative needs two documents among them); ``match``:
    words its claims hold."""
    where, parameters = _where(store, filters or Filters())
    having = ["count(DISTINCT c.doc_id) >= 2", f"count(DISTINCT d.outlet_id) >= {int(min_outlets)}"]
    if match:
        having.append("bool_or(contains(lower(c.text), ?))")
        parameters.append(match.lower())
    rows = store.query(
        f"""
        SELECT n.narrative,
               arg_min(c.text, (d.published IS NULL, d.published, c.doc_id, length(c.claim_id), c.claim_id)),
               count(*), count(DISTINCT c.doc_id), count(DISTINCT coalesce(o.name, '{UNKNOWN_OUTLET}')),
               count(DISTINCT a.id),
               min(d.published),
               arg_min(coalesce(o.name, '{UNKNOWN_OUTLET}'),
                       (d.published IS NULL, d.published, c.doc_id, length(c.claim_id), c.claim_id)),
               arg_min_null(a.name, (d.published IS NULL, d.published, c.doc_id, length(c.claim_id), c.claim_id)),
               max(d.published)
        {_MEMBER_FROM}
        WHERE {where}
        GROUP BY n.narrative
        HAVING {" AND ".join(having)}
        ORDER BY 5 DESC, 4 DESC, 3 DESC, 7 NULLS LAST, 1
        {_limit(limit, offset)}
        """,
        parameters,
    )
    return [NarrativeRow(*r) for r in rows]


def get_narrative(store: Store, narrative_id: str, filters: Filters | None = None) -> Narrative:
    """One narrative: its claims in order of appearance, who carries it, a timeline per
    outlet (claims per month)."""
    where, parameters = _where(store, filters or Filters())
    members = _members(store, f"n.narrative = ? AND {where}", [narrative_id, *parameters])
    if not members:
        raise QueryError(f"no narrative {narrative_id} in the store (`presslens narratives` lists them)")
    outlets: dict[str, list[NarrativeClaim]] = defaultdict(list)
    speakers: dict[str, list[NarrativeClaim]] = defaultdict(list)
    timeline: dict[tuple[str, str], int] = defaultdict(int)
    for member in members:
        outlet = member.outlet or UNKNOWN_OUTLET
        outlets[outlet].append(member)
        if member.speaker:
            speakers[member.speaker].append(member)
        month = member.published.strftime("%Y-%m") if member.published else "(undated)"
        timeline[(month, outlet)] += 1

    def carriers(groups: dict[str, list[NarrativeClaim]]) -> list[Carrier]:
        out = [
            Carrier(
                name,
                len(claims),
                len({c.doc_id for c in claims}),
                min((c.published for c in claims if c.published), default=None),
            )
            for name, claims in groups.items()
        ]
        return sorted(out, key=lambda c: (-c.documents, -c.claims, c.first_seen or date.max, c.name))

    return Narrative(
        id=narrative_id,
        claim=members[0].text,
        first=members[0],
        claims=members,
        outlets=carriers(outlets),
        speakers=carriers(speakers),
        timeline=[TimelinePoint(month, outlet, n) for (month, outlet), n in sorted(timeline.items())],
    )


def claims_elsewhere(store: Store, doc_id: str, claim_id: str | None = None) -> list[ClaimElsewhere]:
    """For each claim of a document that belongs to a narrative (or the one ``claim_id``),
    the same claim in other documents, in order of appearance."""
    if not store.has(doc_id):
        raise QueryError(f"no document {doc_id} in the store")
    condition = "doc_id = ?" + (" AND claim_id = ?" if claim_id else "")
    own = store.query(
        f"SELECT claim_id, narrative FROM claim_narratives WHERE {condition} ORDER BY length(claim_id), claim_id",
        [doc_id, claim_id] if claim_id else [doc_id],
    )
    if not own:
        return []
    members = _members(store, "n.narrative IN (SELECT unnest(?::VARCHAR[]))", [sorted({n for _, n in own})])
    by_narrative: dict[str, list[NarrativeClaim]] = defaultdict(list)
    for member in members:
        if member.doc_id != doc_id:
            by_narrative[member.narrative].append(member)
    return [ClaimElsewhere(claim, narrative, by_narrative[narrative]) for claim, narrative in own]


def elsewhere_rows(found: list[ClaimElsewhere]) -> list[dict[str, Any]]:
    """``claims_elsewhere`` as a table: one row per claim made elsewhere."""
    return [
        {"claim": c.claim_id, "narrative": c.narrative, **dataclasses.asdict(other)}
        for c in found
        for other in c.elsewhere
    ]
