"""Crash safety, damaged indexes at start, and concurrent readers and writers."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.spans import verify_quote
from bot.store import IndexStore
from tests.conftest import make_bot

NEW_DOC = ("Raid on Crashville\n\nOn July 9, 2021, rebels attacked the army camp at Crashville, killing five soldiers.\n\n"
           "The army said reinforcements arrived from Otherville two hours later.\n")


def cli(*args: str, env: dict | None = None, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bot.cli", *args], env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def copy_of_session_index(tmp_path, bot):
    """A Bot over a copy of the session's seed index (copying beats embedding the seeds again)."""
    shutil.copytree(bot.store.root, tmp_path / "index", ignore=shutil.ignore_patterns(".lock"))
    return make_bot(tmp_path, bot)


@pytest.fixture()
def base_index(tmp_path, bot):
    b = copy_of_session_index(tmp_path, bot)
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "crashville.txt").write_text(NEW_DOC)
    return b


def loaded_docs(root: Path, bot) -> set[str]:
    snap = IndexStore(root, identity=bot.embedder.identity()).load()
    for doc_id in snap.documents:  # every chunk still verifies against its document
        text = snap.document_text(doc_id)
        for chunk in snap.chunks_of(doc_id):
            for s in chunk.sentences:
                verify_quote(text, s.start, s.end, s.of(text))
    assert len(snap.facts()) >= 0 and snap.faiss.ntotal == snap.chunk_count
    return set(snap.documents)


@pytest.mark.parametrize("stage", ["after_metadata", "after_vectors", "before_rename", "before_pointer", "after_pointer"])
def test_kill_during_ingest_leaves_old_or_new_index(base_index, bot, tmp_path, stage):
    root = base_index.store.root
    before = loaded_docs(root, bot)
    proc = cli("ingest", "--index", str(root), "-q", str(tmp_path / "new"), env={"BOT_CRASH_AT": stage})
    proc.communicate(timeout=300)
    assert proc.returncode == -signal.SIGKILL
    after = loaded_docs(root, bot)
    expected = before | {"crashville"} if stage == "after_pointer" else before
    assert after == expected
    # and the next ingest completes the job, cleaning up what the crash left behind
    base_index.ingest([tmp_path / "new"])
    assert loaded_docs(root, bot) == before | {"crashville"}
    assert not [p for p in root.iterdir() if p.name.startswith(".tmp-")]


def test_kill_at_random_moments(base_index, bot, tmp_path):
    root = base_index.store.root
    before = loaded_docs(root, bot)
    for delay in (1.0, 4.0, 7.0):
        proc = cli("ingest", "--index", str(root), "-q", str(tmp_path / "new"))
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        assert loaded_docs(root, bot) in (before, before | {"crashville"})


@pytest.mark.parametrize("damage", ["truncate", "other_model", "garbage_pointer"])
def test_serve_refuses_a_damaged_index_with_advice(base_index, bot, damage):
    root = base_index.store.root
    gen = root / (root / "CURRENT").read_text().strip()
    if damage == "truncate":
        data = (gen / "vectors.faiss").read_bytes()
        (gen / "vectors.faiss").write_bytes(data[:100])
    elif damage == "other_model":
        import json

        manifest = json.loads((gen / "manifest.json").read_text())
        manifest["embedding"]["fingerprint"] = "another-model"
        manifest["embedding"]["dim"] = 768
        (gen / "manifest.json").write_text(json.dumps(manifest))
    else:
        (root / "CURRENT").write_text("gen-missing")
    proc = cli("serve", "--index", str(root), "--port", "1")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err
    assert "citebot ingest" in err and "Traceback" not in err


def test_queries_keep_working_while_documents_change(tmp_path, bot):
    b = copy_of_session_index(tmp_path, bot)
    src = tmp_path / "docs"
    src.mkdir()
    errors: list[BaseException] = []
    stop = threading.Event()
    answered = [0]

    def reader():
        while not stop.is_set():
            try:
                ans = b.ask("How many soldiers were killed at Sokolo?")
                snap = b.snapshot()
                for p in ans.passages:
                    verify_quote(snap.document_text(p.doc_id), p.start, p.end, p.quote)
                answered[0] += 1
            except KeyError:
                pass  # a document removed between the answer and this check: the answer itself was whole
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

    readers = [threading.Thread(target=reader) for _ in range(3)]
    for t in readers:
        t.start()
    for i in range(4):
        (src / "crashville.txt").write_text(NEW_DOC.replace("five", ["five", "six", "seven", "eight"][i]))
        b.ingest([src])
        if i % 2:
            b.remove("crashville")
    stop.set()
    for t in readers:
        t.join(timeout=60)
    assert not errors, errors[:3]
    assert answered[0] > 0


def test_two_writers_do_not_corrupt_the_index(tmp_path, bot):
    first = copy_of_session_index(tmp_path, bot)
    second = make_bot(tmp_path, bot)  # same index directory, its own service (as another process would be)
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        (tmp_path / name / f"{name}.txt").write_text(NEW_DOC.replace("Crashville", name.title() + "ville"))
    results: list = []

    def write(b, folder):
        try:
            results.append(b.ingest([folder]))
        except BaseException as exc:  # noqa: BLE001
            results.append(exc)

    threads = [threading.Thread(target=write, args=(first, tmp_path / "one")),
               threading.Thread(target=write, args=(second, tmp_path / "two"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert all(not isinstance(r, BaseException) for r in results), results
    docs = loaded_docs(first.store.root, bot)
    assert {"one", "two"} <= docs
    shutil.rmtree(tmp_path / "one")
