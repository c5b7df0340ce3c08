"""JSON records (JSONL lines, API bodies) → RawInput: the one set of field names for both.

A record carries its article as ``text`` or ``html`` and metadata under the names people
commonly use for them (``date`` for ``published``, ``site`` for ``outlet``, ...).
"""

from __future__ import annotations

from collections.abc import Mapping

from presslens.errors import InputError
from presslens.ingest.raw import RawInput

# Metadata fields, each with the names a record may give it under, the first found winning.
METADATA_ALIASES: dict[str, tuple[str, ...]] = {
    "url": ("url", "link"),
    "outlet": ("outlet", "site", "source", "publisher", "domain"),
    "title": ("title", "headline"),
    "author": ("author", "authors", "byline"),
    "published": ("published", "date", "publish_date", "published_at", "publication_date"),
}


def _metadata(record: Mapping[str, object], source: str, strict: bool) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, names in METADATA_ALIASES.items():
        for name in names:
            value = record.get(name)
            if strict and value is not None and not isinstance(value, str):
                raise InputError(source, f"'{name}' must be a string")
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            if value not in (None, ""):
                found[key] = str(value)
                break
    return found


def raw_input_from_record(record: Mapping[str, object], source: str, *, strict: bool = False) -> RawInput:
    """The input a JSON record describes. Raises InputError naming ``source`` with one reason.

    The record's ``text`` is taken when it has content, else its ``html``. ``strict`` (the
    API) also refuses a record that gives both, and fields that are not strings, where a
    JSONL file takes the text and joins lists (``"authors": ["A", "B"]`` → ``"A, B"``).
    """
    if not isinstance(record, Mapping):
        raise InputError(source, "not a JSON object (expected one with 'text' or 'html')")
    text, html = record.get("text"), record.get("html")
    if strict:
        if text is not None and html is not None:
            raise InputError(source, "give exactly one of 'text' and 'html'")
        content = text if text is not None else html
        if content is None:
            raise InputError(source, "record has neither a 'text' nor an 'html' field")
        if not isinstance(content, str):
            raise InputError(source, "'text' or 'html' must be a string")
        return RawInput(source, text=content, is_html=html is not None, metadata=_metadata(record, source, strict))
    if isinstance(text, str) and text.strip():
        return RawInput(source, text=text, is_html=False, metadata=_metadata(record, source, strict))
    if isinstance(html, str) and html.strip():
        return RawInput(source, text=html, is_html=True, metadata=_metadata(record, source, strict))
    raise InputError(source, "record has neither a 'text' nor an 'html' field with content")
