"""Narratives: claims of different articles that say the same thing, linked and grouped.

Every claim of at least ``MIN_WORDS`` words gets the claim matcher's sentence embedding
(``presslens.claims``: MiniLM fine-tuned to match a statement with the fact-check of the
same claim), kept in ``claim_vectors``. Two claims of different documents are linked when
their embeddings' cosine is at least ``THRESHOLD`` and they share at least ``MIN_SHARED``
content words (the cosine alone links claims on one topic that say different things: "the
talks failed" and "the talks will resume"), and one does not deny what the other affirms
(embeddings score "Russia interfered" and "Russia did not interfere" as close), nor states
other numbers ("It takes 1,237 delegates" and "It takes 2,383 delegates"). A narrative is a
connected group of links between claims that are not an outlet's boilerplate (an editor's
note at the end of every article).

``THRESHOLD`` was chosen by reading 30 links of PolNeAR (10 in each band of cosine 0.72-0.76,
0.76-0.80, 0.80-0.84; benchmarks/results/narratives-threshold-reading-*.tsv): about half of
the first band said the same thing, eight in ten of the second, nearly all of the third.

Linking is incremental: an ingest embeds only the claims it stored, compares them with every
claim stored before and with each other, and regroups. A link depends on its two claims
alone, the groups on the links alone, and boilerplate is judged on the whole corpus at each
regrouping, so ingesting a corpus in parts gives the groups one ingest gives. Comparing all
pairs is a matrix product in blocks: seconds for 25,000 claims on two cores; past a few
hundred thousand claims an approximate index would be needed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from presslens import lexicon
from presslens.claims.retrieval import words
from presslens.store.schema import insert_columns

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

    from presslens.claims.retrieval import SentenceEncoder

MIN_WORDS = 6
THRESHOLD = 0.78
MIN_SHARED = 2
BOILERPLATE_DOCUMENTS = 3
BLOCK = 2048
ENCODER_META = "claim_encoder"


@dataclass
class LinkReport:
    embedded: int = 0  # claims embedded by this update
    links: int = 0  # links added
    narratives: int = 0  # groups of two or more documents, after the update


def narrative_id(doc_id: str, claim_id: str) -> str:
    """A narrative's id, from its first member (the least (doc_id, claim_id)): it stays the
    same while the group grows, unless a merge brings in a member that sorts first."""
    return "N" + hashlib.sha1(f"{doc_id}:{claim_id}".encode()).hexdigest()[:10]


def shared_words(a: str, b: str) -> int:
    return len(set(words(a)) & set(words(b)))


_TOKEN = re.compile(r"n't|[^\W_]+", re.IGNORECASE)


def denies(text: str) -> bool:
    """Whether the claim holds a word of denial ("not", "never", "denied", "baseless")."""
    negations = lexicon.get("en").CLAIM_NEGATION_WORDS
    return any(token.lower() in negations for token in _TOKEN.findall(text))


_NUMBER = re.compile(r"\d[\d,.]*")


def numbers(text: str) -> set[str]:
    """The numbers a claim states, as digits ("2,383" and "2383" alike, "15th" as "15")."""
    return {found.replace(",", "").rstrip(".") for found in _NUMBER.findall(text)}


def is_link(similarity: float, a: str, b: str, threshold: float = THRESHOLD) -> bool:
    """Two claims say the same thing: close embeddings, two content words in common, both
    affirm or both deny, and when both state numbers they share one ("It takes 1,237
    delegates" and "It takes 2,383 delegates" are two claims)."""
    if similarity < threshold or shared_words(a, b) < MIN_SHARED or denies(a) != denies(b):
        return False
    stated_a, stated_b = numbers(a), numbers(b)
    return not (stated_a and stated_b and not stated_a & stated_b)


def _linkable_sql() -> str:
    return f"len(string_split(trim(c.text), ' ')) >= {MIN_WORDS}"


def _fresh(con: DuckDBPyConnection) -> list[tuple[str, str, str]]:
    return con.execute(
        f"""
        SELECT c.doc_id, c.claim_id, c.text FROM claims c
        ANTI JOIN claim_vectors v ON v.doc_id = c.doc_id AND v.claim_id = c.claim_id
        WHERE {_linkable_sql()} ORDER BY c.doc_id, c.claim_id
        """
    ).fetchall()


def _embedded(con: DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """(doc_id, claim_id, text, vector) of every embedded claim, in a stable order."""
    return con.execute(
        "SELECT v.doc_id, v.claim_id, c.text, v.vector FROM claim_vectors v "
        "JOIN claims c USING (doc_id, claim_id) ORDER BY v.doc_id, v.claim_id"
    ).fetchall()


def count(con: DuckDBPyConnection) -> int:
    row = con.execute("SELECT count(DISTINCT narrative) FROM claim_narratives").fetchone()
    return int(row[0]) if row else 0


def relink(con: DuckDBPyConnection, threshold: float = THRESHOLD) -> LinkReport:
    """Every link again from the stored embeddings (after the linking rules or the
    threshold changed), and regroup; in the caller's transaction."""
    stored = _embedded(con)
    con.execute("DELETE FROM claim_links")
    report = LinkReport()
    if stored:
        vectors = np.asarray([v for *_, v in stored], dtype=np.float32)
        links = _links([(d, c, t) for d, c, t, _ in stored], vectors, [], threshold)
        _insert_links(con, links)
        report.links = len(links)
    report.narratives = regroup(con)
    return report


def update(con: DuckDBPyConnection, encoder: Callable[[], SentenceEncoder], threshold: float = THRESHOLD) -> LinkReport:
    """Embed the claims not embedded yet, link them, regroup; in the open transaction of
    the caller (the store's). ``encoder`` is called only when there are claims to embed."""
    report = LinkReport()
    fresh = _fresh(con)
    if not fresh:
        report.narratives = count(con)
        return report
    return _update(con, encoder(), threshold, fresh, report)


def _update(
    con: DuckDBPyConnection,
    encoder: SentenceEncoder,
    threshold: float,
    fresh: list[tuple[str, str, str]],
    report: LinkReport,
) -> LinkReport:
    stored = con.execute("SELECT value FROM meta WHERE key = ?", [ENCODER_META]).fetchone()
    if stored is not None and stored[0] != encoder.name:
        # Other weights: embeddings of two encoders do not compare; start again, and every
        # claim is fresh again.
        con.execute("DELETE FROM claim_vectors")
        con.execute("DELETE FROM claim_links")
        fresh = _fresh(con)
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [ENCODER_META, encoder.name])
    if fresh:
        vectors = encoder.encode([text for _, _, text in fresh])
        old = _embedded(con)
        links = _links(fresh, vectors, old, threshold)
        insert_columns(
            con,
            "claim_vectors",
            {
                "doc_id": ("VARCHAR", [d for d, _, _ in fresh]),
                "claim_id": ("VARCHAR", [c for _, c, _ in fresh]),
                "vector": ("FLOAT[]", [v.tolist() for v in vectors]),
            },
        )
        _insert_links(con, links)
        report.embedded, report.links = len(fresh), len(links)
    report.narratives = regroup(con)
    return report


Member = tuple[str, str]  # (doc_id, claim_id)


def _insert_links(con: DuckDBPyConnection, links: Sequence[tuple[Member, Member, float]]) -> None:
    if not links:
        return
    insert_columns(
        con,
        "claim_links",
        {
            "doc_a": ("VARCHAR", [a[0] for a, _, _ in links]),
            "claim_a": ("VARCHAR", [a[1] for a, _, _ in links]),
            "doc_b": ("VARCHAR", [b[0] for _, b, _ in links]),
            "claim_b": ("VARCHAR", [b[1] for _, b, _ in links]),
            "similarity": ("DOUBLE", [s for _, _, s in links]),
        },
    )


def _links(
    fresh: Sequence[tuple[str, str, str]],
    vectors: np.ndarray,
    old: Sequence[tuple[Any, ...]],
    threshold: float,
) -> list[tuple[Member, Member, float]]:
    """Links of the fresh claims with the old ones and among themselves, each pair once,
    between different documents."""
    members = [(d, c) for d, c, _ in fresh] + [(d, c) for d, c, _, _ in old]
    texts = [t for _, _, t in fresh] + [t for _, _, t, _ in old]
    every = vectors
    if old:
        every = np.vstack([vectors, np.asarray([v for *_, v in old], dtype=np.float32)])
    found: list[tuple[Member, Member, float]] = []
    for start in range(0, len(fresh), BLOCK):
        block = vectors[start : start + BLOCK]
        similarities = block @ every.T
        rows, columns = np.nonzero(similarities >= threshold)
        for row, column in zip(rows.tolist(), columns.tolist(), strict=True):
            i = start + row
            # Among fresh claims each pair comes twice: keep it from its first.
            if column < len(fresh) and column <= i:
                continue
            a, b = members[i], members[column]
            if a[0] == b[0]:
                continue
            similarity = float(similarities[row, column])
            if is_link(similarity, texts[i], texts[column], threshold):
                first, second = (a, b) if a < b else (b, a)
                found.append((first, second, round(similarity, 4)))
    return found


def boilerplate(con: DuckDBPyConnection) -> set[Member]:
    """Claims that are an outlet's template, not a claim it makes: the same words (case,
    spacing and punctuation aside) in at least ``BOILERPLATE_DOCUMENTS`` of its articles,
    always in the last fifth of the text or always in the first tenth (an editor's note
    appended to every article, "As published in ..."). The same words repeated inside the
    articles' bodies are kept: an outlet repeating a line is what narratives are for."""
    rows = con.execute(
        f"""
        WITH keyed AS (
            SELECT c.doc_id, c.claim_id, d.outlet_id, c.start_char / greatest(d.n_chars, 1) AS place,
                   regexp_replace(lower(c.text), '[^[:alnum:]]', '', 'g') AS words
            FROM claims c JOIN documents d ON d.id = c.doc_id
            WHERE {_linkable_sql()}
        ), templates AS (
            SELECT outlet_id, words FROM keyed GROUP BY ALL
            HAVING count(DISTINCT doc_id) >= {BOILERPLATE_DOCUMENTS} AND (min(place) >= 0.8 OR max(place) <= 0.1)
        )
        SELECT k.doc_id, k.claim_id FROM keyed k
        JOIN templates t ON t.words = k.words AND t.outlet_id IS NOT DISTINCT FROM k.outlet_id
        """
    ).fetchall()
    return {(d, c) for d, c in rows}


def regroup(con: DuckDBPyConnection) -> int:
    """Rebuild claim_narratives from every link between claims that are not boilerplate:
    connected groups (union-find). Returns the number of narratives. Boilerplate is judged
    on the whole corpus at each regrouping, so groups stay those of a single ingest."""
    parent: dict[Member, Member] = {}
    template = boilerplate(con)

    def root(member: Member) -> Member:
        parent.setdefault(member, member)
        while parent[member] != member:
            parent[member] = parent[parent[member]]
            member = parent[member]
        return member

    for doc_a, claim_a, doc_b, claim_b in con.execute(
        "SELECT doc_a, claim_a, doc_b, claim_b FROM claim_links"
    ).fetchall():
        if (doc_a, claim_a) in template or (doc_b, claim_b) in template:
            continue
        first, second = root((doc_a, claim_a)), root((doc_b, claim_b))
        if first != second:
            parent[max(first, second)] = min(first, second)
    groups: dict[Member, list[Member]] = {}
    for member in parent:
        groups.setdefault(root(member), []).append(member)
    con.execute("DELETE FROM claim_narratives")
    rows = [(d, c, narrative_id(*min(group))) for group in groups.values() for d, c in group]
    if rows:
        insert_columns(
            con,
            "claim_narratives",
            {
                "doc_id": ("VARCHAR", [d for d, _, _ in rows]),
                "claim_id": ("VARCHAR", [c for _, c, _ in rows]),
                "narrative": ("VARCHAR", [n for _, _, n in rows]),
            },
        )
    return len(groups)
