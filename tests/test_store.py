"""Index lifecycle: no-op re-ingest, replacement, removal, and damaged or foreign indexes."""

from __future__ import annotations

import shutil

import pytest

from bot.errors import IndexUnusable, NotFound
from bot.store import IndexStore
from tests.conftest import make_bot

DOC = ("Raid on Testville\n\nOn June 1, 2021, rebels attacked the army camp at Testville, killing nine soldiers.\n\n"
       "The army said reinforcements arrived from Otherville two hours later.\n")


def test_reingest_replace_and_remove(tmp_path, bot):
    b = make_bot(tmp_path, bot)
    src = tmp_path / "docs"
    src.mkdir()
    (src / "testville.txt").write_text(DOC)
    first = b.ingest([src])
    assert first.added == ["testville"] and first.chunks >= 1
    generation = b.snapshot().generation

    again = b.ingest([src])
    assert again.unchanged == ["testville"] and not again.added and not again.updated
    assert b.snapshot().generation == generation  # nothing was rewritten

    (src / "testville.txt").write_text(DOC.replace("nine soldiers", "eleven soldiers"))
    changed = b.ingest([src])
    assert changed.updated == ["testville"]
    snap = b.snapshot()
    text = snap.document_text("testville")
    assert "eleven" in text and "nine soldiers" not in " ".join(c.text for c in snap.chunks_of("testville"))
    assert snap.chunk_count == len(snap.chunks_of("testville"))

    b.remove("testville")
    snap = b.snapshot()
    assert "testville" not in snap.documents and snap.chunk_count == 0
    assert snap.sentence_vectors.shape[0] == 0 and snap.faiss.ntotal == 0
    with pytest.raises(NotFound):
        b.remove("testville")


def test_bad_file_is_reported_and_the_rest_lands(tmp_path, bot):
    b = make_bot(tmp_path, bot)
    src = tmp_path / "docs"
    src.mkdir()
    (src / "good.txt").write_text(DOC)
    (src / "bad.txt").write_bytes(b"\x00\xff\xfe binary")
    report = b.ingest([src])
    assert report.added == ["good"]
    assert len(report.rejected) == 1 and "bad.txt" in report.rejected[0][1]


def test_index_built_by_another_model_is_refused(tmp_path, bot):
    b = make_bot(tmp_path, bot)
    src = tmp_path / "docs"
    src.mkdir()
    (src / "t.txt").write_text(DOC)
    b.ingest([src])
    other = IndexStore(b.store.root, identity={**bot.embedder.identity(), "fingerprint": "0000"})
    with pytest.raises(IndexUnusable, match="citebot ingest"):
        other.load()


@pytest.mark.parametrize("damage", ["truncate_faiss", "truncate_vectors", "garbage_manifest", "missing_bm25"])
def test_damaged_index_is_detected_with_rebuild_advice(tmp_path, bot, damage):
    b = make_bot(tmp_path, bot)
    src = tmp_path / "docs"
    src.mkdir()
    (src / "t.txt").write_text(DOC)
    b.ingest([src])
    gen = b.store.root / (b.store.root / "CURRENT").read_text().strip()
    if damage == "truncate_faiss":
        data = (gen / "vectors.faiss").read_bytes()
        (gen / "vectors.faiss").write_bytes(data[: len(data) // 2])
    elif damage == "truncate_vectors":
        data = (gen / "vectors.npy").read_bytes()
        (gen / "vectors.npy").write_bytes(data[: len(data) - 100])
    elif damage == "garbage_manifest":
        (gen / "manifest.json").write_text("{not json")
    else:
        shutil.rmtree(gen / "bm25")
    with pytest.raises(IndexUnusable, match="delete .* and run `citebot ingest"):
        IndexStore(b.store.root, identity=bot.embedder.identity()).load()
