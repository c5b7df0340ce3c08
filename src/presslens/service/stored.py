"""A stored document read back from the store's tables as a ``Document``.

The store keeps the text, the metadata and the entity, actor, attribution, technique,
claim and label layers, but not sentences or tokens: those come back empty. Roles are stored as words only;
each is pointed at its first occurrence in the text (dropped when the text lacks it). The
technique threshold is not stored: ``technique_summary.threshold`` is 0 for stored documents.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from presslens.document import (
    Actor,
    Attribution,
    Claim,
    Document,
    EntityMention,
    FactCheckMatch,
    Label,
    Role,
    Span,
    TechniqueFinding,
    TechniqueSummary,
)
from presslens.store.store import Store
from presslens.techniques.explanations import explanations_for
from presslens.text import share_of_text


def _span(text: str, bounds: list[int] | tuple[int, int]) -> Span:
    start, end = int(bounds[0]), int(bounds[1])
    return Span(start=start, end=end, text=text[start:end])


def load_document(store: Store, doc_id: str) -> Document | None:
    rows = store.query(
        "SELECT d.id, d.source, d.url, o.name, d.title, d.author, d.published_text, d.language, d.text, "
        "d.warnings, d.stages, d.document_schema "
        "FROM documents d LEFT JOIN outlets o ON o.id = d.outlet_id WHERE d.id = ?",
        [doc_id],
    )
    if not rows:
        return None
    (id_, source, url, outlet, title, author, published, language, text, warnings, stages, _) = rows[0]
    entities = [
        EntityMention(
            start=s, end=e, text=text[s:e], label=label, origin=origin, actor=actor, kind=kind, resolved_by=resolved_by
        )
        for s, e, label, origin, actor, kind, resolved_by in store.query(
            "SELECT start_char, end_char, label, origin, actor_id, kind, resolved_by FROM mentions WHERE doc_id = ? "
            "ORDER BY idx",
            [doc_id],
        )
    ]
    mentions_of: dict[str, list[int]] = {}
    for index, entity in enumerate(entities):
        if entity.actor:
            mentions_of.setdefault(entity.actor, []).append(index)
    actors = []
    for actor_id, kind, name, aliases, roles, described in store.query(
        "SELECT actor_id, kind, name, aliases, roles, described FROM actors WHERE doc_id = ? "
        "ORDER BY length(actor_id), actor_id",
        [doc_id],
    ):
        placed = []
        for role in roles:
            at = text.find(role)
            if role and at >= 0:
                placed.append(Role(start=at, end=at + len(role), text=role))
        actors.append(
            Actor(
                id=actor_id,
                kind=kind,
                name=name,
                aliases=list(aliases),
                roles=placed,
                mentions=mentions_of.get(actor_id, []),
                described=bool(described),
            )
        )
    attributions = [
        Attribution(
            id=r[0],
            kind=r[1],
            speaker=r[2],
            speaker_via=r[3],
            parent=r[4],
            targets=list(r[5]),
            confidence=float(r[6]),
            source=[_span(text, b) for b in r[7]],
            cue=[_span(text, b) for b in r[8]],
            content=[_span(text, b) for b in r[9]],
        )
        for r in store.query(
            "SELECT attribution_id, kind, speaker, speaker_via, parent, targets, confidence, source_spans, "
            "cue_spans, content_spans FROM attributions WHERE doc_id = ? ORDER BY start_char, attribution_id",
            [doc_id],
        )
    ]
    techniques = [
        TechniqueFinding(
            start=s,
            end=e,
            text=text[s:e],
            technique=technique,
            label=label,
            confidence=float(confidence),
            span_probability=float(sp),
            technique_probability=float(tp),
            origin=origin,
        )
        for technique, label, s, e, confidence, sp, tp, origin in store.query(
            "SELECT technique, label, start_char, end_char, confidence, span_probability, technique_probability, "
            "origin FROM techniques WHERE doc_id = ? ORDER BY idx",
            [doc_id],
        )
    ]
    claims = [
        Claim(
            id=claim_id,
            kind=kind,
            spans=[_span(text, b) for b in spans],
            text=claim_text,
            attribution=attribution,
            speaker=speaker,
            signals=list(signals),
            fact_checks=[FactCheckMatch.model_validate(m) for m in json.loads(fact_checks)],
        )
        for claim_id, kind, spans, claim_text, attribution, speaker, signals, fact_checks in store.query(
            "SELECT claim_id, kind, spans, text, attribution_id, speaker, signals, fact_checks FROM claims "
            "WHERE doc_id = ? ORDER BY start_char, length(claim_id), claim_id",
            [doc_id],
        )
    ]
    labels = [
        Label(
            start=s,
            end=e,
            text=text[s:e],
            mention=mention,
            actor=actor,
            kind=kind,
            polarity=polarity,
            technique=technique,
            voice=voice,
            speaker=speaker,
        )
        for s, e, mention, actor, kind, polarity, technique, voice, speaker in store.query(
            "SELECT start_char, end_char, mention, actor_id, kind, polarity, technique, voice, speaker FROM labels "
            "WHERE doc_id = ? ORDER BY idx",
            [doc_id],
        )
    ]
    summary = None
    if "techniques" in (stages or []):
        counts = Counter(t.technique for t in techniques)
        summary = TechniqueSummary(
            counts=dict(counts),
            share_of_text=share_of_text(text, [(t.start, t.end) for t in techniques]),
            threshold=0.0,
            explanations=explanations_for(sorted(counts)),
        )
    fields: dict[str, Any] = {
        "id": id_,
        "source": source,
        "url": url,
        "outlet": outlet,
        "title": title,
        "author": author,
        "published": published,
        "language": language,
        "text": text,
        "warnings": list(warnings or []),
        "entities": entities,
        "actors": actors,
        "attributions": attributions,
        "techniques": techniques,
        "claims": claims,
        "labels": labels,
        "technique_summary": summary,
    }
    return Document(**fields)
