"""A news page around an article's title and body, as the WARC tests write them."""

from __future__ import annotations


def article_html(title: str, body: str, date: str | None = None) -> bytes:
    meta = f'<meta property="article:published_time" content="{date}">' if date else ""
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n") if p.strip())
    page = (
        f"<html><head><title>{title}</title>{meta}</head><body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>{title}</h1>{paragraphs}</article><footer>© News</footer></body></html>"
    )
    return page.encode("utf-8")
