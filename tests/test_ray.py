"""Ingestion fanned out on a real local Ray cluster (a head and a second node joining it, on 127.0.0.1, started
and stopped here): the same documents, chunks, facts and spans as in-process ingestion, vectors equal."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import free_port, make_bot

RAY = str(Path(sys.executable).with_name("ray"))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if not Path(RAY).exists():
        if os.environ.get("CITEBOT_REQUIRE_ENGINES"):
            raise RuntimeError("ray is not installed")
        pytest.skip("Ray is not installed")
    port = free_port()
    temp = tmp_path_factory.mktemp("ray")
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    common = ["--node-ip-address", "127.0.0.1", "--num-cpus", "1", "--disable-usage-stats"]
    try:
        subprocess.run([RAY, "start", "--head", "--port", str(port), "--include-dashboard=false",
                        f"--temp-dir={temp}", *common], check=True, capture_output=True, env=env, timeout=180)
        subprocess.run([RAY, "start", "--address", f"127.0.0.1:{port}", *common], check=True, capture_output=True,
                       env=env, timeout=180)
    except (subprocess.SubprocessError, OSError) as exc:
        subprocess.run([RAY, "stop", "--force"], capture_output=True, timeout=120)
        if os.environ.get("CITEBOT_REQUIRE_ENGINES"):
            raise
        pytest.skip(f"Ray could not start: {exc}")
    yield f"127.0.0.1:{port}"
    subprocess.run([RAY, "stop", "--force"], capture_output=True, timeout=120)


@pytest.fixture(params=["folder", "postgres"])
def index_settings(request) -> dict:
    """Where the Ray-ingested index is written: the index folder, or PostgreSQL + pgvector."""
    return {"database_url": request.getfixturevalue("database_url")} if request.param == "postgres" else {}


def test_ray_ingestion_equals_in_process(cluster, tmp_path, bot, index_settings):
    docs = tmp_path / "docs"
    shutil.copytree(bot.settings.seeds_dir, docs)
    here, there = make_bot(tmp_path / "here", bot), make_bot(tmp_path / "there", bot, **index_settings)
    here.ingest([docs])
    report = there.ingest([docs], ray=cluster)
    assert not report.rejected and len(report.added) == len(list(docs.iterdir()))
    a, b = here.snapshot(), there.snapshot()
    assert sorted(a.documents) == sorted(b.documents)
    for doc_id in a.documents:
        assert a.document_text(doc_id) == b.document_text(doc_id)
        ca, cb = a.chunks_of(doc_id), b.chunks_of(doc_id)
        assert [(c.text, [(s.start, s.end) for s in c.sentences]) for c in ca] == \
               [(c.text, [(s.start, s.end) for s in c.sentences]) for c in cb]
        va = a.chunk_vectors(np.array([c.vid for c in ca]))
        vb = b.chunk_vectors(np.array([c.vid for c in cb]))
        cos = (va * vb).sum(1) / (np.linalg.norm(va, axis=1) * np.linalg.norm(vb, axis=1))
        assert cos.min() >= 0.999
    key = lambda f: (f.doc_id, f.field, f.value, f.span.start, f.span.end, f.claimant)  # noqa: E731
    assert sorted(map(key, a.facts())) == sorted(map(key, b.facts()))
    assert there.ask("How many soldiers were killed at Mondoro?").answer == here.ask(
        "How many soldiers were killed at Mondoro?").answer


def test_an_unreachable_cluster_is_a_clear_error(tmp_path, bot):
    from bot.errors import BotError

    b = make_bot(tmp_path, bot)
    with pytest.raises(BotError, match="cannot reach a Ray cluster"):
        b.ingest([bot.settings.seeds_dir], ray=f"127.0.0.1:{free_port()}")
    assert b.snapshot() is None  # nothing half-written
