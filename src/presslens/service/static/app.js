// presslens web interface. Article data is hostile input: it only ever reaches the page as
// text nodes (textContent), attribute values set through the DOM, or SVG text; never parsed as markup.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
let TECHNIQUES = {}; // PTC name -> {label, colour, definition, how_to_recognise, example}

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null) continue;
    if (key === "className") node.className = value;
    else if (key === "onclick") node.addEventListener("click", value);
    else if (key === "href") node.setAttribute("href", value.startsWith("#") ? value : "#");
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

async function api(path, options) {
  const response = await fetch(path, options);
  let body = null;
  try { body = await response.json(); } catch (_) { body = null; }
  if (!response.ok) throw new Error((body && body.error) || `request failed (${response.status})`);
  return body;
}

function colourOf(name) { return (TECHNIQUES[name] && TECHNIQUES[name].colour) || "#888888"; }
function labelOf(name) { return (TECHNIQUES[name] && TECHNIQUES[name].label) || name; }
function pct(x) { return `${Math.round(x * 100)}%`; }
function main() { return document.getElementById("main"); }
function show(...nodes) { main().replaceChildren(...nodes); }
function errorBox(error) { return el("p", { className: "error", role: "alert" }, String(error.message || error)); }

function safeLink(url) {
  // Only http(s) URLs become links; anything else (javascript:, data:) stays text.
  try {
    const parsed = new URL(url);
    if (parsed.protocol === "http:" || parsed.protocol === "https:") {
      const a = el("a", { rel: "noopener noreferrer nofollow", target: "_blank" }, url);
      a.href = parsed.href;
      return a;
    }
  } catch (_) { /* not a URL */ }
  return el("span", {}, url);
}

// --- the article view ---------------------------------------------------------------------

function segmentsOf(text, spans) {
  const cuts = new Set([0, text.length]);
  for (const s of spans) { cuts.add(Math.max(0, Math.min(text.length, s.start))); cuts.add(Math.max(0, Math.min(text.length, s.end))); }
  const points = [...cuts].sort((a, b) => a - b);
  const out = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const start = points[i], end = points[i + 1];
    out.push({ start, end, refs: spans.filter((s) => s.start <= start && s.end >= end) });
  }
  return out;
}

function speakerName(doc, q) {
  const actor = q.speaker ? doc.actors.find((a) => a.id === q.speaker) : null;
  if (actor) return { name: actor.name, role: actor.roles.length ? actor.roles[0].text : null };
  const source = q.source.map((s) => s.text).join(" … ");
  return { name: source || "(no source)", role: null };
}

function claimItem(doc, claim, elsewhere, segs, clear) {
  const who = claim.speaker ? (doc.actors.find((a) => a.id === claim.speaker) || {}).name : null;
  const item = el("li", { tabIndex: 0, "data-id": claim.id },
    who ? el("span", { className: "speaker" }, `${who}: `) : null,
    el("span", { className: "content" }, claim.text),
    el("span", { className: "kind" }, ` ${claim.kind}${claim.signals.length ? " · " + claim.signals.join(", ") : ""}`));
  for (const f of claim.fact_checks || []) {
    item.append(el("div", { className: "fact-check" }, el("strong", {}, f.verdict || "checked"),
      ` by ${f.publisher || "a fact-checker"}${f.date ? " (" + f.date + ")" : ""}: “${f.claim}” ${pct(f.probability)} `, f.url ? safeLink(f.url) : null));
  }
  const others = elsewhere ? elsewhere[claim.id] : null;
  if (others && others.elsewhere.length) {
    const names = [...new Set(others.elsewhere.map((o) => o.speaker ? `${o.speaker} (${o.outlet || "?"})` : (o.outlet || "(unknown outlet)")))];
    item.append(el("div", { className: "elsewhere" }, "Also made by ", names.slice(0, 5).join(", "), names.length > 5 ? ` and ${names.length - 5} more` : "", " · ",
      el("a", { href: `#/narrative/${others.narrative}` }, `narrative of ${others.elsewhere.length + 1} claims`)));
  }
  const select = () => {
    clear();
    item.classList.add("active");
    let first = null;
    for (const seg of segs) for (const r of seg.refs) {
      if (r.kind === "c" && r.id === claim.id) { seg.node.classList.add("q-content"); first = first || seg.node; }
    }
    if (first) first.scrollIntoView({ block: "center", behavior: "smooth" });
  };
  item.addEventListener("click", select);
  item.addEventListener("keydown", (e) => { if (e.key === "Enter") select(); });
  return item;
}

function renderArticle(doc, elsewhere = null) {
  const text = doc.text;
  const spans = [];
  doc.techniques.forEach((t, i) => spans.push({ start: t.start, end: t.end, kind: "t", index: i }));
  doc.attributions.forEach((q, i) => {
    for (const part of ["source", "cue", "content"]) q[part].forEach((s) => spans.push({ start: s.start, end: s.end, kind: "q", index: i, part }));
  });
  doc.entities.forEach((e) => { if (e.actor) spans.push({ start: e.start, end: e.end, kind: "e", actor: e.actor }); });
  (doc.claims || []).forEach((c) => c.spans.forEach((s) => spans.push({ start: s.start, end: s.end, kind: "c", id: c.id })));
  (doc.labels || []).forEach((l, i) => spans.push({ start: l.start, end: l.end, kind: "l", index: i }));

  const body = el("div", { className: "article-text", id: "article-text" });
  const segs = [];
  const detail = el("aside", { className: "detail", id: "detail" }, el("p", { className: "hint" }, "Click a highlighted passage to see its technique, confidence and explanation."));

  for (const seg of segmentsOf(text, spans)) {
    const piece = text.slice(seg.start, seg.end);
    if (!seg.refs.length) { body.append(document.createTextNode(piece)); continue; }
    const found = seg.refs.filter((r) => r.kind === "t").map((r) => doc.techniques[r.index]);
    const node = el(found.length ? "mark" : "span", { className: found.length ? "tech" : "seg" }, piece);
    if (found.length) {
      const colours = found.map((t) => colourOf(t.technique));
      node.style.boxShadow = colours.map((c, k) => `inset 0 -${3 * (k + 1)}px 0 ${c}`).join(", ");
      node.style.backgroundColor = colours[0] + "2e";
      node.dataset.techniques = found.map((t) => t.technique).join("|");
      node.title = found.map((t) => `${t.label} (${pct(t.confidence)})`).join("; ");
      node.tabIndex = 0;
      const open = () => showTechniques(detail, doc, found, node);
      node.addEventListener("click", open);
      node.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
    }
    const labelled = seg.refs.filter((r) => r.kind === "l").map((r) => doc.labels[r.index]);
    if (labelled.length) {
      // A label: underlined by polarity; it names the actor it characterises and whose words it is.
      const label = labelled[0];
      const actor = label.actor ? doc.actors.find((a) => a.id === label.actor) : null;
      const speaker = label.speaker ? doc.actors.find((a) => a.id === label.speaker) : null;
      const voice = label.voice === "source" ? `in the words of ${speaker ? speaker.name : "a source"}` : "the article's own words";
      node.classList.add("label", `label-${label.polarity}`);
      node.dataset.actor = label.actor || "";
      node.title = [node.title, `label of ${actor ? actor.name : "an unresolved description"} · ${label.polarity} · ${voice}`].filter(Boolean).join("; ");
      if (!found.length) {
        node.tabIndex = 0;
        const pick = () => selectActor(label.actor);
        node.addEventListener("click", pick);
        node.addEventListener("keydown", (e) => { if (e.key === "Enter") pick(); });
      }
    }
    segs.push({ node, refs: seg.refs });
    body.append(node);
  }

  // Legend: the techniques found, with their counts.
  const counts = {};
  doc.techniques.forEach((t) => { counts[t.technique] = (counts[t.technique] || 0) + 1; });
  const legend = el("ul", { className: "legend", id: "legend" });
  for (const [name, n] of Object.entries(counts).sort((a, b) => b[1] - a[1])) {
    const swatch = el("span", { className: "swatch" });
    swatch.style.backgroundColor = colourOf(name);
    legend.append(el("li", {}, swatch, `${labelOf(name)} (${n})`));
  }
  if (!Object.keys(counts).length) legend.append(el("li", { className: "hint" }, "No technique found."));

  function clear() {
    for (const s of segs) s.node.classList.remove("q-source", "q-cue", "q-content", "actor-hl");
    document.querySelectorAll(".attributions li.active, .actors li.active, .claims li.active").forEach((n) => n.classList.remove("active"));
  }

  const quotes = el("ol", { className: "attributions", id: "attributions" });
  doc.attributions.forEach((q, i) => {
    const who = speakerName(doc, q);
    const item = el("li", { tabIndex: 0, "data-id": q.id },
      el("span", { className: "speaker" }, who.name), who.role ? el("span", { className: "role" }, ` (${who.role})`) : null,
      el("span", { className: "arrow" }, " → "),
      el("span", { className: "content" }, q.content.map((s) => s.text).join(" … ")),
      el("span", { className: "kind" }, ` ${q.kind}`));
    const select = () => {
      clear();
      item.classList.add("active");
      let first = null;
      for (const s of segs) for (const r of s.refs) {
        if (r.kind === "q" && r.index === i) { s.node.classList.add(`q-${r.part}`); first = first || s.node; }
      }
      if (first) first.scrollIntoView({ block: "center", behavior: "smooth" });
    };
    item.addEventListener("click", select);
    item.addEventListener("keydown", (e) => { if (e.key === "Enter") select(); });
    quotes.append(item);
  });
  if (!doc.attributions.length) quotes.append(el("li", { className: "hint" }, "No attribution found."));

  const actorList = el("ul", { className: "actors", id: "actors" });
  const actorItems = {};
  function selectActor(actorId) {
    clear();
    if (!actorId || !actorItems[actorId]) return;
    actorItems[actorId].classList.add("active");
    for (const s of segs) if (s.refs.some((r) => r.kind === "e" && r.actor === actorId)) s.node.classList.add("actor-hl");
    actorItems[actorId].scrollIntoView({ block: "nearest" });
  }
  for (const a of doc.actors) {
    const own = (doc.labels || []).filter((l) => l.actor === a.id && l.voice === "reporter");
    const terms = [...new Set(own.map((l) => l.text.toLowerCase()))];
    const item = el("li", { tabIndex: 0, "data-actor": a.id }, el("strong", {}, a.name), ` ${a.kind}`,
      a.described ? el("span", { className: "kind" }, " (only described)") : null,
      a.roles.length ? ` · ${a.roles.map((r) => r.text).join(", ")}` : "", ` · ${a.mentions.length} mention${a.mentions.length === 1 ? "" : "s"}`,
      terms.length ? el("div", { className: "labels-line" }, "called: ", terms.slice(0, 8).join(", ")) : null);
    actorItems[a.id] = item;
    item.addEventListener("click", () => selectActor(a.id));
    actorList.append(item);
  }

  const claims = el("ol", { className: "claims", id: "claims" });
  for (const c of doc.claims || []) claims.append(claimItem(doc, c, elsewhere, segs, clear));
  if (!(doc.claims || []).length) claims.append(el("li", { className: "hint" }, "No claim found."));

  const meta = el("p", { className: "meta" },
    [doc.author && `by ${doc.author}`, doc.outlet, doc.published].filter(Boolean).join(" · "));
  const header = el("div", { className: "doc-head" }, el("h2", { id: "doc-title" }, doc.title || "(untitled)"), meta,
    doc.url ? el("p", { className: "meta" }, safeLink(doc.url)) : null,
    doc.warnings.length ? el("p", { className: "warning" }, doc.warnings.join("; ")) : null);
  const share = doc.technique_summary ? ` · ${pct(doc.technique_summary.share_of_text)} of the text` : "";
  return el("article", { className: "article-view", id: "article-view" }, header,
    el("div", { className: "columns" },
      el("section", { className: "text-col" }, el("h3", {}, `Text · ${doc.techniques.length} technique spans${share}`), legend, body),
      el("section", { className: "side-col" }, detail,
        el("h3", {}, `Who says what (${doc.attributions.length})`), quotes,
        el("h3", {}, `Claims (${(doc.claims || []).length})`), claims,
        el("h3", {}, `Actors (${doc.actors.length})`), actorList)));
}

function showTechniques(detail, doc, found, node) {
  document.querySelectorAll("mark.tech.selected").forEach((n) => n.classList.remove("selected"));
  node.classList.add("selected");
  const parts = [el("h3", {}, "Technique")];
  for (const t of found) {
    const info = (doc.technique_summary && doc.technique_summary.explanations[t.technique]) || TECHNIQUES[t.technique] || {};
    const swatch = el("span", { className: "swatch" });
    swatch.style.backgroundColor = colourOf(t.technique);
    parts.push(el("div", { className: "technique-card" },
      el("h4", {}, swatch, `${t.label} · confidence ${pct(t.confidence)}`),
      el("blockquote", {}, t.text),
      info.definition ? el("p", {}, info.definition) : null,
      info.how_to_recognise ? el("p", {}, el("em", {}, "How to recognise it: "), info.how_to_recognise) : null,
      info.example ? el("p", { className: "example" }, el("em", {}, "Example: "), info.example) : null));
  }
  detail.replaceChildren(...parts);
}

// --- pages -------------------------------------------------------------------------------

function analysePage() {
  const area = el("textarea", { id: "input-text", rows: 12, placeholder: "Paste an article's text or a page's HTML here" });
  const mode = el("select", { id: "input-mode" }, el("option", { value: "text" }, "Text"), el("option", { value: "html" }, "HTML"));
  const file = el("input", { type: "file", id: "input-file", accept: ".txt,.html,.htm,text/plain,text/html" });
  const token = el("input", { type: "password", id: "input-token", placeholder: "token (only when the server asks for one)" });
  token.value = sessionStorage.getItem("presslens-token") || "";
  const button = el("button", { id: "analyse-button", type: "button" }, "Analyse");
  const result = el("div", { id: "result" });
  file.addEventListener("change", () => {
    const chosen = file.files[0];
    if (!chosen) return;
    const reader = new FileReader();
    reader.onload = () => { area.value = String(reader.result); mode.value = /\.html?$/i.test(chosen.name) ? "html" : "text"; };
    reader.readAsText(chosen);
  });
  button.addEventListener("click", async () => {
    if (!area.value.trim()) { result.replaceChildren(errorBox("Paste a text or choose a file first.")); return; }
    button.disabled = true;
    result.replaceChildren(el("p", { className: "hint" }, "Analysing… (the first analysis loads the models)"));
    sessionStorage.setItem("presslens-token", token.value);
    const headers = { "Content-Type": "application/json" };
    if (token.value) headers.Authorization = `Bearer ${token.value}`;
    try {
      const doc = await api("/api/analyze", { method: "POST", headers, body: JSON.stringify({ [mode.value]: area.value }) });
      result.replaceChildren(renderArticle(doc));
    } catch (error) {
      result.replaceChildren(errorBox(error));
    } finally {
      button.disabled = false;
    }
  });
  show(el("section", { className: "analyse" }, el("h2", {}, "Analyse an article"),
    el("p", { className: "hint" }, "Nothing is stored and no page is fetched: paste the text or HTML, or choose a file."),
    area, el("div", { className: "controls" }, mode, file, token, button)), result);
}

async function documentPage(id) {
  show(el("p", { className: "hint" }, "Loading…"));
  try {
    const [doc, elsewhere] = await Promise.all([api(`/api/documents/${encodeURIComponent(id)}`), api(`/api/documents/${encodeURIComponent(id)}/elsewhere`)]);
    const byClaim = {};
    for (const c of elsewhere.items) byClaim[c.claim_id] = c;
    show(renderArticle(doc, byClaim));
  } catch (e) { show(errorBox(e)); }
}

function claimLine(c) {
  return el("li", {}, c.speaker ? el("span", { className: "speaker" }, `${c.speaker}: `) : null, el("span", { className: "content" }, c.text), el("br"),
    el("a", { href: `#/doc/${c.doc_id}`, className: "meta" }, [c.title || c.doc_id, c.outlet, c.published].filter(Boolean).join(" · ")));
}

async function narrativesPage(params) {
  const match = el("input", { type: "search", id: "narratives-q", placeholder: "words its claims hold", value: params.get("match") || "" });
  const form = el("form", { className: "controls", id: "narratives-form" }, match, el("button", { type: "submit" }, "Find"));
  form.addEventListener("submit", (e) => { e.preventDefault(); location.hash = match.value.trim() ? `#/narratives?match=${encodeURIComponent(match.value.trim())}` : "#/narratives"; });
  const table = el("table", { className: "table", id: "narratives" });
  show(el("section", {}, el("h2", {}, "Narratives"), el("p", { className: "hint" }, "Claims that several articles make, the widest spread first (outlets, then articles)."), form, table));
  try {
    const page = await api(`/api/narratives?limit=100${params.get("match") ? "&match=" + encodeURIComponent(params.get("match")) : ""}`);
    table.append(el("tr", {}, ["Claim", "Outlets", "Articles", "First seen", "First in"].map((h) => el("th", {}, h))));
    for (const n of page.items) {
      table.append(el("tr", {}, el("td", {}, el("a", { href: `#/narrative/${n.id}` }, n.claim)), el("td", {}, n.outlets), el("td", {}, n.documents),
        el("td", {}, n.first_seen || "(undated)"), el("td", {}, [n.first_outlet, n.first_speaker].filter(Boolean).join(" · "))));
    }
    if (!page.items.length) table.append(el("tr", {}, el("td", { className: "hint" }, "No narrative: no claim is made in two articles (or the claims stage did not run).")));
  } catch (e) { table.replaceChildren(errorBox(e)); }
}

async function narrativePage(id) {
  show(el("p", { className: "hint" }, "Loading…"));
  try {
    const n = await api(`/api/narratives/${encodeURIComponent(id)}`);
    const months = [...new Set(n.timeline.map((p) => p.month))].sort();
    const outlets = n.outlets.map((o) => o.name);
    const counts = {};
    for (const p of n.timeline) counts[`${p.outlet}|${p.month}`] = p.claims;
    const grid = el("table", { className: "table timeline", id: "narrative-timeline" }, el("tr", {}, el("th", {}, "Outlet"), months.map((m) => el("th", {}, m))),
      outlets.map((o) => el("tr", {}, el("td", {}, o), months.map((m) => el("td", {}, counts[`${o}|${m}`] ? "●".repeat(Math.min(5, counts[`${o}|${m}`])) + (counts[`${o}|${m}`] > 5 ? "+" : "") : "")))));
    const perMonth = columns(months.map((m) => ({ label: m, value: n.timeline.filter((p) => p.month === m).reduce((s, p) => s + p.claims, 0), title: m })));
    const first = n.first;
    show(el("section", { className: "narrative-page" }, el("h2", { id: "narrative-claim" }, n.claim),
      el("p", { className: "meta", id: "narrative-first" }, `First seen ${first.published || "(undated)"} in ${first.outlet || "(unknown outlet)"}${first.speaker ? ", said by " + first.speaker : ""} · ${n.claims.length} claims · ${n.outlets.length} outlets`),
      el("div", { className: "columns" },
        el("section", {}, el("h3", {}, "Claims per month"), perMonth, el("h3", {}, "Per outlet"), grid,
          el("h3", {}, "Speakers"), el("ul", {}, n.speakers.map((s) => el("li", {}, `${s.name} · ${s.claims} claim${s.claims === 1 ? "" : "s"}`)))),
        el("section", {}, el("h3", {}, "The claims, in order of appearance"), el("ol", { className: "statements", id: "narrative-claims" }, n.claims.map(claimLine))))));
  } catch (e) { show(errorBox(e)); }
}

function hbars(rows, { width = 520, unit = "" } = {}) {
  // rows: [{label, parts: [{value, colour, title}]}]
  const rowH = 22, labelW = 170, max = Math.max(1e-9, ...rows.map((r) => r.parts.reduce((s, p) => s + p.value, 0)));
  const chart = svg("svg", { class: "chart", width, height: rows.length * rowH + 10, role: "img" });
  rows.forEach((r, i) => {
    const y = i * rowH + 4;
    chart.append(svg("text", { x: labelW - 6, y: y + 14, "text-anchor": "end", class: "label" }, r.label.length > 26 ? `${r.label.slice(0, 25)}…` : r.label));
    let x = labelW;
    for (const p of r.parts) {
      const w = ((width - labelW - 110) * p.value) / max;
      const rect = svg("rect", { x, y, width: Math.max(0, w), height: rowH - 6, fill: p.colour });
      rect.append(svg("title", {}, p.title));
      chart.append(rect);
      x += w;
    }
    const total = r.parts.reduce((s, p) => s + p.value, 0);
    chart.append(svg("text", { x: x + 4, y: y + 14, class: "value" }, `${Math.round(total * 10) / 10}${unit}`));
  });
  return chart;
}

function columns(rows, { width = 520, height = 180 } = {}) {
  // rows: [{label, value, title}]
  const chart = svg("svg", { class: "chart", width, height: height + 40, role: "img" });
  const max = Math.max(1e-9, ...rows.map((r) => r.value));
  const step = (width - 40) / Math.max(1, rows.length);
  rows.forEach((r, i) => {
    const h = (height * r.value) / max, x = 30 + i * step;
    const rect = svg("rect", { x, y: height - h + 5, width: Math.max(2, step - 4), height: h, fill: "#3b6ea5" });
    rect.append(svg("title", {}, r.title));
    chart.append(rect);
    chart.append(svg("text", { x: x + step / 2, y: height + 20, "text-anchor": "middle", class: "label" }, r.label));
  });
  chart.append(svg("line", { x1: 28, y1: height + 5, x2: width - 5, y2: height + 5, stroke: "#888" }));
  return chart;
}

function legendFor(names) {
  return el("ul", { className: "legend" }, names.map((name) => {
    const swatch = el("span", { className: "swatch" });
    swatch.style.backgroundColor = colourOf(name);
    return el("li", {}, swatch, labelOf(name));
  }));
}

async function dashboardPage() {
  show(el("p", { className: "hint" }, "Loading the corpus…"));
  try {
    const [byOutlet, byMonth, speakers, actors, outlets] = await Promise.all([
      api("/api/outlets/techniques?by=outlet"), api("/api/outlets/techniques?by=month"),
      api("/api/speakers?limit=12"), api("/api/actors?limit=25"), api("/api/outlets")]);
    const groups = {};
    const used = new Set();
    for (const r of byOutlet.items) {
      if (r.technique === "(all)") continue;
      (groups[r.group] = groups[r.group] || []).push({ value: r.per_1000_words, colour: colourOf(r.technique), title: `${labelOf(r.technique)}: ${r.spans} spans, ${r.per_1000_words} per 1,000 words` });
      used.add(r.technique);
    }
    const profile = hbars(Object.entries(groups).map(([label, parts]) => ({ label, parts })), { unit: " /1k words" });
    profile.id = "chart-profile";
    const months = byMonth.items.filter((r) => r.technique === "(all)").sort((a, b) => (a.group < b.group ? -1 : 1));
    const timeline = columns(months.map((r) => ({ label: r.group, value: r.per_1000_words, title: `${r.group}: ${r.spans} spans in ${r.documents} documents, ${r.per_1000_words} per 1,000 words` })));
    timeline.id = "chart-timeline";
    const top = hbars(speakers.items.map((r) => ({ label: r.speaker, parts: [{ value: r.statements, colour: "#6a4c93", title: `${r.speaker}: ${r.statements} statements in ${r.documents} documents` }] })));
    top.id = "chart-speakers";
    const outletList = el("table", { className: "table" }, el("tr", {}, ["Outlet", "Documents", "Words", "Statements", "Technique spans"].map((h) => el("th", {}, h))),
      outlets.items.map((o) => el("tr", {}, el("td", {}, el("a", { href: `#/search?outlet=${encodeURIComponent(o.outlet)}` }, o.outlet)), el("td", {}, o.documents), el("td", {}, o.words), el("td", {}, o.statements), el("td", {}, o.technique_spans))));
    const actorList = el("ul", { className: "actor-index" }, actors.items.map((a) => el("li", {}, el("a", { href: `#/actor/${a.id}` }, a.name), ` ${a.kind} · ${a.documents} docs · says ${a.statements} · about ${a.about}`)));
    show(el("section", { className: "dashboard" }, el("h2", {}, "Corpus"),
      el("div", { className: "cards" },
        el("div", { className: "card" }, el("h3", {}, "Techniques per outlet (spans per 1,000 words)"), profile, legendFor([...used])),
        el("div", { className: "card" }, el("h3", {}, "Technique spans per month (per 1,000 words)"), timeline),
        el("div", { className: "card" }, el("h3", {}, "Most quoted speakers"), top),
        el("div", { className: "card" }, el("h3", {}, "Outlets"), outletList),
        el("div", { className: "card" }, el("h3", {}, "Actors"), actorList))));
  } catch (e) { show(errorBox(e)); }
}

function statementItem(s) {
  return el("li", {}, el("span", { className: "speaker" }, s.speaker), el("span", { className: "arrow" }, ` ${s.cue} → `),
    el("span", { className: "content" }, s.content), el("br"),
    el("a", { href: `#/doc/${s.doc_id}`, className: "meta" }, [s.title || s.doc_id, s.outlet, s.published].filter(Boolean).join(" · ")));
}

function outletLabels(actor, rows) {
  // "How outlets call them": per outlet, its own labels of the actor, most used first.
  const byOutlet = {};
  for (const r of rows) (byOutlet[r.outlet] = byOutlet[r.outlet] || []).push(r);
  const outlets = Object.keys(byOutlet).sort((a, b) => byOutlet[b].reduce((n, r) => n + r.count, 0) - byOutlet[a].reduce((n, r) => n + r.count, 0));
  const table = el("table", { className: "table", id: "outlet-labels" },
    el("tr", {}, el("th", {}, "outlet"), el("th", {}, "how it calls them (count)")),
    outlets.map((o) => el("tr", {}, el("td", {}, o), el("td", {}, byOutlet[o].slice(0, 12).map((r) =>
      el("span", { className: `label-chip label-${r.polarity}`, title: `${r.polarity} · ${r.documents} documents · “${r.example}”` }, `${r.term} ×${r.count}`))))));
  return el("section", { className: "card" }, el("h3", {}, `How outlets call ${actor.name}`),
    outlets.length ? table : el("p", { className: "hint", id: "outlet-labels" }, "No labels stored for this actor (documents ingested before labels have none)."));
}

async function actorPage(id) {
  show(el("p", { className: "hint" }, "Loading…"));
  try {
    const [actor, by, about, labels] = await Promise.all([api(`/api/actors/${id}`), api(`/api/actors/${id}/statements?direction=by`), api(`/api/actors/${id}/statements?direction=about`), api(`/api/actors/${id}/labels`)]);
    show(el("section", { className: "actor-page" }, el("h2", {}, actor.name), el("p", { className: "meta" }, `${actor.kind} · ${actor.documents} documents · ${actor.mentions} mentions`),
      outletLabels(actor, labels.items),
      el("div", { className: "columns" },
        el("section", {}, el("h3", {}, `What ${actor.name} says (${by.items.length})`), el("ol", { className: "statements", id: "said-by" }, by.items.map(statementItem))),
        el("section", {}, el("h3", {}, `What is said about ${actor.name}, by whom`),
          el("ol", { className: "statements", id: "said-about" }, about.items.map((g) => el("li", {}, el("strong", {}, g.speaker), ` · ${g.statements} statements in ${g.documents} documents (${g.outlets.join(", ")})`, el("ul", {}, g.items.map(statementItem)))))))));
  } catch (e) { show(errorBox(e)); }
}

async function searchPage(params) {
  const q = el("input", { type: "search", id: "search-q", placeholder: "words or \"a phrase\"" });
  const outlet = el("input", { id: "search-outlet", placeholder: "outlet" });
  const actor = el("input", { id: "search-actor", placeholder: "actor" });
  const technique = el("input", { id: "search-technique", placeholder: "technique" });
  const since = el("input", { type: "date", id: "search-since" });
  const until = el("input", { type: "date", id: "search-until" });
  const fields = { q, outlet, actor, technique, since, until };
  for (const [k, input] of Object.entries(fields)) input.value = params.get(k) || "";
  const form = el("form", { className: "controls", id: "search-form" }, q, outlet, actor, technique, since, until, el("button", { type: "submit" }, "Search"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const [k, input] of Object.entries(fields)) if (input.value.trim()) next.set(k, input.value.trim());
    location.hash = `#/search?${next}`;
  });
  const results = el("ol", { className: "hits", id: "hits" });
  show(el("section", {}, el("h2", {}, "Search the corpus"), form, results));
  const query = new URLSearchParams();
  for (const k of Object.keys(fields)) if (params.get(k)) query.set(k, params.get(k));
  try {
    const page = await api(`/api/documents?${query}&limit=50`);
    if (!page.items.length) results.append(el("li", { className: "hint" }, "No document matches."));
    for (const h of page.items) {
      results.append(el("li", {}, el("a", { href: `#/doc/${h.doc_id}` }, h.title || h.doc_id),
        el("span", { className: "meta" }, ` ${[h.outlet, h.published].filter(Boolean).join(" · ")}`), el("p", { className: "snippet" }, h.snippet)));
    }
  } catch (e) { results.replaceChildren(errorBox(e)); }
}

function route() {
  const hash = location.hash || "#/analyse";
  const [path, query] = hash.slice(1).split("?");
  const parts = path.split("/").filter(Boolean);
  document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("current", a.getAttribute("href") === `#/${parts[0]}`));
  if (parts[0] === "doc" && parts[1]) return documentPage(parts[1]);
  if (parts[0] === "actor" && /^\d+$/.test(parts[1] || "")) return actorPage(parts[1]);
  if (parts[0] === "dashboard") return dashboardPage();
  if (parts[0] === "narratives") return narrativesPage(new URLSearchParams(query || ""));
  if (parts[0] === "narrative" && parts[1]) return narrativePage(parts[1]);
  if (parts[0] === "search") return searchPage(new URLSearchParams(query || ""));
  return analysePage();
}

async function start() {
  try {
    const known = await api("/api/techniques");
    for (const t of known.items) TECHNIQUES[t.name] = t;
  } catch (_) { TECHNIQUES = {}; }
  window.addEventListener("hashchange", route);
  route();
}

document.addEventListener("DOMContentLoaded", start);
