"""The corpus store: one DuckDB file of analysed documents, written one document at a time.

Each document goes in with all its rows in one transaction, so a process killed at any
moment leaves whole documents or none (DuckDB's write-ahead log replays committed ones on
the next open). DuckDB lets one process write a file, and other processes cannot open it
meanwhile: that case becomes a StoreBusyError, one line, instead of DuckDB's lock error.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from presslens.document import Attribution, Document, Span
from presslens.errors import PresslensError
from presslens.store import schema
from presslens.store.actors import Aliases, KeyStats, actor_key, display_name, is_acronym, parse_aliases, resolve

DEFAULT_STORE = "presslens.duckdb"
STORE_ENV = "PRESSLENS_STORE"

_WORD = re.compile(r"\w+")
# Words too common to index: they are in nearly every article and would make the index
# several times larger. Phrase search still finds them (it checks the text itself).
_STOPWORDS = """a about after all also an and any are as at be been but by can could did do does for
    from had has have he her his i if in into is it its may more most no not of on one or our
    out over s said say says she so some than that the their them then there these they this
    those to up was we were what when which who will with would you your"""
STOPWORDS = frozenset(_STOPWORDS.split())


class StoreError(PresslensError):
    """A store that cannot be opened or used: says which file and why, in one line."""


class StoreBusyError(StoreError):
    """Another process holds the store's file."""


def index_terms(text: str) -> Counter[str]:
    """The words of ``text`` as the full-text index holds them: lower case, no stopwords."""
    return Counter(w for w in _WORD.findall(text.lower()) if len(w) > 1 and w not in STOPWORDS)


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _covered(spans: Iterable[tuple[int, int]]) -> int:
    """Characters inside any of the spans, overlaps counted once."""
    total, reach = 0, 0
    for start, end in sorted(spans):
        start = max(start, reach)
        if end > start:
            total += end - start
            reach = end
    return total


def _joined(spans: Sequence[Span]) -> str:
    return " … ".join(s.text for s in spans)


def _extent(attribution: Attribution) -> tuple[int, int]:
    spans = [*attribution.source, *attribution.cue, *attribution.content]
    if not spans:
        return 0, 0
    return min(s.start for s in spans), max(s.end for s in spans)


def infer_stages(document: Document) -> list[str]:
    """The stages a document shows signs of, for documents added without saying."""
    stages = ["nlp"] if document.sentences or document.tokens else []
    if document.entities or document.actors:
        stages.append("actors")
    if document.attributions:
        stages.append("attribution")
    if document.technique_summary is not None or document.techniques:
        stages.append("techniques")
    return stages


class Store:
    """A corpus in one DuckDB file. ``read_only`` opens for queries (no lock against other
    readers); otherwise the file is created or migrated as needed."""

    def __init__(self, path: str | Path = DEFAULT_STORE, *, read_only: bool = False) -> None:
        import duckdb

        self.path = Path(path)
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise StoreError(f"{self.path}: no store here (create one with `presslens ingest PATH --store {path}`)")
        if not read_only and self.path.parent and not self.path.parent.exists():
            raise StoreError(f"{self.path}: its folder does not exist")
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as error:
            if "lock" in str(error).lower():
                raise StoreBusyError(
                    f"store busy: {self.path} is being written by another presslens process; try again when it finishes"
                ) from None
            raise StoreError(f"{self.path}: cannot be opened as a store ({_first_line(error)})") from None
        except duckdb.Error as error:
            raise StoreError(f"{self.path}: cannot be opened as a store ({_first_line(error)})") from None
        try:
            self._check_schema()
        except BaseException:
            self.con.close()
            raise
        self._outlets: dict[str, int] | None = None
        self._keys: dict[str, int] | None = None

    # --- opening, versions, closing ------------------------------------------------------

    def _tables(self) -> set[str]:
        rows = self.con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")
        return {r[0] for r in rows.fetchall()}

    def version(self) -> int:
        if "meta" not in self._tables():
            return 0
        row = self.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _check_schema(self) -> None:
        tables = self._tables()
        if tables and "meta" not in tables:
            raise StoreError(f"{self.path}: a DuckDB file, but not a presslens store (it has other tables)")
        current, wanted = self.version(), schema.schema_version()
        if current > wanted:
            raise StoreError(
                f"{self.path}: store schema version {current} is newer than this presslens knows ({wanted}); "
                "upgrade presslens"
            )
        if current == wanted:
            return
        if self.read_only:
            if current == 0:
                raise StoreError(f"{self.path}: not a presslens store (empty)")
            raise StoreError(
                f"{self.path}: store schema version {current} needs migrating to {wanted}: "
                f"run `presslens store migrate --store {self.path}`"
            )
        self.migrate()

    def migrate(self) -> int:
        """Apply the migration steps this store lacks, in one transaction; the new version."""
        current, wanted = self.version(), schema.schema_version()
        if current == wanted:
            return current
        from presslens import __version__

        self.con.begin()
        try:
            for step in schema.MIGRATIONS[current:wanted]:
                self.con.execute(step)
            self._set_meta("schema_version", str(wanted))
            if current == 0:
                self._set_meta("created_at", datetime.now().isoformat(timespec="seconds"))
            self._set_meta("presslens_version", __version__)
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise
        return wanted

    def _set_meta(self, key: str, value: str) -> None:
        self.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])

    def meta(self, key: str) -> str | None:
        row = self.con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    # --- reading ------------------------------------------------------------------------

    def query(self, sql: str, parameters: Sequence[Any] | dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, parameters).fetchall()

    def has(self, doc_id: str) -> bool:
        return self.con.execute("SELECT 1 FROM documents WHERE id = ?", [doc_id]).fetchone() is not None

    def known_ids(self) -> set[str]:
        return {r[0] for r in self.query("SELECT id FROM documents")}

    def counts(self) -> dict[str, int]:
        return {table: self.query(f"SELECT count(*) FROM {table}")[0][0] for table in schema.TABLES}

    def failures(self) -> list[tuple[str, str, int, datetime]]:
        return self.query("SELECT source, reason, attempts, failed_at FROM failures ORDER BY source")  # type: ignore[return-value]

    # --- writing ------------------------------------------------------------------------

    def _insert(self, table: str, columns: dict[str, tuple[str, list[Any]]]) -> None:
        """Insert rows given as columns, in one statement (DuckDB's executemany is slow)."""
        values = list(columns.values())
        if not values or not values[0][1]:
            return
        selects = ", ".join(f"unnest(${i}::{sql_type}[])" for i, (sql_type, _) in enumerate(values, start=1))
        names = ", ".join(columns)
        self.con.execute(f"INSERT INTO {table} ({names}) SELECT {selects}", [v for _, v in values])

    def _outlet_id(self, name: str | None) -> int | None:
        name = (name or "").strip()
        if not name:
            return None
        if self._outlets is None:
            self._outlets = dict(self.query("SELECT name, id FROM outlets"))  # type: ignore[arg-type]
        if name not in self._outlets:
            new = max(self._outlets.values(), default=0) + 1
            self.con.execute("INSERT INTO outlets VALUES (?, ?)", [new, name])
            self._outlets[name] = new
        return self._outlets[name]

    def _corpus_ids(self, keys: dict[str, tuple[str, str]]) -> None:
        """Give keys never seen before a corpus actor of their own, until the next
        ``resolve_actors`` joins them to others."""
        if self._keys is None:
            self._keys = dict(self.query("SELECT key, corpus_actor FROM actor_keys"))  # type: ignore[arg-type]
        new = {k: v for k, v in keys.items() if k not in self._keys}
        if not new:
            return
        first = (self.query("SELECT coalesce(max(id), 0) FROM corpus_actors")[0][0] or 0) + 1
        ids = list(range(first, first + len(new)))
        self._insert(
            "corpus_actors",
            {
                "id": ("INTEGER", ids),
                "kind": ("VARCHAR", [kind for kind, _ in new.values()]),
                "name": ("VARCHAR", [display_name(kind, name) for kind, name in new.values()]),
                "manual": ("BOOLEAN", [False] * len(new)),
                # Counts and names come with the next rebuild (at the end of an ingest).
                **{column: ("INTEGER", [0] * len(new)) for column in ("documents", "mentions", "statements", "about")},
            },
        )
        self._insert("actor_keys", {"key": ("VARCHAR", list(new)), "corpus_actor": ("INTEGER", ids)})
        self._keys.update(zip(new, ids, strict=True))

    def add(
        self,
        document: Document,
        *,
        collection: str | None = None,
        external_id: str | None = None,
        stages: Sequence[str] | None = None,
    ) -> bool:
        """Store a document and all its layers in one transaction. False when a document
        with the same id (the same text) is stored already.

        Its actors join the corpus actors by their normalised name at once; the merging
        rules, the counts and the name lookups follow with ``resolve_actors()``, which an
        ingest runs as it ends (call it after adding documents yourself)."""
        if self.has(document.id):
            return False
        self.con.begin()
        try:
            self._add_rows(document, collection, external_id, list(stages) if stages is not None else None)
            self.con.execute("DELETE FROM failures WHERE source = ?", [document.source or document.id])
            self.con.commit()
        except BaseException:
            self.con.rollback()
            self._outlets = self._keys = None  # the caches may hold what was rolled back
            raise
        return True

    def _add_rows(
        self, document: Document, collection: str | None, external_id: str | None, stages: list[str] | None
    ) -> None:
        doc = document.id
        text = document.text
        self.con.execute(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                doc,
                document.source,
                document.url,
                self._outlet_id(document.outlet),
                document.title,
                document.author,
                parse_date(document.published),
                document.published,
                document.language,
                collection,
                external_id,
                text,
                len(text),
                count_words(text),
                _covered((t.start, t.end) for t in document.techniques),
                stages if stages is not None else infer_stages(document),
                list(document.warnings),
                document.schema_version,
                datetime.now(),
            ],
        )
        keys = [actor_key(a.kind, a.name) for a in document.actors]
        self._insert(
            "actors",
            {
                "doc_id": ("VARCHAR", [doc] * len(document.actors)),
                "actor_id": ("VARCHAR", [a.id for a in document.actors]),
                "kind": ("VARCHAR", [a.kind for a in document.actors]),
                "name": ("VARCHAR", [a.name for a in document.actors]),
                "aliases": ("VARCHAR[]", [list(a.aliases) for a in document.actors]),
                "roles": ("VARCHAR[]", [[r.text for r in a.roles] for a in document.actors]),
                "n_mentions": ("INTEGER", [len(a.mentions) for a in document.actors]),
                "key": ("VARCHAR", keys),
            },
        )
        self._corpus_ids({k: (a.kind, a.name) for k, a in zip(keys, document.actors, strict=True)})
        assert self._keys is not None
        if keys:
            self.con.execute(
                "INSERT INTO doc_actors SELECT ?, hash(?), unnest(?::INTEGER[])",
                [doc, doc, sorted({self._keys[k] for k in keys})],
            )
        key_of = {a.id: k for a, k in zip(document.actors, keys, strict=True)}
        entities = document.entities
        self._insert(
            "mentions",
            {
                "doc_id": ("VARCHAR", [doc] * len(entities)),
                "idx": ("INTEGER", list(range(len(entities)))),
                "start_char": ("INTEGER", [e.start for e in entities]),
                "end_char": ("INTEGER", [e.end for e in entities]),
                "text": ("VARCHAR", [e.text for e in entities]),
                "label": ("VARCHAR", [e.label for e in entities]),
                "origin": ("VARCHAR", [e.origin for e in entities]),
                "actor_id": ("VARCHAR", [e.actor for e in entities]),
            },
        )
        quotes = document.attributions
        extents = [_extent(q) for q in quotes]
        self._insert(
            "attributions",
            {
                "doc_id": ("VARCHAR", [doc] * len(quotes)),
                "attribution_id": ("VARCHAR", [q.id for q in quotes]),
                "kind": ("VARCHAR", [q.kind for q in quotes]),
                "speaker": ("VARCHAR", [q.speaker for q in quotes]),
                "speaker_via": ("VARCHAR", [q.speaker_via for q in quotes]),
                "parent": ("VARCHAR", [q.parent for q in quotes]),
                "targets": ("VARCHAR[]", [list(q.targets) for q in quotes]),
                "speaker_key": ("VARCHAR", [key_of.get(q.speaker or "") for q in quotes]),
                "target_keys": ("VARCHAR[]", [[key_of[t] for t in q.targets if t in key_of] for q in quotes]),
                "confidence": ("DOUBLE", [q.confidence for q in quotes]),
                "start_char": ("INTEGER", [e[0] for e in extents]),
                "end_char": ("INTEGER", [e[1] for e in extents]),
                "source_text": ("VARCHAR", [_joined(q.source) for q in quotes]),
                "cue_text": ("VARCHAR", [_joined(q.cue) for q in quotes]),
                "content_text": ("VARCHAR", [_joined(q.content) for q in quotes]),
                "source_spans": ("INTEGER[][]", [[[s.start, s.end] for s in q.source] for q in quotes]),
                "cue_spans": ("INTEGER[][]", [[[s.start, s.end] for s in q.cue] for q in quotes]),
                "content_spans": ("INTEGER[][]", [[[s.start, s.end] for s in q.content] for q in quotes]),
            },
        )
        found = document.techniques
        self._insert(
            "techniques",
            {
                "doc_id": ("VARCHAR", [doc] * len(found)),
                "idx": ("INTEGER", list(range(len(found)))),
                "technique": ("VARCHAR", [t.technique for t in found]),
                "label": ("VARCHAR", [t.label for t in found]),
                "start_char": ("INTEGER", [t.start for t in found]),
                "end_char": ("INTEGER", [t.end for t in found]),
                "text": ("VARCHAR", [t.text for t in found]),
                "confidence": ("DOUBLE", [t.confidence for t in found]),
                "span_probability": ("DOUBLE", [t.span_probability for t in found]),
                "technique_probability": ("DOUBLE", [t.technique_probability for t in found]),
            },
        )
        # The title is searchable too, when the text does not already start with it.
        title = document.title or ""
        terms = index_terms(text if not title or title in text[:1000] else f"{title}\n{text}")
        self._insert(
            "postings",
            {
                "term": ("VARCHAR", list(terms)),
                "doc_id": ("VARCHAR", [doc] * len(terms)),
                "tf": ("INTEGER", list(terms.values())),
            },
        )

    def add_failure(self, source: str, reason: str) -> None:
        """Record an input that could not be stored; a later success removes the record."""
        self.con.execute(
            "INSERT INTO failures VALUES (?, ?, 1, ?) ON CONFLICT (source) DO UPDATE SET "
            "reason = excluded.reason, attempts = failures.attempts + 1, failed_at = excluded.failed_at",
            [source, reason, datetime.now()],
        )

    # --- corpus actors ------------------------------------------------------------------

    def aliases(self) -> Aliases | None:
        text = self.meta("aliases")
        return parse_aliases(text, "the store's alias file") if text else None

    def resolve_actors(self, aliases: Aliases | None = None) -> int:
        """Rebuild the corpus actors from every article's actors; ``aliases`` replaces the
        alias file kept in the store (else the kept one applies). Returns their number."""
        if aliases is None:
            aliases = self.aliases()
        stats: dict[str, KeyStats] = {}
        for key, kind, name, documents in self.query(
            "SELECT key, kind, name, count(DISTINCT doc_id) FROM actors GROUP BY ALL ORDER BY ALL"
        ):
            stat = stats.setdefault(key, KeyStats(key))
            stat.documents += documents
            stat.names[name] += documents
            stat.kinds[kind] += documents
        evidence = [
            (key, actor_key("organisation", alias))
            for key, alias in self.query(
                "SELECT key, alias FROM (SELECT key, unnest(aliases) AS alias FROM actors "
                "WHERE kind IN ('organisation', 'place')) WHERE regexp_matches(alias, '^[A-Z][A-Z0-9&.]{1,9}$') "
                "ORDER BY ALL"
            )
            if is_acronym(alias)
        ]
        clusters = resolve(stats, evidence, aliases)
        self.con.begin()
        try:
            self.con.execute("DELETE FROM actor_keys")
            self.con.execute("DELETE FROM corpus_actors")
            self.con.execute("DELETE FROM actor_names")
            self.con.execute("DELETE FROM doc_actors")
            pairs = [(key, c.id) for c in clusters for key in c.keys]
            self._insert(
                "actor_keys",
                {"key": ("VARCHAR", [k for k, _ in pairs]), "corpus_actor": ("INTEGER", [i for _, i in pairs])},
            )
            self._insert(
                "corpus_actors",
                {
                    "id": ("INTEGER", [c.id for c in clusters]),
                    "kind": ("VARCHAR", [c.kind for c in clusters]),
                    "name": ("VARCHAR", [c.name for c in clusters]),
                    "manual": ("BOOLEAN", [c.manual for c in clusters]),
                    **{
                        column: ("INTEGER", [0] * len(clusters))
                        for column in ("documents", "mentions", "statements", "about")
                    },
                },
            )
            self._count_corpus_actors()
            if aliases is not None:
                self._set_meta("aliases", aliases.text)
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise
        finally:
            self._keys = None
        return len(clusters)

    def _count_corpus_actors(self) -> None:
        """Counts and names of every corpus actor, kept so that questions about actors read
        small tables instead of counting over every article's actors each time."""
        self.con.execute(
            "INSERT INTO doc_actors SELECT DISTINCT a.doc_id, hash(a.doc_id), k.corpus_actor "
            "FROM actors a JOIN actor_keys k ON k.key = a.key"
        )
        self.con.execute(
            """
            UPDATE corpus_actors SET documents = n.documents, mentions = n.mentions
            FROM (SELECT k.corpus_actor AS id, count(DISTINCT a.doc_id) AS documents, sum(a.n_mentions) AS mentions
                  FROM actors a JOIN actor_keys k ON k.key = a.key GROUP BY 1) n
            WHERE corpus_actors.id = n.id
            """
        )
        self.con.execute(
            """
            UPDATE corpus_actors SET statements = n.statements
            FROM (SELECT k.corpus_actor AS id, count(*) AS statements FROM attributions q
                  JOIN actor_keys k ON k.key = q.speaker_key GROUP BY 1) n
            WHERE corpus_actors.id = n.id
            """
        )
        self.con.execute(
            """
            UPDATE corpus_actors SET about = n.about
            FROM (SELECT k.corpus_actor AS id, count(DISTINCT hash(q.doc_id, q.attribution_id)) AS about
                  FROM (SELECT doc_id, attribution_id, unnest(target_keys) AS key FROM attributions) q
                  JOIN actor_keys k ON k.key = q.key GROUP BY 1) n
            WHERE corpus_actors.id = n.id
            """
        )
        self.con.execute(
            """
            INSERT INTO actor_names
            SELECT k.corpus_actor, v.name, lower(v.name), count(DISTINCT v.doc_id)
            FROM (SELECT doc_id, key, name FROM actors
                  UNION ALL SELECT doc_id, key, unnest(aliases) FROM actors) v
            JOIN actor_keys k ON k.key = v.key
            GROUP BY ALL
            """
        )

    # --- export -------------------------------------------------------------------------

    def export_parquet(self, folder: str | Path) -> list[Path]:
        """Every table as ``folder/<table>.parquet``."""
        out = Path(folder)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"{out}: cannot create the folder ({error.strerror})") from None
        written = []
        for table in schema.TABLES:
            path = out / f"{table}.parquet"
            target = str(path).replace("'", "''")
            self.con.execute(f"COPY (SELECT * FROM {table}) TO '{target}' (FORMAT parquet)")
            written.append(path)
        return written


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else error.__class__.__name__
