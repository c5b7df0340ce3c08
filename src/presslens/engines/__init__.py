"""Engines run the one pipeline over many articles; they compose stages, they add none.

- local: ``presslens.engines.local`` — the calling process, or worker processes on this
  machine (``presslens ingest --workers N``).
- Ray: ``presslens.engines.ray_engine`` — a Ray cluster, or a local Ray instance, through
  Ray Data (``presslens ingest --engine ray [--address ADDR] [--out DIR]``); an optional
  extra: ``pip install 'presslens[ray]'``.

Both turn each analysed Document into the same rows (``presslens.store.rows``), so a store
filled by either holds the same thing.
"""

ENGINES = ("local", "ray")
