"""Article extraction from HTML pages, with trafilatura, and the page's metadata."""

from __future__ import annotations

from dataclasses import dataclass

from presslens.errors import InputError


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


def extract_article(html: str, source: str, url: str | None = None) -> ExtractedArticle:
    """Main text and metadata of an HTML page; InputError when no article text is found."""
    import trafilatura

    result = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_recall=True,
    )
    text = (getattr(result, "text", None) or "").strip() if result is not None else ""
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
