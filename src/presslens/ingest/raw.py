"""RawInput: one input as a reader gives it, before decoding, extraction and analysis."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlparse

# The one limit on the size of an input, in bytes: a file, a JSON Lines record, a WARC page,
# the body of an API request (``--max-bytes`` of analyze, ingest and serve). Every text up to
# it is analysed whole (spaCy in parts, every stage near-linear: benchmarks/text_growth.py
# measures about 2 minutes and 4 GB for a million characters on 2 cores); larger ones are refused.
DEFAULT_MAX_BYTES = 2_000_000


@dataclass
class RawInput:
    """One input before decoding: bytes from a file or a WARC record, or text from a JSON record,
    with the metadata its format gives and what the store records beside the Document."""

    source: str
    data: bytes | None = None
    text: str | None = None
    is_html: bool | None = None  # None: decide by looking at the content
    metadata: dict[str, str] = field(default_factory=dict)
    weight: int = 0  # bytes of input it accounts for, for progress
    collection: str | None = None  # the corpus layout it came from ("warc", "ptc", "polnear")
    external_id: str | None = None  # its id in that corpus
    fallback_published: str | None = None  # a WARC's crawl date, used when the page gives none


def outlet_of(url: str | None) -> str | None:
    """The site of a URL, the way the store names outlets: 'https://www.nytimes.com/a' -> 'nytimes.com'."""
    if not url:
        return None
    host = (urlparse(url).hostname or "").lower()
    return host.removeprefix("www.") or None
