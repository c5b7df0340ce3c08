"""The terminal view of an analysed document (rich): header, actors, highlighted text."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from presslens.document import Document

KIND_STYLES = {
    "person": "bold cyan",
    "organisation": "bold magenta",
    "place": "bold green",
    "group": "bold yellow",
}


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
    for actor in sorted(document.actors, key=lambda a: -len(a.mentions)):
        table.add_row(
            Text(actor.name, style=KIND_STYLES.get(actor.kind, "")),
            actor.kind,
            Text("; ".join(dict.fromkeys(r.text for r in actor.roles))),
            str(len(actor.mentions)),
            Text(", ".join(actor.aliases)),
        )
    return table


def technique_highlights(document: Document) -> list[Highlight]:
    from presslens.techniques.explanations import explain

    # Longer spans first, so that a short span inside a long one stays visible on top.
    ordered = sorted(document.techniques, key=lambda f: -(f.end - f.start))
    return [Highlight(f.start, f.end, f"underline on {explain(f.technique).colour}") for f in ordered]


def techniques_table(document: Document) -> RenderableType:
    from presslens.techniques.explanations import explain

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
    from presslens.techniques.explanations import explain

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
    parts.append("· techniques: underlined on their colour\n")
    return parts


def render(document: Document) -> RenderableType:
    return Group(
        header(document),
        actors_table(document),
        techniques_table(document),
        Text(""),
        legend(),
        technique_legend(document),
        highlighted_text(document, technique_highlights(document) + entity_highlights(document)),
        Text(""),
    )


def print_document(document: Document, console: Console) -> None:
    console.print(render(document))
