"""How outlets label actors: the corpus questions of the labels layer (``presslens.labels``).

- ``actor_labels``: for one actor, its labels per outlet, with counts and an example each;
- ``outlet_actors``: for one outlet, the actors it labels, most negatively first;
- ``compare_outlets``: two outlets side by side on one actor.

By default only the reporter's own words count (``voice="reporter"``): an official's "our
enemies", quoted by an article, is the official's label, not the outlet's (``voice="source"``
asks for those, ``"all"`` for both).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from presslens.corpus.queries import UNKNOWN_OUTLET, Filters, QueryError, _keys_of, _limit, _where, find_actor
from presslens.store.store import Store

VOICES = ("reporter", "source", "all")
EVERY_DOCUMENT = Filters()
# The columns of each question's table (the CLI's CSV, the notebook API's DataFrames).
LABEL_COLUMNS = ("outlet", "term", "polarity", "count", "documents", "technique", "example")
OUTLET_LABEL_COLUMNS = ("actor", "labels", "negative", "neutral", "positive", "negative_share", "top_negative")
COMPARISON_COLUMNS = ("term", "polarity", "count_a", "count_b")


@dataclass
class LabelRow:
    outlet: str
    term: str  # the label as counted: lower case
    polarity: str
    kinds: list[str]
    count: int
    documents: int
    technique: str | None  # a labelling technique found over it, if any
    example_doc: str
    example: str  # the sentence-sized stretch of text around one use


@dataclass
class ActorLabelling:
    actor: str
    actor_id: int
    labels: int
    negative: int
    neutral: int
    positive: int
    negative_share: float
    top_negative: list[str] = field(default_factory=list)


@dataclass
class ComparisonRow:
    term: str
    polarity: str
    count_a: int
    count_b: int


def _voice_condition(voice: str) -> str:
    if voice not in VOICES:
        raise QueryError(f"voice must be one of {', '.join(VOICES)}, not '{voice}'")
    return "TRUE" if voice == "all" else f"l.voice = '{voice}'"


def actor_labels(
    store: Store, actor: str, filters: Filters = EVERY_DOCUMENT, voice: str = "reporter", limit: int | None = 50
) -> list[LabelRow]:
    """The labels of ``actor`` per outlet: the ``limit`` most used of each outlet, with the
    first use of each as its example."""
    keys = _keys_of(store, find_actor(store, actor).id)
    where, parameters = _where(store, filters)
    per_outlet = "QUALIFY row_number() OVER (PARTITION BY outlet ORDER BY n DESC, term) <= ?" if limit else ""
    # The example's text is read for the rows answered only, not for every use counted.
    rows = store.query(
        f"""
        WITH grouped AS (
            SELECT coalesce(o.name, '{UNKNOWN_OUTLET}') AS outlet, l.term AS term, mode(l.polarity) AS polarity,
                   list(DISTINCT l.kind ORDER BY l.kind) AS kinds, count(*) AS n,
                   count(DISTINCT l.doc_id) AS documents, mode(l.technique) AS technique,
                   min({{'doc': l.doc_id, 'start': l.start_char, 'end': l.end_char}}) AS first
            FROM labels l JOIN documents d ON d.id = l.doc_id LEFT JOIN outlets o ON o.id = d.outlet_id
            WHERE l.actor_key IN (SELECT unnest(?::VARCHAR[])) AND {_voice_condition(voice)} AND {where}
            GROUP BY 1, 2 {per_outlet}
        )
        SELECT g.outlet, g.term, g.polarity, g.kinds, g.n, g.documents, g.technique, g.first.doc,
               substr(d.text, greatest(1, g.first.start - 60), g.first."end" - g.first.start + 120)
        FROM grouped g JOIN documents d ON d.id = g.first.doc
        ORDER BY g.outlet, g.n DESC, g.term
        """,
        [keys, *parameters, *([limit] if limit else [])],
    )
    return [
        LabelRow(r[0], r[1], r[2], list(r[3]), int(r[4]), int(r[5]), r[6], r[7], " ".join(str(r[8]).split()))
        for r in rows
    ]


def outlet_actors(
    store: Store, outlet: str, filters: Filters = EVERY_DOCUMENT, voice: str = "reporter", limit: int | None = 20
) -> list[ActorLabelling]:
    """The actors ``outlet`` labels, the most negatively labelled first (by the number of
    negative labels, then their share)."""
    where, parameters = _where(store, Filters(outlet=outlet, since=filters.since, until=filters.until))
    rows = store.query(
        f"""
        SELECT c.name, c.id, count(*) AS n,
               count(*) FILTER (WHERE l.polarity = 'negative') AS neg,
               count(*) FILTER (WHERE l.polarity = 'neutral'),
               count(*) FILTER (WHERE l.polarity = 'positive'),
               list(l.term ORDER BY l.term) FILTER (WHERE l.polarity = 'negative')
        FROM labels l JOIN documents d ON d.id = l.doc_id
        JOIN actor_keys k ON k.key = l.actor_key JOIN corpus_actors c ON c.id = k.corpus_actor
        WHERE {_voice_condition(voice)} AND {where}
        GROUP BY ALL ORDER BY neg DESC, neg / n DESC, c.name {_limit(limit)}
        """,
        parameters,
    )
    out = []
    for name, actor_id, n, negative, neutral, positive, terms in rows:
        counts: dict[str, int] = {}
        for term in terms or []:
            counts[term] = counts.get(term, 0) + 1
        top = sorted(counts, key=lambda t: (-counts[t], t))[:5]
        out.append(
            ActorLabelling(
                name,
                int(actor_id),
                int(n),
                int(negative),
                int(neutral),
                int(positive),
                round(negative / n, 3) if n else 0.0,
                top,
            )
        )
    return out


def compare_outlets(
    store: Store, actor: str, outlet_a: str, outlet_b: str, filters: Filters = EVERY_DOCUMENT, voice: str = "reporter"
) -> list[ComparisonRow]:
    """Two outlets side by side on one actor: every label either uses, with each one's count."""
    rows: dict[str, list[LabelRow]] = {}
    for outlet in (outlet_a, outlet_b):
        chosen = Filters(outlet=outlet, since=filters.since, until=filters.until)
        rows[outlet] = actor_labels(store, actor, chosen, voice, limit=None)
    terms: dict[str, ComparisonRow] = {}
    for row in rows[outlet_a]:
        terms[row.term] = ComparisonRow(row.term, row.polarity, row.count, 0)
    for row in rows[outlet_b]:
        terms.setdefault(row.term, ComparisonRow(row.term, row.polarity, 0, 0)).count_b = row.count
    return sorted(terms.values(), key=lambda r: (-(r.count_a + r.count_b), r.term))
