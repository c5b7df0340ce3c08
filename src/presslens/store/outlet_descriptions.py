"""The corpus's part of description resolution: what an outlet's other articles say.

An article that only describes an actor ("the cult", never named) gets an actor of its own
(``presslens.actors.descriptions``), keyed within its outlet (``actors.corpus.described_key``).
When other articles of the same outlet tie the same description to one named actor, and to
no other, the two keys are one corpus actor: ``links`` gives those pairs to
``actors.corpus.resolve`` at every ``Store.resolve_actors`` (every ingest ends with it). The
per-document rows are not changed, so a document is stored the same whatever else the corpus
holds, and the links follow the corpus as it grows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

# Described actors' keys, and the one named key their outlet ties their description to.
_LINKS = """
WITH described AS (
    SELECT DISTINCT a.key, d.outlet_id, lower(m.text) AS description
    FROM actors a JOIN mentions m ON m.doc_id = a.doc_id AND m.actor_id = a.actor_id
    JOIN documents d ON d.id = a.doc_id
    WHERE a.described AND m.kind = 'description' AND d.outlet_id IS NOT NULL
), resolved AS (
    SELECT d.outlet_id, lower(m.text) AS description, min(a.key) AS key
    FROM mentions m JOIN actors a ON a.doc_id = m.doc_id AND a.actor_id = m.actor_id
    JOIN documents d ON d.id = m.doc_id
    WHERE m.kind = 'description' AND NOT a.described AND d.outlet_id IS NOT NULL
    GROUP BY ALL HAVING count(DISTINCT a.key) = 1
)
SELECT x.key, min(r.key) FROM described x JOIN resolved r USING (outlet_id, description)
GROUP BY x.key HAVING count(DISTINCT r.key) = 1 ORDER BY x.key
"""


def links(con: DuckDBPyConnection) -> list[tuple[str, str]]:
    """(described key, named key) pairs: the described actors their outlets resolve."""
    return [(str(described), str(named)) for described, named in con.execute(_LINKS).fetchall()]
