"""`presslens ingest --engine ray`: the same stored results as the local engine (with a Ray
worker killed mid-run), a driver killed mid-run, the Parquet dataset and its loading.

Every run starts a local Ray instance of its own (a subprocess each, as users run it). The
fast stages (spaCy's small model, actors, attribution) keep the large runs short; one run
on a few articles has every stage, techniques included.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from presslens.store import Store, parts

from .conftest import DATA, EXAMPLES, need
from .test_cli import presslens

pytest.importorskip("ray", reason="the Ray engine is an optional extra: pip install 'presslens[ray]'")

FAST = ("--skip", "techniques", "--model", "sm")
RAY = ("--engine", "ray", "--workers", "2")

# Every table as a sorted list of rows, the store's own ids (outlet ids, ingest times) left
# out: what "the same stored results" means.
COMPARED = {
    "documents": "SELECT d.id, d.source, d.url, o.name, d.title, d.author, d.published, d.published_text, "
    "d.language, d.collection, d.external_id, d.text, d.n_chars, d.n_words, d.technique_chars, d.stages, "
    "d.warnings, d.document_schema FROM documents d LEFT JOIN outlets o ON o.id = d.outlet_id",
    "actors": "SELECT * FROM actors",
    "mentions": "SELECT * FROM mentions",
    "attributions": "SELECT * FROM attributions",
    "techniques": "SELECT * FROM techniques",
    "postings": "SELECT * FROM postings",
    "failures": "SELECT source, reason, attempts FROM failures",
    "corpus_actors": "SELECT * FROM corpus_actors",
    "actor_keys": "SELECT * FROM actor_keys",
    "doc_actors": "SELECT * FROM doc_actors",
    "actor_names": "SELECT * FROM actor_names",
}


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "presslens", *args]


# Tables of the documents themselves (the corpus tables depend on the whole corpus).
PER_DOCUMENT = ("documents", "actors", "mentions", "attributions", "techniques", "postings")


def contents(path: Path, ids: set[str] | None = None) -> dict[str, list[tuple]]:
    """Every table's rows; with ``ids``, only the per-document tables' rows of those documents."""
    with Store(path, read_only=True) as store:
        found = {table: sorted(store.query(COMPARED[table]), key=repr) for table in COMPARED}
    if ids is None:
        return found
    # The document id is the first column of documents and of every per-document table but
    # postings (term, doc_id, tf).
    return {t: [r for r in found[t] if r[1 if t == "postings" else 0] in ids] for t in PER_DOCUMENT}


def empty_database(path: Path) -> bool:
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        return not con.execute("SELECT count(*) FROM duckdb_tables()").fetchone()[0]  # type: ignore[index]


def stored_ids(path: Path) -> set[str]:
    with Store(path, read_only=True) as store:
        ids = store.query("SELECT id FROM documents")
        assert len(ids) == len(set(ids))
        return {r[0] for r in ids}


def ingest(*args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command("ingest", *args), capture_output=True, text=True, timeout=900)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def polnear_dev() -> Path:
    return need(DATA / "polnear" / "dev" / "text")


def ptc_articles(n: int) -> list[str]:
    folder = need(DATA / "ptc" / "train-articles")
    return [str(p) for p in sorted(folder.glob("article*.txt"))[:n]]


# --- the same results as the local engine --------------------------------------------------


def reference_inputs() -> list[tuple[str, ...]]:
    """A few hundred shared articles, as two ingests: PolNeAR dev (84 articles, with its
    metadata), then 120 PTC articles and the examples."""
    return [(str(polnear_dev()), "--format", "polnear"), (*ptc_articles(120), str(EXAMPLES))]


@pytest.fixture(scope="module")
def local_reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The local engine's store of the reference inputs."""
    path = tmp_path_factory.mktemp("local") / "local.duckdb"
    for inputs in reference_inputs():
        result = ingest(*inputs, "--store", str(path), *FAST)
        assert result.returncode == 0, result.stderr
    return path


def ray_workers() -> list[tuple[int, str]]:
    """The analysis actors' processes (Ray names them after the actor class)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if "MapBatches(PartWriter)" in line:
            found.append((int(entry.name), line))
    return found


def ingest_killing_a_worker(*args: str) -> tuple[int, str]:
    """Run an ingest with -v and SIGKILL one busy Ray actor once the first article is
    stored; returns the number stored by then and the run's stderr after the kill."""
    run = subprocess.Popen(command("ingest", *args, "-v"), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert run.stderr is not None
    stored, lines = 0, []
    while stored < 1:
        line = run.stderr.readline()
        assert line, "the ingest ended before a worker could be killed:\n" + "".join(lines)
        lines.append(line)
        stored += line.startswith("stored ")
    workers = ray_workers()
    assert workers, "no analysis actor process found"
    # One that is analysing a batch now (Ray titles it with the method it runs).
    busy = [pid for pid, line in workers if line.endswith(".submit")] or [pid for pid, _ in workers]
    os.kill(busy[0], signal.SIGKILL)
    rest = run.stderr.read()
    assert run.wait() == 0, rest
    return stored, rest


@pytest.mark.slow
def test_ray_engine_stores_what_the_local_engine_stores(local_reference: Path, tmp_path: Path) -> None:
    """The same rows in every table as the local engine's, even though one Ray worker
    process is killed (SIGKILL) during the run: Ray restarts it and retries its batch."""
    path = tmp_path / "ray.duckdb"
    first_inputs, second_inputs = reference_inputs()
    stored_before_kill, first = ingest_killing_a_worker(*first_inputs, "--store", str(path), *RAY, *FAST)
    assert stored_before_kill < 84
    assert "84 stored, 0 skipped (already stored), 0 failed" in first, first
    second = ingest(*second_inputs, "--store", str(path), *RAY, *FAST)
    assert second.returncode == 0, second.stderr
    expected, found = contents(local_reference), contents(path)
    assert len(expected["documents"]) >= 84 + 120
    assert len(found["attributions"]) > 2000 and len(found["mentions"]) > 10000
    assert stored_ids(path) == stored_ids(local_reference)  # each document once
    for table in COMPARED:  # every table, the corpus actors included
        assert found[table] == expected[table], table
    # Offsets hold in what the Ray engine stored.
    with Store(path, read_only=True) as store:
        texts = dict(store.query("SELECT id, text FROM documents"))
        for doc, start, end, text in store.query("SELECT doc_id, start_char, end_char, text FROM mentions"):
            assert texts[doc][start:end] == text
        for doc, spans, text in store.query("SELECT doc_id, content_spans, content_text FROM attributions"):
            assert " … ".join(texts[doc][s:e] for s, e in spans) == text


@pytest.mark.slow
def test_every_stage_gives_the_same_spans(tmp_path: Path) -> None:
    """The default pipeline (spaCy md, actors, attribution, techniques) on a few articles."""
    inputs = [*ptc_articles(4), str(EXAMPLES)]
    local, ray = tmp_path / "local.duckdb", tmp_path / "ray.duckdb"
    assert ingest(*inputs, "--store", str(local)).returncode == 0
    result = ingest(*inputs, "--store", str(ray), *RAY)
    assert result.returncode == 0, result.stderr
    expected, found = contents(local), contents(ray)
    assert len(found["techniques"]) > 10
    for table in COMPARED:
        assert found[table] == expected[table], table


# --- a killed driver ----------------------------------------------------------------------


@pytest.mark.slow
def test_a_killed_ray_run_is_finished_by_a_rerun(local_reference: Path, tmp_path: Path) -> None:
    path = tmp_path / "killed-driver.duckdb"
    files = [str(p) for p in sorted(polnear_dev().glob("*.txt"))[:24]]
    args = (*files, "--format", "polnear", "--store", str(path), "-v", *RAY, *FAST)
    run = subprocess.Popen(
        command("ingest", *args), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, start_new_session=True
    )
    assert run.stderr is not None
    stored = 0
    while stored < 3:
        line = run.stderr.readline()
        assert line, "the ingest ended before it could be killed"
        stored += line.startswith("stored ")
    os.killpg(run.pid, signal.SIGKILL)  # the driver and the Ray instance it started
    run.wait()
    time.sleep(1)
    with Store(path, read_only=True) as store:
        partial = store.counts()["documents"]
    assert 3 <= partial < 24
    rerun = ingest(*args)
    assert rerun.returncode == 0, rerun.stderr
    # Parts written but not loaded when the driver died are loaded first, then counted
    # as stored already; nothing is analysed or stored twice.
    assert "0 failed" in rerun.stderr
    ids = stored_ids(path)
    assert len(ids) == 24
    assert contents(path, ids) == contents(local_reference, ids)
    assert not Path(f"{path}.parts").exists()


# --- the Parquet dataset -------------------------------------------------------------------


@pytest.mark.slow
def test_out_writes_a_parquet_dataset_that_loads_into_a_store(local_reference: Path, tmp_path: Path) -> None:
    import duckdb

    out = tmp_path / "dataset"
    missing = tmp_path / "missing.txt"
    files = [str(p) for p in sorted(polnear_dev().glob("*.txt"))[40:70]]
    args = (*files, str(missing), "--format", "polnear", "--out", str(out), *RAY, *FAST)
    result = ingest(*args)
    assert result.returncode == 1  # the missing file
    assert "30 stored, 0 skipped (already stored), 1 failed" in result.stderr
    assert f"presslens: error: {missing}: no such file or folder" in result.stderr
    # Other engines read it as it is: one folder per table, Parquet parts.
    con = duckdb.connect()
    documents = con.execute(f"SELECT count(*), count(DISTINCT id) FROM read_parquet('{out}/documents/*.parquet')")
    assert documents.fetchall() == [(30, 30)]
    failures = con.execute(f"SELECT source, reason FROM read_parquet('{out}/failures/*.parquet')").fetchall()
    assert failures == [(str(missing), "no such file or folder")]
    ids = set(parts.known_ids(out))
    with Store(local_reference, read_only=True) as store:
        expected = store.query("SELECT count(*) FROM attributions WHERE doc_id IN (SELECT unnest(?))", [list(ids)])[0][
            0
        ]
    assert expected > 100
    assert con.execute(f"SELECT count(*) FROM read_parquet('{out}/attributions/*.parquet')").fetchall() == [(expected,)]
    # A rerun finds everything done.
    again = ingest(*args)
    assert "0 stored, 30 skipped (already stored), 1 failed" in again.stderr
    assert parts.known_ids(out) == ids and len(parts.complete_parts(out)) >= 2
    # Loaded into a store, it is what the local engine stores.
    store = tmp_path / "loaded.duckdb"
    loaded = presslens("store", "load", str(out), "--store", str(store))
    assert loaded.returncode == 0, loaded.stderr
    assert "30 stored, 0 skipped (already stored)" in loaded.stderr
    assert stored_ids(store) == ids
    assert contents(store, ids) == contents(local_reference, ids)
    assert "0 stored, 30 skipped" in presslens("store", "load", str(out), "--store", str(store)).stderr
    # SIGKILL while the parts load: each part goes in whole or not at all (one transaction),
    # the store opens after every kill, and a rerun loads the rest, nothing twice.
    killed = tmp_path / "killed-load.duckdb"
    for delay in (0.5, 1.0, 1.5, 2.0, 3.0):
        load = subprocess.Popen(
            command("store", "load", str(out), "--store", str(killed)),
            stderr=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
        time.sleep(delay)
        load.send_signal(signal.SIGKILL)
        load.wait()
        # Killed before the new store's tables were committed, the file is an empty DuckDB
        # database: the next load makes the store in it (the loop goes on into it).
        if killed.exists() and not empty_database(killed):
            partial = stored_ids(killed)
            assert partial <= ids
            assert contents(killed, partial) == contents(local_reference, partial)
    finished = presslens("store", "load", str(out), "--store", str(killed))
    assert finished.returncode == 0, finished.stderr
    assert stored_ids(killed) == ids
    assert contents(killed, ids) == contents(local_reference, ids)


def test_ray_options_need_the_ray_engine_and_a_file_input(tmp_path: Path) -> None:
    wrong = presslens("ingest", str(EXAMPLES), "--out", str(tmp_path / "d"))
    assert wrong.returncode == 2 and "--address and --out belong to the Ray engine" in wrong.stderr
    stdin = presslens("ingest", "-", "--engine", "ray", "--store", str(tmp_path / "s.duckdb"), stdin=b"Some text.")
    assert stdin.returncode == 1
    assert stdin.stderr.strip() == (
        "presslens: error: standard input is read by the local engine only (--engine local)"
    ), stdin.stderr
    for address, message in (
        (
            "127.0.0.1:1",
            "no Ray cluster answers at 127.0.0.1:1 (Connection refused); is `ray start --head` running there?",
        ),
        ("nonsense", "nonsense: not a Ray address (HOST:PORT, e.g. head-node:6379, or ray://HOST:PORT)"),
    ):
        result = presslens(
            "ingest", str(EXAMPLES), "--engine", "ray", "--address", address, "--store", str(tmp_path / "a")
        )
        assert result.returncode == 1 and result.stderr.strip() == f"presslens: error: {message}", result.stderr
    not_a_dataset = presslens("store", "load", str(EXAMPLES), "--store", str(tmp_path / "s.duckdb"))
    assert not_a_dataset.returncode == 1
    assert not_a_dataset.stderr.strip().endswith(
        "neither a presslens Parquet dataset (no documents/ folder) nor a store export (no documents.parquet)"
    )


def test_a_missing_ray_says_how_to_install_it(tmp_path: Path) -> None:
    # A Python that cannot import ray: a path entry whose 'ray' package fails to import.
    fake = tmp_path / "site" / "ray"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('no ray here')\n")
    env = {**os.environ, "PYTHONPATH": f"{fake.parent}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    result = subprocess.run(
        command("ingest", str(EXAMPLES), "--engine", "ray", "--store", str(tmp_path / "s.duckdb")),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "presslens: error: the Ray engine needs Ray: pip install 'presslens[ray]'"


# --- parts (no Ray needed) -----------------------------------------------------------------


def test_parts_round_trip_tidy_and_load(tmp_path: Path) -> None:
    from presslens.store.rows import document_rows, extend_rows, failure_rows

    from .store_corpus import DOC1, DOC2

    folder = tmp_path / "parts"
    rows1 = extend_rows(document_rows(DOC1, collection="c", external_id="1"), failure_rows([("bad.txt", "empty")]))
    parts.write_part(folder, "part-a", rows1)
    parts.write_part(folder, "part-b", extend_rows(document_rows(DOC2), document_rows(DOC1)))
    # A writer killed half-way: some tables written, not the documents file.
    parts.write_part(folder, "part-c", document_rows(DOC2))
    (folder / "documents" / "part-c.parquet").unlink()
    (folder / "actors" / ".part-c.parquet.1234.tmp").write_bytes(b"half")
    assert parts.complete_parts(folder) == ["part-a", "part-b"]
    tidied = parts.tidy(folder)
    assert (tidied.incomplete, tidied.duplicates) == (1, 1)  # part-c; DOC1 again in part-b
    assert not list(folder.glob("*/part-c.parquet")) and not list(folder.glob("*/*.tmp"))
    assert parts.part_ids(folder, "part-b") == [DOC2.id]
    assert parts.known_ids(folder) == {DOC1.id, DOC2.id}
    read = parts.read_part(folder, "part-a")
    assert read["documents"]["id"] == [DOC1.id] and read["failures"]["source"] == ["bad.txt"]
    assert read["mentions"] == document_rows(DOC1)["mentions"]
    # Loaded, the parts are the same rows as documents added one by one.
    from presslens.engines.ray_engine import load_dataset

    with Store(tmp_path / "loaded.duckdb") as loaded, Store(tmp_path / "added.duckdb") as added:
        assert load_dataset(loaded, folder) == (2, 0)
        assert load_dataset(loaded, folder) == (0, 2)
        assert loaded.failures()[0][:2] == ("bad.txt", "empty")
        added.add(DOC1, collection="c", external_id="1")
        added.add(DOC2)
        for table in ("actors", "mentions", "attributions", "techniques", "postings", "doc_actors"):
            sql = COMPARED.get(table, f"SELECT * FROM {table}")
            assert sorted(loaded.query(sql), key=repr) == sorted(added.query(sql), key=repr), table
