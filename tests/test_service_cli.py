"""`presslens serve`: starts, serves the page and the API on loopback, refuses a missing store."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from click.testing import CliRunner  # noqa: E402

from presslens.cli import main  # noqa: E402
from presslens.cli.serve import allowed_hosts  # noqa: E402
from presslens.service.security import is_loopback_host  # noqa: E402

from .conftest import LOCAL  # noqa: E402


def test_loopback_hosts() -> None:
    assert all(is_loopback_host(h) for h in ("127.0.0.1", "localhost", "::1", "127.0.0.5"))
    assert not any(is_loopback_host(h) for h in ("0.0.0.0", "::", "192.168.1.4", "example.org"))


def test_allowed_hosts_are_loopback_the_address_and_the_names_given() -> None:
    assert allowed_hosts("127.0.0.1", ()) == ("localhost", "127.0.0.1", "::1")
    assert allowed_hosts("0.0.0.0", ()) == ("localhost", "127.0.0.1", "::1")  # every address: none named
    assert allowed_hosts("192.168.1.4", ("news.lan",))[-2:] == ("192.168.1.4", "news.lan")
    assert "myserver.lan" in allowed_hosts("myserver.lan", ())


def test_serve_refuses_a_missing_store(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--store", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2 and "no store here" in result.output


def test_serve_answers_on_loopback() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "presslens", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        page = None
        deadline = time.monotonic() + 60
        while page is None and time.monotonic() < deadline and server.poll() is None:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
            except httpx.HTTPError:
                time.sleep(0.2)
        assert page is not None and page.status_code == 200
        assert "script-src 'self'" in page.headers["content-security-policy"]
        answer = httpx.get(f"http://127.0.0.1:{port}/api/documents", timeout=5)
        assert answer.status_code == 503 and "--store" in answer.json()["error"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


def test_beyond_loopback_posts_need_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn
    from fastapi.testclient import TestClient

    started: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.update(app=app, **options))
    monkeypatch.delenv("PRESSLENS_TOKEN", raising=False)
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert started["host"] == "0.0.0.0" and started["port"] == 8123
    token = result.output.split("Bearer ")[1].split("'")[0]
    client = TestClient(started["app"], base_url=LOCAL)  # type: ignore[arg-type]
    assert client.post("/api/analyze", json={"text": "x"}).status_code == 401
    authorised = client.post("/api/analyze", json={"text": ""}, headers={"authorization": f"Bearer {token}"})
    assert authorised.status_code == 422  # past the token check; the empty text is refused before any model loads
