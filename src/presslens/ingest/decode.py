"""Bytes to text: refuse binary files, detect the encoding of text that is not UTF-8, decode
a file that mixes UTF-8 and Windows-1252 lines line by line, and remove control characters."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    warning: str | None = None  # how the decoding departs from plain UTF-8, for the document


def decode_bytes(data: bytes, source: str) -> Decoded:
    """The text of ``data`` and how it was decoded; raise InputError for non-text."""
    if not data.strip():
        raise InputError(source, "empty input: nothing to analyse")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return Decoded(data.decode(encoding), encoding)
    kind = _binary_kind(data)
    if kind:
        raise InputError(source, f"looks like {kind}, not text or HTML")
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    mixed = _mixed_lines(data)
    if mixed is not None:
        return mixed
    text, encoding = _detect(data, source)
    return Decoded(text, encoding, f"decoded as {encoding} (not UTF-8)")


def _mixed_lines(data: bytes) -> Decoded | None:
    """A text pasted together from UTF-8 and Windows-1252 sources (some lines hold UTF-8
    letters, others bytes that are not UTF-8): each line in its own encoding, where decoding
    the whole as one code page would turn the UTF-8 letters into mojibake. None when no line
    is UTF-8 beyond ASCII."""
    lines = data.split(b"\n")
    utf8 = legacy = 0
    decoded = []
    for line in lines:
        try:
            decoded.append(line.decode("utf-8"))
            utf8 += not line.isascii()
        except UnicodeDecodeError:
            decoded.append(line.decode("cp1252", errors="replace"))
            legacy += 1
    if not utf8:
        return None
    warning = f"mixed encodings: {legacy} line(s) decoded as cp1252, the other {len(lines) - legacy} as UTF-8"
    return Decoded("\n".join(decoded), "utf-8+cp1252", warning)


def _detect(data: bytes, source: str) -> tuple[str, str]:
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


# Control characters a text has no use for: C0 but tab, line feed, form feed and carriage
# return; DEL; C1. NUL among them: stored, it cuts strings short in C libraries and terminals.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def without_controls(text: str) -> tuple[str, int]:
    """``text`` without its control characters (see _CONTROLS), and how many were removed."""
    return _CONTROLS.subn("", text)
