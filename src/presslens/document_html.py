"""A Document as self-contained HTML: the web view's article view for notebooks.

``Document._repr_html_`` and ``presslens.display(document, layers=...)`` render it: technique
highlights with a legend, attributions as speaker → statement, actors with their labels, the
labels underlined. Everything from the article is escaped (``html.escape``); the page holds no
script, no event handler and no outside request (styles inline, colours from the document's own
technique explanations), so an article that carries markup shows it as text.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from presslens.document import Document

LAYERS = ("techniques", "attributions", "actors", "labels")
_POLARITY_COLOURS = {"negative": "#c0392b", "neutral": "#8a94a3", "positive": "#2e8b57"}
_FALLBACK_COLOUR = "#888888"
_STYLE = (
    "font:15px/1.6 system-ui,sans-serif;color:#1d2430;border:1px solid #d8dde4;border-radius:6px;"
    "padding:.8rem 1rem;max-width:1100px"
)


class DocumentView:
    """What ``presslens.display`` returns: shown as HTML by Jupyter; ``.html`` is the markup."""

    def __init__(self, html: str) -> None:
        self.html = html

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html


_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def _colours(document: Document) -> dict[str, str]:
    """Technique → colour, from the document's explanations; anything but '#RRGGBB' (a
    document read from someone's JSON may carry CSS there) is left out."""
    summary = document.technique_summary
    if summary is None:
        return {}
    return {name: e.colour for name, e in summary.explanations.items() if _COLOUR.fullmatch(e.colour)}


def _text(document: Document, layers: set[str]) -> str:
    """The article with techniques highlighted and labels underlined, cut where spans begin and end."""
    text = document.text
    techniques = document.techniques if "techniques" in layers else []
    labels = document.labels if "labels" in layers else []
    cuts = {0, len(text)}
    for span in [*techniques, *labels]:
        cuts.update((span.start, span.end))
    points = sorted(c for c in cuts if 0 <= c <= len(text))
    colours = _colours(document)
    actors = {a.id: a.name for a in document.actors}
    out = []
    for start, end in itertools.pairwise(points):
        piece = escape(text[start:end])
        found = [t for t in techniques if t.start <= start and end <= t.end]
        marked = [label for label in labels if label.start <= start and end <= label.end]
        if marked:
            label = marked[0]
            who = actors.get(label.actor or "", "an unresolved description")
            title = escape(f"label of {who} · {label.polarity} · {label.voice}", quote=True)
            colour = _POLARITY_COLOURS[label.polarity]
            piece = (
                f'<span title="{title}" style="text-decoration:underline 2px {colour};'
                f'text-underline-offset:3px">{piece}</span>'
            )
        if found:
            colour = colours.get(found[0].technique, _FALLBACK_COLOUR)
            title = escape("; ".join(f"{t.label} ({round(100 * t.confidence)}%)" for t in found), quote=True)
            piece = (
                f'<mark title="{title}" style="background:{colour}33;box-shadow:inset 0 -3px 0 {colour}">{piece}</mark>'
            )
        out.append(piece)
    return "".join(out)


def _legend(document: Document) -> str:
    counts: dict[str, int] = {}
    for t in document.techniques:
        counts[t.technique] = counts.get(t.technique, 0) + 1
    colours = _colours(document)
    labels = {t.technique: t.label for t in document.techniques}
    items = [
        f'<span style="margin-right:1em"><span style="display:inline-block;width:.9em;height:.9em;'
        f'background:{colours.get(name, _FALLBACK_COLOUR)};border-radius:2px"></span> '
        f"{escape(labels[name])} ({count})</span>"
        for name, count in sorted(counts.items(), key=lambda item: -item[1])
    ]
    return f'<p style="font-size:13px">{"".join(items) or "No technique found."}</p>'


def _attributions(document: Document) -> str:
    actors = {a.id: a.name for a in document.actors}
    rows = []
    for attribution in document.attributions:
        source = " … ".join(s.text for s in attribution.source) or "(no source)"
        who = actors.get(attribution.speaker or "", source)
        content = " … ".join(s.text for s in attribution.content)
        rows.append(
            f'<li><b>{escape(who)}</b> → {escape(content)} <small style="color:#5b6573">{attribution.kind}</small></li>'
        )
    return _section(f"Who says what ({len(rows)})", rows)


def _actors(document: Document) -> str:
    rows = []
    for actor in sorted(document.actors, key=lambda a: -len(a.mentions)):
        own = [label for label in document.labels if label.actor == actor.id and label.voice == "reporter"]
        terms = list(dict.fromkeys(label.text.lower() for label in own))
        roles = ", ".join(dict.fromkeys(r.text for r in actor.roles))
        rows.append(
            f"<li><b>{escape(actor.name)}</b> <small>{actor.kind}</small>"
            + (f" · {escape(roles)}" if roles else "")
            + f" · {len(actor.mentions)} mentions"
            + (f" · called: {escape(', '.join(terms[:8]))}" if terms else "")
            + "</li>"
        )
    return _section(f"Actors ({len(rows)})", rows)


def _section(title: str, items: Iterable[str]) -> str:
    listed = "".join(items)
    return f'<h4 style="margin:.8rem 0 .3rem">{escape(title)}</h4><ul style="margin:0">{listed}</ul>'


def document_html(document: Document, layers: Iterable[str] = LAYERS) -> str:
    """The document as one self-contained HTML fragment, with the chosen ``layers``."""
    chosen = set(layers)
    unknown = chosen - set(LAYERS)
    if unknown:
        raise ValueError(f"unknown layer(s): {', '.join(sorted(unknown))} (layers: {', '.join(LAYERS)})")
    meta = " · ".join(x for x in (document.outlet, document.author, document.published) if x)
    parts = [f'<div class="presslens-document" style="{_STYLE}">']
    parts.append(f'<h3 style="margin:.2rem 0">{escape(document.title or "(untitled)")}</h3>')
    if meta:
        parts.append(f'<p style="color:#5b6573;margin:0">{escape(meta)}</p>')
    if "techniques" in chosen:
        parts.append(_legend(document))
    parts.append(f'<div style="white-space:pre-wrap;font:15px/1.8 Georgia,serif">{_text(document, chosen)}</div>')
    if "attributions" in chosen:
        parts.append(_attributions(document))
    if "actors" in chosen:
        parts.append(_actors(document))
    parts.append("</div>")
    return "".join(parts)


def display(document: Document, layers: Iterable[str] = LAYERS) -> DocumentView:
    """``presslens.display(doc, layers=["techniques"])``: the document, with those layers, as
    Jupyter shows it (the last expression of a cell, or ``IPython.display.display``)."""
    return DocumentView(document_html(document, layers))
