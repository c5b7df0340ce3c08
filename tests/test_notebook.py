"""presslens in notebooks: a Document's HTML view, its spans as a DataFrame, the example notebook."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

import presslens
from presslens.document import (
    Actor,
    Attribution,
    Document,
    EntityMention,
    Label,
    Span,
    TechniqueExplanation,
    TechniqueFinding,
    TechniqueSummary,
)
from tests.conftest import EXAMPLES, REPO

PAYLOAD = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2"> said the minister.'


def hostile_document() -> Document:
    """An article whose text and metadata carry markup, with a span of every layer over it,
    and a colour that tries to smuggle CSS in."""
    text = f"Elena Marsh wrote {PAYLOAD}\n<a href='https://evil.example/'>click</a> the regime"
    document = Document.from_text(text, title="<b onmouseover=alert(1)>Title</b>", outlet="<i>x</i>")
    script = text.index("<script>")
    document.entities = [
        EntityMention(**document.span(0, 11), label="PERSON", actor="A1"),
        EntityMention(**document.span(text.index("regime"), len(text)), label="ORG", actor="A2", kind="description"),
    ]
    document.actors = [
        Actor(id="A1", kind="person", name="<script>Marsh</script>", mentions=[0]),
        Actor(id="A2", kind="organisation", name="government", mentions=[1]),
    ]
    document.techniques = [
        TechniqueFinding(
            **document.span(script, script + 40),
            technique="Loaded_Language",
            label="<u>Loaded</u>",
            confidence=0.5,
            span_probability=0.5,
            technique_probability=1.0,
        )
    ]
    document.technique_summary = TechniqueSummary(
        counts={"Loaded_Language": 1},
        share_of_text=0.1,
        threshold=0.5,
        explanations={
            "Loaded_Language": TechniqueExplanation(
                label="x",
                definition="d",
                how_to_recognise="h",
                example="e",
                colour="red;background:url(https://evil.example/x.png)",
            )
        },
    )
    document.attributions = [
        Attribution(
            id="Q1",
            kind="indirect",
            source=[Span(**document.span(0, 11))],
            cue=[Span(**document.span(12, 17))],
            content=[Span(**document.span(18, len(text)))],
            speaker="A1",
            confidence=0.9,
        )
    ]
    document.labels = [
        Label(
            **document.span(text.index("regime"), len(text)),
            mention=1,
            actor="A2",
            kind="description",
            polarity="negative",
            voice="source",
            speaker="A1",
        )
    ]
    return document


class Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_repr_html_holds_no_executable_markup() -> None:
    document = hostile_document()
    html = document._repr_html_()
    parsed = Markup()
    parsed.feed(html)
    assert set(parsed.tags) <= {"div", "h3", "h4", "p", "span", "mark", "ul", "li", "b", "small"}
    assert {name for name, _ in parsed.attributes} <= {"class", "style", "title"}
    styles = " ".join(value or "" for name, value in parsed.attributes if name == "style")
    assert "url(" not in styles and "evil.example" not in styles
    shown = "".join(parsed.text)
    assert PAYLOAD in shown and "<b onmouseover=alert(1)>Title</b>" in shown  # the markup, as text
    assert "<script>Marsh</script> →" in shown  # the speaker, escaped


def test_display_chooses_layers(seed_document: Document) -> None:
    everything = presslens.display(seed_document)._repr_html_()
    assert "Who says what" in everything and "Actors (" in everything and "<mark" in everything
    only = presslens.display(seed_document, layers=["techniques"])._repr_html_()
    assert "<mark" in only and "Who says what" not in only and "label of" not in only
    assert "label of government of Iran" in everything
    with pytest.raises(ValueError, match="unknown layer"):
        presslens.display(seed_document, layers=["colours"])


def test_spans_df(seed_document: Document) -> None:
    frame = seed_document.spans_df()
    assert list(frame.columns) == ["layer", "start", "end", "text", "label", "confidence"]
    expected = (
        len(seed_document.entities)
        + len(seed_document.techniques)
        + sum(len(a.source) + len(a.cue) + len(a.content) for a in seed_document.attributions)
        + sum(len(c.spans) for c in seed_document.claims)
        + len(seed_document.labels)
    )
    assert len(frame) == expected
    for row in frame.itertuples():
        assert seed_document.text[row.start : row.end] == row.text
    assert set(frame["layer"]) >= {"entities", "techniques", "attribution content", "labels"}


NOTEBOOK = EXAMPLES / "notebook.ipynb"


def test_the_example_notebook_runs(tmp_path: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # Kept without outputs in the repository.
    assert all(
        not cell.get("outputs") and not cell.get("execution_count")
        for cell in notebook.cells
        if cell.cell_type == "code"
    )
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute(env={"PRESSLENS_EXAMPLES": str(EXAMPLES), "PRESSLENS_REPO": str(REPO)})
    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("presslens-document" in h for h in html)  # the article view
    assert any("<table" in h for h in html)  # a DataFrame
