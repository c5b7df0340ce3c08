"""`presslens report`: an HTML page of charts and tables over a store, and each chart as PNG.

The page stands alone (the charts are embedded), and the PNG files beside it are the same
charts, for slides and papers. Every number comes from the functions in ``queries``; the page
is the Jinja2 template ``templates/report.html.j2``, rendered with autoescape, so names and
titles from the corpus are always text, never markup.
"""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from presslens.corpus.queries import (
    ALL_TECHNIQUES,
    Filters,
    ProfileRow,
    documents_per_month,
    find_actor,
    find_outlet,
    outlets,
    statements_about,
    statements_by,
    statements_per_month,
    technique_profile,
    top_speakers,
)
from presslens.store.store import Store, StoreError
from presslens.techniques.explanations import explain

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass
class Section:
    title: str
    note: str = ""
    chart: str | None = None  # PNG file name
    png: bytes = b""
    table: list[dict[str, Any]] = field(default_factory=list)


TEMPLATE = "report.html.j2"

# autoescape=True, not select_autoescape: the template's name ends in .j2, which that would not escape.
_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("presslens.corpus", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=False,
)
_TEMPLATES.filters["b64encode"] = lambda data: base64.b64encode(data).decode("ascii")


def _label(technique: str) -> str:
    if technique == ALL_TECHNIQUES:
        return "all techniques"
    try:
        return explain(technique).label
    except KeyError:  # a name from another model or corpus
        return technique


def _figure(width: float = 9.0, height: float = 4.8) -> Figure:
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a server
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def _png(figure: Figure) -> bytes:
    from io import BytesIO

    buffer = BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _documents_section(store: Store, filters: Filters) -> Section:
    section = Section("Articles per month", chart="articles.png")
    rows = documents_per_month(store, filters)
    months = sorted({m for m, _, _ in rows})
    if not months:
        section.note = "No dated articles."
        section.chart = None
        return section
    totals: Counter[str] = Counter()
    for _, outlet, n in rows:
        totals[outlet] += n
    shown = [o for o, _ in totals.most_common(8)]
    counts = {(m, o if o in shown else "other outlets"): 0 for m in months for o in [*shown, "other outlets"]}
    for month, outlet, n in rows:
        counts[(month, outlet if outlet in shown else "other outlets")] += n
    figure = _figure()
    axes = figure.add_subplot()
    bottom = [0] * len(months)
    for outlet in [*shown, "other outlets"]:
        heights = [counts[(m, outlet)] for m in months]
        if any(heights):
            axes.bar(months, heights, bottom=bottom, label=outlet)
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    axes.set_ylabel("articles")
    axes.tick_params(axis="x", labelrotation=45)
    axes.legend(fontsize="small")
    section.png = _png(figure)
    section.table = [{"month": m, "articles": sum(counts[(m, o)] for o in [*shown, "other outlets"])} for m in months]
    return section


def _technique_section(store: Store, filters: Filters) -> Section:
    section = Section("Technique profile", chart="techniques.png")
    rows = [r for r in technique_profile(store, Filters(since=filters.since, until=filters.until)) if r.spans]
    spans = [r for r in rows if r.technique != ALL_TECHNIQUES]
    if not spans:
        section.note = "No technique spans in these articles (were they ingested with --skip techniques?)."
        section.chart = None
        return section
    techniques = [t for t, _ in Counter({r.technique: r.spans for r in spans}).most_common()]
    groups = sorted({r.group for r in rows})
    value = {(r.group, r.technique): r.per_1000_words for r in rows}
    figure = _figure(9, 1.5 + 0.35 * len(techniques) if filters.outlet else 1.8 + 0.3 * len(groups))
    axes = figure.add_subplot()
    if filters.outlet:
        outlet = find_outlet(store, filters.outlet)
        overall = _overall(spans, rows)
        positions = range(len(techniques))
        axes.barh([p + 0.2 for p in positions], [value.get((outlet, t), 0) for t in techniques], 0.4, label=outlet)
        axes.barh([p - 0.2 for p in positions], [overall.get(t, 0) for t in techniques], 0.4, label="all outlets")
        axes.set_yticks(list(positions), [_label(t) for t in techniques])
        axes.invert_yaxis()
        axes.legend()
        axes.set_xlabel("spans per 1,000 words")
        section.note = f"{outlet} against all outlets of the store."
    else:
        grid = [[value.get((g, t), 0.0) for t in techniques] for g in groups]
        image = axes.imshow(grid, aspect="auto", cmap="Oranges")
        axes.set_xticks(range(len(techniques)), [_label(t) for t in techniques], rotation=45, ha="right")
        axes.set_yticks(range(len(groups)), groups)
        figure.colorbar(image, ax=axes, label="per 1,000 words")
        section.note = "Spans per 1,000 words, by outlet and technique."
    axes.set_title("Persuasion techniques")
    section.png = _png(figure)
    wanted = {find_outlet(store, filters.outlet)} if filters.outlet else set(groups)
    section.table = [
        {
            "outlet": r.group,
            "technique": _label(r.technique),
            "spans": r.spans,
            "per 1,000 words": r.per_1000_words,
            "share of text": f"{r.share_of_text:.1%}",
        }
        for r in rows
        if r.group in wanted
    ]
    return section


def _overall(spans: list[ProfileRow], rows: list[ProfileRow]) -> dict[str, float]:
    words = sum(r.words for r in rows if r.technique == ALL_TECHNIQUES)
    counts: Counter[str] = Counter()
    for r in spans:
        counts[r.technique] += r.spans
    return {t: 1000 * n / words for t, n in counts.items()} if words else {}


def _timeline_section(store: Store, filters: Filters) -> Section:
    section = Section("Techniques over time", chart="timeline.png")
    rows = technique_profile(store, filters, by="month")
    months = sorted({r.group for r in rows})
    spans = [r for r in rows if r.technique != ALL_TECHNIQUES and r.spans]
    if len(months) < 2 or not spans:
        section.note = "Too few dated articles with technique spans for a timeline (two months at least)."
        section.chart = None
        return section
    top = [t for t, _ in Counter({r.technique: r.spans for r in spans}).most_common(4)]
    value = {(r.group, r.technique): r.per_1000_words for r in rows}
    figure = _figure()
    axes = figure.add_subplot()
    for technique in [ALL_TECHNIQUES, *top]:
        axes.plot(months, [value.get((m, technique), 0.0) for m in months], marker="o", label=_label(technique))
    axes.set_ylabel("spans per 1,000 words")
    axes.set_title("Persuasion techniques per month" + (f" ({filters.outlet})" if filters.outlet else ""))
    axes.tick_params(axis="x", labelrotation=45)
    axes.legend(fontsize="small")
    section.png = _png(figure)
    documents = {r.group: r.documents for r in rows if r.technique == ALL_TECHNIQUES}
    section.table = [
        {"month": m, "articles": documents.get(m, 0), "all techniques per 1,000 words": value.get((m, ALL_TECHNIQUES))}
        for m in months
    ]
    return section


def _speaker_section(store: Store, filters: Filters) -> Section:
    section = Section("Top speakers", chart="speakers.png")
    rows = top_speakers(store, filters, limit=15, per_outlet=False)
    if not rows:
        section.note = "No statements with a known speaker (were the articles ingested with --skip attribution?)."
        section.chart = None
        return section
    figure = _figure(9, 1.2 + 0.32 * len(rows))
    axes = figure.add_subplot()
    axes.barh([r.speaker for r in rows], [r.statements for r in rows], color="#4878a8")
    axes.invert_yaxis()
    axes.set_xlabel("statements")
    axes.set_title("Most quoted" + (f" in {filters.outlet}" if filters.outlet else ""))
    section.png = _png(figure)
    section.table = [{"speaker": r.speaker, "statements": r.statements, "articles": r.documents} for r in rows]
    return section


def _actor_sections(store: Store, filters: Filters, actor: str) -> list[Section]:
    ref = find_actor(store, actor)
    by_month = {
        "by": statements_per_month(store, f"#{ref.id}", filters),
        "about": statements_per_month(store, f"#{ref.id}", filters, about=True),
    }
    timeline = Section(f"{ref.name}: statements per month", chart="actor-timeline.png")
    months = sorted(set(by_month["by"]) | set(by_month["about"]))
    if months:
        figure = _figure()
        axes = figure.add_subplot()
        axes.plot(months, [by_month["by"].get(m, 0) for m in months], marker="o", label=f"by {ref.name}")
        axes.plot(months, [by_month["about"].get(m, 0) for m in months], marker="o", label=f"about {ref.name}")
        axes.set_ylabel("statements")
        axes.tick_params(axis="x", labelrotation=45)
        axes.legend()
        timeline.png = _png(figure)
        timeline.table = [
            {"month": m, "by": by_month["by"].get(m, 0), "about": by_month["about"].get(m, 0)} for m in months
        ]
    else:
        timeline.chart = None
        timeline.note = f"No dated statements by or about {ref.name}."
    about = statements_about(store, f"#{ref.id}", filters, limit=12, per_speaker=1)
    said = statements_by(store, f"#{ref.id}", filters, limit=20, latest=True)
    speakers = Section(f"Who speaks about {ref.name}", chart="actor-speakers.png")
    if about:
        top = about
        figure = _figure(9, 1.2 + 0.32 * len(top))
        axes = figure.add_subplot()
        axes.barh([g.speaker for g in top], [g.statements for g in top], color="#a86848")
        axes.invert_yaxis()
        axes.set_xlabel("statements")
        speakers.png = _png(figure)
        speakers.table = [
            {
                "speaker": g.speaker,
                "statements": g.statements,
                "outlets": ", ".join(g.outlets),
                "latest": g.items[-1].content[:200],
            }
            for g in top
        ]
    else:
        speakers.chart = None
        speakers.note = f"No statements name {ref.name} among their targets."
    quotes = Section(f"What {ref.name} says (the latest 20)")
    quotes.table = [
        {
            "date": s.published.isoformat() if s.published else "",
            "outlet": s.outlet or "",
            "kind": s.kind,
            "content": s.content[:300],
        }
        for s in said
    ]
    if not said:
        quotes.note = f"No statements by {ref.name}."
    return [timeline, speakers, quotes]


def write_report(store: Store, out_dir: str | Path, filters: Filters | None = None, actor: str | None = None) -> Path:
    """Write ``out_dir/index.html`` and the charts as PNG files; returns the HTML's path."""
    filters = filters or Filters()
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(f"{out}: cannot create the folder ({error.strerror})") from None
    summary = outlets(store, filters)
    sections = [
        _documents_section(store, filters),
        _technique_section(store, filters),
        _timeline_section(store, filters),
        _speaker_section(store, filters),
    ]
    if actor:
        sections += _actor_sections(store, filters, actor)
    scope = ", ".join(
        part
        for part in (
            f"outlet {filters.outlet}" if filters.outlet else "",
            f"from {filters.since}" if filters.since else "",
            f"to {filters.until}" if filters.until else "",
            f"actor {actor}" if actor else "",
        )
        if part
    )
    dates = [d for r in summary for d in (r.first, r.last) if d]
    overview = [
        {"": "store", " ": str(store.path)},
        {"": "articles", " ": sum(r.documents for r in summary)},
        {"": "outlets", " ": len(summary)},
        {"": "dates", " ": f"{min(dates)} to {max(dates)}" if dates else "unknown"},
        {"": "statements", " ": sum(r.statements for r in summary)},
        {"": "technique spans", " ": sum(r.technique_spans for r in summary)},
    ]
    for section in sections:
        if section.chart and section.png:
            (out / section.chart).write_bytes(section.png)
    page = _TEMPLATES.get_template(TEMPLATE).render(
        scope=scope,
        made=f"{datetime.now():%Y-%m-%d %H:%M}",
        overview=overview,
        outlets=[{k.replace("_", " "): v for k, v in vars(r).items()} for r in summary],
        sections=sections,
    )
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    return index
