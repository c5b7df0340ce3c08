"""Article extraction from HTML pages, with trafilatura, and the page's metadata.

trafilatura runs in precision mode: on the ScrapingHub article-extraction benchmark it keeps
nearly all of the article and much less of the page around it (related links, captions,
newsletter boxes) than the balanced or recall modes. Precision mode now and then keeps only
a fragment (a reprint notice, a teaser); when its text is short and the balanced mode finds
a much longer one, the longer one is taken. ``benchmarks/extraction.py`` measures both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from presslens.errors import InputError

# A precision-mode text under this many words may be a fragment rather than the article...
_SHORT_TEXT_WORDS = 80
# ...and gives way to the balanced-mode text when that is at least this many times longer.
_FALLBACK_FACTOR = 2.0

_WORD = re.compile(r"\w+")


@dataclass
class ExtractedArticle:
    text: str
    title: str | None = None
    author: str | None = None
    published: str | None = None
    outlet: str | None = None
    url: str | None = None


def looks_like_html(text: str) -> bool:
    head = text[:2048].lstrip().lower()
    return head.startswith(("<!doctype html", "<html", "<?xml")) or any(
        tag in head for tag in ("<body", "<head", "<p>", "<div", "<article")
    )


def _word_count(text: str) -> int:
    return len(_WORD.findall(text))


def _text_of(result: Any) -> str:
    return ((getattr(result, "text", None) or "") if result is not None else "").strip()


def extract_article(html: str, source: str, url: str | None = None) -> ExtractedArticle:
    """Main text and metadata of an HTML page; InputError when no article text is found."""
    import trafilatura

    try:
        # Parsed once; bare_extraction works on a copy of the tree, so it serves both passes.
        tree = trafilatura.load_html(html)
        if tree is None:
            raise InputError(source, "the HTML could not be parsed")
        common: dict[str, Any] = {"url": url, "include_comments": False, "include_tables": True}
        result = trafilatura.bare_extraction(tree, favor_precision=True, with_metadata=True, **common)
        text = _text_of(result)
        if _word_count(text) < _SHORT_TEXT_WORDS:
            balanced = _text_of(trafilatura.bare_extraction(tree, with_metadata=False, **common))
            if _word_count(balanced) >= _FALLBACK_FACTOR * max(_word_count(text), 1):
                text = balanced
            if result is None:
                # Precision mode can reject the page outright; metadata still comes with it.
                result = trafilatura.extract_metadata(tree, default_url=url)
    except InputError:
        raise
    except Exception as error:  # trafilatura and lxml raise many kinds on broken markup
        raise InputError(source, f"the HTML could not be read ({type(error).__name__}: {error})") from error
    if not text:
        raise InputError(source, "no article text found in the HTML (broken page or no article)")
    return ExtractedArticle(
        text=text,
        title=getattr(result, "title", None) or None,
        author=getattr(result, "author", None) or None,
        published=getattr(result, "date", None) or None,
        outlet=getattr(result, "sitename", None) or getattr(result, "hostname", None) or None,
        url=getattr(result, "url", None) or url,
    )
