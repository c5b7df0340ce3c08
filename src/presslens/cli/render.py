"""The terminal view of an analysed document (rich): header, actors, attributions, techniques,
highlighted text."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from presslens.document import Attribution, Document
from presslens.techniques.explanations import explain

KIND_STYLES = {
    "person": "bold cyan",
    "organisation": "bold magenta",
    "place": "bold green",
    "group": "bold yellow",
}


# Attribution cues in the text: reverse video stays distinct over any technique's background
# colour and beside the actors' coloured names.
CUE_STYLE = "bold reverse"
# How much of what was said the attribution list shows.
CONTENT_CHARS = 160


@dataclass(frozen=True)
class Highlight:
    start: int
    end: int
    style: str


def entity_highlights(document: Document) -> list[Highlight]:
    kinds = {a.id: a.kind for a in document.actors}
    return [
        Highlight(e.start, e.end, KIND_STYLES[kinds[e.actor]])
        for e in document.entities
        if e.actor and kinds.get(e.actor) in KIND_STYLES
    ]


def header(document: Document) -> RenderableType:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim")
    table.add_column()
    for label, value in (
        ("source", document.source),
        ("outlet", document.outlet),
        ("author", document.author),
        ("published", document.published),
        ("language", document.language),
        ("id", document.id),
        ("words", str(sum(1 for t in document.tokens if t.pos not in ("PUNCT", "SPACE")))),
    ):
        if value:
            table.add_row(label, Text(value))
    for removed in document.removed:
        table.add_row("removed", Text(f"{removed.reason}: {removed.text[:80]}", style="dim"))
    for warning in document.warnings:
        table.add_row("warning", Text(warning, style="yellow"))
    return Panel(table, title=Text(document.title or "(untitled)", style="bold"), title_align="left")


def actors_table(document: Document) -> RenderableType:
    table = Table(title="Actors", title_justify="left", show_lines=False)
    table.add_column("actor")
    table.add_column("kind")
    table.add_column("roles")
    table.add_column("mentions", justify="right")
    table.add_column("also called")
    table.add_column("labelled (the article's own words)")
    for actor in sorted(document.actors, key=lambda a: -len(a.mentions)):
        table.add_row(
            Text(actor.name, style=KIND_STYLES.get(actor.kind, "")),
            actor.kind,
            Text("; ".join(dict.fromkeys(r.text for r in actor.roles))),
            str(len(actor.mentions)),
            Text(", ".join(actor.aliases)),
            _labels_of(document, actor.id),
        )
    return table


LABEL_STYLES = {"negative": "red", "neutral": "", "positive": "green"}


def _labels_of(document: Document, actor_id: str) -> Text:
    """The reporter's labels of an actor, each once, with its count: 'regime ×9, fearful'."""
    counts: dict[tuple[str, str], int] = {}
    for label in document.labels:
        if label.actor == actor_id and label.voice == "reporter":
            key = (label.text.lower(), label.polarity)
            counts[key] = counts.get(key, 0) + 1
    line = Text()
    for number, ((term, polarity), count) in enumerate(sorted(counts.items(), key=lambda item: -item[1])[:6]):
        if number:
            line.append(", ")
        line.append(term + (f" ×{count}" if count > 1 else ""), style=LABEL_STYLES[polarity])
    return line


def cue_highlights(document: Document) -> list[Highlight]:
    return [Highlight(c.start, c.end, CUE_STYLE) for a in document.attributions for c in a.cue]


def _shorten(text: str, limit: int = CONTENT_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _attribution_line(document: Document, attribution: Attribution, depth: int) -> Text:
    line = Text("  " * depth + ("└ " if depth else ""))
    line.append(f"[{attribution.kind}] ", style="dim")
    actor = document.actor(attribution.speaker) if attribution.speaker else None
    source = " ".join(" ".join(s.text for s in attribution.source).split())
    if actor is not None:
        line.append(actor.name, style=KIND_STYLES.get(actor.kind, "bold"))
        if actor.roles:
            line.append(f" ({actor.roles[0].text})")
        if attribution.speaker_via != "name":
            # A guess from a pronoun or a role noun: show the words it was made from.
            line.append(f" ← “{source}”", style="dim")
    elif source:
        line.append(f"“{source}”", style="italic")
        line.append(" (unresolved)", style="dim")
    else:
        line.append("(no source)", style="dim italic")
    if attribution.content:
        line.append(": ")
        line.append(_shorten(" … ".join(c.text for c in attribution.content)))
    else:  # the tagger found who and how, but not what: show the cue
        line.append(f" ({' '.join(c.text for c in attribution.cue)})", style="dim")
    return line


def attributions_view(document: Document) -> RenderableType:
    """Who said what, one line each; an attribution nested in another's content (a quote an
    outlet reports) is indented under it."""
    known = {a.id for a in document.attributions}
    children: dict[str | None, list[Attribution]] = {}
    for attribution in document.attributions:
        parent = attribution.parent if attribution.parent in known else None
        children.setdefault(parent, []).append(attribution)
    lines = Text()
    lines.append(f"Attributions ({len(document.attributions)})\n", style="italic")
    # Iterative walk: the tagger's nesting is shallow, but nothing guarantees it.
    stack = [(a, 0) for a in reversed(children.get(None, []))]
    while stack:
        attribution, depth = stack.pop()
        lines.append_text(_attribution_line(document, attribution, depth))
        lines.append("\n")
        stack.extend((child, depth + 1) for child in reversed(children.get(attribution.id, [])))
    return lines


def technique_highlights(document: Document) -> list[Highlight]:
    # Longer spans first, so that a short span inside a long one stays visible on top.
    ordered = sorted(document.techniques, key=lambda f: -(f.end - f.start))
    return [Highlight(f.start, f.end, f"underline on {explain(f.technique).colour}") for f in ordered]


def techniques_table(document: Document) -> RenderableType:
    summary = document.technique_summary
    title = "Persuasion techniques"
    if summary is not None:
        title += f" ({len(document.techniques)} found, {summary.share_of_text:.0%} of the text)"
    table = Table(title=title, title_justify="left")
    table.add_column("technique")
    table.add_column("conf.", justify="right")
    table.add_column("passage")
    for finding in document.techniques:
        excerpt = " ".join(finding.text.split())
        table.add_row(
            Text(finding.label, style=f"bold {explain(finding.technique).colour}"),
            f"{finding.confidence:.2f}",
            Text(excerpt if len(excerpt) <= 90 else excerpt[:87] + "..."),
        )
    return table


def technique_legend(document: Document) -> RenderableType:
    lines = Text()
    summary = document.technique_summary
    for name in summary.counts if summary else []:
        info = explain(name)
        lines.append(f" {info.label} ", style=f"on {info.colour}")
        lines.append(f" {info.definition} How to recognise it: {info.how_to_recognise}\n")
        lines.append(f"   e.g. {info.example}\n", style="italic dim")
    return lines


def highlighted_text(document: Document, highlights: list[Highlight]) -> Text:
    text = Text(document.text)
    for h in highlights:
        text.stylize(h.style, h.start, h.end)
    return text


def legend() -> Text:
    parts = Text("actors: ")
    for kind, style in KIND_STYLES.items():
        parts.append(kind, style=style)
        parts.append("  ")
    parts.append("· attribution cues: ")
    parts.append("said", style=CUE_STYLE)
    parts.append("  · techniques: underlined on their colour\n")
    return parts


def render(document: Document) -> RenderableType:
    parts: list[RenderableType] = [header(document), actors_table(document)]
    if document.attributions:
        parts.append(attributions_view(document))
    highlights = technique_highlights(document) + cue_highlights(document) + entity_highlights(document)
    parts += [
        techniques_table(document),
        Text(""),
        legend(),
        technique_legend(document),
        highlighted_text(document, highlights),
        Text(""),
    ]
    return Group(*parts)


def print_document(document: Document, console: Console) -> None:
    console.print(render(document))
