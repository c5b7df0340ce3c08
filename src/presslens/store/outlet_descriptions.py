"""The corpus's part of description resolution: what an outlet's other articles say.

An article that only describes an actor ("the Resistance", never named) gets an actor of its
own (``presslens.actors.descriptions``). When other articles of the same outlet tie the same
description to one named actor, and to no other, the described actor is that actor in the
corpus: its key becomes the named actor's (so corpus actors, counts, labels and speakers join
it) and its mentions say ``resolved_by = 'outlet'``. Recomputed from scratch at every
``Store.resolve_actors`` (every ingest ends with it): each described actor first gets back the
key of its own name, so that the result depends on the corpus, not on the order of ingest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from presslens.actors.corpus import actor_key
from presslens.store.schema import insert_columns

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

# Described actors whose description the same outlet tied elsewhere to exactly one named key.
_REDIRECTS = """
WITH described AS (
    SELECT a.doc_id, a.actor_id, d.outlet_id, lower(m.text) AS description
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
SELECT x.doc_id, x.actor_id, min(r.key) FROM described x JOIN resolved r USING (outlet_id, description)
GROUP BY ALL HAVING count(DISTINCT r.key) = 1
"""


def redirect(con: DuckDBPyConnection) -> int:
    """Give described actors the key their outlet resolves them to; in the caller's
    transaction. Returns how many were redirected."""
    own = con.execute("SELECT doc_id, actor_id, kind, name FROM actors WHERE described").fetchall()
    if not own:
        return 0
    con.execute("CREATE OR REPLACE TEMP TABLE described_keys (doc_id VARCHAR, actor_id VARCHAR, key VARCHAR)")
    insert_columns(
        con,
        "described_keys",
        {
            "doc_id": ("VARCHAR", [r[0] for r in own]),
            "actor_id": ("VARCHAR", [r[1] for r in own]),
            "key": ("VARCHAR", [actor_key(r[2], r[3]) for r in own]),
        },
    )
    # Back to their own names' keys first, then to their outlet's resolution.
    con.execute("UPDATE mentions SET resolved_by = 'own' WHERE resolved_by = 'outlet'")
    redirects = con.execute(_REDIRECTS).fetchall()
    if redirects:
        con.execute("CREATE OR REPLACE TEMP TABLE redirected (doc_id VARCHAR, actor_id VARCHAR, key VARCHAR)")
        insert_columns(
            con,
            "redirected",
            {
                "doc_id": ("VARCHAR", [r[0] for r in redirects]),
                "actor_id": ("VARCHAR", [r[1] for r in redirects]),
                "key": ("VARCHAR", [r[2] for r in redirects]),
            },
        )
        con.execute(
            "UPDATE described_keys SET key = r.key FROM redirected r "
            "WHERE described_keys.doc_id = r.doc_id AND described_keys.actor_id = r.actor_id"
        )
        con.execute(
            "UPDATE mentions SET resolved_by = 'outlet' FROM redirected r "
            "WHERE mentions.doc_id = r.doc_id AND mentions.actor_id = r.actor_id AND mentions.kind = 'description'"
        )
        con.execute("DROP TABLE redirected")
    changed = """
        FROM described_keys k WHERE {table}.doc_id = k.doc_id AND {table}.{actor} = k.actor_id
        AND {table}.{key} IS DISTINCT FROM k.key
    """
    con.execute("UPDATE actors SET key = k.key " + changed.format(table="actors", actor="actor_id", key="key"))
    con.execute(
        "UPDATE labels SET actor_key = k.key " + changed.format(table="labels", actor="actor_id", key="actor_key")
    )
    for table in ("attributions", "claims"):
        con.execute(
            f"UPDATE {table} SET speaker_key = k.key " + changed.format(table=table, actor="speaker", key="speaker_key")
        )
    con.execute("DROP TABLE described_keys")
    return len(redirects)
