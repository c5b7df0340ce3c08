"""The corpus store's tables, its schema version and the migrations between versions.

A store is one DuckDB file. Offsets in every table are ``[start, end)`` characters of the
document's ``text``, as in the Document model. Tables hold only what corpus questions need:
the token and sentence layers of a Document are not kept (they are most of its size and can
be recomputed from ``text``).

Migrations are a list of steps; step ``n`` takes a store from version ``n - 1`` to ``n``.
A new store applies every step in order, so the path an old store takes is the same code a
new store runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

# Every table, in an order that export and counts follow.
TABLES = (
    "meta",
    "outlets",
    "documents",
    "actors",
    "mentions",
    "attributions",
    "techniques",
    "failures",
    "postings",
    "corpus_actors",
    "actor_keys",
    "doc_actors",
    "actor_names",
    "claims",
    "claim_vectors",
    "claim_links",
    "claim_narratives",
    "labels",
)

_V1 = """
CREATE TABLE meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);
CREATE TABLE outlets (
    id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL UNIQUE
);
CREATE TABLE documents (
    id VARCHAR PRIMARY KEY,            -- sha256 of text, 16 hex digits (Document.id)
    source VARCHAR,                    -- path, path:line (JSONL) or path@offset (WARC)
    url VARCHAR,
    outlet_id INTEGER,                 -- outlets.id
    title VARCHAR,
    author VARCHAR,
    published DATE,                    -- parsed from published_text when it is ISO 8601
    published_text VARCHAR,
    language VARCHAR,
    collection VARCHAR,                -- 'polnear', 'ptc', 'warc' or NULL
    external_id VARCHAR,               -- the collection's own id of the article
    -- Uncompressed: DuckDB compresses long strings in large blocks, and reading one article
    -- by id (search snippets) then costs a block's decompression. The file is ~3x larger.
    text VARCHAR NOT NULL USING COMPRESSION uncompressed,
    n_chars INTEGER NOT NULL,
    n_words INTEGER NOT NULL,
    technique_chars INTEGER NOT NULL,  -- characters inside any technique span (overlaps once)
    stages VARCHAR[] NOT NULL,         -- pipeline stages that ran: 'nlp', 'actors', ...
    warnings VARCHAR[] NOT NULL,
    document_schema VARCHAR NOT NULL,  -- Document.schema_version
    ingested_at TIMESTAMP NOT NULL
);
CREATE TABLE actors (                  -- actors as found in one article
    doc_id VARCHAR NOT NULL,
    actor_id VARCHAR NOT NULL,         -- 'A1', unique within the document
    kind VARCHAR NOT NULL,             -- person, organisation, place, group
    name VARCHAR NOT NULL,
    aliases VARCHAR[] NOT NULL,
    roles VARCHAR[] NOT NULL,
    n_mentions INTEGER NOT NULL,
    key VARCHAR NOT NULL               -- normalised name, joined to actor_keys
);
CREATE TABLE mentions (
    doc_id VARCHAR NOT NULL,
    idx INTEGER NOT NULL,              -- index in Document.entities
    start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL,
    text VARCHAR NOT NULL,
    label VARCHAR NOT NULL,
    origin VARCHAR NOT NULL,
    actor_id VARCHAR
);
CREATE TABLE attributions (
    doc_id VARCHAR NOT NULL,
    attribution_id VARCHAR NOT NULL,   -- 'Q1', unique within the document
    kind VARCHAR NOT NULL,             -- direct, indirect, mixed
    speaker VARCHAR,                   -- actors.actor_id of the same document
    speaker_via VARCHAR NOT NULL,
    parent VARCHAR,
    targets VARCHAR[] NOT NULL,        -- actors.actor_id of the same document
    speaker_key VARCHAR,               -- actors.key of the speaker, and of the targets: the
    target_keys VARCHAR[] NOT NULL,    -- questions about actors then need no join with actors
    confidence DOUBLE NOT NULL,
    start_char INTEGER NOT NULL,       -- from the first to the last fragment
    end_char INTEGER NOT NULL,
    source_text VARCHAR NOT NULL,      -- fragments joined by ' … '
    cue_text VARCHAR NOT NULL,
    content_text VARCHAR NOT NULL,
    source_spans INTEGER[][] NOT NULL, -- [[start, end], ...]
    cue_spans INTEGER[][] NOT NULL,
    content_spans INTEGER[][] NOT NULL
);
CREATE TABLE techniques (
    doc_id VARCHAR NOT NULL,
    idx INTEGER NOT NULL,
    technique VARCHAR NOT NULL,
    label VARCHAR NOT NULL,
    start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL,
    text VARCHAR NOT NULL,
    confidence DOUBLE NOT NULL,
    span_probability DOUBLE NOT NULL,
    technique_probability DOUBLE NOT NULL
);
CREATE TABLE failures (
    source VARCHAR PRIMARY KEY,
    reason VARCHAR NOT NULL,
    attempts INTEGER NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
CREATE TABLE postings (                -- the full-text index: lower-cased words per document
    term VARCHAR NOT NULL,
    doc_id VARCHAR NOT NULL,
    tf INTEGER NOT NULL
);
CREATE TABLE corpus_actors (           -- one person or organisation across the corpus
    id INTEGER NOT NULL,
    kind VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    manual BOOLEAN NOT NULL,           -- named by the alias file
    -- Counted when the corpus actors are rebuilt (at the end of every ingest):
    documents INTEGER NOT NULL,
    mentions INTEGER NOT NULL,
    statements INTEGER NOT NULL,       -- attributions it is the speaker of
    about INTEGER NOT NULL             -- attributions it is among the targets of
);
CREATE TABLE actor_keys (              -- which corpus actor each normalised name belongs to
    key VARCHAR NOT NULL,
    corpus_actor INTEGER NOT NULL
);
CREATE TABLE doc_actors (              -- which corpus actors each article names, once each
    doc_id VARCHAR NOT NULL,           -- (rebuilt with the corpus actors), for co-mentions
    doc UBIGINT NOT NULL,              -- hash(doc_id): joins on an integer are faster
    corpus_actor INTEGER NOT NULL
);
CREATE TABLE actor_names (             -- every name and alias used for a corpus actor
    corpus_actor INTEGER NOT NULL,     -- (rebuilt with the corpus actors), to look names up
    name VARCHAR NOT NULL,
    lower_name VARCHAR NOT NULL,
    documents INTEGER NOT NULL
);
"""

# What Python's str.isspace calls whitespace, as an RE2 class (DuckDB's regular expressions):
# ASCII tab to carriage return, the four information separators, space, next line, and the
# Unicode separators (Zs, Zl, Zp).
SPACE_CLASS = r"[\t-\r\x{1c}-\x{20}\x{85}\pZ]"

# Version 2: the counts of share_of_text (presslens.text) are of non-space characters, as
# analyze counts them: documents.nonspace_chars (new) is the text's, documents.technique_chars
# (was: all characters inside a technique span) those inside any technique span, overlaps once,
# and techniques.nonspace_chars (new) those of each span. Existing rows are recounted from the
# stored texts; spans are merged per document as in presslens.text.merge_intervals.
_V2 = f"""
ALTER TABLE documents ADD COLUMN nonspace_chars INTEGER DEFAULT 0;
ALTER TABLE documents ALTER COLUMN nonspace_chars SET NOT NULL;
ALTER TABLE documents ALTER COLUMN nonspace_chars DROP DEFAULT;
ALTER TABLE techniques ADD COLUMN nonspace_chars INTEGER DEFAULT 0;
ALTER TABLE techniques ALTER COLUMN nonspace_chars SET NOT NULL;
ALTER TABLE techniques ALTER COLUMN nonspace_chars DROP DEFAULT;
-- Updates after every ALTER: DuckDB alters no indexed table with updates outstanding.
UPDATE documents SET nonspace_chars = length(regexp_replace(text, '{SPACE_CLASS}', '', 'g'));
UPDATE techniques SET nonspace_chars = length(regexp_replace(text, '{SPACE_CLASS}', '', 'g'));
UPDATE documents SET technique_chars = covered.chars
FROM (
    SELECT merged.doc_id, sum(length(regexp_replace(
               substr(d.text, merged.start_char + 1, merged.end_char - merged.start_char), '{SPACE_CLASS}', '', 'g'
           ))) AS chars
    FROM (
        SELECT doc_id, min(start_char) AS start_char, max(end_char) AS end_char
        FROM (
            SELECT doc_id, start_char, end_char,
                   sum(CASE WHEN reach IS NULL OR start_char >= reach THEN 1 ELSE 0 END)
                       OVER (PARTITION BY doc_id ORDER BY start_char, end_char ROWS UNBOUNDED PRECEDING) AS island
            FROM (
                SELECT doc_id, start_char, end_char,
                       max(end_char) OVER (PARTITION BY doc_id ORDER BY start_char, end_char
                                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
                FROM techniques
            )
        )
        GROUP BY doc_id, island
    ) merged
    JOIN documents d ON d.id = merged.doc_id
    GROUP BY merged.doc_id
) covered
WHERE documents.id = covered.doc_id;
"""

# Version 3: techniques.origin, what found the span: "model" (the technique model) or "rule"
# (the designation rule, presslens.techniques.designations). Rows stored before it were all
# the model's.
_V3 = """
ALTER TABLE techniques ADD COLUMN origin VARCHAR DEFAULT 'model';
UPDATE techniques SET origin = 'model' WHERE origin IS NULL;
ALTER TABLE techniques ALTER COLUMN origin SET NOT NULL;
"""

# Version 4: claims (presslens.claims: what each article reports or asserts, with its
# fact-check matches) and narratives: claims of different articles that say the same thing are
# linked (claim_links, by the claim matcher's sentence embeddings, kept in claim_vectors) and
# grouped (claim_narratives: the connected groups of links). Documents stored before it have
# no claims until they are ingested again.
_V4 = """
CREATE TABLE claims (
    doc_id VARCHAR NOT NULL,
    claim_id VARCHAR NOT NULL,         -- 'C1', unique within the document
    kind VARCHAR NOT NULL,             -- reported (an attribution's content), asserted
    attribution_id VARCHAR,            -- attributions.attribution_id, for reported claims
    speaker VARCHAR,                   -- actors.actor_id of the same document
    speaker_key VARCHAR,               -- actors.key of the speaker
    start_char INTEGER NOT NULL,       -- from the first to the last span
    end_char INTEGER NOT NULL,
    spans INTEGER[][] NOT NULL,        -- [[start, end], ...]
    text VARCHAR NOT NULL,             -- Claim.text, normalised
    signals VARCHAR[] NOT NULL,
    fact_checks VARCHAR NOT NULL       -- Claim.fact_checks as a JSON array
);
CREATE TABLE claim_vectors (           -- the claim matcher's embedding of every linkable claim
    doc_id VARCHAR NOT NULL,
    claim_id VARCHAR NOT NULL,
    vector FLOAT[] NOT NULL            -- unit length
);
CREATE TABLE claim_links (             -- two claims of different documents that match;
    doc_a VARCHAR NOT NULL,            -- (doc_a, claim_a) < (doc_b, claim_b)
    claim_a VARCHAR NOT NULL,
    doc_b VARCHAR NOT NULL,
    claim_b VARCHAR NOT NULL,
    similarity DOUBLE NOT NULL
);
CREATE TABLE claim_narratives (        -- the narrative (group of linked claims) of each linked claim
    doc_id VARCHAR NOT NULL,
    claim_id VARCHAR NOT NULL,
    narrative VARCHAR NOT NULL         -- 'N' + 10 hex digits, from the group's first member
);
"""

# Version 5: descriptions as mentions and labels (presslens.actors.descriptions,
# presslens.labels). mentions.kind: 'name' or 'description' ("the regime"), with
# resolved_by (how a description found its actor); actors.described: the article never names
# it; labels: the words that characterise each mention, with polarity, technique and voice.
# Rows stored before it are names; their documents have no labels until ingested again.
_V5 = """
ALTER TABLE mentions ADD COLUMN kind VARCHAR DEFAULT 'name';
UPDATE mentions SET kind = 'name' WHERE kind IS NULL;
ALTER TABLE mentions ALTER COLUMN kind SET NOT NULL;
ALTER TABLE mentions ADD COLUMN resolved_by VARCHAR;
ALTER TABLE actors ADD COLUMN described BOOLEAN DEFAULT false;
UPDATE actors SET described = false WHERE described IS NULL;
ALTER TABLE actors ALTER COLUMN described SET NOT NULL;
CREATE TABLE labels (
    doc_id VARCHAR NOT NULL,
    idx INTEGER NOT NULL,              -- position in Document.labels
    mention INTEGER NOT NULL,          -- mentions.idx of the mention it characterises
    actor_id VARCHAR,                  -- actors.actor_id (NULL: an unresolved description)
    actor_key VARCHAR,                 -- actors.key of that actor
    kind VARCHAR NOT NULL,             -- description, modifier, apposition, predicate, technique
    start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL,
    text VARCHAR NOT NULL,
    term VARCHAR NOT NULL,             -- the label as counted: lower case, spaces collapsed
    polarity VARCHAR NOT NULL,         -- negative, neutral, positive
    technique VARCHAR,
    voice VARCHAR NOT NULL,            -- reporter, source
    speaker VARCHAR                    -- actors.actor_id of the source, for voice = source
);
"""

# MIGRATIONS[n - 1] takes a store from version n - 1 to version n.
MIGRATIONS: list[str] = [_V1, _V2, _V3, _V4, _V5]


SCHEMA_VERSION = len(MIGRATIONS)


def schema_version() -> int:
    """The version this presslens writes: the number of migration steps."""
    return len(MIGRATIONS)


def insert_columns(con: DuckDBPyConnection, table: str, columns: dict[str, tuple[str, list[Any]]]) -> None:
    """Insert rows given as columns (name -> (DuckDB type, values)) in one statement:
    DuckDB's executemany is slow."""
    values = list(columns.values())
    if not values or not values[0][1]:
        return
    selects = ", ".join(f"unnest(${i}::{sql_type}[])" for i, (sql_type, _) in enumerate(values, start=1))
    con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {selects}", [v for _, v in values])
