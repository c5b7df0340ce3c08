"""WARC files (.warc, .warc.gz): the HTML pages of a crawl, with their URL and crawl date.

Only ``response`` records of HTML pages with HTTP status 200 are articles to be; requests,
metadata, revisits, redirects, images and scripts are passed over without a failure, since a
crawl is mostly those.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from presslens.errors import InputError
from presslens.ingest import RawInput

WARC_SUFFIXES = (".warc", ".warc.gz")


def is_warc(name: str) -> bool:
    return name.lower().endswith(WARC_SUFFIXES)


@dataclass
class WarcPage:
    raw: RawInput
    crawled: str | None  # WARC-Date, the day the page was fetched
    weight: int  # bytes of the file this record takes, for progress


def iter_warc(path: str, max_bytes: int) -> Iterator[WarcPage | InputError]:
    """The HTML pages of a WARC file; a broken file ends with an InputError naming it."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    try:
        stream: BinaryIO = open(path, "rb")  # noqa: SIM115
    except OSError as error:
        yield InputError(path, f"cannot be read ({error.__class__.__name__}: {error.strerror})")
        return
    with stream:
        records = ArchiveIterator(stream)
        position = 0
        try:
            for record in records:
                wanted = record.rec_type == "response" and record.http_headers is not None
                if wanted:
                    content_type = (record.http_headers.get_header("Content-Type") or "").lower()
                    wanted = "html" in content_type and record.http_headers.get_statuscode() == "200"
                # The body first: asking warcio for the offset reads the record to its end.
                body = record.content_stream().read(max_bytes + 1) if wanted else b""
                offset = records.get_record_offset()
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
                yield WarcPage(RawInput(source, data=body, is_html=True, metadata=metadata), crawled, weight)
        except (ArchiveLoadFailed, OSError, EOFError, ValueError) as error:
            message = str(error).strip().splitlines()[0] if str(error).strip() else error.__class__.__name__
            yield InputError(path, f"not a readable WARC file after offset {position} ({message})")
