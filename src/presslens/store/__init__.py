"""The corpus store: many analysed articles in one DuckDB file, and the questions asked of it.

from presslens.store import Store
from presslens.corpus import queries
with Store("presslens.duckdb", read_only=True) as store:
    rows = queries.statements_by(store, "Hassan Rouhani")
"""

from presslens.store.store import (
    DEFAULT_STORE,
    STORE_ENV,
    Store,
    StoreBusyError,
    StoreDamagedError,
    StoreError,
    StoreFullError,
)

__all__ = ["DEFAULT_STORE", "STORE_ENV", "Store", "StoreBusyError", "StoreDamagedError", "StoreError", "StoreFullError"]
