"""The NLP stage: sentences and tokens from spaCy, over the document's exact text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from spacy.language import Language

from presslens.document import Document, Sentence, Token

if TYPE_CHECKING:
    from spacy.tokens import Doc

PARAGRAPH_COMPONENT = "presslens_line_breaks"


@Language.component(PARAGRAPH_COMPONENT)
def line_breaks_end_sentences(doc: Doc) -> Doc:
    """A line break ends a sentence: titles, paragraphs and list items never run together,
    which the parser alone lets happen when a title has no final full stop."""
    for token in doc[:-1]:
        if token.is_space and "\n" in token.text:
            doc[token.i + 1].is_sent_start = True
    return doc


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
