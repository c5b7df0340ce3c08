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


def highlighted_text(document: Document, highlights: list[Highlight]) -> Text:
    text = Text(document.text)
    for h in highlights:
        text.stylize(h.style, h.start, h.end)
    return text


def legend() -> Text:
    parts = Text("legend: ")
    for kind, style in KIND_STYLES.items():
        parts.append(kind, style=style)
        parts.append("  ")
    return parts


def render(document: Document) -> RenderableType:
    return Group(
        header(document),
        actors_table(document),
        Text(""),
        legend(),
        highlighted_text(document, entity_highlights(document)),
        Text(""),
    )


def print_document(document: Document, console: Console) -> None:
    console.print(render(document))
