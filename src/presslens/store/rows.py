"""A document's rows in the store's per-document tables, computed without a store.

Both engines go through here: the local ingest turns each analysed Document into rows and
the store inserts them at once; the Ray engine computes the rows in its workers, writes them
as Parquet partitions and the store loads those. So a document is stored the same way,
column for column, whichever engine analysed it.

The rows name the outlet (``documents.outlet``) where the store keeps an integer id
(``documents.outlet_id``): ids are the store's to give, and a Parquet dataset written by many
workers must not depend on them. Corpus-level tables (outlets, corpus actors, their keys,
names and co-mentions) are the store's too, derived from these rows as they are loaded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from presslens.actors.corpus import actor_key, described_key
from presslens.document import Attribution, Document, Span
from presslens.stages import infer_stages
from presslens.store.columns import count_words, index_terms, parse_date
from presslens.text import covered_non_space_chars, non_space_chars

# Per-document tables in the order a load inserts them (documents last: in a Parquet part
# the documents file is written last too, and its presence marks the part complete).
DOCUMENT_TABLES = ("actors", "mentions", "attributions", "techniques", "claims", "labels", "postings", "documents")

# Column name -> DuckDB type, as in schema.py; documents.outlet replaces outlet_id.
COLUMNS: dict[str, dict[str, str]] = {
    "documents": {
        "id": "VARCHAR",
        "source": "VARCHAR",
        "url": "VARCHAR",
        "outlet": "VARCHAR",
        "title": "VARCHAR",
        "author": "VARCHAR",
        "published": "DATE",
        "published_text": "VARCHAR",
        "language": "VARCHAR",
        "collection": "VARCHAR",
        "external_id": "VARCHAR",
        "text": "VARCHAR",
        "n_chars": "INTEGER",
        "n_words": "INTEGER",
        "technique_chars": "INTEGER",
        "stages": "VARCHAR[]",
        "warnings": "VARCHAR[]",
        "document_schema": "VARCHAR",
        "ingested_at": "TIMESTAMP",
        "nonspace_chars": "INTEGER",
    },
    "actors": {
        "doc_id": "VARCHAR",
        "actor_id": "VARCHAR",
        "kind": "VARCHAR",
        "name": "VARCHAR",
        "aliases": "VARCHAR[]",
        "roles": "VARCHAR[]",
        "n_mentions": "INTEGER",
        "key": "VARCHAR",
        "described": "BOOLEAN",
    },
    "mentions": {
        "doc_id": "VARCHAR",
        "idx": "INTEGER",
        "start_char": "INTEGER",
        "end_char": "INTEGER",
        "text": "VARCHAR",
        "label": "VARCHAR",
        "origin": "VARCHAR",
        "actor_id": "VARCHAR",
        "kind": "VARCHAR",
        "resolved_by": "VARCHAR",
    },
    "attributions": {
        "doc_id": "VARCHAR",
        "attribution_id": "VARCHAR",
        "kind": "VARCHAR",
        "speaker": "VARCHAR",
        "speaker_via": "VARCHAR",
        "parent": "VARCHAR",
        "targets": "VARCHAR[]",
        "speaker_key": "VARCHAR",
        "target_keys": "VARCHAR[]",
        "confidence": "DOUBLE",
        "start_char": "INTEGER",
        "end_char": "INTEGER",
        "source_text": "VARCHAR",
        "cue_text": "VARCHAR",
        "content_text": "VARCHAR",
        "source_spans": "INTEGER[][]",
        "cue_spans": "INTEGER[][]",
        "content_spans": "INTEGER[][]",
    },
    "techniques": {
        "doc_id": "VARCHAR",
        "idx": "INTEGER",
        "technique": "VARCHAR",
        "label": "VARCHAR",
        "start_char": "INTEGER",
        "end_char": "INTEGER",
        "text": "VARCHAR",
        "confidence": "DOUBLE",
        "span_probability": "DOUBLE",
        "technique_probability": "DOUBLE",
        "nonspace_chars": "INTEGER",
        "origin": "VARCHAR",
    },
    "claims": {
        "doc_id": "VARCHAR",
        "claim_id": "VARCHAR",
        "kind": "VARCHAR",
        "attribution_id": "VARCHAR",
        "speaker": "VARCHAR",
        "speaker_key": "VARCHAR",
        "start_char": "INTEGER",
        "end_char": "INTEGER",
        "spans": "INTEGER[][]",
        "text": "VARCHAR",
        "signals": "VARCHAR[]",
        "fact_checks": "VARCHAR",
    },
    "labels": {
        "doc_id": "VARCHAR",
        "idx": "INTEGER",
        "mention": "INTEGER",
        "actor_id": "VARCHAR",
        "actor_key": "VARCHAR",
        "kind": "VARCHAR",
        "start_char": "INTEGER",
        "end_char": "INTEGER",
        "text": "VARCHAR",
        "term": "VARCHAR",
        "polarity": "VARCHAR",
        "technique": "VARCHAR",
        "voice": "VARCHAR",
        "speaker": "VARCHAR",
    },
    "postings": {"term": "VARCHAR", "doc_id": "VARCHAR", "tf": "INTEGER"},
    "failures": {"source": "VARCHAR", "reason": "VARCHAR", "failed_at": "TIMESTAMP"},
}

# table -> column -> values; every column of a table has the same length.
Rows = dict[str, dict[str, list[Any]]]


def empty_rows(tables: Iterable[str] = DOCUMENT_TABLES) -> Rows:
    return {table: {column: [] for column in COLUMNS[table]} for table in tables}


def extend_rows(rows: Rows, more: Rows) -> Rows:
    """Append ``more`` to ``rows`` table by table (in place); returns ``rows``."""
    for table, columns in more.items():
        target = rows.setdefault(table, {column: [] for column in COLUMNS[table]})
        for column, values in columns.items():
            target[column].extend(values)
    return rows


def select_rows(rows: Rows, keep: set[str]) -> Rows:
    """Only the rows of the documents whose id is in ``keep``."""
    selected: Rows = {}
    for table, columns in rows.items():
        id_column = "id" if table == "documents" else "doc_id" if "doc_id" in columns else None
        if id_column is None:
            selected[table] = columns
            continue
        wanted = [i for i, doc in enumerate(columns[id_column]) if doc in keep]
        selected[table] = {column: [values[i] for i in wanted] for column, values in columns.items()}
    return selected


# --- building -----------------------------------------------------------------------------


def _joined(spans: Sequence[Span]) -> str:
    return " … ".join(s.text for s in spans)


def _extent(attribution: Attribution) -> tuple[int, int]:
    spans = [*attribution.source, *attribution.cue, *attribution.content]
    if not spans:
        return 0, 0
    return min(s.start for s in spans), max(s.end for s in spans)


def label_term(text: str) -> str:
    """A label as the corpus counts it: "Regime" and "regime" are one label."""
    return " ".join(text.lower().replace("’", "'").split())


def document_rows(
    document: Document,
    *,
    collection: str | None = None,
    external_id: str | None = None,
    stages: Sequence[str] | None = None,
    ingested_at: datetime | None = None,
) -> Rows:
    """The rows of one analysed document in every per-document table."""
    doc = document.id
    text = document.text
    rows: Rows = {}
    keys = [
        described_key(a.kind, a.name, document.outlet) if a.described else actor_key(a.kind, a.name)
        for a in document.actors
    ]
    actors = document.actors
    rows["actors"] = {
        "doc_id": [doc] * len(actors),
        "actor_id": [a.id for a in actors],
        "kind": [a.kind for a in actors],
        "name": [a.name for a in actors],
        "aliases": [list(a.aliases) for a in actors],
        "roles": [[r.text for r in a.roles] for a in actors],
        "n_mentions": [len(a.mentions) for a in actors],
        "key": keys,
        "described": [a.described for a in actors],
    }
    entities = document.entities
    rows["mentions"] = {
        "doc_id": [doc] * len(entities),
        "idx": list(range(len(entities))),
        "start_char": [e.start for e in entities],
        "end_char": [e.end for e in entities],
        "text": [e.text for e in entities],
        "label": [e.label for e in entities],
        "origin": [e.origin for e in entities],
        "actor_id": [e.actor for e in entities],
        "kind": [e.kind for e in entities],
        "resolved_by": [e.resolved_by for e in entities],
    }
    key_of = {a.id: k for a, k in zip(actors, keys, strict=True)}
    quotes = document.attributions
    extents = [_extent(q) for q in quotes]
    rows["attributions"] = {
        "doc_id": [doc] * len(quotes),
        "attribution_id": [q.id for q in quotes],
        "kind": [q.kind for q in quotes],
        "speaker": [q.speaker for q in quotes],
        "speaker_via": [q.speaker_via for q in quotes],
        "parent": [q.parent for q in quotes],
        "targets": [list(q.targets) for q in quotes],
        "speaker_key": [key_of.get(q.speaker or "") for q in quotes],
        "target_keys": [[key_of[t] for t in q.targets if t in key_of] for q in quotes],
        "confidence": [q.confidence for q in quotes],
        "start_char": [e[0] for e in extents],
        "end_char": [e[1] for e in extents],
        "source_text": [_joined(q.source) for q in quotes],
        "cue_text": [_joined(q.cue) for q in quotes],
        "content_text": [_joined(q.content) for q in quotes],
        "source_spans": [[[s.start, s.end] for s in q.source] for q in quotes],
        "cue_spans": [[[s.start, s.end] for s in q.cue] for q in quotes],
        "content_spans": [[[s.start, s.end] for s in q.content] for q in quotes],
    }
    found = document.techniques
    rows["techniques"] = {
        "doc_id": [doc] * len(found),
        "idx": list(range(len(found))),
        "technique": [t.technique for t in found],
        "label": [t.label for t in found],
        "start_char": [t.start for t in found],
        "end_char": [t.end for t in found],
        "text": [t.text for t in found],
        "confidence": [t.confidence for t in found],
        "span_probability": [t.span_probability for t in found],
        "technique_probability": [t.technique_probability for t in found],
        "nonspace_chars": [non_space_chars(text[t.start : t.end]) for t in found],
        "origin": [t.origin for t in found],
    }
    claims = document.claims
    rows["claims"] = {
        "doc_id": [doc] * len(claims),
        "claim_id": [c.id for c in claims],
        "kind": [c.kind for c in claims],
        "attribution_id": [c.attribution for c in claims],
        "speaker": [c.speaker for c in claims],
        "speaker_key": [key_of.get(c.speaker or "") for c in claims],
        "start_char": [min(s.start for s in c.spans) if c.spans else 0 for c in claims],
        "end_char": [max(s.end for s in c.spans) if c.spans else 0 for c in claims],
        "spans": [[[s.start, s.end] for s in c.spans] for c in claims],
        "text": [c.text for c in claims],
        "signals": [list(c.signals) for c in claims],
        "fact_checks": [json.dumps([m.model_dump() for m in c.fact_checks], ensure_ascii=False) for c in claims],
    }
    labels = document.labels
    rows["labels"] = {
        "doc_id": [doc] * len(labels),
        "idx": list(range(len(labels))),
        "mention": [label.mention for label in labels],
        "actor_id": [label.actor for label in labels],
        "actor_key": [key_of.get(label.actor or "") for label in labels],
        "kind": [label.kind for label in labels],
        "start_char": [label.start for label in labels],
        "end_char": [label.end for label in labels],
        "text": [label.text for label in labels],
        "term": [label_term(label.text) for label in labels],
        "polarity": [label.polarity for label in labels],
        "technique": [label.technique for label in labels],
        "voice": [label.voice for label in labels],
        "speaker": [label.speaker for label in labels],
    }
    # The title is searchable too, when the text does not already start with it.
    title = document.title or ""
    terms = index_terms(text if not title or title in text[:1000] else f"{title}\n{text}")
    rows["postings"] = {"term": list(terms), "doc_id": [doc] * len(terms), "tf": list(terms.values())}
    rows["documents"] = {
        "id": [doc],
        "source": [document.source],
        "url": [document.url],
        "outlet": [(document.outlet or "").strip() or None],
        "title": [document.title],
        "author": [document.author],
        "published": [parse_date(document.published)],
        "published_text": [document.published],
        "language": [document.language],
        "collection": [collection],
        "external_id": [external_id],
        "text": [text],
        "n_chars": [len(text)],
        "n_words": [count_words(text)],
        # The two counts of share_of_text (presslens.text), so that questions need no text.
        "technique_chars": [covered_non_space_chars(text, [(t.start, t.end) for t in found])],
        "stages": [list(stages) if stages is not None else infer_stages(document)],
        "warnings": [list(document.warnings)],
        "document_schema": [document.schema_version],
        "ingested_at": [ingested_at or datetime.now()],
        "nonspace_chars": [non_space_chars(text)],
    }
    return rows


def failure_rows(failures: Sequence[tuple[str, str]], failed_at: datetime | None = None) -> Rows:
    when = failed_at or datetime.now()
    return {
        "failures": {
            "source": [s for s, _ in failures],
            "reason": [r for _, r in failures],
            "failed_at": [when] * len(failures),
        }
    }
