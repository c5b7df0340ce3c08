"""JSON records (JSONL lines, API bodies) → RawInput: the one set of field names for both.

A record carries its article as ``text`` or ``html`` and metadata under the names people
commonly use for them (``date`` for ``published``, ``site`` for ``outlet``, ...).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping

from presslens.errors import InputError
from presslens.ingest.raw import RawInput

# A record is an article and a few metadata fields: nothing in it needs to nest this deep,
# and much deeper nesting makes Python's JSON reader (and pydantic after it) recurse until
# RecursionError. Checked before parsing, so no recursion ever starts.
MAX_JSON_DEPTH = 64
_NESTING = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

# Metadata fields, each with the names a record may give it under, the first found winning.
METADATA_ALIASES: dict[str, tuple[str, ...]] = {
    "url": ("url", "link"),
    "outlet": ("outlet", "site", "source", "publisher", "domain"),
    "title": ("title", "headline"),
    "author": ("author", "authors", "byline"),
    "published": ("published", "date", "publish_date", "published_at", "publication_date"),
}


def json_depth(text: str) -> int:
    """How deep the arrays and objects of a JSON text nest (brackets inside strings not
    counted); a regular-expression scan, so a hostile text cannot make it recurse."""
    depth = deepest = 0
    for match in _NESTING.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return deepest


def _number(digits: str) -> int | float:
    # Python refuses to convert integers of more than sys.get_int_max_str_digits() digits
    # (a guard against quadratic time); such a number in a field presslens does not read
    # must not cost the record, so it is kept as a float (inf when out of range).
    if len(digits.lstrip("-")) <= sys.get_int_max_str_digits():
        return int(digits)
    return float(digits)


def load_json(text: str | bytes, source: str) -> object:
    """The JSON value of one record's text. Raises InputError naming ``source`` with one
    reason for text that is not JSON, nests deeper than MAX_JSON_DEPTH or is not UTF-8; a
    number of any length is read (see ``_number``)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InputError(source, f"not UTF-8 (byte {error.start})") from None
    if json_depth(text) > MAX_JSON_DEPTH:
        raise InputError(source, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(text, parse_int=_number)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}" if error.lineno > 1 else f"column {error.colno}"
        raise InputError(source, f"invalid JSON: {error.msg} ({where})") from None
    except (RecursionError, ValueError) as error:  # a defence only: the checks above come first
        raise InputError(source, f"JSON that cannot be read ({error.__class__.__name__})") from None


def without_lone_surrogates(text: str) -> tuple[str, int]:
    """``text`` with every lone surrogate (``"\\ud800"`` in JSON decodes to one; UTF-8 cannot
    encode it, so no output could be written) replaced by U+FFFD, one character for one, so
    that offsets hold; and how many were replaced. A valid pair decodes to one character,
    never to two surrogates, so every surrogate left in a str is a lone one."""
    return _LONE_SURROGATE.subn("\ufffd", text)


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


def raw_input_from_record(record: object, source: str, *, strict: bool = False) -> RawInput:
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
