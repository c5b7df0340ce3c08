"""Bytes to text: refuse binary files, detect the encoding of text that is not UTF-8."""

from __future__ import annotations

import codecs

from presslens.errors import InputError

# Signatures of binary formats people most often feed by mistake, to name them in the error.
_MAGIC: list[tuple[bytes, str]] = [
    (b"%PDF", "a PDF file"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (or DOCX/XLSX)"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"\x7fELF", "an executable"),
    (b"\xd0\xcf\x11\xe0", "an MS Office file"),
]

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


def _binary_kind(data: bytes) -> str | None:
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    head = data[:8192]
    if b"\x00" in head:
        return "a binary file"
    # Text has few control characters besides tab, newline, carriage return and form feed.
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    if head and controls / len(head) > 0.05:
        return "a binary file"
    return None


def decode_bytes(data: bytes, source: str) -> tuple[str, str]:
    """Return the text and the encoding it was read with; raise InputError for non-text."""
    if not data.strip():
        raise InputError(source, "empty input: nothing to analyse")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding), encoding
    kind = _binary_kind(data)
    if kind:
        raise InputError(source, f"looks like {kind}, not text or HTML")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise InputError(source, "not valid UTF-8 and no other text encoding fits")
    guess = str(best)
    # On short Western text the detector often picks a rare Latin code page (mac_latin2,
    # iso8859_x) whose letters differ from what the writer typed; Windows-1252 is by far the
    # commonest non-UTF-8 encoding of such news text, so it wins whenever it decodes.
    if all(_is_latin(ch) for ch in guess if ord(ch) > 127 and ch.isalpha()):
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass
    return guess, best.encoding


def _is_latin(ch: str) -> bool:
    import unicodedata

    return unicodedata.name(ch, "").startswith("LATIN")
