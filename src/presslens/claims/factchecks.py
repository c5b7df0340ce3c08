"""Fact-checks a user supplies, read into one shape: ``FactCheck``.

Formats, by file (``read_fact_checks``), each registered in ``READERS``:
- JSON Lines (``.jsonl``, ``.jsonl.gz``): one object a line with the claim under ``claim``
  (or ``claimReviewed``, ``text``, ``vclaim``), and ``verdict``/``rating``, ``url``, ``date``,
  ``publisher``, ``title``, ``id`` when given; a ClaimReview object a line is read as one.
- CSV (``.csv``): the same names as column headers.
- ClaimReview (``.json``, ``.jsonld``, ``.html``): schema.org ``ClaimReview`` objects, the
  markup fact-checkers publish, alone, in a list, under ``@graph`` or in an HTML page's
  ``<script type="application/ld+json">`` blocks.
- CheckThat! 2020 Task 2 (``.tsv``, e.g. ``verified_claims.docs.tsv``): ``id``, ``vclaim``,
  ``title``, tab-separated with CSV quoting.

A file that cannot be read is one InputError naming it; a record without a claim is one
InputError naming the record (``file:line``); the other records are kept.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from presslens.errors import InputError
from presslens.ingest.records import load_json

CLAIM_FIELDS = ("claim", "claimReviewed", "claim_reviewed", "vclaim", "text")
VERDICT_FIELDS = ("verdict", "rating", "label", "textual_rating")
URL_FIELDS = ("url", "link", "review_url")
DATE_FIELDS = ("date", "datePublished", "published", "review_date")
PUBLISHER_FIELDS = ("publisher", "author", "site", "source")
TITLE_FIELDS = ("title", "headline", "name")
ID_FIELDS = ("id", "claim_id", "vclaim_id")

_LD_JSON = re.compile(r"<script[^>]*type\s*=\s*[\"']application/ld\+json[\"'][^>]*>(.*?)</script>", re.I | re.S)


@dataclass(frozen=True)
class FactCheck:
    """One claim a fact-checker has checked, with what they found."""

    id: str
    claim: str
    title: str = ""
    verdict: str = ""
    url: str = ""
    date: str = ""
    publisher: str = ""

    def to_json(self) -> dict[str, str]:
        return asdict(self)

    @property
    def text(self) -> str:
        """What retrieval reads: the claim and the fact-check's title."""
        return f"{self.claim} {self.title}".strip()


def _first(record: Mapping[str, object], names: tuple[str, ...]) -> str:
    for name in names:
        value = record.get(name)
        if isinstance(value, Mapping):  # schema.org: {"@type": "Organization", "name": ...}
            value = value.get("name") or value.get("alternateName") or value.get("url")
        if isinstance(value, list) and value:
            value = value[0] if not isinstance(value[0], Mapping) else value[0].get("name")
        if value not in (None, ""):
            return " ".join(str(value).split())
    return ""


def _made_id(claim: str, url: str) -> str:
    return hashlib.sha256(f"{claim}\0{url}".encode()).hexdigest()[:16]


def fact_check_from_record(record: object, source: str) -> FactCheck:
    """A FactCheck from a JSON object or CSV row (plain fields or a ClaimReview); InputError
    naming ``source`` when it holds no claim."""
    if not isinstance(record, Mapping):
        raise InputError(source, "not a JSON object")
    if _is_claim_review(record):
        return _from_claim_review(record, source)
    claim = _first(record, CLAIM_FIELDS)
    if not claim:
        raise InputError(source, f"no claim (give one of: {', '.join(CLAIM_FIELDS[:3])})")
    url = _first(record, URL_FIELDS)
    return FactCheck(
        id=_first(record, ID_FIELDS) or _made_id(claim, url),
        claim=claim,
        title=_first(record, TITLE_FIELDS),
        verdict=_first(record, VERDICT_FIELDS),
        url=url,
        date=_first(record, DATE_FIELDS)[:10],
        publisher=_first(record, PUBLISHER_FIELDS),
    )


def _is_claim_review(record: Mapping[str, object]) -> bool:
    kind = record.get("@type")
    return kind == "ClaimReview" or (isinstance(kind, list) and "ClaimReview" in kind)


def _from_claim_review(record: Mapping[str, object], source: str) -> FactCheck:
    claim = _first(record, ("claimReviewed",))
    item = record.get("itemReviewed")
    if not claim and isinstance(item, Mapping):  # some publishers put the claim on the item
        claim = _first(item, ("text", "name", "description"))
    if not claim:
        raise InputError(source, "a ClaimReview without claimReviewed")
    rating = record.get("reviewRating")
    verdict = _first(rating, ("alternateName", "name", "ratingValue")) if isinstance(rating, Mapping) else ""
    url = _first(record, ("url",))
    return FactCheck(
        id=_first(record, ("@id", "identifier")) or _made_id(claim, url),
        claim=claim,
        title=_first(record, ("headline", "name")),
        verdict=verdict,
        url=url,
        date=_first(record, ("datePublished", "dateCreated"))[:10],
        publisher=_first(record, ("author", "publisher")),
    )


def _claim_reviews(value: object) -> Iterator[Mapping[str, object]]:
    """Every ClaimReview object in a JSON-LD value (alone, a list, a @graph), depth-first."""
    if isinstance(value, list):
        for item in value:
            yield from _claim_reviews(item)
    elif isinstance(value, Mapping):
        if _is_claim_review(value):
            yield value
        for key in ("@graph", "mainEntity", "hasPart"):
            if key in value:
                yield from _claim_reviews(value[key])


# --- readers, one per format -----------------------------------------------------------

Read = Iterator[FactCheck | InputError]
Reader = Callable[[Path], Read]
READERS: dict[str, Reader] = {}


def reads(*suffixes: str) -> Callable[[Reader], Reader]:
    def register(read: Reader) -> Reader:
        for suffix in suffixes:
            READERS[suffix] = read
        return read

    return register


def _open_text(path: Path) -> str:
    try:
        data = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
        return data.decode("utf-8-sig")
    except (OSError, EOFError) as error:
        raise InputError(str(path), f"cannot be read ({error.__class__.__name__}: {error})") from None
    except UnicodeDecodeError as error:
        raise InputError(str(path), f"not UTF-8 (byte {error.start})") from None


@reads(".jsonl", ".jsonl.gz", ".ndjson")
def read_jsonl(path: Path) -> Read:
    for number, line in enumerate(_open_text(path).split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            yield fact_check_from_record(load_json(line, where), where)
        except InputError as error:
            yield error


@reads(".csv")
def read_csv(path: Path) -> Read:
    rows = csv.DictReader(io.StringIO(_open_text(path)))
    if not rows.fieldnames or not any(name in rows.fieldnames for name in CLAIM_FIELDS):
        yield InputError(str(path), f"a CSV file without a claim column (one of: {', '.join(CLAIM_FIELDS)})")
        return
    for number, row in enumerate(rows, start=2):
        try:
            yield fact_check_from_record(row, f"{path}:{number}")
        except InputError as error:
            yield error


@reads(".json", ".jsonld", ".html", ".htm")
def read_claim_review(path: Path) -> Read:
    text = _open_text(path)
    blocks = _LD_JSON.findall(text) if path.suffix in (".html", ".htm") else [text]
    found = 0
    for number, block in enumerate(blocks, start=1):
        where = f"{path}" if len(blocks) == 1 else f"{path} (JSON-LD block {number})"
        try:
            value = load_json(block.strip(), where)
        except InputError as error:
            yield error
            continue
        if isinstance(value, list) and not any(_is_claim_review(v) for v in value if isinstance(v, Mapping)):
            # A JSON list of plain records (as JSONL would hold them).
            for index, item in enumerate(value):
                try:
                    yield fact_check_from_record(item, f"{where}[{index}]")
                    found += 1
                except InputError as error:
                    yield error
            continue
        for review in _claim_reviews(value):
            try:
                yield _from_claim_review(review, where)
                found += 1
            except InputError as error:
                yield error
    if not found:
        yield InputError(str(path), "no ClaimReview (schema.org) in it")


@reads(".tsv")
def read_checkthat_tsv(path: Path) -> Read:
    """CheckThat! 2020 Task 2's verified claims: id, vclaim, title (CSV quoting: some claims
    span lines inside quotes)."""
    rows = csv.reader(io.StringIO(_open_text(path)), delimiter="\t")
    header = next(rows, None)
    if header is None or len(header) < 3 or header[1:3] != ["vclaim", "title"]:
        yield InputError(str(path), "not the CheckThat! layout (a header '<tab>vclaim<tab>title')")
        return
    for number, row in enumerate(rows, start=2):
        if len(row) < 3 or not row[1].strip():
            yield InputError(f"{path}:{number}", "a row without id, vclaim and title")
            continue
        yield FactCheck(id=row[0].strip(), claim=" ".join(row[1].split()), title=" ".join(row[2].split()))


def read_fact_checks(paths: list[str]) -> Iterator[FactCheck | InputError]:
    """The fact-checks of every file, by its suffix; InputErrors for what cannot be read."""
    for name in paths:
        path = Path(name)
        if not path.is_file():
            yield InputError(name, "no such file" if not path.exists() else "not a file")
            continue
        suffix = ".jsonl.gz" if path.name.endswith(".jsonl.gz") else path.suffix.lower()
        reader = READERS.get(suffix)
        if reader is None:
            yield InputError(name, f"not a fact-check file (takes {', '.join(sorted(READERS))})")
            continue
        try:
            yield from reader(path)
        except InputError as error:
            yield error
