"""Ingest: turn files, pages and records into Documents with clean text and metadata."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from presslens.document import Document
from presslens.errors import InputError
from presslens.ingest.clean import clean_text
from presslens.ingest.decode import decode_bytes, without_controls
from presslens.ingest.html import extract_article, looks_like_html
from presslens.ingest.language import detect_language
from presslens.ingest.raw import DEFAULT_MAX_BYTES, RawInput, outlet_of
from presslens.ingest.readers import ReadContext, expand_paths, holds_many, iter_inputs, read_inputs
from presslens.ingest.records import raw_input_from_record, without_lone_surrogates

__all__ = [
    "DEFAULT_MAX_BYTES",
    "IngestOptions",
    "RawInput",
    "ReadContext",
    "document_from_text",
    "document_or_error",
    "expand_paths",
    "holds_many",
    "iter_inputs",
    "outlet_of",
    "raw_input_from_record",
    "read_documents",
    "read_inputs",
    "read_path",
    "to_document",
]


_WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True)
class IngestOptions:
    max_bytes: int = DEFAULT_MAX_BYTES
    # Refuse text detected as another language; when False, analyse it with a warning.
    english_only: bool = True
    # Remove site debris lines. Off when offsets must match the file as read (PTC, PolNeAR).
    clean: bool = True


def document_from_text(
    text: str, source: str, options: IngestOptions = IngestOptions(), **metadata: str | None
) -> Document:
    """A Document from decoded article text: cleaned, titled and language-checked."""
    removed = []
    title = None
    if options.clean:
        cleaned = clean_text(text)
        text, title, removed = cleaned.text, cleaned.title, cleaned.removed
    if not text.strip():
        raise InputError(source, "no text left to analyse" if removed else "empty input: nothing to analyse")
    if not _WORD.search(text):
        raise InputError(source, "no words to analyse (only digits, symbols or markup)")
    warnings: list[str] = []
    language, probability = detect_language(text)
    if language is None:
        warnings.append("text too short to identify its language; analysed as English")
    elif language != "en":
        message = f"text is not English (detected '{language}', p={probability:.2f})"
        if options.english_only:
            raise InputError(source, message + "; skipped (use --any-language to analyse anyway)")
        warnings.append(message + "; English models applied anyway")
    fields: dict[str, str | None] = {k: v for k, v in metadata.items() if v}
    fields.setdefault("title", title)
    if "outlet" not in fields:
        fields["outlet"] = outlet_of(fields.get("url"))
    return Document.from_text(text, source=source, language=language, removed=removed, warnings=warnings, **fields)


def to_document(raw: RawInput, options: IngestOptions = IngestOptions()) -> Document:
    """Decode, extract (HTML) and clean one input. Raises InputError naming the input."""
    if raw.text is not None:
        content, decoding = raw.text, None
    else:
        decoded = decode_bytes(raw.data or b"", raw.source)
        content, decoding = decoded.text, decoded.warning
    content, surrogates = without_lone_surrogates(content)
    content, controls = without_controls(content)
    if len(content.encode("utf-8")) > options.max_bytes:
        raise InputError(raw.source, f"input is over the {options.max_bytes / 1e6:g} MB limit (see --max-bytes)")
    is_html = raw.is_html if raw.is_html is not None else looks_like_html(content)
    metadata = {}
    for key, value in raw.metadata.items():
        value, replaced = without_lone_surrogates(value)
        metadata[key], removed = without_controls(value)
        surrogates += replaced
        controls += removed
    if is_html:
        article = extract_article(content, raw.source, url=metadata.get("url"))
        content = article.text
        if len(_WORD.findall(content)) < 3:
            raise InputError(raw.source, "no article text found in the HTML (broken page or no article)")
        for key in ("title", "author", "published", "outlet", "url"):
            value = getattr(article, key)
            if value and not metadata.get(key):
                metadata[key] = value
    document = document_from_text(content, raw.source, options, **metadata)
    if decoding:
        document.warnings.append(decoding)
    if controls:
        document.warnings.append(f"{controls} control character(s) removed (NUL and the like: no text holds them)")
    if surrogates:
        document.warnings.append(f"{surrogates} lone surrogate(s) replaced by U+FFFD (not encodable as UTF-8)")
    if not document.published and raw.fallback_published:
        document.published = raw.fallback_published
        document.warnings.append("date is the crawl date (the page gives none)")
    return document


def read_documents(paths: Iterable[str], options: IngestOptions = IngestOptions()) -> Iterator[Document | InputError]:
    """Documents from paths, folders, JSONL and WARC files or '-'; failures come as InputError values."""
    for raw in iter_inputs(paths, ReadContext(options.max_bytes)):
        yield document_or_error(raw, options)


def read_path(
    name: str, options: IngestOptions = IngestOptions(), context: ReadContext | None = None
) -> Iterator[Document | InputError]:
    """Documents from one expanded path (see expand_paths)."""
    for raw in read_inputs(name, context or ReadContext(options.max_bytes)):
        yield document_or_error(raw, options)


def document_or_error(raw: RawInput | InputError, options: IngestOptions) -> Document | InputError:
    """``raw`` as a Document, or the reason it cannot be one. A failure is a value, never an
    exception, so that one bad input never stops a batch: a reader's own bug included, named
    by its exception (the rest of the batch goes on)."""
    if isinstance(raw, InputError):
        return raw
    try:
        return to_document(raw, options)
    except InputError as error:
        return error
    except Exception as error:  # a reader's bug must not stop the other inputs
        return InputError(raw.source, f"cannot be read ({error.__class__.__name__}: {error})", raw.weight)
