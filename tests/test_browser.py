"""The web interface in a real headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright; no browser download). The server runs the default pipeline in a thread on a free
loopback port; every request the page makes to another host is refused and recorded.

Skipped, with the reason, where chromium or Playwright is absent. Saves the screenshots shown
in the README under docs/."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")

from presslens.service.app import create_app  # noqa: E402

from .narrative_corpus import build_narrative_store  # noqa: E402
from .store_corpus import DOC3  # noqa: E402
from .test_service_api import XSS_DOC, XSS_TEXT, build_service_store  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
EXAMPLE = REPO / "examples" / "minister-warns.txt"
CHROMIUM = os.environ.get("PRESSLENS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = pytest.mark.slow

# `make setup` installs chromium: a machine without it fails here instead of skipping, so that
# CI never passes without having run the browser tests.
if not Path(CHROMIUM).exists():
    pytest.fail(f"no chromium at {CHROMIUM}: run `make setup` (apt-get install chromium)", pytrace=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(store: Path) -> Iterator[str]:
    """The service over ``store`` on a free loopback port, in a thread; its base URL."""
    port = free_port()
    config = uvicorn.Config(create_app(store, None, 2_000_000), host="127.0.0.1", port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not instance.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(build_service_store(tmp_path_factory.mktemp("browser") / "corpus.duckdb")) as base:
        # Loads the models once, so that the browser does not wait for them.
        warm = httpx.post(f"{base}/api/analyze", json={"text": EXAMPLE.read_text()}, timeout=600)
        assert warm.status_code == 200, warm.text
        yield base


class Watched:
    """A page whose dialogs, script errors and requests to other hosts are recorded."""

    def __init__(self, page: object, base: str) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.outside: list[str] = []

        def on_dialog(dialog: object) -> None:
            self.dialogs.append(dialog.message)  # type: ignore[attr-defined]
            dialog.dismiss()  # type: ignore[attr-defined]

        def route(route: object) -> None:
            url = route.request.url  # type: ignore[attr-defined]
            if url.startswith(base) or url.startswith("data:"):
                route.continue_()  # type: ignore[attr-defined]
            else:
                self.outside.append(url)
                route.abort()  # type: ignore[attr-defined]

        page.on("dialog", on_dialog)  # type: ignore[attr-defined]
        page.on("pageerror", lambda error: self.errors.append(str(error)))  # type: ignore[attr-defined]
        page.route("**/*", route)  # type: ignore[attr-defined]

    def clean(self) -> None:
        assert self.dialogs == [] and self.outside == [] and self.errors == []
        assert self.page.evaluate("typeof window.__xss") == "undefined"  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
            )
        except Exception as error:  # a chromium that cannot start here
            pytest.skip(f"chromium at {CHROMIUM} does not start: {error}")
        yield launched
        launched.close()


@pytest.fixture
def watched(browser: object, server: str) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page = context.new_page()
    yield Watched(page, server)
    context.close()


def test_analyse_page_highlights_and_attributions(watched: Watched, server: str) -> None:
    page = watched.page
    page.goto(f"{server}/#/analyse")  # type: ignore[attr-defined]
    page.set_input_files("#input-file", str(EXAMPLE))  # type: ignore[attr-defined]
    page.wait_for_function("document.querySelector('#input-text').value.length > 100")  # type: ignore[attr-defined]
    assert page.input_value("#input-text") == EXAMPLE.read_text()  # type: ignore[attr-defined]
    page.fill("#input-text", EXAMPLE.read_text())  # type: ignore[attr-defined]
    page.click("#analyse-button")  # type: ignore[attr-defined]
    page.wait_for_selector("#article-text mark.tech", timeout=120_000)  # type: ignore[attr-defined]
    marks = page.locator("#article-text mark.tech")  # type: ignore[attr-defined]
    assert marks.count() > 0
    assert page.locator("#legend li .swatch").count() > 0  # type: ignore[attr-defined]
    items = page.locator("#attributions li")  # type: ignore[attr-defined]
    assert items.count() > 0
    assert "→" in items.first.inner_text()
    assert "Elena Marsh" in page.locator("#attributions").inner_text()  # type: ignore[attr-defined]
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "screenshot-analyse.png"), full_page=True)  # type: ignore[attr-defined]

    # A technique: its label, confidence and explanation.
    marks.first.click()
    detail = page.locator("#detail").inner_text()  # type: ignore[attr-defined]
    assert "confidence" in detail and "How to recognise it" in detail

    # An attribution: its source, cue and content are highlighted in the text.
    quote = page.locator("#attributions li", has_text="Elena Marsh").first  # type: ignore[attr-defined]
    quote.click()
    assert "active" in (quote.get_attribute("class") or "")
    cue = page.locator("#article-text .q-cue")  # type: ignore[attr-defined]
    content = page.locator("#article-text .q-content")  # type: ignore[attr-defined]
    assert cue.count() > 0 and content.count() > 0
    assert page.locator("#article-text .q-source").count() > 0  # type: ignore[attr-defined]
    highlighted = " ".join(content.all_inner_texts())
    assert highlighted.strip() and highlighted.split()[0] in quote.inner_text()
    page.locator("#article-view").screenshot(path=str(DOCS / "screenshot-article.png"))  # type: ignore[attr-defined]

    # Another attribution replaces the highlight.
    items.nth(items.count() - 1).click()
    assert page.locator("#attributions li.active").count() == 1  # type: ignore[attr-defined]

    # A label ("the minister's remarks"): underlined, and it leads to the actor it characterises.
    label = page.locator("#article-text .label:not(.tech)", has_text="minister").first  # type: ignore[attr-defined]
    assert "label of Elena Marsh" in (label.get_attribute("title") or "")
    label.click()
    active = page.locator("#actors li.active")  # type: ignore[attr-defined]
    assert active.count() == 1 and "Elena Marsh" in active.inner_text()
    assert page.locator("#article-text .actor-hl").count() > 0  # type: ignore[attr-defined]
    watched.clean()


def test_dashboard_draws_charts(watched: Watched, server: str) -> None:
    page = watched.page
    page.goto(f"{server}/#/dashboard")  # type: ignore[attr-defined]
    page.wait_for_selector("#chart-profile rect", timeout=30_000)  # type: ignore[attr-defined]
    for chart in ("#chart-profile", "#chart-timeline", "#chart-speakers"):
        assert page.locator(f"{chart} rect").count() > 0, chart  # type: ignore[attr-defined]
    assert "daily-a.com" in (page.locator("#chart-profile").text_content() or "")  # type: ignore[attr-defined]
    page.screenshot(path=str(DOCS / "screenshot-dashboard.png"), full_page=True)  # type: ignore[attr-defined]

    # An actor page: what it says and what is said about it.
    page.locator(".actor-index a", has_text="Rouhani").first.click()  # type: ignore[attr-defined]
    page.wait_for_selector("#said-by li", timeout=30_000)  # type: ignore[attr-defined]
    assert page.locator("#said-about li").count() > 0  # type: ignore[attr-defined]
    # How outlets call it: the article's own label, not the critics' "weak".
    called = page.locator("#outlet-labels").inner_text()  # type: ignore[attr-defined]
    assert "daily-a.com" in called and "president ×1" in called and "weak" not in called

    # Overlapping spans: one mark per stretch, carrying both techniques; both explained.
    page.goto(f"{server}/#/doc/{DOC3.id}")  # type: ignore[attr-defined]
    both = page.locator("#article-text mark.tech[data-techniques*='|']")  # type: ignore[attr-defined]
    both.first.wait_for(timeout=30_000)
    assert both.first.text_content() == "weak and dangerous"
    both.first.click()
    assert page.locator("#detail .technique-card").count() == 2  # type: ignore[attr-defined]

    # Search, then a stored article.
    page.goto(f"{server}/#/search?q=Rouhani")  # type: ignore[attr-defined]
    page.wait_for_selector("#hits li a", timeout=30_000)  # type: ignore[attr-defined]
    page.locator("#hits li a").first.click()  # type: ignore[attr-defined]
    page.wait_for_selector("#article-text", timeout=30_000)  # type: ignore[attr-defined]
    watched.clean()


SCRIPT_COUNT = "document.querySelectorAll('script').length"
BAD_NODES = "document.querySelectorAll('#main img, #main svg:not(.chart), #main iframe, #main b, #main i').length"


def test_hostile_document_is_shown_as_text(watched: Watched, server: str) -> None:
    page = watched.page
    page.goto(f"{server}/#/doc/{XSS_DOC.id}")  # type: ignore[attr-defined]
    page.wait_for_selector("#article-text mark.tech", timeout=30_000)  # type: ignore[attr-defined]
    assert page.locator("#article-text").text_content() == XSS_TEXT  # type: ignore[attr-defined]
    assert page.locator("#doc-title").text_content() == XSS_DOC.title  # type: ignore[attr-defined]
    view = page.locator("#article-view").inner_text()  # type: ignore[attr-defined]
    assert XSS_DOC.author in view and XSS_DOC.url in view
    assert page.evaluate(SCRIPT_COUNT) == 1 and page.evaluate(BAD_NODES) == 0  # type: ignore[attr-defined]
    assert page.locator("a[href^='javascript']").count() == 0  # type: ignore[attr-defined]
    for mark in page.locator("#article-text mark.tech").all():  # type: ignore[attr-defined]
        mark.hover()
        mark.click()
    page.locator("#attributions li").first.click()  # type: ignore[attr-defined]
    page.locator("#actors li").first.click()  # type: ignore[attr-defined]
    assert "<img src=x" in page.locator("#detail").inner_text()  # type: ignore[attr-defined]

    # Titles and outlet names in lists and charts.
    page.goto(f"{server}/#/search?q=disgrace")  # type: ignore[attr-defined]
    page.wait_for_selector("#hits li a", timeout=30_000)  # type: ignore[attr-defined]
    assert page.locator("#hits li a").first.text_content() == XSS_DOC.title  # type: ignore[attr-defined]
    page.goto(f"{server}/#/dashboard")  # type: ignore[attr-defined]
    page.wait_for_selector("#chart-profile rect", timeout=30_000)  # type: ignore[attr-defined]
    assert "<b>evil</b>-news" in page.locator("table").inner_text()  # type: ignore[attr-defined]

    # Pasted hostile text, analysed by the real pipeline.
    page.goto(f"{server}/#/analyse")  # type: ignore[attr-defined]
    pasted = "The mayor of the city said on Monday that the new budget was a disaster for everyone. " + XSS_TEXT
    page.fill("#input-text", pasted)  # type: ignore[attr-defined]
    page.click("#analyse-button")  # type: ignore[attr-defined]
    page.wait_for_selector("#article-text", timeout=120_000)  # type: ignore[attr-defined]
    assert "<script>window.__xss=1</script>" in page.locator("#article-text").text_content()  # type: ignore[attr-defined]
    assert page.evaluate(SCRIPT_COUNT) == 1 and page.evaluate(BAD_NODES) == 0  # type: ignore[attr-defined]

    # A hostile page pasted as HTML: its title and author come from the page's markup.
    body = " ".join(f"<p>{line}</p>" for line in EXAMPLE.read_text().splitlines() if line.strip())
    html = (
        "<html><head><title><script>window.__xss=10</script>Port strike</title>"
        '<meta name="author" content="<img src=x onerror=window.__xss=11>">'
        f"</head><body><article><h1>Port <img src=x onerror=window.__xss=12> strike</h1>{body}"
        '<p><a href="javascript:window.__xss=13">more</a></p></article></body></html>'
    )
    page.fill("#input-text", html)  # type: ignore[attr-defined]
    page.select_option("#input-mode", "html")  # type: ignore[attr-defined]
    page.click("#analyse-button")  # type: ignore[attr-defined]
    page.wait_for_selector("#article-text mark.tech", timeout=120_000)  # type: ignore[attr-defined]
    assert "Elena Marsh" in page.locator("#article-text").text_content()  # type: ignore[attr-defined]
    assert page.evaluate(SCRIPT_COUNT) == 1 and page.evaluate(BAD_NODES) == 0  # type: ignore[attr-defined]
    assert page.locator("a[href^='javascript']").count() == 0  # type: ignore[attr-defined]
    page.wait_for_timeout(300)  # type: ignore[attr-defined]
    watched.clean()


@pytest.fixture(scope="module")
def narrative_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(build_narrative_store(tmp_path_factory.mktemp("browser-narratives") / "n.duckdb")) as base:
        yield base


def test_narratives_pages_and_also_made_by(browser: object, narrative_server: str) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page = context.new_page()
    watched = Watched(page, narrative_server)
    page.goto(f"{narrative_server}/#/narratives")
    page.wait_for_selector("#narratives a", timeout=30_000)
    rows = page.locator("#narratives tr")
    assert rows.count() == 3  # the header and two narratives
    assert "foreign agents" in rows.nth(1).inner_text() and "daily-a.com" in rows.nth(1).inner_text()
    page.screenshot(path=str(DOCS / "screenshot-narratives.png"), full_page=True)

    # One narrative: where it first appeared, its timeline per outlet, its claims in order.
    page.locator("#narratives a").first.click()
    page.wait_for_selector("#narrative-claims li", timeout=30_000)
    assert "2024-01-05 in daily-a.com, said by Ahmad Vahidi" in page.locator("#narrative-first").inner_text()
    assert page.locator("#narrative-claims li").count() == 3
    assert page.locator("#narrative-timeline tr").count() == 4  # the header and three outlets
    assert page.locator("svg.chart rect").count() == 2  # two months
    page.screenshot(path=str(DOCS / "screenshot-narrative.png"), full_page=True)

    # The article view: each claim, and who else makes it.
    page.locator("#narrative-claims li a").nth(1).click()
    page.wait_for_selector("#claims li .elsewhere", timeout=30_000)
    claims = page.locator("#claims li")
    assert claims.count() == 2
    assert "Also made by Ahmad Vahidi (daily-a.com), state-tv.ir · narrative of 3 claims" in claims.first.inner_text()
    claims.first.click()
    assert page.locator("#article-text .q-content").count() > 0
    watched.clean()
    context.close()


def test_a_documents_notebook_view_runs_nothing(browser: object) -> None:
    """The HTML a notebook shows for a document whose text carries script payloads, in chromium:
    no script runs, no dialog opens, nothing is fetched."""
    from tests.test_notebook import hostile_document

    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    watched = Watched(page, "http://presslens.invalid")
    page.set_content(f"<!doctype html><html><body>{hostile_document()._repr_html_()}</body></html>")
    page.wait_for_timeout(300)
    assert page.locator(".presslens-document mark").count() == 1
    assert "<script>" in page.locator(".presslens-document").inner_text()
    watched.clean()
    context.close()
