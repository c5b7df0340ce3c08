"""`presslens ingest` into a store, as users run it: real corpora with their metadata, WARC
files, bad inputs, a kill -9 in the middle, and a store that another process is writing.

The fast stages (nlp with spaCy's small model, actors) keep this short; the attribution and
technique stages are tested on their own.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from presslens.corpus.queries import find_actor, list_actors, outlets
from presslens.store import Store

from .conftest import DATA, EXAMPLES, need
from .html_pages import article_html
from .store_corpus import DOC1, DOC2
from .test_cli import presslens

FAST = ("--skip", "attribution,techniques", "--model", "sm")


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "presslens", *args]


def one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


# --- real corpora -------------------------------------------------------------------------


def test_ingest_polnear_dev_and_ptc_train(tmp_path: Path) -> None:
    polnear = need(DATA / "polnear" / "dev" / "text")
    ptc = need(DATA / "ptc" / "train-articles")
    store_path = str(tmp_path / "corpus.duckdb")
    first = presslens("ingest", str(polnear), "--format", "polnear", "--store", store_path, *FAST)
    assert first.returncode == 0, first.stderr
    assert "84 stored, 0 skipped (already stored), 0 failed" in first.stderr
    second = presslens("ingest", str(ptc), "--format", "ptc", "--store", store_path, "--workers", "2", *FAST)
    assert second.returncode == 0, second.stderr
    assert "371 stored, 0 skipped (already stored), 0 failed" in second.stderr

    with Store(store_path, read_only=True) as store:
        counts = store.counts()
        assert counts["documents"] == 455 and counts["failures"] == 0
        assert store.query("SELECT collection, count(*) FROM documents GROUP BY 1 ORDER BY 1") == [
            ("polnear", 84),
            ("ptc", 371),
        ]
        # PolNeAR's metadata.tsv: the outlet, date, author and title of each article.
        by_outlet = {r.outlet: r.documents for r in outlets(store) if r.outlet != "(unknown)"}
        assert by_outlet == dict.fromkeys(
            ["breitbart", "huff-post", "nyt", "politico", "usa-today", "wash-post", "west-journal"], 12
        )
        row = store.query(
            "SELECT d.published, d.title, d.author, d.text FROM documents d "
            "WHERE external_id = 'breitbart_2016-09-12_stealth-over-health-hillary-clin'"
        )[0]
        assert str(row[0]) == "2016-09-12" and row[1].startswith("Stealth Over Health")
        # PTC's layout: the id from the file name, the title from the first line; the text
        # is kept as in the file, so that PTC's own offsets apply to it.
        path = ptc / "article111111111.txt"
        title, text = store.query("SELECT title, text FROM documents WHERE external_id = '111111111'")[0]
        assert text == path.read_text(encoding="utf-8")
        assert title == "Next plague outbreak in Madagascar could be 'stronger': WHO"
        assert store.query("SELECT count(*) FROM documents WHERE collection = 'ptc' AND outlet_id IS NOT NULL") == [
            (0,)
        ]
        assert store.query(
            "SELECT count(*) FROM mentions m JOIN documents d ON d.id = m.doc_id "
            "WHERE substr(d.text, m.start_char + 1, m.end_char - m.start_char) <> m.text"
        ) == [(0,)]
        assert store.query("SELECT count(*) FROM documents WHERE stages <> ['nlp', 'actors', 'claims', 'labels']") == [
            (0,)
        ]
        # Across the corpus, one actor per person.
        assert find_actor(store, "Trump").name == "Donald Trump"
        top = {r.name: r.documents for r in list_actors(store, kind="person", limit=10)}
        assert top["Donald Trump"] > 60 and top["Hillary Clinton"] > 60

    # Idempotent: the same inputs again store nothing new.
    again = presslens("ingest", str(polnear), "--format", "polnear", "--store", store_path, *FAST)
    assert again.returncode == 0, again.stderr
    assert "0 stored, 84 skipped (already stored), 0 failed" in again.stderr
    with Store(store_path, read_only=True) as store:
        assert store.counts() == counts


# --- kill -9, resume; queries while an ingest runs ----------------------------------------


def small_texts() -> list[str]:
    files = sorted(need(DATA / "ptc" / "train-articles").glob("*.txt"), key=lambda p: (p.stat().st_size, p.name))
    return [str(p) for p in files[20:50]]


def table_counts(path: Path) -> tuple[dict[str, int], set[str], dict[str, list[tuple[str, int]]]]:
    with Store(path, read_only=True) as store:
        ids = [r[0] for r in store.query("SELECT id FROM documents")]
        assert len(ids) == len(set(ids)), "a document stored twice"
        per_document = {
            table: sorted(store.query(f"SELECT doc_id, count(*) FROM {table} GROUP BY 1"))  # type: ignore[misc]
            for table in ("actors", "mentions", "postings")
        }
        return store.counts(), set(ids), per_document


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted ingest of the small texts. While it runs, queries from other
    processes see a consistent store or a clear 'store busy', never a broken file."""
    path = tmp_path_factory.mktemp("reference") / "reference.duckdb"
    ingest = subprocess.Popen(
        command("ingest", *small_texts(), "--store", str(path), "-v", *FAST),
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert ingest.stderr is not None
    line = " "
    while line and not line.startswith("stored "):  # then the store is open and being written
        line = ingest.stderr.readline()
    assert line, "the ingest stored nothing"
    answers = []
    while ingest.poll() is None:
        result = presslens("query", "outlets", "--store", str(path), "--format", "json")
        if result.returncode == 0:
            answers.append(json.loads(result.stdout))
        else:
            message = one_line_error(result.stderr)
            assert message.startswith(f"presslens: error: store busy: {path} is being written by another"), message
            answers.append("busy")
    rest = ingest.stderr.read()
    assert ingest.wait() == 0, rest
    assert answers, "no query ran during the ingest"
    with Store(path, read_only=True) as store:
        assert store.counts()["documents"] == 30
    return path


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("workers", [1, 2])
def test_kill_during_ingest_then_resume(reference: Path, tmp_path: Path, workers: int) -> None:
    path = tmp_path / "killed.duckdb"
    args = ("ingest", *small_texts(), "--store", str(path), "-v", "--workers", str(workers), *FAST)
    ingest = subprocess.Popen(command(*args), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert ingest.stderr is not None
    stored = 0
    while stored < 5:
        line = ingest.stderr.readline()
        assert line, "the ingest ended before it could be killed"
        stored += line.startswith("stored ")
    workers_before = children_of(ingest.pid)
    os.kill(ingest.pid, signal.SIGKILL)
    assert ingest.wait() == -signal.SIGKILL
    # Worker processes notice their parent is gone and end.
    deadline = time.monotonic() + 20
    while any(alive(p) for p in workers_before) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(p) for p in workers_before)

    with Store(path, read_only=True) as store:  # what was committed is there, whole
        partial = store.counts()["documents"]
    assert 5 <= partial < 30

    rerun = subprocess.run(command(*args), capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{30 - partial} stored, {partial} skipped (already stored), 0 failed" in rerun.stderr
    assert table_counts(path) == table_counts(reference)


def pool_workers(pid: int) -> list[int]:
    """The analysis processes of the ingest ``pid`` (multiprocessing's spawned children)."""
    found = []
    for child in children_of(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline:
            found.append(child)
    return found


def test_a_killed_worker_costs_no_document(reference: Path, tmp_path: Path) -> None:
    """SIGKILL to one of two analysis processes mid-batch: the pool starts again, the
    inputs it held are retried (each alone), and every document is stored, once."""
    path = tmp_path / "worker-killed.duckdb"
    args = ("ingest", *small_texts(), "--store", str(path), "-v", "--workers", "2", *FAST)
    ingest = subprocess.Popen(command(*args), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert ingest.stderr is not None
    stored = 0
    while stored < 3:
        line = ingest.stderr.readline()
        assert line, "the ingest ended before a worker could be killed"
        stored += line.startswith("stored ")
    workers = pool_workers(ingest.pid)
    assert len(workers) == 2, workers
    os.kill(workers[0], signal.SIGKILL)
    rest = ingest.stderr.read()
    assert ingest.wait(timeout=300) == 0, rest
    assert "Traceback" not in rest
    assert "30 stored, 0 skipped (already stored), 0 failed" in rest, rest
    assert table_counts(path) == table_counts(reference)


@contextmanager
def small_disk(folder: Path, megabytes: int = 16) -> Iterator[Path]:
    """A tmpfs of its own, mounted at ``folder`` (root: set-up and CI run as root; elsewhere
    the test is skipped, never under CI)."""
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(folder)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        reason = f"cannot mount a small tmpfs ({mounted.stderr.strip()})"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_disk_full_stops_cleanly_and_a_rerun_finishes(reference: Path, tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        path = disk / "full.duckdb"
        filler = disk / "filler"
        free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
        filler.write_bytes(b"\0" * (free - 300_000))  # room for a dozen of the 30 documents
        args = ("ingest", *small_texts(), "--store", str(path), *FAST)
        full = presslens(*args)
        assert full.returncode == 1
        message = one_line_error(full.stderr)
        assert message.startswith(f"presslens: error: disk full: no space left for {path} ("), message
        assert message.endswith("free space and run the same command again to finish")
        filler.unlink()
        with Store(path, read_only=True) as store:  # what was committed is there, whole
            partial = store.counts()["documents"]
        assert 0 < partial < 30
        rerun = presslens(*args)
        assert rerun.returncode == 0, rerun.stderr
        assert f"{30 - partial} stored, {partial} skipped (already stored), 0 failed" in rerun.stderr
        assert table_counts(path) == table_counts(reference)


def test_store_busy_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "busy.duckdb"
    with Store(path) as store:  # this process writes the store
        store.add(DOC1)
        for args in (
            ("query", "outlets", "--store", str(path)),
            ("ingest", str(EXAMPLES / "minister-warns.txt"), "--store", str(path), *FAST),
            ("actors", "--store", str(path)),
        ):
            result = presslens(*args)
            assert result.returncode == 1
            assert one_line_error(result.stderr) == (
                f"presslens: error: store busy: {path} is being written by another presslens process; "
                "try again when it finishes"
            )
    result = presslens("query", "outlets", "--store", str(path), "--format", "json")
    assert result.returncode == 0 and json.loads(result.stdout)[0]["documents"] == 1


# --- inputs: bad ones, JSONL, WARC, a missing model ---------------------------------------


def test_bad_inputs_are_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (folder / "good.txt").write_text((EXAMPLES / "minister-warns.txt").read_text(encoding="utf-8"), encoding="utf-8")
    records = [
        json.dumps({"text": DOC1.text, "url": "https://www.daily-a.com/2016/rouhani"}),
        json.dumps({"text": DOC2.text, "outlet": "Herald B", "published": "2016-01-20"}),
        "{not json",
    ]
    (folder / "feed.jsonl").write_text("\n".join(records) + "\n", encoding="utf-8")
    store_path = str(tmp_path / "s.duckdb")
    args = ("ingest", str(folder), str(tmp_path / "missing.txt"), "--store", store_path, *FAST)
    result = presslens(*args)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "3 stored, 0 skipped (already stored), 4 failed" in result.stderr
    with Store(store_path, read_only=True) as store:
        failures = {Path(s).name: r for s, r, _, _ in store.failures()}
        assert set(failures) == {"empty.txt", "binary.txt", "missing.txt", "feed.jsonl:3"}
        assert failures["missing.txt"] == "no such file or folder"
        names = {r.outlet for r in outlets(store)}
        assert names == {"daily-a.com", "Herald B", "(unknown)"}  # the URL's site, or the field
    again = presslens(*args)
    assert "0 stored, 3 skipped (already stored), 4 failed" in again.stderr
    with Store(store_path, read_only=True) as store:
        assert {a for _, _, a, _ in store.failures()} == {2}
        assert store.counts()["documents"] == 3


def write_warc(path: Path) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    budget = json.loads((EXAMPLES / "two-articles.jsonl").read_text(encoding="utf-8").splitlines()[0])
    title, minister = (EXAMPLES / "minister-warns.txt").read_text(encoding="utf-8").split("\n", 1)
    pages = [
        ("https://www.valdoria-herald.example/budget", "200 OK", "text/html; charset=utf-8", "2026-03-20T10:00:00Z",
         article_html(budget["title"], budget["text"], "2026-03-14")),
        ("https://news.example.org/a/2", "200 OK", "text/html", "2026-04-02T08:30:00Z",
         article_html(title, minister, None)),
        ("https://news.example.org/logo.png", "200 OK", "image/png", "2026-04-02T08:30:00Z", b"\x89PNG\r\n"),
        ("https://news.example.org/gone", "404 Not Found", "text/html", "2026-04-02T08:30:00Z", b"<html>404</html>"),
        ("https://news.example.org/menu", "200 OK", "text/html", "2026-04-02T08:30:00Z",
         b"<html><body><nav><a href='/'>Home</a></nav></body></html>"),
    ]  # fmt: skip
    with open(path, "wb") as stream:
        writer = WARCWriter(stream, gzip=path.name.endswith(".gz"))
        for url, status, content_type, when, body in pages:
            request = writer.create_warc_record(url, "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n"))
            writer.write_record(request)
            headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(body),
                http_headers=headers,
                warc_headers_dict={"WARC-Date": when},
            )
            writer.write_record(record)


def test_warc_ingest(tmp_path: Path) -> None:
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    write_warc(crawl / "crawl.warc.gz")
    write_warc(crawl / "again.warc")  # the same pages uncompressed: nothing new to store
    with gzip.open(crawl / "crawl.warc.gz") as stream:
        assert stream.read(8) == b"WARC/1.0"
    store_path = str(tmp_path / "s.duckdb")
    result = presslens("ingest", str(crawl), "--store", store_path, *FAST)
    assert "2 stored, 2 skipped (already stored), 2 failed" in result.stderr, result.stderr
    with Store(store_path, read_only=True) as store:
        rows = store.query(
            "SELECT o.name, d.url, d.published, d.collection, d.warnings FROM documents d "
            "JOIN outlets o ON o.id = d.outlet_id ORDER BY o.name"
        )
        assert [(r[0], r[1], str(r[2]), r[3]) for r in rows] == [
            ("news.example.org", "https://news.example.org/a/2", "2026-04-02", "warc"),  # the crawl date
            ("valdoria-herald.example", "https://www.valdoria-herald.example/budget", "2026-03-14", "warc"),
        ]
        assert "date is the crawl date (the page gives none)" in rows[0][4]
        failures = store.failures()
        assert {s.split("@")[0] for s, _, _, _ in failures} == {str(crawl / "crawl.warc.gz"), str(crawl / "again.warc")}
        assert all("no article text found" in r for _, r, _, _ in failures)


def test_missing_model_stops_the_ingest_with_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "no-model"
    empty.mkdir()
    result = subprocess.run(
        command(
            "ingest", str(EXAMPLES / "minister-warns.txt"), "--store", str(tmp_path / "s.duckdb"),
            "--skip", "techniques", "--model", "sm",
        ),
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PRESSLENS_ATTRIBUTION_MODEL": str(empty)},
    )  # fmt: skip
    assert result.returncode == 1
    message = one_line_error(result.stderr)
    assert message.startswith(f"presslens: error: ingest stopped: no attribution model in {empty}")
    assert message.endswith("(leave the stage out: --skip attribution)")
    bad = presslens("ingest", str(EXAMPLES), "--store", str(tmp_path / "s.duckdb"), "--skip", "spelling")
    assert bad.returncode == 2 and "unknown stage(s) spelling" in bad.stderr
