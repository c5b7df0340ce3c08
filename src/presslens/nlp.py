"""The NLP stage: sentences and tokens from spaCy, over the document's exact text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from spacy.language import Language
from spacy.tokens import Doc as SpacyDoc

from presslens.document import Document, Sentence, Token

if TYPE_CHECKING:
    from spacy.tokens import Doc

PARAGRAPH_COMPONENT = "presslens_line_breaks"

# A text longer than this is parsed in parts, joined into one parse of the whole text. spaCy
# refuses a text over its ``max_length`` (a million characters) because the parser's and the
# entity recogniser's memory grows with the length of what they are given; parts keep that
# memory bounded whatever the text, and the time linear in its length.
PART_CHARS = 100_000
# Where a part may end, best first: after a paragraph break, a line break, a sentence's full
# stop, any space. A part ends at the last such place in its second half (a hard cut at
# PART_CHARS only in a text without any).
_PART_ENDS = (re.compile(r"\n\s*\n"), re.compile(r"\n"), re.compile(r"[.!?][\"”’')\]]*\s"), re.compile(r"\s"))


@Language.component(PARAGRAPH_COMPONENT)
def line_breaks_end_sentences(doc: Doc) -> Doc:
    """A line break ends a sentence: titles, paragraphs and list items never run together,
    which the parser alone lets happen when a title has no final full stop."""
    for token in doc[:-1]:
        if token.is_space and "\n" in token.text:
            doc[token.i + 1].is_sent_start = True
    return doc


def text_parts(text: str, size: int | None = None) -> list[str]:
    """``text`` cut into consecutive parts of at most ``size`` characters (PART_CHARS) that
    join back into it exactly, each ending at a paragraph break, else a line break, a
    sentence end, a space."""
    size = size or PART_CHARS
    parts: list[str] = []
    start = 0
    while len(text) - start > size:
        window = text[start + size // 2 : start + size]
        cut = None
        for pattern in _PART_ENDS:
            ends = [match.end() for match in pattern.finditer(window)]
            if ends:
                cut = start + size // 2 + ends[-1]
                break
        cut = cut or start + size
        parts.append(text[start:cut])
        start = cut
    parts.append(text[start:])
    return parts


def parse_texts(nlp: Language, texts: Iterable[str], batch_size: int = 8) -> Iterator[SpacyDoc]:
    """spaCy parses of ``texts``, in order, each of its whole text: a long text is parsed in
    parts (``text_parts``) that are joined into one Doc, offsets intact."""
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) >= batch_size:
            yield from _parse_batch(nlp, batch, batch_size)
            batch = []
    if batch:
        yield from _parse_batch(nlp, batch, batch_size)


def parse_text(nlp: Language, text: str) -> SpacyDoc:
    """The spaCy parse of one text (see ``parse_texts``)."""
    return next(parse_texts(nlp, [text]))


def _parse_batch(nlp: Language, texts: list[str], batch_size: int) -> Iterator[SpacyDoc]:
    parts = [text_parts(text) for text in texts]
    # The parts of a long text one at a time: a batch of them would hold the whole text's
    # parse states at once, which is what the parts are there to avoid.
    if any(len(pieces) > 1 for pieces in parts):
        batch_size = 1
    parsed = iter(nlp.pipe((part for text in parts for part in text), batch_size=batch_size))
    for text, pieces in zip(texts, parts, strict=True):
        docs = [next(parsed) for _ in pieces]
        whole = docs[0] if len(docs) == 1 else SpacyDoc.from_docs(docs, ensure_whitespace=False)
        if whole.text != text:  # a defence: the parts were cut from this text and must join back
            raise ValueError("the parts of a long text did not join back into it")
        yield whole


def add_nlp_layers(document: Document, parsed: Doc) -> None:
    """Fill the sentence and token layers from a spaCy parse of ``document.text``."""
    if parsed.text != document.text:
        raise ValueError("the spaCy parse is not of this document's text")
    document.tokens = [
        Token(
            start=t.idx,
            end=t.idx + len(t.text),
            text=t.text,
            pos=t.pos_,
            tag=t.tag_,
            lemma=t.lemma_,
            dep=t.dep_,
            head=t.head.i,
        )
        for t in parsed
    ]
    sentences = []
    for sent in parsed.sents:
        # Blank lines become whitespace tokens at sentence edges; keep sentences tight.
        words = [t for t in sent if not t.is_space]
        if words:
            start, end = words[0].idx, words[-1].idx + len(words[-1].text)
            sentences.append(Sentence(**document.span(start, end)))
    document.sentences = sentences
