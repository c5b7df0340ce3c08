"""The corpus questions for notebooks: ``presslens.Corpus("presslens.duckdb")``.

Each question is the one the CLI asks (the same function of ``presslens.corpus``) and answers
with a ``Result``: its rows, and ``.df()`` (a pandas DataFrame) and ``.arrow()`` (a pyarrow
Table) with the columns, in the order, of the CLI's CSV for that question.

    corpus = presslens.Corpus("presslens.duckdb")
    corpus.statements_by("Hassan Rouhani").df()
    corpus.labels("government of Iran", voice="all").df()
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from presslens.corpus import labels as label_questions
from presslens.corpus import narratives as narrative_questions
from presslens.corpus import queries
from presslens.store.store import Store

if TYPE_CHECKING:
    import pandas  # type: ignore[import-untyped]
    import pyarrow


def as_dict(row: Any) -> dict[str, Any]:
    """A question's row (a dataclass instance or a mapping) as a dictionary."""
    return dataclasses.asdict(row) if dataclasses.is_dataclass(row) and not isinstance(row, type) else dict(row)


@dataclasses.dataclass
class Result:
    """A question's answer: ``rows`` (the question's own row objects) in ``columns``."""

    rows: list[Any]
    columns: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)

    def __getitem__(self, index: int) -> Any:
        return self.rows[index]

    def records(self) -> list[dict[str, Any]]:
        """The rows as dictionaries of ``columns``."""
        return [{column: as_dict(row).get(column) for column in self.columns} for row in self.rows]

    def df(self) -> pandas.DataFrame:
        import pandas

        return pandas.DataFrame(self.records(), columns=list(self.columns))

    def arrow(self) -> pyarrow.Table:
        import pyarrow

        records = self.records()
        return pyarrow.table({column: [r[column] for r in records] for column in self.columns})

    def _repr_html_(self) -> str:
        return str(self.df()._repr_html_())


def _fields(row_type: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(row_type))


class Corpus:
    """A presslens store opened for reading, with its questions as methods. Dates are
    ``datetime.date`` or ISO strings; ``outlet`` names one outlet (any case)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.store = Store(self.path, read_only=True)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Corpus:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Corpus({str(self.path)!r})"

    @staticmethod
    def _filters(outlet: str | None, since: date | str | None, until: date | str | None) -> queries.Filters:
        def day(value: date | str | None) -> date | None:
            return date.fromisoformat(value) if isinstance(value, str) else value

        return queries.Filters(outlet=outlet, since=day(since), until=day(until))

    # --- who says what ----------------------------------------------------------------------

    def statements_by(
        self,
        actor: str,
        outlet: str | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
        limit: int | None = 100,
    ) -> Result:
        rows = queries.statements_by(self.store, actor, self._filters(outlet, since, until), limit=limit)
        return Result(rows, queries.STATEMENT_COLUMNS)

    def statements_about(
        self,
        actor: str,
        outlet: str | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
        limit: int | None = 50,
        per_speaker: int = 5,
    ) -> Result:
        """One row per speaker, as `presslens query statements-about` shows it."""
        groups = queries.statements_about(
            self.store, actor, self._filters(outlet, since, until), limit=limit, per_speaker=per_speaker
        )
        return Result(queries.about_rows(groups), queries.ABOUT_COLUMNS)

    def speakers(
        self,
        outlet: str | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
        limit: int = 10,
    ) -> Result:
        rows = queries.top_speakers(self.store, self._filters(outlet, since, until), limit=limit)
        return Result(rows, _fields(queries.SpeakerRow))

    def network(
        self,
        outlet: str | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
        actor: str | None = None,
        kinds: Sequence[str] = ("person", "organisation"),
        min_documents: int = 2,
        max_actors: int = 200,
    ) -> Result:
        """The co-mention edges, heaviest first."""
        found = queries.co_mentions(
            self.store,
            self._filters(outlet, since, until),
            actor=actor,
            kinds=tuple(kinds),
            min_documents=min_documents,
            max_actors=max_actors,
        )
        return Result(found.edges, queries.EDGE_COLUMNS)

    # --- techniques, outlets, search --------------------------------------------------------

    def technique_profile(
        self,
        by: str = "outlet",
        outlet: str | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
    ) -> Result:
        rows = queries.technique_profile(self.store, self._filters(outlet, since, until), by=by)
        return Result(rows, _fields(queries.ProfileRow))

    def outlets(self, since: date | str | None = None, until: date | str | None = None) -> Result:
        return Result(queries.outlets(self.store, self._filters(None, since, until)), _fields(queries.OutletRow))

    def search(
        self,
        text: str = "",
        outlet: str | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
        actor: str | None = None,
        technique: str | None = None,
        limit: int = 20,
    ) -> Result:
        rows = queries.search(
            self.store, text, self._filters(outlet, since, until), actor=actor, technique=technique, limit=limit
        )
        return Result(rows, queries.SEARCH_COLUMNS)

    def actors(self, kind: str | None = None, match: str | None = None, limit: int | None = 50) -> Result:
        rows = queries.list_actors(self.store, kind=kind, match=match, limit=limit)
        return Result(rows, _fields(queries.ActorRow))

    # --- claims and labels ------------------------------------------------------------------

    def narratives(
        self,
        outlet: str | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
        match: str | None = None,
        min_outlets: int = 1,
        limit: int | None = 50,
    ) -> Result:
        rows = narrative_questions.list_narratives(
            self.store, self._filters(outlet, since, until), limit, match=match, min_outlets=min_outlets
        )
        return Result(rows, narrative_questions.NARRATIVE_COLUMNS)

    def claims_elsewhere(self, doc_id: str, claim_id: str | None = None) -> Result:
        """Where else a stored document's claims are made (``presslens claims elsewhere DOC``)."""
        found = narrative_questions.claims_elsewhere(self.store, doc_id, claim_id)
        return Result(narrative_questions.elsewhere_rows(found), narrative_questions.ELSEWHERE_COLUMNS)

    def labels(
        self,
        actor: str,
        outlet: str | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
        voice: str = "reporter",
        limit: int | None = 50,
    ) -> Result:
        """How outlets label ``actor`` (``presslens labels ACTOR``)."""
        rows = label_questions.actor_labels(self.store, actor, self._filters(outlet, since, until), voice, limit)
        return Result(rows, label_questions.LABEL_COLUMNS)

    def outlet_labels(self, outlet: str, voice: str = "reporter", limit: int | None = 20) -> Result:
        """The actors ``outlet`` labels, most negatively first (``presslens labels --outlet``)."""
        rows = label_questions.outlet_actors(self.store, outlet, queries.Filters(), voice, limit)
        return Result(rows, label_questions.OUTLET_LABEL_COLUMNS)

    def compare_labels(self, actor: str, outlet_a: str, outlet_b: str, voice: str = "reporter") -> Result:
        rows = label_questions.compare_outlets(self.store, actor, outlet_a, outlet_b, queries.Filters(), voice)
        return Result(rows, label_questions.COMPARISON_COLUMNS)
