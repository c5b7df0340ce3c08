"""The corpus store: one DuckDB file of analysed documents, written one document at a time.

Each document goes in with all its rows in one transaction, so a process killed at any
moment leaves whole documents or none (DuckDB's write-ahead log replays committed ones on
the next open). DuckDB lets one process write a file, and other processes cannot open it
meanwhile: that case becomes a StoreBusyError, one line, instead of DuckDB's lock error.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from presslens.actors.corpus import Aliases, KeyStats, actor_key, display_name, parse_aliases, resolve
from presslens.document import Document
from presslens.errors import PresslensError
from presslens.store import narratives, outlet_descriptions, schema
from presslens.store.rows import COLUMNS as ROW_COLUMNS
from presslens.store.rows import DOCUMENT_TABLES, Rows, document_rows, select_rows
from presslens.text import is_acronym
from presslens.version import __version__

if TYPE_CHECKING:
    from presslens.claims.retrieval import SentenceEncoder

DEFAULT_STORE = "presslens.duckdb"
STORE_ENV = "PRESSLENS_STORE"


class StoreError(PresslensError):
    """A store that cannot be opened or used: says which file and why, in one line."""


class StoreBusyError(StoreError):
    """Another process holds the store's file."""


class StoreDamagedError(StoreError):
    """The store's file is truncated or corrupted (DuckDB's checksums or reads fail)."""


class StoreFullError(StoreError):
    """The disk holding the store is full: the document being written is not stored, those
    committed before it are."""


# DuckDB's words for a store file it cannot trust (a failed block checksum, a short read of
# a truncated file) and for a full disk. A file that is no DuckDB file at all is not
# "damaged": it "cannot be opened as a store".
_DAMAGE_SIGNS = ("corrupt", "checksum", "could not read enough bytes", "failed to read")
_FULL_SIGNS = ("no space left on device", "disk quota exceeded", "file too large")

Parameters = ParamSpec("Parameters")
Result = TypeVar("Result")


def store_fault(path: Path, error: BaseException) -> StoreError | None:
    """The StoreError a DuckDB failure on the store's file amounts to (damaged, full), or
    None when it is neither (a bug of the query, raised as it is)."""
    message = str(error).lower()
    if any(sign in message for sign in _FULL_SIGNS):
        return StoreFullError(
            f"disk full: no space left for {path} ({_first_line(error)}); what was stored before is kept: "
            "free space and run the same command again to finish"
        )
    if any(sign in message for sign in _DAMAGE_SIGNS):
        return StoreDamagedError(
            f"store damaged: {path} cannot be read ({_first_line(error)}); restore it from a copy, "
            "or ingest the articles again into a new store"
        )
    return None


def _faults_named(method: Callable[Parameters, Result]) -> Callable[Parameters, Result]:
    """A Store method whose DuckDB failures from a damaged file or a full disk come out as
    one-line StoreErrors, the rest unchanged."""

    @functools.wraps(method)
    def wrapper(*args: Parameters.args, **kwargs: Parameters.kwargs) -> Result:
        import duckdb  # here, not at the top: light commands never load DuckDB

        try:
            return method(*args, **kwargs)
        except duckdb.Error as error:
            store = args[0]
            assert isinstance(store, Store)
            fault = store_fault(store.path, error)
            if fault is None:
                raise
            raise fault from None

    return wrapper


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
            raise store_fault(self.path, error) or StoreError(
                f"{self.path}: cannot be opened as a store ({_first_line(error)})"
            ) from None
        except duckdb.Error as error:
            raise store_fault(self.path, error) or StoreError(
                f"{self.path}: cannot be opened as a store ({_first_line(error)})"
            ) from None
        try:
            self._check_schema()
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                self.con.close()
            raise
        self._outlets: dict[str, int] | None = None
        self._keys: dict[str, int] | None = None

    # --- opening, versions, closing ------------------------------------------------------

    def _tables(self) -> set[str]:
        rows = self.con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")
        return {r[0] for r in rows.fetchall()}

    @_faults_named
    def version(self) -> int:
        if "meta" not in self._tables():
            return 0
        row = self.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    @_faults_named
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

    @_faults_named
    def migrate(self) -> int:
        """Apply the migration steps this store lacks, in one transaction; the new version."""
        current, wanted = self.version(), schema.schema_version()
        if current == wanted:
            return current
        with self._transaction():
            for step in schema.MIGRATIONS[current:wanted]:
                self.con.execute(step)
            self._set_meta("schema_version", str(wanted))
            if current == 0:
                self._set_meta("created_at", datetime.now().isoformat(timespec="seconds"))
            self._set_meta("presslens_version", __version__)
        return wanted

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """One transaction around the block: committed when it ends, rolled back when it raises."""
        self.con.begin()
        try:
            yield
            self.con.commit()
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        """Roll the open transaction back. After a write failed (a full disk) DuckDB may have
        ended the transaction itself or invalidated the connection: then there is nothing
        to roll back, and the error that matters is the one already being raised."""
        import duckdb

        with contextlib.suppress(duckdb.Error):
            self.con.rollback()

    def _set_meta(self, key: str, value: str) -> None:
        self.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])

    @_faults_named
    def meta(self, key: str) -> str | None:
        row = self.con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        import duckdb

        with contextlib.suppress(duckdb.Error):  # a connection a fatal error invalidated
            self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    # --- reading ------------------------------------------------------------------------

    @_faults_named
    def query(self, sql: str, parameters: Sequence[Any] | dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, parameters).fetchall()

    @_faults_named
    def has(self, doc_id: str) -> bool:
        return self.con.execute("SELECT 1 FROM documents WHERE id = ?", [doc_id]).fetchone() is not None

    @_faults_named
    def known_ids(self) -> set[str]:
        return {r[0] for r in self.query("SELECT id FROM documents")}

    @_faults_named
    def counts(self) -> dict[str, int]:
        return {table: self.query(f"SELECT count(*) FROM {table}")[0][0] for table in schema.TABLES}

    @_faults_named
    def failures(self) -> list[tuple[str, str, int, datetime]]:
        return self.query("SELECT source, reason, attempts, failed_at FROM failures ORDER BY source")

    # --- writing ------------------------------------------------------------------------

    def _insert(self, table: str, columns: dict[str, tuple[str, list[Any]]]) -> None:
        schema.insert_columns(self.con, table, columns)

    def _outlet_id(self, name: str | None) -> int | None:
        name = (name or "").strip()
        if not name:
            return None
        if self._outlets is None:
            self._outlets = dict(self.query("SELECT name, id FROM outlets"))
        if name not in self._outlets:
            new = max(self._outlets.values(), default=0) + 1
            self.con.execute("INSERT INTO outlets VALUES (?, ?)", [new, name])
            self._outlets[name] = new
        return self._outlets[name]

    def _corpus_ids(self, keys: dict[str, tuple[str, str]]) -> None:
        """Give keys never seen before a corpus actor of their own, until the next
        ``resolve_actors`` joins them to others."""
        if self._keys is None:
            self._keys = dict(self.query("SELECT key, corpus_actor FROM actor_keys"))
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

    @_faults_named
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
        rows = document_rows(document, collection=collection, external_id=external_id, stages=stages)
        return bool(self.add_rows(rows))

    @_faults_named
    def add_rows(self, rows: Rows) -> list[str]:
        """Store documents given as their rows (``presslens.store.rows``, e.g. a Parquet
        part of the Ray engine) in one transaction; documents stored already are left out,
        failure rows are recorded as failures. Returns the ids stored."""
        documents = rows.get("documents", {})
        ids = list(documents.get("id", []))
        if len(set(ids)) != len(ids):
            # The rows of other tables could not be told apart between the copies.
            raise StoreError("rows to add repeat a document id; give each document once")
        known = self.known_ids_among(ids)
        fresh = [doc for doc in ids if doc not in known]
        failures = rows.get("failures")
        if not fresh and not (failures and failures["source"]):
            return []
        if len(fresh) != len(ids):
            rows = select_rows(rows, set(fresh))
            documents = rows["documents"]
        self.con.begin()
        try:
            self._insert_rows(rows)
            if failures and failures["source"]:
                for source, reason in zip(failures["source"], failures["reason"], strict=True):
                    self._record_failure(source, reason)
            if fresh:
                stored_sources = [s or d for s, d in zip(documents["source"], documents["id"], strict=True)]
                self.con.execute("DELETE FROM failures WHERE source IN (SELECT unnest(?::VARCHAR[]))", [stored_sources])
            self.con.commit()
        except BaseException:
            self._rollback()
            self._outlets = self._keys = None  # the caches may hold what was rolled back
            raise
        return fresh

    @_faults_named
    def known_ids_among(self, ids: Sequence[str]) -> set[str]:
        if not ids:
            return set()
        found = self.query("SELECT id FROM documents WHERE id IN (SELECT unnest(?::VARCHAR[]))", [list(ids)])
        return {r[0] for r in found}

    def _insert_rows(self, rows: Rows) -> None:
        documents = rows.get("documents")
        if not documents or not documents["id"]:
            return
        for table in DOCUMENT_TABLES:
            columns = rows.get(table)
            if not columns:
                continue
            types = ROW_COLUMNS[table]
            if table == "documents":
                columns = {("outlet_id" if name == "outlet" else name): values for name, values in columns.items()}
                columns["outlet_id"] = [self._outlet_id(name) for name in columns["outlet_id"]]
                types = {("outlet_id" if name == "outlet" else name): t for name, t in types.items()}
                types["outlet_id"] = "INTEGER"
            self._insert(table, {name: (types[name], values) for name, values in columns.items()})
        actors = rows.get("actors")
        if actors and actors["key"]:
            self._corpus_ids(
                {
                    key: (kind, name)
                    for key, kind, name in zip(actors["key"], actors["kind"], actors["name"], strict=True)
                }
            )
            assert self._keys is not None
            pairs = sorted({(doc, self._keys[key]) for doc, key in zip(actors["doc_id"], actors["key"], strict=True)})
            self.con.execute(
                "INSERT INTO doc_actors SELECT d, hash(d), c FROM (SELECT unnest(?::VARCHAR[]) AS d, "
                "unnest(?::INTEGER[]) AS c)",
                [[d for d, _ in pairs], [c for _, c in pairs]],
            )

    @_faults_named
    def add_failure(self, source: str, reason: str) -> None:
        """Record an input that could not be stored; a later success removes the record."""
        self._record_failure(source, reason)

    def _record_failure(self, source: str, reason: str) -> None:
        self.con.execute(
            "INSERT INTO failures VALUES (?, ?, 1, ?) ON CONFLICT (source) DO UPDATE SET "
            "reason = excluded.reason, attempts = failures.attempts + 1, failed_at = excluded.failed_at",
            [source, reason, datetime.now()],
        )

    # --- corpus actors ------------------------------------------------------------------

    def aliases(self) -> Aliases | None:
        text = self.meta("aliases")
        return parse_aliases(text, "the store's alias file") if text else None

    @_faults_named
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
        # "the cult" of an article, as the outlet's other articles resolve it.
        clusters = resolve(stats, evidence, aliases, outlet_descriptions.links(self.con))
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
            self._rollback()
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

    # --- narratives ----------------------------------------------------------------------

    @_faults_named
    def link_claims(self, encoder: SentenceEncoder | None = None) -> narratives.LinkReport:
        """Link the claims stored since the last call with every claim stored, and regroup
        the narratives (``presslens.store.narratives``); an ingest runs it as it ends.
        ``encoder``: default the shipped claim matcher's, loaded only when there is work."""

        def load_encoder() -> SentenceEncoder:
            if encoder is not None:
                return encoder
            from presslens.claims.retrieval import Matcher  # the model, only when there is work
            from presslens.models.loader import CLAIMS, load_model

            matcher = load_model(CLAIMS, "matcher")
            assert isinstance(matcher, Matcher)
            return matcher.encoder

        with self._transaction():
            return narratives.update(self.con, load_encoder)

    @_faults_named
    def relink_claims(self, threshold: float = narratives.THRESHOLD) -> narratives.LinkReport:
        """Every link again from the stored embeddings, and regroup (after the linking rules
        changed: ``presslens store relink``)."""
        with self._transaction():
            return narratives.relink(self.con, threshold)

    # --- export -------------------------------------------------------------------------

    @_faults_named
    def export_parquet(self, folder: str | Path) -> list[Path]:
        """Every table as ``folder/<table>.parquet`` (each file replaced whole)."""
        out = Path(folder)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"{out}: cannot create the folder ({error.strerror})") from None
        written = []
        for table in schema.TABLES:
            path = out / f"{table}.parquet"
            # Written beside and renamed into place: an export killed midway leaves whole
            # files (and a .partial one at most), never a truncated table under its name.
            partial = path.with_name(path.name + ".partial")
            target = str(partial).replace("'", "''")
            self.con.execute(f"COPY (SELECT * FROM {table}) TO '{target}' (FORMAT parquet)")
            partial.replace(path)
            written.append(path)
        return written

    @_faults_named
    def import_parquet(self, folder: str | Path) -> int:
        """Every table of a ``store export`` folder into this store, which must hold no
        documents: the same rows back, in one transaction. The number of documents."""
        source = Path(folder)
        missing = [t for t in schema.TABLES if not (source / f"{t}.parquet").is_file()]
        if missing:
            raise StoreError(f"{source}: not a `presslens store export` folder (no {missing[0]}.parquet)")
        path_of = {t: str(source / f"{t}.parquet").replace("'", "''") for t in schema.TABLES}
        exported = self.con.execute(
            f"SELECT value FROM read_parquet('{path_of['meta']}') WHERE key = 'schema_version'"
        ).fetchone()
        version = int(exported[0]) if exported else 0
        if version != schema.schema_version():
            raise StoreError(
                f"{source}: exported at store schema version {version}, this presslens is at "
                f"{schema.schema_version()}: import it with the presslens that exported it, migrate, export again"
            )
        count = self.con.execute("SELECT count(*) FROM documents").fetchone()
        if count and count[0]:
            raise StoreError(f"{self.path}: holds {count[0]} documents already; import an export into an empty store")
        with self._transaction():
            for table in schema.TABLES:
                if table == "meta":
                    continue  # this store's own: its version is the export's, its creation its own
                self.con.execute(f"DELETE FROM {table}")
                self.con.execute(f"INSERT INTO {table} SELECT * FROM read_parquet('{path_of[table]}')")
            aliases = self.con.execute(
                f"SELECT value FROM read_parquet('{path_of['meta']}') WHERE key = 'aliases'"
            ).fetchone()
            if aliases:
                self._set_meta("aliases", aliases[0])
        total = self.con.execute("SELECT count(*) FROM documents").fetchone()
        return int(total[0]) if total else 0


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else error.__class__.__name__
