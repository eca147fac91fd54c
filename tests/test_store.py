"""Index lifecycle: no-op re-ingest, replacement, removal, and damaged or foreign indexes."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from bot import store
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


def _unit(x):
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("clustered", [True, False])
def test_approximate_index_is_chosen_by_measured_recall(monkeypatch, clustered):
    """Past the threshold the inverted file is used only when a small probe count reaches the target recall
    on the corpus's own vectors; vectors without structure get the 8-bit scan. Either way the recall
    reported is what exact search confirms on fresh queries."""
    monkeypatch.setattr(store, "APPROXIMATE_THRESHOLD", 1000)
    rng = np.random.default_rng(7)
    dim, n = 32, 6000
    centres = _unit(rng.standard_normal((40, dim)))

    def draw(m):
        if clustered:
            return _unit(centres[rng.integers(0, len(centres), m)] + rng.standard_normal((m, dim)) / np.sqrt(dim))
        return _unit(rng.standard_normal((m, dim)))

    vectors = draw(n)
    index, search = store.build_faiss([(vectors[:2500], None), (vectors, np.arange(2500, n))], dim)
    assert index.ntotal == n
    assert search["kind"] == ("ivf-sq8" if clustered else "sq8-scan")
    assert search["recall_at_10"] >= store.TARGET_RECALL
    if clustered:
        assert search["nprobe"] <= search["nlist"] // 8
    queries = draw(100)
    truth = store.exact_top([vectors], queries, 10)
    found = index.search(queries, 10)[1]
    assert np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth)]) >= 0.95


def test_vectors_are_written_block_by_block_in_order(tmp_path):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((5, 4)).astype(np.float32), rng.standard_normal((7, 4)).astype(np.float32)
    store._write_rows(tmp_path / "v.npy", [(a, np.array([0, 3])), (b, None)], 4)
    assert np.array_equal(np.load(tmp_path / "v.npy"), np.concatenate([a[[0, 3]], b]))
    store._write_rows(tmp_path / "empty.npy", [], 4)
    assert np.load(tmp_path / "empty.npy").shape == (0, 4)


def test_lexical_tokens_equal_bm25s_tokenizer():
    """The index's tokenizer is bm25s's, without its per-call overhead: same tokens on every seed line and on
    text with digits, accents, apostrophes and stopwords."""
    import bm25s

    from bot.store import _stemmer, lexical_tokens

    texts = [line for p in sorted(Path("seeds").glob("*")) if p.is_file()
             for line in p.read_text(errors="replace").splitlines()]
    texts += ["", "the", "3 of 4 soldiers' deaths in Ménaka, 2019-11-01; it's 27,732 (approx.)", "I a 9 B"]
    assert len(texts) > 100
    expected = bm25s.tokenize(texts, stemmer=_stemmer, return_ids=False, show_progress=False,
                              token_pattern=r"(?u)\b(?:\w\w+|\d)\b")
    assert lexical_tokens(texts) == [list(t) for t in expected]


def test_documents_prepared_by_older_code_are_prepared_again(tmp_path, bot, monkeypatch):
    """An unchanged file is skipped only when the code and settings that prepared it are today's: after an
    upgrade, an index must not keep an older extractor's facts."""
    from bot import preparation

    b = make_bot(tmp_path, bot)
    src = tmp_path / "docs"
    src.mkdir()
    (src / "testville.txt").write_text(DOC)
    b.ingest([src])
    assert b.snapshot().document_structure("testville")["prepared_by"] == preparation.recipe(
        max_tokens=b._max_tokens(), domains=b.domains)
    assert b.ingest([src]).unchanged == ["testville"]
    monkeypatch.setattr(preparation, "_code_hash", lambda: "a later release")
    again = b.ingest([src])
    assert again.updated == ["testville"] and not again.unchanged
    assert b.ingest([src]).unchanged == ["testville"]
