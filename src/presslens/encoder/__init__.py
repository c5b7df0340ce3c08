"""The encoder layer: one encoder pass per document, shared by the analyses that read token states.

``windows`` cuts an article into word pieces and overlapping windows; ``transformer`` has
``WindowEncoder``, which reads the windows of many documents in batches; ``stage`` is the
pipeline's encoder stage, which keeps each document's ``Encoding`` in its ``Analysis`` (the
per-document context every stage receives, ``analysis``); ``bases`` sets up the base
encoders from PyPI packages (checked by sha256, cached outside git).
"""

from presslens.encoder.analysis import Analysis
from presslens.encoder.encoding import Encoder, Encoding

__all__ = ["Analysis", "Encoder", "Encoding"]
