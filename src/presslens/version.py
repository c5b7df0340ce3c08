"""presslens' version, in a module of its own so that any layer can read it without importing
the package's top (which reaches the pipeline and the corpus lazily)."""

__version__ = "0.1.0"
