"""WARC files (.warc, .warc.gz): the HTML pages of a crawl, with their URL and crawl date.

Only ``response`` records of HTML pages with HTTP status 200 are articles to be; requests,
metadata, revisits, redirects, images and scripts are passed over without a failure, since a
crawl is mostly those. A file that is not a WARC, or that is cut off (an interrupted download),
ends with one InputError naming it; the pages before the damage are kept, and a record cut
off is never taken for a page ("truncated WARC record at offset N"). warcio reads damaged
files leniently (a record cut mid-way comes out as a shorter page; a gzip member cut before
its end is decompressed as far as it goes), so completeness is checked here: every record
must hold its Content-Length and end where the next begins, and in a .warc.gz every member
must reach its gzip trailer.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import zlib
from collections.abc import Callable, Iterator
from typing import TypeVar

from presslens.errors import InputError
from presslens.ingest.raw import RawInput, outlet_of

T = TypeVar("T")

_GZIP_MAGIC = b"\x1f\x8b"


def _quietly(step: Callable[[], T]) -> T:
    # warcio writes several-line warnings to stderr about damaged records; presslens reports
    # damage itself, in one line.
    with contextlib.redirect_stderr(io.StringIO()):
        return step()


def _not_a_warc(path: str) -> InputError | None:
    """An InputError when the file does not begin as a WARC file does ('WARC/1.x')."""
    try:
        stream = open(path, "rb")  # noqa: SIM115 (closed below, apart from the gzip errors)
    except OSError as error:
        return InputError(path, f"cannot be read ({error.__class__.__name__}: {error.strerror})")
    with stream:
        try:
            head = stream.read(2)
            stream.seek(0)
            if head == _GZIP_MAGIC:
                with gzip.open(stream) as unzipped:
                    head = unzipped.read(5)
            else:
                head = stream.read(5)
        except EOFError:
            return InputError(path, "not a readable WARC file (the compressed data ends early: a cut-off download?)")
        except (OSError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
            return InputError(path, f"not a readable WARC file ({error.__class__.__name__}: {error})")
    if head != b"WARC/":
        return InputError(path, "not a WARC file (it does not begin with a 'WARC/' record)")
    return None


_CHUNK = 1 << 20


def first_incomplete_member(path: str) -> int | None:
    """The offset of the first gzip member of ``path`` that is cut off before its trailer
    (None: all complete). Decompressed in bounded chunks and thrown away: only the ends of
    the members matter here."""
    with open(path, "rb") as stream:
        member_start = 0
        consumed = 0  # compressed bytes read before the current chunk
        decompressor = zlib.decompressobj(wbits=31)
        while chunk := stream.read(_CHUNK):
            data = chunk
            while data:
                decompressor.decompress(data, _CHUNK)
                while decompressor.unconsumed_tail:  # a highly compressed member: bounded output
                    decompressor.decompress(decompressor.unconsumed_tail, _CHUNK)
                if not decompressor.eof:
                    break
                # The member ended inside this chunk; the next one begins where it stopped.
                rest = decompressor.unused_data
                member_start = consumed + len(chunk) - len(rest)
                decompressor = zlib.decompressobj(wbits=31)
                data = rest
            consumed += len(chunk)
        if consumed > member_start:
            return member_start
    return None


def _truncated(path: str, offset: int) -> InputError:
    return InputError(path, f"truncated WARC record at offset {offset} (the file is cut off: an interrupted download?)")


def iter_warc(path: str, max_bytes: int) -> Iterator[RawInput | InputError]:
    """The HTML pages of a WARC file as inputs (URL, outlet, crawl date and the bytes of the
    file each takes); a broken file ends with an InputError naming it."""
    # warcio only when a WARC is read: `presslens analyze` of text files does without it.
    from warcio.archiveiterator import ArchiveIterator

    refused = _not_a_warc(path)
    if refused is not None:
        yield refused
        return
    try:
        stream = open(path, "rb")  # noqa: SIM115 (closed below; the generator yields in between)
    except OSError as error:
        yield InputError(path, f"cannot be read ({error.__class__.__name__}: {error.strerror})")
        return
    try:
        cut_at = first_incomplete_member(path) if _is_gzip(path) else None
    except (OSError, zlib.error) as error:
        stream.close()
        yield InputError(path, f"not a readable WARC file ({error.__class__.__name__}: {error})")
        return
    with stream:
        records = ArchiveIterator(stream)
        position = end = 0
        try:
            while (record := _quietly(lambda: next(records, None))) is not None:
                if record.rec_type is None or record.rec_headers.get_header("Content-Length") is None:
                    # Headers that stop before their blank line: warcio makes a record of them.
                    yield _truncated(path, _quietly(records.get_record_offset))
                    return
                wanted = record.rec_type == "response" and record.http_headers is not None
                if wanted:
                    content_type = (record.http_headers.get_header("Content-Type") or "").lower()
                    wanted = "html" in content_type and record.http_headers.get_statuscode() == "200"
                # The body first: asking warcio for the offset reads the record to its end.
                body = record.content_stream().read(max_bytes + 1) if wanted else b""
                offset = _quietly(records.get_record_offset)
                if getattr(record.raw_stream, "limit", 0) > 0 or (cut_at is not None and offset >= cut_at):
                    # The record ends before its Content-Length, or in a cut-off gzip member.
                    yield _truncated(path, offset)
                    return
                end = offset + _quietly(records.get_record_length)
                weight, position = max(0, offset - position), offset
                if not wanted:
                    continue
                source = f"{path}@{offset}"
                if len(body) > max_bytes:
                    yield InputError(source, f"page is over the {max_bytes / 1e6:g} MB limit (see --max-bytes)")
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                crawled = (record.rec_headers.get_header("WARC-Date") or "")[:10] or None
                metadata = {"url": url} if url else {}
                outlet = outlet_of(url)
                if outlet:
                    metadata["outlet"] = outlet
                yield RawInput(
                    source,
                    data=body,
                    is_html=True,
                    metadata=metadata,
                    weight=weight,
                    collection="warc",
                    fallback_published=crawled,
                )
        except Exception as error:  # warcio raises many kinds (ArchiveLoadFailed, zlib, attribute errors) on damage
            if cut_at is not None or _header_cut(stream, end):
                yield _truncated(path, cut_at if cut_at is not None else end)
                return
            message = str(error).strip().splitlines()[0] if str(error).strip() else error.__class__.__name__
            yield InputError(path, f"not a readable WARC file after offset {position} ({message})")
            return
        if cut_at is not None:
            yield _truncated(path, max(cut_at, end))
        elif _rest_is_data(stream, end):
            # warcio stops without a word at a record whose headers are cut off.
            yield _truncated(path, end)


def _is_gzip(path: str) -> bool:
    with open(path, "rb") as stream:
        return stream.read(2) == _GZIP_MAGIC


def _header_cut(stream: io.BufferedReader, end: int) -> bool:
    """Whether the file ends inside the headers of a record that begins at ``end``."""
    stream.seek(end)
    rest = stream.read(_CHUNK).lstrip(b"\r\n")
    return rest.startswith(b"WARC/") and b"\r\n\r\n" not in rest


def _rest_is_data(stream: io.BufferedReader, end: int) -> bool:
    """Whether anything but blank lines follows the last whole record."""
    stream.seek(end)
    while chunk := stream.read(_CHUNK):
        if chunk.strip():
            return True
    return False
