"""The questions a corpus answers. Each is a function of a Store that returns typed rows; the
CLI (`presslens query ...`), the report and Python callers all use these.

Actors are named as users name them ("Rouhani", "Hassan Rohani", "#12"): ``find_actor``
turns a name into one corpus actor, or says why it cannot (none, or several).
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from presslens.actors.corpus import DOMINANCE, KINDS, actor_key
from presslens.errors import PresslensError
from presslens.store.columns import index_terms
from presslens.store.store import Store
from presslens.techniques.explanations import explain
from presslens.text import rounded_share

ALL_TECHNIQUES = "(all)"
UNKNOWN_OUTLET = "(unknown)"
ALL_OUTLETS = "(all outlets)"


class QueryError(PresslensError):
    """A question the store cannot answer as asked: an unknown actor, outlet or technique."""


# The columns of each question's table, as the CLI's CSV and the notebook API's DataFrames
# give them (one list for both).
STATEMENT_COLUMNS = ("published", "outlet", "title", "kind", "speaker", "cue", "content", "targets")
ABOUT_COLUMNS = ("speaker", "speaker_id", "statements", "documents", "outlets", "latest")
EDGE_COLUMNS = ("source_name", "target_name", "documents", "source", "target")
SEARCH_COLUMNS = ("published", "outlet", "title", "score", "snippet", "doc_id")


@dataclass(frozen=True)
class Filters:
    """Which documents a question looks at: an outlet, and dates (both ends included)."""

    outlet: str | None = None
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class ActorRef:
    id: int
    name: str
    kind: str


@dataclass
class Statement:
    doc_id: str
    title: str | None
    outlet: str | None
    published: date | None
    attribution_id: str
    kind: str
    speaker: str  # the corpus actor's name; the source as written when unresolved
    speaker_id: int | None
    speaker_via: str
    source: str
    cue: str
    content: str
    targets: list[str] = field(default_factory=list)


@dataclass
class SpeakerGroup:
    speaker: str
    speaker_id: int | None
    statements: int
    documents: int
    outlets: list[str]
    items: list[Statement]


@dataclass
class ProfileRow:
    group: str  # an outlet, or a month (YYYY-MM)
    technique: str  # PTC name, or ALL_TECHNIQUES
    spans: int
    per_1000_words: float
    share_of_text: float  # non-space characters inside the spans / those of the text (presslens.text.share_of_text)
    documents: int
    words: int


@dataclass
class SpeakerRow:
    outlet: str
    rank: int
    speaker: str
    speaker_id: int
    statements: int
    documents: int
    share: float  # of the outlet's statements whose speaker is known


@dataclass
class Node:
    id: int
    name: str
    kind: str
    documents: int


@dataclass
class Edge:
    source: int
    target: int
    source_name: str
    target_name: str
    documents: int


@dataclass
class Network:
    nodes: list[Node]
    edges: list[Edge]


@dataclass
class Hit:
    doc_id: str
    title: str | None
    outlet: str | None
    published: date | None
    score: float
    snippet: str
    source: str | None


@dataclass
class OutletRow:
    outlet: str
    documents: int
    words: int
    first: date | None
    last: date | None
    statements: int
    technique_spans: int


@dataclass
class ActorRow:
    id: int
    name: str
    kind: str
    documents: int
    mentions: int
    statements: int  # attributions it is the speaker of
    about: int  # attributions it is a target of
    variants: list[str]


# --- names to ids -------------------------------------------------------------------------


def find_outlet(store: Store, name: str) -> str:
    """The stored outlet a user means: exact (any case), else the one that contains the name."""
    outlets = [r[0] for r in store.query("SELECT name FROM outlets ORDER BY name")]
    exact = [o for o in outlets if o.lower() == name.strip().lower()]
    if exact:
        return exact[0]
    partial = [o for o in outlets if name.strip().lower() in o.lower()]
    if len(partial) == 1:
        return partial[0]
    if partial:
        raise QueryError(f"outlet '{name}' is ambiguous: {', '.join(partial[:8])}")
    shown = ", ".join(outlets[:10]) + (" ..." if len(outlets) > 10 else "")
    raise QueryError(f"no outlet '{name}' in the store (outlets: {shown or 'none'})")


def find_actor(store: Store, name: str) -> ActorRef:
    """The corpus actor a user means by ``name``: '#12' by id; else its name; else a variant
    used in some article (a surname, an acronym, another spelling)."""
    name = name.strip()
    if not name:
        raise QueryError("an actor is needed: a name, a variant or #id (see `presslens actors`)")
    if re.fullmatch(r"#\d+", name):
        rows = store.query("SELECT id, name, kind FROM corpus_actors WHERE id = ?", [int(name[1:])])
        if not rows:
            raise QueryError(f"no actor {name} in the store (see `presslens actors`)")
        return ActorRef(*rows[0])
    exact = store.query("SELECT id, name, kind, documents FROM corpus_actors WHERE lower(name) = lower(?)", [name])
    keys = [actor_key(kind, name) for kind in KINDS]
    # Names and aliases used in articles, and names that normalise alike ("President Trump").
    found = store.query(
        """
        SELECT c.id, c.name, c.kind, max(n.documents) FROM (
            SELECT corpus_actor, sum(documents) AS documents FROM actor_names WHERE lower_name = lower(?) GROUP BY 1
            UNION ALL
            SELECT k.corpus_actor, c.documents FROM actor_keys k JOIN corpus_actors c ON c.id = k.corpus_actor
            WHERE k.key IN (SELECT unnest(?::VARCHAR[]))
        ) n JOIN corpus_actors c ON c.id = n.corpus_actor GROUP BY ALL
        """,
        [name, keys],
    )
    # Every actor the name could mean, with the articles that use the name for it (an
    # actor called so by the alias file counts all its articles).
    candidates = {r[0]: r for r in found}
    for row in exact:
        candidates.setdefault(row[0], row)
    ranked = sorted(candidates.values(), key=lambda r: (-r[3], r[0]))
    if not ranked:
        raise QueryError(f"no actor '{name}' in the store (see `presslens actors --match {name.split()[-1]}`)")
    # One that the name means far more often than any other ("Trump": the person, not the
    # organisation NER saw in "Trump said"); else the one of that name; else it is ambiguous.
    if len(ranked) == 1 or ranked[0][3] >= DOMINANCE * ranked[1][3]:
        return ActorRef(*ranked[0][:3])
    if len(exact) == 1:
        return ActorRef(*exact[0][:3])
    listed = "; ".join(f"#{r[0]} {r[1]} ({r[3]} documents)" for r in ranked[:5])
    raise QueryError(f"actor '{name}' is ambiguous: {listed}; give the full name or the #id")


def find_technique(store: Store, name: str) -> str:
    wanted = re.sub(r"[\W_]+", " ", name).strip().lower()
    for (technique,) in store.query("SELECT DISTINCT technique FROM techniques ORDER BY 1"):
        try:
            forms = {technique, explain(technique).label}
        except KeyError:  # a name from another model or corpus: matched as it is
            forms = {technique}
        if wanted in {re.sub(r"[\W_]+", " ", f).strip().lower() for f in forms}:
            return str(technique)
    raise QueryError(f"no technique '{name}' in the store (see `presslens query techniques`)")


# A value bound to a "?" of a filter condition.
SqlParameter = str | int | date


def _where(store: Store, filters: Filters, doc: str = "d") -> tuple[str, list[SqlParameter]]:
    """SQL conditions (joined with AND) and their parameters for the filters; callers add theirs."""
    conditions: list[str] = ["TRUE"]
    parameters: list[SqlParameter] = []
    if filters.outlet:
        conditions.append(f"{doc}.outlet_id = (SELECT id FROM outlets WHERE name = ?)")
        parameters.append(find_outlet(store, filters.outlet))
    if filters.since:
        conditions.append(f"{doc}.published >= ?")
        parameters.append(filters.since)
    if filters.until:
        conditions.append(f"{doc}.published <= ?")
        parameters.append(filters.until)
    return " AND ".join(conditions), parameters


def _keys_of(store: Store, actor_id: int) -> list[str]:
    return [r[0] for r in store.query("SELECT key FROM actor_keys WHERE corpus_actor = ?", [actor_id])]


def _names_of_keys(store: Store, keys: set[str]) -> dict[str, str]:
    """Corpus actor names of actor keys."""
    rows = store.query(
        "SELECT k.key, c.name FROM actor_keys k JOIN corpus_actors c ON c.id = k.corpus_actor "
        "WHERE k.key IN (SELECT unnest(?::VARCHAR[]))",
        [sorted(keys)],
    )
    return dict(rows)


# Attributions carry their speaker's and targets' actor keys, so these questions read the
# attributions and the small key tables only, never the large actors table.
_STATEMENT_COLUMNS = """
    d.id, d.title, o.name, d.published, q.attribution_id, q.kind,
    coalesce(c.name, nullif(q.source_text, '')), c.id, q.speaker_via, q.source_text, q.cue_text,
    q.content_text, q.target_keys
"""
_STATEMENT_FROM = """
    FROM attributions q
    JOIN documents d ON d.id = q.doc_id
    LEFT JOIN outlets o ON o.id = d.outlet_id
    LEFT JOIN actor_keys sk ON sk.key = q.speaker_key
    LEFT JOIN corpus_actors c ON c.id = sk.corpus_actor
"""
_STATEMENTS = f"SELECT {_STATEMENT_COLUMNS} {_STATEMENT_FROM}"


def _statements(store: Store, rows: list[tuple[Any, ...]]) -> list[Statement]:
    names = _names_of_keys(store, {k for r in rows for k in r[12]})
    statements = []
    for r in rows:
        targets: list[str] = []
        for key in r[12]:
            name = names.get(key, key.split(":", 1)[-1])
            if name not in targets:
                targets.append(name)
        statements.append(
            Statement(
                doc_id=r[0],
                title=r[1],
                outlet=r[2],
                published=r[3],
                attribution_id=r[4],
                kind=r[5],
                speaker=r[6] or "(no source)",
                speaker_id=r[7],
                speaker_via=r[8],
                source=r[9],
                cue=r[10],
                content=r[11],
                targets=targets,
            )
        )
    return statements


def _limit(limit: int | None, offset: int = 0) -> str:
    """LIMIT (none when ``limit`` is None or 0) and OFFSET (none when 0), as SQL."""
    page = f"LIMIT {int(limit)}" if limit else ""
    return f"{page} OFFSET {int(offset)}".strip() if offset else page


# --- the questions ------------------------------------------------------------------------


def statements_by(
    store: Store, actor: str, filters: Filters = Filters(), limit: int | None = 100, *, latest: bool = False
) -> list[Statement]:
    """What an actor said: its attributions as the speaker, oldest first (``latest``: the
    newest first)."""
    keys = _keys_of(store, find_actor(store, actor).id)
    where, parameters = _where(store, filters)
    order = "d.published DESC NULLS LAST, d.id DESC" if latest else "d.published NULLS LAST, d.id"
    rows = store.query(
        f"{_STATEMENTS} WHERE q.speaker_key IN ({_placeholders(keys)}) AND {where} "
        f"ORDER BY {order}, q.start_char {_limit(limit)}",
        [*keys, *parameters],
    )
    return _statements(store, rows)


def statements_per_month(
    store: Store, actor: str, filters: Filters = Filters(), *, about: bool = False
) -> dict[str, int]:
    """How many statements an actor made (``about``: were made about it) each month."""
    keys = _keys_of(store, find_actor(store, actor).id)
    where, parameters = _where(store, filters)
    condition = "list_has_any(q.target_keys, ?::VARCHAR[])" if about else "list_has_any([q.speaker_key], ?::VARCHAR[])"
    rows = store.query(
        f"SELECT strftime(d.published, '%Y-%m'), count(*) FROM attributions q JOIN documents d ON d.id = q.doc_id "
        f"WHERE {condition} AND d.published IS NOT NULL AND {where} GROUP BY 1 ORDER BY 1",
        [keys, *parameters],
    )
    return dict(rows)


def statements_about(
    store: Store,
    actor: str,
    filters: Filters = Filters(),
    limit: int | None = 50,
    per_speaker: int = 5,
) -> list[SpeakerGroup]:
    """What is said about an actor (it is among the targets), grouped by speaker: the
    ``limit`` speakers who said most, each with its counts over every statement and its
    ``per_speaker`` latest statements (oldest first). Unresolved sources group by their words."""
    keys = _keys_of(store, find_actor(store, actor).id)
    where, parameters = _where(store, filters)
    # The matching statements are read once, into a temporary table (allowed on a read-only
    # store); grouping, counting and choosing the latest per speaker then work on it.
    table = f"about_{uuid.uuid4().hex}"
    store.query(
        f"""
        CREATE TEMP TABLE {table} AS
        SELECT coalesce(CAST(k.corpus_actor AS VARCHAR),
                        '~' || lower(coalesce(nullif(q.source_text, ''), '(no source)'))) AS who,
               k.corpus_actor AS speaker_id, q.doc_id, q.attribution_id, q.start_char, d.published,
               coalesce(o.name, '{UNKNOWN_OUTLET}') AS outlet
        FROM attributions q JOIN documents d ON d.id = q.doc_id LEFT JOIN outlets o ON o.id = d.outlet_id
        LEFT JOIN actor_keys k ON k.key = q.speaker_key
        WHERE list_has_any(q.target_keys, ?::VARCHAR[]) AND {where}
        """,
        [keys, *parameters],
    )
    try:
        groups = store.query(
            f"""
            SELECT who, any_value(speaker_id), count(*), count(DISTINCT doc_id), list(DISTINCT outlet ORDER BY outlet)
            FROM {table} t LEFT JOIN corpus_actors c ON c.id = t.speaker_id
            GROUP BY who ORDER BY any_value(speaker_id) IS NULL, count(*) DESC, any_value(lower(c.name)), who
            {_limit(limit)}
            """
        )
        latest = store.query(
            f"""
            SELECT doc_id, attribution_id FROM {table} WHERE who IN (SELECT unnest(?::VARCHAR[]))
            QUALIFY row_number() OVER (
                PARTITION BY who ORDER BY published DESC NULLS LAST, doc_id DESC, start_char DESC) <= ?
            """,
            [[g[0] for g in groups], per_speaker],
        )
    finally:
        store.query(f"DROP TABLE IF EXISTS {table}")
    rows = store.query(
        f"{_STATEMENTS} JOIN (SELECT unnest(?::VARCHAR[]) AS doc_id, unnest(?::VARCHAR[]) AS attribution_id) p "
        "ON p.doc_id = q.doc_id AND p.attribution_id = q.attribution_id",
        [[r[0] for r in latest], [r[1] for r in latest]],
    )
    items: dict[str, list[Statement]] = defaultdict(list)
    for statement in _statements(store, rows):
        items[_who(statement)].append(statement)
    found = []
    for who, speaker_id, count, documents, outlets in groups:
        chosen = sorted(items.get(who, []), key=_chronological)
        if speaker_id is not None:
            name = chosen[0].speaker if chosen else who
        else:
            name = (chosen[0].source or "(no source)") if chosen else who.removeprefix("~")
        found.append(SpeakerGroup(name, speaker_id, count, documents, list(outlets), chosen))
    return found


def _who(statement: Statement) -> str:
    """Who a statement is by, as statements_about groups them: the corpus actor's id, or '~'
    and the source's words (the same string as its SQL)."""
    if statement.speaker_id is not None:
        return str(statement.speaker_id)
    return "~" + (statement.source or "(no source)").lower()


def _chronological(statement: Statement) -> tuple[bool, date, str]:
    return (statement.published is None, statement.published or date.min, statement.doc_id)


def technique_profile(store: Store, filters: Filters = Filters(), by: str = "outlet") -> list[ProfileRow]:
    """Technique spans per outlet (``by='outlet'``) or per month (``by='month'``): counts, per
    1,000 words and share of text. Only documents analysed with the techniques stage count.

    The share of text is that of ``presslens.text.share_of_text`` over the group's documents
    (non-space characters, from the counts the store keeps): for one document, the number
    ``analyze`` gives. Of all techniques, overlapping spans count once; of one technique, each
    span counts."""
    if by not in ("outlet", "month"):
        raise QueryError(f"profile by '{by}': choose outlet or month")
    group = f"coalesce(o.name, '{UNKNOWN_OUTLET}')" if by == "outlet" else "strftime(d.published, '%Y-%m')"
    where, parameters = _where(store, filters)
    rows = store.query(
        f"""
        WITH docs AS (
            SELECT d.id, {group} AS grp, d.n_words, d.nonspace_chars, d.technique_chars
            FROM documents d LEFT JOIN outlets o ON o.id = d.outlet_id
            WHERE list_contains(d.stages, 'techniques') AND {where}
              {"AND d.published IS NOT NULL" if by == "month" else ""}
        ),
        totals AS (
            SELECT grp, count(*) AS documents, sum(n_words) AS words, sum(nonspace_chars) AS chars,
                   sum(technique_chars) AS covered
            FROM docs GROUP BY grp
        ),
        spans AS (
            SELECT docs.grp, t.technique, count(*) AS n, sum(t.nonspace_chars) AS chars
            FROM techniques t JOIN docs ON docs.id = t.doc_id GROUP BY ALL
        ),
        spans_all AS (SELECT grp, sum(n) AS n FROM spans GROUP BY grp)
        SELECT totals.grp, '{ALL_TECHNIQUES}', coalesce(spans_all.n, 0), totals.covered, totals.documents,
               totals.words, totals.chars
        FROM totals LEFT JOIN spans_all USING (grp)
        UNION ALL
        SELECT totals.grp, spans.technique, spans.n, spans.chars, totals.documents, totals.words, totals.chars
        FROM spans JOIN totals USING (grp)
        """,
        parameters,
    )
    profile = [
        ProfileRow(
            group=grp,
            technique=technique,
            spans=int(n),
            per_1000_words=round(1000 * n / words, 3) if words else 0.0,
            share_of_text=rounded_share(chars, text_chars),
            documents=int(documents),
            words=int(words),
        )
        for grp, technique, n, chars, documents, words, text_chars in rows
    ]
    return sorted(profile, key=lambda r: (r.group, r.technique != ALL_TECHNIQUES, -r.spans, r.technique))


def top_speakers(
    store: Store, filters: Filters = Filters(), limit: int = 10, *, per_outlet: bool = True
) -> list[SpeakerRow]:
    """The actors quoted most in each outlet (``limit`` per outlet), or in all of them
    together (``per_outlet=False``, outlet ALL_OUTLETS)."""
    where, parameters = _where(store, filters)
    outlet = f"coalesce(o.name, '{UNKNOWN_OUTLET}')" if per_outlet else f"'{ALL_OUTLETS}'"
    rows = store.query(
        f"""
        WITH quoted AS (
            SELECT {outlet} AS outlet, c.id, c.name,
                   count(*) AS statements, count(DISTINCT q.doc_id) AS documents
            FROM attributions q
            JOIN actor_keys k ON k.key = q.speaker_key
            JOIN corpus_actors c ON c.id = k.corpus_actor
            JOIN documents d ON d.id = q.doc_id
            LEFT JOIN outlets o ON o.id = d.outlet_id
            WHERE {where}
            GROUP BY ALL
        )
        SELECT outlet, row_number() OVER (PARTITION BY outlet ORDER BY statements DESC, name) AS rank,
               name, id, statements, documents, statements / sum(statements) OVER (PARTITION BY outlet)
        FROM quoted QUALIFY rank <= ? ORDER BY outlet, rank
        """,
        [*parameters, limit],
    )
    return [SpeakerRow(r[0], r[1], r[2], r[3], r[4], r[5], round(r[6], 4)) for r in rows]


def co_mentions(
    store: Store,
    filters: Filters = Filters(),
    *,
    actor: str | None = None,
    kinds: tuple[str, ...] = ("person", "organisation"),
    min_documents: int = 2,
    max_actors: int = 200,
) -> Network:
    """Actors named in the same articles: an edge per pair, weighted by the number of
    articles. The ``max_actors`` most frequent actors are the nodes (all, with 0); with
    ``actor``, only the edges that touch it."""
    where, parameters = _where(store, filters)
    ref = find_actor(store, actor) if actor else None
    filtered = where != "TRUE"
    # doc_actors holds each article's corpus actors once, with an integer for the article.
    documents = f"AND da.doc_id IN (SELECT d.id FROM documents d WHERE {where})" if filtered else ""
    kind_list = ", ".join("?" * len(kinds))
    if ref is not None:  # an ego network: the actors of the articles that name the actor
        rows = store.query(
            f"""
            SELECT least(da.corpus_actor, ?), greatest(da.corpus_actor, ?), count(*) AS n
            FROM doc_actors da JOIN corpus_actors c ON c.id = da.corpus_actor
            WHERE da.doc IN (SELECT doc FROM doc_actors WHERE corpus_actor = ?)
              AND c.kind IN ({kind_list}) AND da.corpus_actor <> ? {documents}
            GROUP BY da.corpus_actor HAVING count(*) >= ? ORDER BY n DESC, da.corpus_actor
            """,
            [ref.id, ref.id, ref.id, *kinds, ref.id, *parameters, min_documents],
        )
        ids = sorted({ref.id} | {i for r in rows for i in r[:2]})
    else:
        if filtered:  # the most frequent actors in the articles chosen
            kept = store.query(
                f"SELECT da.corpus_actor FROM doc_actors da JOIN corpus_actors c ON c.id = da.corpus_actor "
                f"WHERE c.kind IN ({kind_list}) {documents} "
                f"GROUP BY 1 ORDER BY count(*) DESC, 1 {_limit(max_actors)}",
                [*kinds, *parameters],
            )
        else:  # the most frequent actors, as counted when the corpus actors were built
            kept = store.query(
                f"SELECT id FROM corpus_actors WHERE kind IN ({kind_list}) ORDER BY documents DESC, id "
                f"{_limit(max_actors)}",
                list(kinds),
            )
        ids = [r[0] for r in kept]
        # Only the kept actors' rows are paired, so the self-join stays small.
        rows = store.query(
            f"""
            WITH cm AS (
                SELECT da.doc, da.corpus_actor AS id FROM doc_actors da
                WHERE da.corpus_actor IN ({_placeholders(ids)}) {documents}
            )
            SELECT x.id, y.id, count(*) AS n FROM cm x JOIN cm y ON x.doc = y.doc AND x.id < y.id
            GROUP BY ALL HAVING count(*) >= ? ORDER BY n DESC, x.id, y.id
            """,
            [*ids, *parameters, min_documents],
        )
    if filtered:
        counts = dict(
            store.query(
                f"SELECT da.corpus_actor, count(*) FROM doc_actors da "
                f"WHERE da.corpus_actor IN ({_placeholders(ids)}) {documents} GROUP BY 1",
                [*ids, *parameters],
            )
        )
    else:
        counts = dict(
            store.query("SELECT id, documents FROM corpus_actors WHERE id IN (SELECT unnest(?::INTEGER[]))", [ids])
        )
    names = store.query(
        "SELECT id, name, kind FROM corpus_actors WHERE id IN (SELECT unnest(?::INTEGER[]))", [list(counts)]
    )
    info = {i: (name, kind, counts[i]) for i, name, kind in names}
    nodes = [Node(i, *info[i]) for i in sorted(info, key=lambda i: (-info[i][2], i))]
    edges = [Edge(a, b, info[a][0], info[b][0], n) for a, b, n in rows]
    return Network(nodes, edges)


def _placeholders(values: list[Any]) -> str:
    # A literal list: DuckDB pushes `IN (?, ?)` into the scan, unlike a join with a list.
    return ", ".join("?" * len(values)) or "NULL"


def write_graphml(network: Network, path: str | Path) -> Path:
    """The network as GraphML (Gephi, Cytoscape, networkx read it)."""
    import networkx as nx

    graph = nx.Graph()
    for node in network.nodes:
        graph.add_node(node.id, label=node.name, kind=node.kind, documents=node.documents)
    for edge in network.edges:
        graph.add_edge(edge.source, edge.target, weight=edge.documents)
    target = Path(path)
    try:
        nx.write_graphml(graph, target)
    except OSError as error:
        raise QueryError(f"{target}: cannot be written ({error.strerror})") from None
    return target


_PHRASE = re.compile(r'"([^"]+)"')


def search(
    store: Store,
    text: str = "",
    filters: Filters = Filters(),
    *,
    actor: str | None = None,
    technique: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> list[Hit]:
    """Articles that contain every word of ``text`` (and every "quoted phrase" as written),
    best first (tf-idf); filtered by outlet, dates, an actor they name and a technique they
    use. Without text, the filtered articles, newest first. ``limit`` hits from the
    ``offset``-th on (a page)."""
    where, parameters = _where(store, filters)
    phrases = [p.strip() for p in _PHRASE.findall(text) if p.strip()]
    patterns = [re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, p.split())) + r"(?!\w)", re.I) for p in phrases]
    terms = sorted(index_terms(text))
    conditions = [where]
    if actor:
        conditions.append(
            "d.id IN (SELECT a.doc_id FROM actors a WHERE a.key IN (SELECT key FROM actor_keys WHERE corpus_actor = ?))"
        )
        parameters.append(find_actor(store, actor).id)
    if technique:
        conditions.append("d.id IN (SELECT doc_id FROM techniques WHERE technique = ?)")
        parameters.append(find_technique(store, technique))
    if text.strip() and not terms and not phrases:
        raise QueryError(f"nothing to search for in '{text}' (only very common words)")
    columns = "d.id, d.title, o.name, d.published, {score}, d.source"
    if terms:
        documents = store.query("SELECT count(*) FROM documents")[0][0] or 1
        candidates = store.query(
            f"""
            WITH df AS (SELECT term, count(*) AS df FROM postings WHERE term IN (SELECT unnest(?::VARCHAR[]))
                        GROUP BY term),
            hits AS (SELECT p.doc_id, sum(p.tf * ln(1 + {documents} / df.df)) AS score
                     FROM postings p JOIN df ON df.term = p.term
                     GROUP BY p.doc_id HAVING count(*) = {len(terms)})
            SELECT {columns.format(score="hits.score")}
            FROM hits JOIN documents d ON d.id = hits.doc_id LEFT JOIN outlets o ON o.id = d.outlet_id
            WHERE {" AND ".join(conditions)} ORDER BY hits.score DESC, d.id {"" if phrases else _limit(limit, offset)}
            """,
            [terms, *parameters],
        )
    else:
        # Phrases of common words only: the text itself is searched, in SQL.
        for phrase in phrases:
            conditions.append("regexp_matches(d.text, ?)")
            parameters.append(_phrase_regex(phrase))
        patterns = []
        candidates = store.query(
            f"SELECT {columns.format(score='0.0')} FROM documents d LEFT JOIN outlets o ON o.id = d.outlet_id "
            f"WHERE {' AND '.join(conditions)} ORDER BY d.published DESC NULLS LAST, d.id {_limit(limit, offset)}",
            parameters,
        )
    hits: list[Hit] = []
    # Without phrases to check, SQL paged the candidates; with them, the first ``offset``
    # candidates that hold the phrases are passed over here.
    to_skip = offset if patterns else 0
    # Texts are read one by one through the primary key: reading a few rows by id from the
    # compressed text column is slower than that. Phrases are checked in the best candidates
    # first, so a search reads only as many articles as it needs.
    for position, r in enumerate(candidates):
        if position == PHRASE_READS and patterns:
            rest = _phrase_scan(store, [c[0] for c in candidates[position:]], phrases)
            candidates_left = [c for c in candidates[position:] if c[0] in rest]
            for c in candidates_left[to_skip : to_skip + limit - len(hits)]:
                body = _text(store, c[0])
                found = [m.group(0) for p in patterns for m in [p.search(body)] if m]
                hits.append(Hit(c[0], c[1], c[2], c[3], round(float(c[4]), 3), snippet(body, found), c[5]))
            return hits
        body = _text(store, r[0])
        if all(p.search(body) for p in patterns):
            if to_skip:
                to_skip -= 1
                continue
            found = [m.group(0) for p in patterns for m in [p.search(body)] if m] or terms or phrases
            hits.append(Hit(r[0], r[1], r[2], r[3], round(float(r[4]), 3), snippet(body, found), r[5]))
            if len(hits) >= limit:
                break
    return hits


# Candidates whose text a phrase search reads one by one before it scans the rest in SQL.
PHRASE_READS = 60


def _text(store: Store, doc_id: str) -> str:
    return str(store.query("SELECT text FROM documents WHERE id = ?", [doc_id])[0][0])


def _phrase_regex(phrase: str) -> str:
    """The phrase as an RE2 pattern (DuckDB's): any case, any run of spaces between words."""
    return r"(?i)\b" + r"\s+".join(map(re.escape, phrase.split())) + r"\b"


def _phrase_scan(store: Store, ids: list[str], phrases: list[str]) -> set[str]:
    """Which of ``ids`` hold every phrase, scanning their texts in SQL."""
    conditions = " AND ".join("regexp_matches(text, ?)" for _ in phrases)
    rows = store.query(
        f"SELECT id FROM documents WHERE id IN (SELECT unnest(?::VARCHAR[])) AND {conditions}",
        [ids, *(_phrase_regex(p) for p in phrases)],
    )
    return {r[0] for r in rows}


def snippet(text: str, words: list[str], width: int = 90) -> str:
    """A line of the text around the first of ``words`` found (the start when none is)."""
    starts = [m.start() for w in words for m in [re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text, re.I)] if m]
    at = min(starts, default=0)
    start, end = max(0, at - width), min(len(text), at + width)
    piece = re.sub(r"\s+", " ", text[start:end]).strip()
    return ("… " if start > 0 else "") + piece + (" …" if end < len(text) else "")


def outlets(store: Store, filters: Filters = Filters()) -> list[OutletRow]:
    """Each outlet: documents, words, first and last date, statements, technique spans."""
    where, parameters = _where(store, filters)
    rows = store.query(
        f"""
        WITH docs AS (SELECT d.id, coalesce(o.name, '{UNKNOWN_OUTLET}') AS outlet, d.n_words, d.published
                      FROM documents d LEFT JOIN outlets o ON o.id = d.outlet_id WHERE {where}),
        q AS (SELECT doc_id, count(*) AS n FROM attributions GROUP BY doc_id),
        t AS (SELECT doc_id, count(*) AS n FROM techniques GROUP BY doc_id)
        SELECT outlet, count(*), sum(n_words), min(published), max(published), coalesce(sum(q.n), 0),
               coalesce(sum(t.n), 0)
        FROM docs LEFT JOIN q ON q.doc_id = docs.id LEFT JOIN t ON t.doc_id = docs.id
        GROUP BY outlet ORDER BY count(*) DESC, outlet
        """,
        parameters,
    )
    return [OutletRow(r[0], r[1], int(r[2] or 0), r[3], r[4], int(r[5]), int(r[6])) for r in rows]


def documents_per_month(store: Store, filters: Filters = Filters()) -> list[tuple[str, str, int]]:
    """(month, outlet, articles) for every dated article."""
    where, parameters = _where(store, filters)
    rows = store.query(
        f"SELECT strftime(d.published, '%Y-%m'), coalesce(o.name, '{UNKNOWN_OUTLET}'), count(*) FROM documents d "
        f"LEFT JOIN outlets o ON o.id = d.outlet_id WHERE d.published IS NOT NULL AND {where} "
        "GROUP BY ALL ORDER BY ALL",
        parameters,
    )
    return [(str(m), str(o), int(n)) for m, o, n in rows]


def list_actors(
    store: Store,
    *,
    kind: str | None = None,
    match: str | None = None,
    min_documents: int = 1,
    limit: int | None = 50,
    offset: int = 0,
    actor_id: int | None = None,
) -> list[ActorRow]:
    """Corpus actors with their counts, the most documented first: ``limit`` of them from the
    ``offset``-th on (a page); with ``actor_id``, that one only."""
    conditions: list[str] = ["documents >= ?"]
    parameters: list[SqlParameter] = [min_documents]
    if actor_id is not None:
        conditions.append("id = ?")
        parameters.append(actor_id)
    if kind:
        conditions.append("kind = ?")
        parameters.append(kind)
    if match:
        conditions.append("id IN (SELECT corpus_actor FROM actor_names WHERE contains(lower_name, lower(?)))")
        parameters.append(match)
    rows = store.query(
        f"SELECT id, name, kind, documents, mentions, statements, about FROM corpus_actors "
        f"WHERE {' AND '.join(conditions)} ORDER BY documents DESC, name, id {_limit(limit, offset)}",
        parameters,
    )
    variants: dict[int, list[str]] = defaultdict(list)
    for owner, name in store.query(
        "SELECT corpus_actor, name FROM actor_names WHERE corpus_actor IN (SELECT unnest(?::INTEGER[])) "
        "ORDER BY corpus_actor, documents DESC, name",
        [[r[0] for r in rows]],
    ):
        variants[owner].append(name)
    return [
        ActorRow(
            id=r[0],
            name=r[1],
            kind=r[2],
            documents=r[3],
            mentions=r[4],
            statements=r[5],
            about=r[6],
            variants=[v for v in variants[r[0]] if v != r[1]][:8],
        )
        for r in rows
    ]


def get_actor(store: Store, actor_id: int) -> ActorRow | None:
    """One corpus actor by its id, with its counts; None when the store has no such actor."""
    found = list_actors(store, min_documents=0, limit=1, actor_id=actor_id)
    return found[0] if found else None


def about_rows(groups: list[SpeakerGroup]) -> list[dict[str, Any]]:
    """``statements_about`` as a table: one row per speaker, with its latest statement."""
    return [
        {
            "speaker": g.speaker,
            "speaker_id": g.speaker_id,
            "statements": g.statements,
            "documents": g.documents,
            "outlets": g.outlets,
            "latest": g.items[-1].content if g.items else "",
        }
        for g in groups
    ]
